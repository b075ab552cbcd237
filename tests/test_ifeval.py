"""The ifeval verifier: realistic answers per instruction type, loose mode, gaming attempts, bad references.

Expected values follow the IFEval paper's definitions (and its reference implementation's
``check_following``), not what the code prints.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from rewards.ifeval import IfevalParams, ifeval
from rewards.ifeval_checks import INSTRUCTIONS
from rewards.ifeval_text import count_sentences
from rewards.item import Item
from rewards.verdict import Status


def _ref(iid: str, **kwargs: Any) -> dict[str, Any]:
    return {"instruction_id_list": [iid], "kwargs": [kwargs]}


def _followed(completion: str, reference: Any, **params: Any) -> bool:
    verdict = ifeval(Item(completion, reference), IfevalParams(**params))
    assert verdict.status is Status.OK, verdict.reason
    return verdict.score == 1.0


ESSAY_300 = " ".join(f"Point {i}: hammocks cradle the body and ease pressure on the lower back." for i in range(25))

# (instruction id, kwargs, completion, followed in strict mode with guards off = IFEval to the letter)
CASES = [
    (
        "keywords:existence",
        {"keywords": ["correlated", "experiencing"]},
        "Team members experiencing delays should note that costs are correlated with scope.",
        True,
    ),
    ("keywords:existence", {"keywords": ["correlated", "experiencing"]}, "Costs are related to scope.", False),
    (
        "keywords:frequency",
        {"keyword": "story", "frequency": 2, "relation": "at least"},
        "every pilgrim has a story. the story of hajj is old.",
        True,
    ),
    ("keywords:frequency", {"keyword": "story", "frequency": 2, "relation": "at least"}, "one story only.", False),
    ("keywords:frequency", {"keyword": "war", "frequency": 2, "relation": "less than"}, "The war ended.", True),
    (
        "keywords:forbidden_words",
        {"forbidden_words": ["field", "thanks"]},
        "We resolved the SSO defect observed in production. We appreciate your patience.",
        True,
    ),
    ("keywords:forbidden_words", {"forbidden_words": ["field", "thanks"]}, "Thanks, the field team fixed it.", False),
    ("keywords:forbidden_words", {"forbidden_words": ["rock"]}, "ROCKET SCIENCE IS ROCKING.", True),
    (
        "keywords:letter_frequency",
        {"letter": "!", "let_frequency": 6, "let_relation": "at least"},
        "Try it! Love it! Share it! Taste it! Crave it! Repeat!",
        True,
    ),
    (
        "keywords:letter_frequency",
        {"letter": "t", "let_frequency": 2, "let_relation": "less than"},
        "The knight moves in an L shape; it jumps.",
        False,
    ),
    (
        "language:response_language",
        {"language": "fr"},
        "Il est important de bien manger pour que le corps guérisse plus vite.",
        True,
    ),
    ("language:response_language", {"language": "fr"}, "It is important to eat healthy food to heal.", False),
    ("language:response_language", {"language": "kn"}, "ಹ್ಯಾಂಬರ್ಗರ್ ಒಂದು ರೀತಿಯ ಸ್ಯಾಂಡ್‌ವಿಚ್ ಆಗಿದೆ.", True),
    (
        "length_constraints:number_sentences",
        {"num_sentences": 3, "relation": "less than"},
        "Dr. Smith arrived at 3.15 p.m. today. He was late.",
        True,
    ),
    (
        "length_constraints:number_sentences",
        {"num_sentences": 3, "relation": "less than"},
        "It rained. We stayed in. We played chess!",
        False,
    ),
    (
        "length_constraints:number_paragraphs",
        {"num_paragraphs": 2},
        "He woke up inside a game.\n***\nHe found the exit at last.",
        True,
    ),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 2}, "One.\n***\n***\nTwo.", False),
    ("length_constraints:number_words", {"num_words": 300, "relation": "at least"}, ESSAY_300, True),
    ("length_constraints:number_words", {"num_words": 151, "relation": "less than"}, ESSAY_300, False),
    (
        "length_constraints:nth_paragraph_first_word",
        {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "however"},
        "Cats nap a lot.\n\nHowever, dogs nap more.\n\nBirds barely nap.",
        True,
    ),
    (
        "length_constraints:nth_paragraph_first_word",
        {"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "however"},
        "Cats nap a lot.\n\nDogs nap more.\n\nBirds barely nap.",
        False,
    ),
    ("detectable_content:number_placeholders", {"num_placeholders": 2}, "Dear [name], see you at [address].", True),
    ("detectable_content:number_placeholders", {"num_placeholders": 2}, "Dear [name], see you soon.", False),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "See you soon.\n\nP.S. Bring snacks.", True),
    ("detectable_content:postscript", {"postscript_marker": "P.P.S"}, "See you.\nP.P.S. Bring snacks.", True),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}, "See you soon. Bring snacks.", False),
    ("detectable_format:number_bullet_lists", {"num_bullets": 3}, "Plan:\n* pack\n* drive\n- swim", True),
    ("detectable_format:number_bullet_lists", {"num_bullets": 3}, "**Plan**\n* pack\n* drive", False),
    ("detectable_format:constrained_response", {}, "My answer is yes.", True),
    ("detectable_format:constrained_response", {}, "Yes, definitely.", False),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2}, "*Day 1* Tokyo.\n**Day 2** Kyoto.", True),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 2}, "*Day 1* Tokyo. Day 2 Kyoto.", False),
    (
        "detectable_format:multiple_sections",
        {"section_spliter": "SECTION", "num_sections": 2},
        "SECTION 1\nI miss my class.\nSECTION 2\nI miss it more.",
        True,
    ),
    (
        "detectable_format:multiple_sections",
        {"section_spliter": "Section", "num_sections": 2},
        "Section 1\nOnly one.",
        False,
    ),
    ("detectable_format:json_format", {}, '```json\n{"moms": ["Marie Curie", "Michelle Obama"]}\n```', True),
    ("detectable_format:json_format", {}, 'Here it is: {"moms": []}', False),
    ("detectable_format:title", {}, "<<Ode to Sleep>>\nThe hammock sways.", True),
    ("detectable_format:title", {}, "<< >>\nThe hammock sways.", False),
    ("combination:two_responses", {}, "Allah\n******\nYahweh", True),
    ("combination:two_responses", {}, "Allah\n******\nAllah", False),
    (
        "combination:repeat_prompt",
        {"prompt_to_repeat": "Write a haiku about moms."},
        "Write a haiku about moms.\nMom hums in the dark",
        True,
    ),
    (
        "combination:repeat_prompt",
        {"prompt_to_repeat": "Write a haiku about moms."},
        "Sure! Write a haiku about moms.\nMom hums",
        False,
    ),
    (
        "startend:end_checker",
        {"end_phrase": "Is there anything else I can help with?"},
        'The sentiment is negative. "Is there anything else I can help with?"',
        True,
    ),
    (
        "startend:end_checker",
        {"end_phrase": "Is there anything else I can help with?"},
        "Is there anything else I can help with? Bye.",
        False,
    ),
    ("startend:quotation", {}, '"The internet changed how teens talk."', True),
    ("startend:quotation", {}, "The internet changed how teens talk.", False),
    (
        "change_case:capital_word_frequency",
        {"capital_frequency": 3, "capital_relation": "less than"},
        "Matthias is a SKILLED and RELIABLE engineer.",
        True,
    ),
    (
        "change_case:capital_word_frequency",
        {"capital_frequency": 3, "capital_relation": "at least"},
        "Matthias is a SKILLED and RELIABLE engineer.",
        False,
    ),
    ("change_case:english_capital", {}, "NIKE MAKES BETTER SNEAKERS FOR RUNNING THAN PRADA DOES.", True),
    ("change_case:english_capital", {}, "NIKE makes better sneakers.", False),
    ("change_case:english_lowercase", {}, "dear friend, please go and vote on tuesday.", True),
    ("change_case:english_lowercase", {}, "Dear friend, please go and vote on Tuesday.", False),
    ("change_case:english_lowercase", {}, "cher ami, va voter mardi s'il te plaît, c'est important.", False),
    ("punctuation:no_comma", {}, "Raymond III was Count of Tripoli. He fought at Hattin.", True),
    ("punctuation:no_comma", {}, "Raymond III, Count of Tripoli, fought at Hattin.", False),
]


@pytest.mark.parametrize(("iid", "kwargs", "completion", "followed"), CASES)
def test_realistic_answer_yields_ifeval_definition(
    iid: str, kwargs: dict[str, Any], completion: str, followed: bool
) -> None:
    assert _followed(completion, _ref(iid, **kwargs), guards=False) is followed


def test_every_instruction_type_has_a_followed_and_a_broken_case() -> None:
    assert len(INSTRUCTIONS) == 25
    for iid in INSTRUCTIONS:
        outcomes = {followed for case_id, _, _, followed in CASES if case_id == iid}
        assert outcomes == {True, False}, iid


# (instruction, kwargs, completion, strict, loose): loose removes the first/last line and '*' (the paper, §3)
LOOSE_CASES = [
    ("startend:quotation", {}, 'Here is my answer:\n"Teens live online."', False, True),
    (
        "combination:repeat_prompt",
        {"prompt_to_repeat": "Write a haiku."},
        "Sure!\nWrite a haiku.\nSnow falls",
        False,
        True,
    ),
    ("startend:end_checker", {"end_phrase": "Any other questions?"}, "Done. Any other questions?\n---", False, True),
    ("detectable_format:json_format", {}, '{"a": 1}\nHope this helps!', False, True),
    ("punctuation:no_comma", {}, "Hi, there", False, False),
    ("change_case:english_lowercase", {}, "**note**\nthe meeting is at noon today.", True, True),
]


@pytest.mark.parametrize(("iid", "kwargs", "completion", "strict", "loose"), LOOSE_CASES)
def test_loose_mode_yields_paper_upper_bound(
    iid: str, kwargs: dict[str, Any], completion: str, strict: bool, loose: bool
) -> None:
    ref = _ref(iid, **kwargs)
    assert _followed(completion, ref, mode="strict") is strict
    assert _followed(completion, ref, mode="loose") is loose


PADDED = "Hammocks are great for sleep. " + "very " * 400 + "Truly."
REPEATED = "Hammocks are great for sleeping outdoors in summer. " * 40
STUFFED_CODE = "War is costly.\n```python\nwar = 'war war war war war war war war'\n```\nPeace wins."
PADDED_SENTENCES = "Hammocks are nice. " * 12

# (instruction, kwargs, completion, IFEval to the letter, with guards): gaming earns nothing with guards on
GAMING_CASES = [
    ("length_constraints:number_words", {"num_words": 300, "relation": "at least"}, PADDED, True, False),
    ("length_constraints:number_words", {"num_words": 300, "relation": "at least"}, REPEATED, True, False),
    ("length_constraints:number_words", {"num_words": 300, "relation": "at least"}, ESSAY_300, True, True),
    ("length_constraints:number_words", {"num_words": 100, "relation": "less than"}, REPEATED, False, False),
    ("keywords:frequency", {"keyword": "war", "frequency": 8, "relation": "at least"}, STUFFED_CODE, True, False),
    ("keywords:existence", {"keywords": ["peace"]}, "```\npeace = 1\n```\nNo comment.", True, True),
    ("keywords:forbidden_words", {"forbidden_words": ["war"]}, STUFFED_CODE, False, False),
    (
        "length_constraints:number_sentences",
        {"num_sentences": 10, "relation": "at least"},
        PADDED_SENTENCES,
        True,
        False,
    ),
    (
        "change_case:capital_word_frequency",
        {"capital_frequency": 5, "capital_relation": "at least"},
        "This is GREAT GREAT GREAT GREAT GREAT.",
        True,
        False,
    ),
]


@pytest.mark.parametrize(("iid", "kwargs", "completion", "raw", "guarded"), GAMING_CASES)
def test_gaming_attempt_yields_counted_view_verdict(
    iid: str, kwargs: dict[str, Any], completion: str, raw: bool, guarded: bool
) -> None:
    ref = _ref(iid, **kwargs)
    assert _followed(completion, ref, guards=False) is raw
    assert _followed(completion, ref, guards=True) is guarded


def test_json_answer_keeps_code_block_for_counts_yields_followed() -> None:
    """A JSON answer in a ```json fence is the answer: its words count even with guards on."""
    frequency = {"keyword": "diaper", "frequency": 3, "relation": "at least"}
    answer = '```json\n{"product": "soft diaper", "tagline": "the diaper babies love", "size": "diaper S"}\n```'
    with_json = {
        "instruction_id_list": ["detectable_format:json_format", "keywords:frequency"],
        "kwargs": [{}, frequency],
    }
    assert _followed(answer, with_json)
    assert not _followed(answer, _ref("keywords:frequency", **frequency))


def test_answer_after_think_yields_judged_alone() -> None:
    ref = _ref("punctuation:no_comma")
    assert _followed("<think>Hmm, commas, commas, commas.</think>No commas here.", ref)
    quoted = '<think>\nWrap it, in quotes.\n</think>\n<answer>\n"Teens live online."\n</answer>'
    verdict = ifeval(Item(quoted, _ref("startend:quotation")), IfevalParams())
    assert verdict.score == 1.0
    assert verdict.details["answer_from"] == "inside <answer> after </think>"
    verdict = ifeval(Item("<think>I will answer without commas", ref), IfevalParams())
    assert verdict.score == 0.0
    assert "unterminated <think>" in verdict.reason


@pytest.mark.parametrize(
    ("completion", "scoring", "score"),
    [
        ('"<<Joy>> no comma here"', "all", 1.0),
        ('"<<Joy>> no comma here"', "fraction", 1.0),
        ('"<<Joy>>, a comma"', "all", 0.0),
        ('"<<Joy>>, a comma"', "fraction", 2 / 3),
    ],
)
def test_scoring_yields_all_of_or_fraction(completion: str, scoring: str, score: float) -> None:
    ref = {
        "instruction_id_list": ["punctuation:no_comma", "startend:quotation", "detectable_format:title"],
        "kwargs": [{}, {}, {}],
    }
    verdict = ifeval(Item(completion, ref), IfevalParams(scoring=scoring))  # type: ignore[arg-type]
    assert verdict.score == pytest.approx(score)


def test_details_yield_per_instruction_results() -> None:
    ref = {
        "instruction_id_list": ["punctuation:no_comma", "length_constraints:number_words"],
        "kwargs": [{}, {"relation": "at least", "num_words": 10}],
    }
    verdict = ifeval(Item("Short, sweet.", ref), IfevalParams(scoring="fraction"))
    assert verdict.score == 0.0
    results = verdict.details["instructions"]
    assert [r["id"] for r in results] == ref["instruction_id_list"]
    assert [r["followed"] for r in results] == [False, False]
    assert results[0]["observed"] == "1 comma"
    assert results[1]["observed"] == "2 words; needs at least 10"
    assert "✗ punctuation:no_comma: 1 comma" in verdict.reason


HF_ROW = {  # google/IFEval on the Hub: every kwargs dict has every key, null where unused
    "key": 1000,
    "prompt": "Write a 300+ word summary ...",
    "instruction_id_list": ["punctuation:no_comma", "detectable_format:number_highlighted_sections"],
    "kwargs": [
        {"num_highlights": None, "relation": None, "num_words": None, "language": None},
        {"num_highlights": 1, "relation": None, "num_words": None, "language": None},
    ],
}


@pytest.mark.parametrize("reference", [HF_ROW, json.dumps(HF_ROW)])
def test_dataset_row_as_shipped_yields_judged(reference: Any) -> None:
    assert _followed("The *Count of Tripoli* ruled well.", reference)


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (None, "must be an object with instruction_id_list"),
        ("not json", "must be JSON"),
        ({"instruction_id_list": []}, "1 to 64 ids"),
        ({"instruction_id_list": ["keywords:nope"], "kwargs": [{}]}, "not one of the 25 IFEval instruction ids"),
        ({"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}, {}]}, "a list of 1 objects"),
        (_ref("keywords:frequency", keyword="x", frequency=2), "missing ['relation']"),
        (_ref("keywords:frequency", keyword="x", frequency=2, relation="at most"), "relation must be one of"),
        (_ref("punctuation:no_comma", num_words=3), "unexpected ['num_words']"),
        (_ref("length_constraints:number_words", num_words=-3, relation="at least"), "non-negative integer"),
        (_ref("keywords:letter_frequency", letter="ab", let_frequency=1, let_relation="at least"), "one character"),
        (_ref("language:response_language", language="english!"), "ISO 639-1"),
        (_ref("keywords:existence", keywords="war"), "list of 1 to 64"),
        (
            _ref("length_constraints:nth_paragraph_first_word", num_paragraphs=2, nth_paragraph=3, first_word="a"),
            "nth_paragraph exceeds",
        ),
    ],
)
def test_malformed_reference_yields_bad_reference(reference: Any, message: str) -> None:
    verdict = ifeval(Item("Some answer.", reference), IfevalParams())
    assert verdict.status is Status.BAD_REFERENCE
    assert verdict.score is None
    assert message in verdict.reason


def test_keyword_with_regex_characters_yields_literal_match() -> None:
    ref = _ref("keywords:existence", keywords=["(a+)+$"])
    assert not _followed("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", ref)
    assert _followed("the pattern (a+)+$ is famous", ref)


def test_empty_answer_yields_nothing_followed() -> None:
    assert not _followed("   ", _ref("punctuation:no_comma"))


@pytest.mark.parametrize(
    ("text", "n"),
    [
        ("Dr. Smith arrived. He was late!", 2),
        ("Wait... what? Yes.", 2),
        ("I paused... Then I left.", 2),
        ("Steps:\n1. Boil water.\n2. Add tea.\n10. Enjoy it.", 3),
        ("It costs 5. Then we left.", 2),
        ("e.g. this one. And J. Doe too.", 2),
        ("Pi is 3.14 today. Ok", 2),
        ("No punctuation at all", 1),
        ("", 0),
    ],
)
def test_sentence_count_yields_rule_based_split(text: str, n: int) -> None:
    assert count_sentences(text) == n
