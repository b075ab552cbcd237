"""The 25 IFEval instruction types: what each one's kwargs are and how it is checked.

Each check follows the definition of the IFEval paper (Zhou et al. 2023, Table 1) and
its reference implementation's ``check_following``, with three deliberate differences:
keywords are matched literally (IFEval passes them to ``re`` as patterns; a reference is
untrusted input), sentences are counted by :func:`rewards.ifeval_text.count_sentences`
instead of NLTK Punkt, and the language is identified by the fastText model the
``language`` verifier uses (IFEval: langdetect). With guards on, an "at least" count is
taken in the counted view (:func:`rewards.ifeval_text.counted_view`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rewards.ifeval_text import count_sentences, count_words, counted_view
from rewards.lang_model import LABEL_PREFIX, load_model

RELATIONS = ("less than", "at least")
CONSTRAINED_RESPONSES = ("My answer is yes.", "My answer is no.", "My answer is maybe.")
# the reference's, less its leading \s* (a search finds the same lines without it; with it, quadratic in spaces)
POSTSCRIPT_PATTERNS = {"P.P.S": r"p\.\s?p\.\s?s.*$", "P.S.": r"p\.\s?s\..*$"}
_CAPITAL_WORD_RE = re.compile(r"\w+(?:[-'’]\w+)*")
_LETTER_RE = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Answer:
    """One response text to check; ``counted`` is its counted view (``text`` itself with guards off)."""

    text: str
    guards: bool = True
    keep_code: bool = False

    @functools.cached_property
    def counted(self) -> str:
        """Computed on first use: most instruction types never need it."""
        return counted_view(self.text, keep_code=self.keep_code) if self.guards else self.text


@dataclass(frozen=True)
class Outcome:
    """Whether an instruction is followed, and what was measured, e.g. "212 words; needs at least 300"."""

    followed: bool
    observed: str


Check = Callable[[Answer, dict[str, Any]], Outcome]


def _compare(n: int, relation: str, threshold: int, what: str) -> Outcome:
    ok = n < threshold if relation == "less than" else n >= threshold
    return Outcome(ok, f"{n} {what}; needs {relation} {threshold}")


def _counted(answer: Answer, relation: str) -> str:
    """Where a count is taken: the counted view for "at least" (guards), the whole text for "less than"."""
    return answer.counted if relation == "at least" else answer.text


def keywords_existence(a: Answer, kw: dict[str, Any]) -> Outcome:
    # the whole text: one mention is not padding, and a keyword inside requested code is a mention
    missing = [k for k in kw["keywords"] if not re.search(re.escape(k), a.text, re.IGNORECASE)]
    return Outcome(not missing, f"missing {missing}" if missing else f"all of {kw['keywords']} present")


def keywords_frequency(a: Answer, kw: dict[str, Any]) -> Outcome:
    text = _counted(a, kw["relation"])
    n = len(re.findall(re.escape(kw["keyword"].strip()), text, re.IGNORECASE))
    return _compare(n, kw["relation"], kw["frequency"], f"occurrences of {kw['keyword'].strip()!r}")


def forbidden_words(a: Answer, kw: dict[str, Any]) -> Outcome:
    found = [w for w in kw["forbidden_words"] if re.search(rf"\b{re.escape(w)}\b", a.text, re.IGNORECASE)]
    return Outcome(not found, f"uses {found}" if found else "none of the forbidden words")


def letter_frequency(a: Answer, kw: dict[str, Any]) -> Outcome:
    letter = kw["letter"].strip().lower()
    n = _counted(a, kw["let_relation"]).lower().count(letter)
    return _compare(n, kw["let_relation"], kw["let_frequency"], f"occurrences of {letter!r}")


def detect_language(text: str) -> tuple[str | None, float]:
    """fastText's top language for ``text`` (lower-cased, one line) and its probability; None without letters."""
    if not _LETTER_RE.search(text):
        return None, 0.0
    labels, probs = load_model().predict(" ".join(text.lower().split()), k=1)
    return str(labels[0][len(LABEL_PREFIX) :]), float(probs[0])


def response_language(a: Answer, kw: dict[str, Any]) -> Outcome:
    lang, p = detect_language(a.text)
    if lang is None:  # IFEval: undetectable counts as followed
        return Outcome(True, "no letters to identify a language")
    return Outcome(lang == kw["language"], f"identified as {lang} (p={p:.2f}); needs {kw['language']}")


def number_sentences(a: Answer, kw: dict[str, Any]) -> Outcome:
    n = count_sentences(_counted(a, kw["relation"]))
    return _compare(n, kw["relation"], kw["num_sentences"], "sentences")


def number_paragraphs(a: Answer, kw: dict[str, Any]) -> Outcome:
    parts = re.split(r"\s?\*\*\*\s?", a.text)
    inner_empty = any(not p.strip() for p in parts[1:-1])
    n = sum(1 for p in parts if p.strip())
    if inner_empty:
        return Outcome(False, "an empty paragraph between two *** dividers")
    return Outcome(n == kw["num_paragraphs"], f"{n} paragraphs split by ***; needs exactly {kw['num_paragraphs']}")


def number_words(a: Answer, kw: dict[str, Any]) -> Outcome:
    n = count_words(_counted(a, kw["relation"]))
    shown = "words" if n == count_words(a.text) else f"words counted ({count_words(a.text)} in all)"
    return _compare(n, kw["relation"], kw["num_words"], shown)


def nth_paragraph_first_word(a: Answer, kw: dict[str, Any]) -> Outcome:
    paragraphs = a.text.split("\n\n")
    n = sum(1 for p in paragraphs if p.strip())
    nth, want = kw["nth_paragraph"], kw["first_word"].lower()
    paragraph = paragraphs[nth - 1].strip() if nth <= n else ""
    if not paragraph:
        return Outcome(False, f"{n} paragraphs split by blank lines; no paragraph {nth}")
    word = re.split(r"[.,?!'\"]", paragraph.split()[0].lstrip("'\""), maxsplit=1)[0].lower()
    ok = n == kw["num_paragraphs"] and word == want
    return Outcome(
        ok, f"{n} paragraphs (needs {kw['num_paragraphs']}); paragraph {nth} starts with {word!r} (needs {want!r})"
    )


def number_placeholders(a: Answer, kw: dict[str, Any]) -> Outcome:
    n = len(re.findall(r"\[[^\[\]\n]*\]", a.counted))  # the reference's \[.*?\], each "[" scanning its line
    return _compare(n, "at least", kw["num_placeholders"], "[placeholders]")


def postscript(a: Answer, kw: dict[str, Any]) -> Outcome:
    marker = kw["postscript_marker"].strip()
    pattern = POSTSCRIPT_PATTERNS.get(marker, rf"{re.escape(marker.lower())}.*$")
    ok = re.search(pattern, a.text.lower(), re.MULTILINE) is not None
    return Outcome(ok, f"postscript {marker!r} {'found' if ok else 'not found'}")


def number_bullet_lists(a: Answer, kw: dict[str, Any]) -> Outcome:
    # the reference's ^\s*, which scanned every blank line below each line start: the same bullets, counted once
    n = len(re.findall(r"^[ \t]*\*[^\*].*$", a.text, re.MULTILINE)) + len(
        re.findall(r"^[ \t]*-.*$", a.text, re.MULTILINE)
    )
    return Outcome(n == kw["num_bullets"], f"{n} bullet points (* or -); needs exactly {kw['num_bullets']}")


def constrained_response(a: Answer, kw: dict[str, Any]) -> Outcome:
    found = [o for o in CONSTRAINED_RESPONSES if o in a.text.strip()]
    return Outcome(bool(found), f"contains {found[0]!r}" if found else f"none of {list(CONSTRAINED_RESPONSES)}")


def number_highlighted_sections(a: Answer, kw: dict[str, Any]) -> Outcome:
    single = [h for h in re.findall(r"\*[^\n\*]*\*", a.text) if h.strip("*").strip()]
    double = [h for h in re.findall(r"\*\*[^\n\*]*\*\*", a.text) if h[2:-2].strip()]
    return _compare(len(single) + len(double), "at least", kw["num_highlights"], "*highlighted* sections")


def multiple_sections(a: Answer, kw: dict[str, Any]) -> Outcome:
    splitter = kw["section_spliter"].strip()
    n = len(re.split(rf"\s?{re.escape(splitter)}\s?\d+\s?", a.text)) - 1
    return _compare(n, "at least", kw["num_sections"], f"sections marked '{splitter} X'")


def json_format(a: Answer, kw: dict[str, Any]) -> Outcome:
    text = a.text.strip()
    for prefix in ("```json", "```Json", "```JSON", "```"):
        text = text.removeprefix(prefix)
    text = text.removesuffix("```").strip()
    try:
        json.loads(text)
    except (ValueError, RecursionError) as exc:
        return Outcome(False, f"not JSON: {str(exc)[:80]}")
    return Outcome(True, "parses as JSON")


def _titles(text: str) -> list[str]:
    """What the reference's re.findall(r"<<[^\n]+>>") finds: per line, its first "<<" to its last ">>" (something
    between), found without the regex, which tried every "<" of a line and scanned the rest of it."""
    found = []
    for line in text.split("\n"):
        start = line.find("<<")
        end = line.rfind(">>")
        if start >= 0 and end >= start + 3:
            found.append(line[start : end + 2])
    return found


def title(a: Answer, kw: dict[str, Any]) -> Outcome:
    titles = [t for t in _titles(a.text) if t.lstrip("<").rstrip(">").strip()]
    return Outcome(bool(titles), f"title {titles[0][:60]!r}" if titles else "no <<title>>")


def two_responses(a: Answer, kw: dict[str, Any]) -> Outcome:
    parts = a.text.split("******")
    if any(not p.strip() for p in parts[1:-1]):
        return Outcome(False, "an empty response between two ****** separators")
    valid = [p.strip() for p in parts if p.strip()]
    if len(valid) != 2:
        return Outcome(False, f"{len(valid)} responses separated by ******; needs exactly 2")
    differ = valid[0] != valid[1]
    return Outcome(differ, "2 different responses" if differ else "the 2 responses are equal")


def repeat_prompt(a: Answer, kw: dict[str, Any]) -> Outcome:
    ok = a.text.strip().lower().startswith(kw["prompt_to_repeat"].strip().lower())
    return Outcome(ok, "starts with the request repeated" if ok else "does not start with the request word for word")


def end_checker(a: Answer, kw: dict[str, Any]) -> Outcome:
    phrase = kw["end_phrase"].strip().lower()
    ok = a.text.strip().strip('"').lower().endswith(phrase)
    return Outcome(ok, f"{'ends' if ok else 'does not end'} with {kw['end_phrase'].strip()!r}")


def capital_word_frequency(a: Answer, kw: dict[str, Any]) -> Outcome:
    words = _CAPITAL_WORD_RE.findall(_counted(a, kw["capital_relation"]))
    n = sum(1 for w in words if w.isupper())
    return _compare(n, kw["capital_relation"], kw["capital_frequency"], "words in capitals")


def _english_case(a: Answer, upper: bool) -> Outcome:
    case_ok = a.text.isupper() if upper else a.text.islower()
    lang, p = detect_language(a.text)
    lang_ok = lang in (None, "en")
    what = "capital" if upper else "lowercase"
    shown = f"{'all' if case_ok else 'not all'} {what}; language " + (f"{lang} (p={p:.2f})" if lang else "unidentified")
    return Outcome(case_ok and lang_ok, shown)


def english_capital(a: Answer, kw: dict[str, Any]) -> Outcome:
    return _english_case(a, upper=True)


def english_lowercase(a: Answer, kw: dict[str, Any]) -> Outcome:
    return _english_case(a, upper=False)


def no_comma(a: Answer, kw: dict[str, Any]) -> Outcome:
    n = a.text.count(",")
    return Outcome(n == 0, f"{n} comma{'s' if n > 1 else ''}" if n else "no comma")


def quotation(a: Answer, kw: dict[str, Any]) -> Outcome:
    text = a.text.strip()
    ok = len(text) > 1 and text[0] == '"' and text[-1] == '"'
    return Outcome(ok, "wrapped in double quotes" if ok else "not wrapped in double quotes")


# id → (kwargs: name → kind, check). Kinds are validated by rewards.ifeval_reference.
INSTRUCTIONS: dict[str, tuple[dict[str, str], Check]] = {
    "keywords:existence": ({"keywords": "words"}, keywords_existence),
    "keywords:frequency": ({"keyword": "str", "frequency": "count", "relation": "relation"}, keywords_frequency),
    "keywords:forbidden_words": ({"forbidden_words": "words"}, forbidden_words),
    "keywords:letter_frequency": (
        {"letter": "letter", "let_frequency": "count", "let_relation": "relation"},
        letter_frequency,
    ),
    "language:response_language": ({"language": "language"}, response_language),
    "length_constraints:number_sentences": ({"num_sentences": "count", "relation": "relation"}, number_sentences),
    "length_constraints:number_paragraphs": ({"num_paragraphs": "count"}, number_paragraphs),
    "length_constraints:number_words": ({"num_words": "count", "relation": "relation"}, number_words),
    "length_constraints:nth_paragraph_first_word": (
        {"num_paragraphs": "count", "nth_paragraph": "position", "first_word": "str"},
        nth_paragraph_first_word,
    ),
    "detectable_content:number_placeholders": ({"num_placeholders": "count"}, number_placeholders),
    "detectable_content:postscript": ({"postscript_marker": "str"}, postscript),
    "detectable_format:number_bullet_lists": ({"num_bullets": "count"}, number_bullet_lists),
    "detectable_format:constrained_response": ({}, constrained_response),
    "detectable_format:number_highlighted_sections": ({"num_highlights": "count"}, number_highlighted_sections),
    "detectable_format:multiple_sections": ({"section_spliter": "str", "num_sections": "count"}, multiple_sections),
    "detectable_format:json_format": ({}, json_format),
    "detectable_format:title": ({}, title),
    "combination:two_responses": ({}, two_responses),
    "combination:repeat_prompt": ({"prompt_to_repeat": "str"}, repeat_prompt),
    "startend:end_checker": ({"end_phrase": "str"}, end_checker),
    "startend:quotation": ({}, quotation),
    "change_case:capital_word_frequency": (
        {"capital_frequency": "count", "capital_relation": "relation"},
        capital_word_frequency,
    ),
    "change_case:english_capital": ({}, english_capital),
    "change_case:english_lowercase": ({}, english_lowercase),
    "punctuation:no_comma": ({}, no_comma),
}
