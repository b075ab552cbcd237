"""When does a value the completion writes count as its *final* answer? (docs/math-policy.md)

Pure string rules, shared by the extraction paths of :mod:`rewards.math_extract`:

- A **bare** value (no box, no answer phrase) counts only in the completion's final sentence
  (R1-style traces end with their answer), which is not a question: the last value of its
  last clause that neither explains ("as computed above", "(4 + 3 + 2 + 1)") nor rejects
  ("10, not 20") — provided nothing doubts, supposes, tries or quotes it, it is stated ("is",
  "=", "we get"... among the four words before it, or a sentence opening with "Therefore"),
  it is no spray of side-by-side numbers, and it ends the sentence (a few unit words may
  follow) or the sentence is a conclusion. A garbage text that merely contains a number
  states nothing.
- An **answer phrase** ("the answer is N") does not count when its sentence reports someone
  else's answer ("the statement says the answer is N"), supposes it, asks it, or doubts it right
  after ("..., but checking it I get ...").
- A **self-correction** (an earlier answer, an explicit retraction such as "I made an error",
  then an answer marked final: "Final answer: \\boxed{5}") replaces the earlier answer; several
  answers without an explicit, untentative retraction between them are a hedge.
"""

from __future__ import annotations

import re

from rewards.math_words import NUMBER_WORDS

MAX_TRAILING_WORDS = 3
# words that bound a value instead of stating it ("at least 5", "between 5 and 6")
BOUND_WORDS = (
    r"at\s+least|at\s+most|more\s+than|less\s+than|greater\s+than|fewer\s+than|no\s+more\s+than|between|up\s+to"
)
MAX_SKIPPED_SENTENCES = 2
MAX_SKIPPED_WORDS = 8
CONTEXT_CHARS = 300

# Chat-template leftovers and sign-offs after the answer, matched on the text reversed: from its end, in one pass.
# Each token (reversed) starts with a non-space and is followed by its spaces, so there is one way to match and
# nothing to backtrack into (searched forwards, "\s*" before and after each token overlapped: 2^n ways to fail).
_TRAILER_REVERSED_RE = re.compile(
    r"\s*(?:(?:(?:resu|tnatsissa|metsys)\s*)?>\|[a-z_]{1,20}\|<\s*|>s/?<\s*|\.?tcerroc si (?:ti|siht) epoh I\s*)++",
    re.IGNORECASE,
)
# (?=[$\\]): every span starts with one of them; the lookahead skips other positions at once (3x faster)
_MATH_SPAN_RE = re.compile(
    r"(?=[$\\])(?:(?<!\\)\$\$.*?\$\$|\\\[.*?\\\]|\\\(.*?\\\)|(?<!\\)\$(?:[^$\\]|\\.)*\$|\\begin\{(\w+\*?)\}.*?\\end\{\1\})",
    re.DOTALL,
)
_CAPITAL_NEXT_RE = re.compile(r"\s+[A-Z][a-z]")  # math followed by a capitalised word ends a sentence
_BOUNDARY_RE = re.compile(r"[.!?](?=\s|$)|\n")
_LAST_BOUNDARY_RE = re.compile(r".*(?:[.!?](?=\s|$)|\n)", re.DOTALL)  # greedy: the last boundary, found from the end
_NUMBER_RE = re.compile(
    r"(?<![\w.])(?<!_\{)(?:-|\\pm\s*|\u00b1\s*)?(?:\d+(?:[,.]\d+)*|\.\d+)(?:/\d+)?(?:\s*\\?%)?|"
    r"(?:-|\\pm\s*|\u00b1\s*)?\\(?:[dt]?frac|sqrt|pi)(?![a-zA-Z])"
)
_NUMBER_WORDS_RE = re.compile(NUMBER_WORDS)
# "the one", "each one", "one of": number words that are no value
_DETERMINER_RE = re.compile(r"\b(?:the|a|an|this|that|each|every|any|no|which|some|one|other)\s+$", re.IGNORECASE)
_EITHER_RE = re.compile(r"\b(?:either|both)\s*$", re.IGNORECASE)  # "either 7 or 8" opens the values it joins
_CLAUSE_RE = re.compile(r"[,;:]|\b(?:but|however|though|although|whereas|while|since|because|which)\b", re.IGNORECASE)
# Where an explanation of a stated value starts: "10 (4 + 3 + 2 + 1)", "10, as computed", "10 for d = 1, 2".
_EXPLANATION_RE = re.compile(
    r"\s+\(|\s*\b(?:as(?!\s+well\s+as\b)(?<!\bwell\sas)|since|because|for|with|when|where|from|using|by|after|once|via|so\s+that)\b",
    re.IGNORECASE,
)
_NEGATED_RE = re.compile(r"\b(?:not|rather\s+than|instead\s+of|never)\s*$", re.IGNORECASE)
# Between two tokens of one value: operators, brackets, list commas ("4 + 3 = 7", "\\frac{10}{9}", "1, 2, 3").
_JOIN_RE = re.compile(r"(?:[\s+\-*/=^<>(){}\[\],]|\\(?:cdot|times|div|pm|le|ge|leq|geq)(?![a-zA-Z]))*")
_CHAIN_RE = re.compile(
    r"[\s*_]*[,;]?\s*(?:\b(?:or|and|either|and\s+also|as\s+well\s+as|and/or)\b|\\text\s*\{\s*(?:or|and)\s*\})[\s*_]*",
    re.IGNORECASE,
)
_ASIDE_RE = re.compile(r"\s\(")  # "10 (4 + 3 + 2 + 1)": a parenthetical aside, not one expression
# A variable a value is given to or bounded by ("x = 5", "x_1 = -1", "x < -13"): the value's group starts there
_ASSIGNED_RE = re.compile(
    r"(?<![A-Za-z])[A-Za-z](?:_\{?\w+\}?)?\s*(?:=|<=?|>=?|\\[lg]eq?(?![a-zA-Z])|\u2264|\u2265)\s*$"
)
_LIST_COMMA_RE = re.compile(r"\s*[,;]\s*")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]*")
# A closer skipped after the answer is prose ("That settles it."), not code such as "print(x)".
_PROSE_RE = re.compile(r"^[\sA-Za-z'\",;:!.*\u2013\u2014-]*$")
# A value is not asserted when its clause questions, rejects, supposes or quotes it.
_DOUBT_BEFORE_RE = re.compile(
    r"\b(?:not|no|never|isn't|wasn't|aren't|is\s+it|could\s+it|would\s+it|whether|if|suppose|supposing|assume|"
    r"assuming|maybe|perhaps|possibly|might|could|may|"
    r"instead\s+of|rather\s+than|other\s+than|except|says|said|states|stated|claims?|claimed|tells?|told|"
    r"hints?|hinted|(?:expected|given|provided|official|claimed)\s+answer|"
    r"according\s+to|supposedly|allegedly|wrong|incorrect|rejected?|discard(?:ed)?)\b",
    re.IGNORECASE,
)
# A bound right before a value bounds it instead of stating it ("at least 5", "between 5 and 6"); one that
# bounds something else earlier does not ("the angle between the diagonals is \\pi/8")
_BOUND_BEFORE_RE = re.compile(r"\b(?:" + BOUND_WORDS + r")\s*(?:\$|\\\(|\()?\s*$", re.IGNORECASE)
# Trying a candidate doubts it ("let me try 7"), unless a result follows the trial ("checking it, I get 7").
_TRIAL_RE = re.compile(r"\b(?:guess(?:ed)?|try|trying|tried|test|testing|check(?:ing)?)\b", re.IGNORECASE)
_RESULT_RE = re.compile(
    r"\b(?:get|gets|got|find|finds|found|obtain|obtains|obtained|gives?|gave|yields?|confirms?|confirmed|shows?)\b",
    re.IGNORECASE,
)
_UNEQUAL_RE = re.compile(r"\u2260|\\neq?(?![a-zA-Z])|!=")  # "11 ≠ 10" rejects 10
_DOUBT_AFTER_RE = re.compile(
    r"\?|\b(?:fails?|failed|doesn't|does\s+not|isn't|is\s+not|wasn't|was\s+not|can't|cannot|won't|is\s+wrong|"
    r"was\s+wrong|is\s+incorrect|was\s+incorrect|is\s+impossible|contradicts?|violates?|too\s+(?:big|small|large)|"
    r"not\s+(?:the|an?|correct|right|valid|possible)|(?:is|are|was|were|gets?|got|must\s+be|should\s+be)\s+"
    r"(?:rejected|discarded|eliminated|excluded|invalid|extraneous|ruled\s+out|impossible|no\s+good))\b",
    re.IGNORECASE,
)
# A sentence that opens with a conclusion states its value however it is worded ("Therefore, ... increases by 100%").
_OPENER_RE = re.compile(
    r"^[\s*#>-]*(?:therefore|thus|hence|so|consequently|finally|in\s+conclusion|overall|altogether)\b", re.I
)
_CONCLUSION_RE = re.compile(
    r"\b(?:therefore|thus|hence|so|consequently|in\s+total|in\s+conclusion|altogether|finally|overall|"
    r"we\s+(?:get|find|obtain|have|conclude)|the\s+(?:result|solution|total|value|number|count|sum|product|"
    r"probability|area|volume|length|answer)\s+(?:is|are|equals|will\s+be))\b",
    re.IGNORECASE,
)
# Words that state a value: a value after prose needs one among the words right before it ("qwe asd 42" states nothing).
_ASSERTION_RE = re.compile(
    r"\b(?:is|are|was|were|be|it's|that's|equals?|gives?|gave|get|gets|got|obtain|obtained|find|found|have|has|had|"
    r"makes?|made|becomes?|became|yields?|comes\s+to|totals?|leaves|leaving|left|remains?|answer|result|solution|"
    r"therefore|thus|hence|so|then|finally|end(?:s|ed)?\s+up|arrive\s+at|reach(?:es|ed)?|amounts?\s+to|"
    r"works?\s+out|takes?|took|costs?|needs?|needed|spends?|spent|pays?|paid|earns?|earned|sells?|sold|buys?|bought|"
    r"counts?|counted|compute[sd]?|calculated?|sum|product|difference|area|perimeter|volume|probability|value)\b|"
    r"=|\\in(?![a-zA-Z])|\\approx|'s\b",
    re.IGNORECASE,
)
MIN_UNSTATED_WORDS = 1  # a value after even one prose word needs a statement word ("lorem 7" states nothing)
STATEMENT_WINDOW_WORDS = 4  # "we get a total of 10": the statement word is among the last four words before the value
# A value right after an article, a conjunction or a preposition ends no statement ("lorem the 7", "ipsum and 7")
_DANGLING_RE = re.compile(r"\b(?:the|a|an|and|or|in|on|at|into|these|those|its|their|my|his|her)\s*$", re.I)
# Numbers side by side with only spaces between ("7 7 7"; "1 000" is one number) are no stated value.
_JUXTAPOSED_RE = re.compile(r"\d\s+(?!\d{3}(?!\d))\d")
# Reported answers (a speech verb anywhere in the phrase's sentence before "the answer is"; the stems
# are a cheap filter before the regex), and supposed or asked ones (a hypothetical right before it).
_REPORTED_RE = re.compile(
    r"\b(?:says|said|states|stated|claims?|claimed|suggests|suggested|tells?|told|hints?|hinted|"
    r"according\s+to\s+(?:the|them|him|her)|supposedly|allegedly|reportedly)\b",
    re.IGNORECASE,
)
_REPORTED_STEMS = (
    "says",
    "said",
    "stat",
    "claim",
    "sugg",
    "tell",
    "told",
    "hint",
    "accord",
    "suppos",
    "alleg",
    "report",
)
_SUPPOSED_RE = re.compile(
    r"\b(?:if|suppose|supposing|assume|assuming|whether|maybe|perhaps|check)(?:\s+that)?\s*$", re.IGNORECASE
)
_DOUBT_AFTER_PHRASE_RE = re.compile(
    r"\?|\b(?:but|however|though|although|yet|unless|except)\b|\b(?:is|was|seems|looks)\s+(?:wrong|incorrect|not)\b",
    re.IGNORECASE,
)
# An answer that negates, hedges or bounds its value ("not 5", "maybe 5", "at least 5", "between 5 and 6").
_NEGATED_ANSWER_RE = re.compile(
    r"\s*(?:not|never|no\s+longer|maybe|perhaps|possibly|probably|" + BOUND_WORDS + r")\b", re.IGNORECASE
)
_CORRECTION_RE = re.compile(
    r"\b(?:I|we)(?:\s+(?:have|had)|'ve|'d)?\s+made\s+(?:an?\s+)?(?:[a-z-]+\s+){0,2}?(?:error|mistake|slip)|"
    r"\bthere\s+(?:is|was)\s+an?\s+(?:[a-z-]+\s+){0,2}?(?:error|mistake)\s+(?:in|above)|"
    r"\b(?:I\s+(?:see|found|spotted)\s+(?:the|my)|my)\s+(?:[a-z-]+\s+)?(?:error|mistake)\b|"
    r"\b(?:that|this|it|(?:my|the)\s+(?:earlier|previous|first|initial|above)\s+(?:answer|result|calculation|value))"
    r"(?:'s|\s+(?:was|is))\s+(?:(?:definitely|clearly|actually)\s+)?"
    r"(?:wrong|incorrect|a\s+mistake|an\s+error|not\s+(?:right|correct))|"
    r"\b(?:that|this|it)\s+(?:can't|cannot|can\s+not)\s+be\s+(?:right|correct)|\b(?:I|we)\s+messed\s+up\b|"
    r"\b(?:oops|whoops)\b|\bI\s+was\s+mistaken\b|\bI\s+(?:incorrectly|wrongly|mistakenly|forgot\s+to)\b|"
    r"\bI\s+was\s+wrong\b|\bcorrection\s*:|\bmiscalculated\b|\bscratch\s+that\b|\bdisregard\s+(?:that|the\s+above)\b|"
    r"\blet\s+me\s+(?:correct|fix)\s+(?:this|that|it|my)",
    re.IGNORECASE,
)
_TENTATIVE_RE = re.compile(
    r"\b(?:if|maybe|perhaps|possibly|might|may|could|unless|in\s+case)\b[^.]{0,40}$", re.IGNORECASE
)
# "if the answer is \\boxed{5}": the phrase before a box, so that "if" stands right before it
_LEAD_PHRASE_RE = re.compile(r"\s*(?:the\s+(?:final\s+)?answer\s+(?:is|was|were|would\s+be)|=)\s*$", re.IGNORECASE)
_ASKED_RE = re.compile(r"[^.!?\n]{0,80}\?")  # "Have I made a mistake?" asks, it does not retract
_FINAL_MARK_RE = re.compile(
    r"\b(?:final\s+answer|correct(?:ed)?\s+answer|(?:the\s+)?answer\s+is\s+actually)\b[^.\n]{0,40}$", re.IGNORECASE
)


def strip_trailer(text: str) -> str:
    """``text`` without chat-template tokens and "I hope it is correct" after the answer (and the spaces around)."""
    trailer = _TRAILER_REVERSED_RE.match(text[::-1])
    return text[: len(text) - trailer.end()] if trailer else text


def _sentence_start(text: str) -> int:
    """Where the last sentence of ``text`` starts (after its last boundary outside math), 0 if none."""
    last = _LAST_BOUNDARY_RE.match(_masked(text))
    return last.end() if last else 0


def _masked(text: str) -> str:
    """``text`` with the inside of math spans replaced by 'M', so that '.' or '?' inside math are no boundaries."""
    return _MATH_SPAN_RE.sub(lambda m: m.group()[0] + "M" * (len(m.group()) - 2) + m.group()[-1], text)


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty sentence of ``text``, math spans kept whole.

    A math span followed by a capitalised word also ends one ("... $x = 7$ Now, substitute"): run-on traces.
    """
    masked = _masked(text)
    cuts = [
        m.end()
        for m in _BOUNDARY_RE.finditer(masked)
        if not (masked[m.start() - 1 : m.start()].isdigit() and masked[m.end() : m.end() + 1].isdigit())
    ]
    cuts += [m.end() for m in _MATH_SPAN_RE.finditer(text) if _CAPITAL_NEXT_RE.match(text, m.end())]
    out, start = [], 0
    for cut in [*sorted(set(cuts)), len(text)]:
        if cut > start and text[start:cut].strip():
            out.append((start, cut))
        start = max(start, cut)
    return out


def _values(sentence: str) -> list[tuple[int, int]]:
    """(start, end) of the values of a sentence: math spans and plain-text expressions ("x = 4 + 3 = 7", "1, 2, 3")."""
    spans = [(m.start(), m.end()) for m in _MATH_SPAN_RE.finditer(sentence)]
    masked = _masked(sentence)
    tokens = [
        (m.start(), m.end()) for m in _NUMBER_RE.finditer(masked) if not any(a <= m.start() < b for a, b in spans)
    ] + [
        (m.start(), m.end())
        for m in _NUMBER_WORDS_RE.finditer(masked)
        if not _DETERMINER_RE.search(masked, 0, m.start()) and not any(a <= m.start() < b for a, b in spans)
    ]
    groups: list[list[int]] = []
    for start, end in sorted(spans + tokens):
        gap = masked[groups[-1][1] : start] if groups else ""
        lead = _ASSIGNED_RE.search(masked, 0, start)
        if groups and _JOIN_RE.fullmatch(gap) and not _ASIDE_RE.search(gap):
            groups[-1][1] = end
        elif groups and lead and _LIST_COMMA_RE.fullmatch(masked, groups[-1][1], lead.start()):
            groups[-1][1] = end  # "x = -1, x = 5": a list of assignments
        else:
            groups.append([lead.start() if lead else start, end])
    for group in groups:  # "\\frac{10}{9}": close what the group opened
        while group[1] < len(masked) and masked[group[1]] in ")}]" and _opens(masked[group[0] : group[1]]) > 0:
            group[1] += 1
    return [(a, b) for a, b in groups]


def _opens(text: str) -> int:
    return sum(text.count(c) for c in "({[") - sum(text.count(c) for c in ")}]")


def bare_answer(region: str) -> tuple[str | None, str]:
    """The final clause up to the completion's closing value, or (None, why not)."""
    text = strip_trailer(region.rstrip())
    sentences = _sentences(text)
    skipped = 0
    while sentences:
        start, end = sentences[-1]
        sentence = text[start:end]
        values = _values(sentence)
        if values and not (_worded(sentence, values) and _closer(sentence) and _stated_value(sentence)[0] is None):
            break  # a closer may name a count in words: "That covers all three cases."
        if skipped >= MAX_SKIPPED_SENTENCES or not _closer(sentence):
            return None, "the final sentence states no value"
        sentences.pop()
        skipped += 1
    else:
        return None, "no value in the completion"
    if sentence.rstrip().endswith("?"):
        return None, "the final sentence is a question"
    return _stated_value(sentence)


def _closer(sentence: str) -> bool:
    """Whether ``sentence`` may be skipped after the answer: short prose ("That settles it."), not code."""
    prose = _MATH_SPAN_RE.sub("", sentence)
    return len(_WORD_RE.findall(prose)) <= MAX_SKIPPED_WORDS and _PROSE_RE.match(prose) is not None


def _worded(sentence: str, values: list[tuple[int, int]]) -> bool:
    """Whether every value of ``sentence`` is written in number words."""
    return all(_NUMBER_WORDS_RE.fullmatch(sentence, a, b) for a, b in values)


def _stated_value(sentence: str) -> tuple[str | None, str]:
    """The clause ending with the value ``sentence`` asserts, or (None, why not); see the module docstring."""
    masked = _masked(sentence)
    values = _values(sentence)
    bounds = [m for m in _CLAUSE_RE.finditer(masked) if not any(a <= m.start() < b for a, b in values)]
    clauses = list(zip([0] + [m.end() for m in bounds], [m.start() for m in bounds] + [len(sentence)], strict=True))
    for c_start, c_end in reversed(clauses):
        kept = [v for v in values if c_start <= v[0] and v[1] <= c_end]
        if not kept or _EXPLANATION_RE.match(masked, c_start):
            continue
        cut = next((m.start() for m in _EXPLANATION_RE.finditer(masked, kept[0][1], c_end)), c_end)
        kept = [v for v in kept if v[1] <= cut] or kept[:1]
        while kept:
            v_start, v_end = kept[-1]
            scope = kept[-2][1] if len(kept) > 1 else c_start
            if not _NEGATED_RE.search(masked, scope, v_start):
                break
            kept.pop()  # "10 and not 20", "10, not 20": the rejected value is no answer
        if not kept:
            continue
        before = sentence[scope:v_start]
        if _DOUBT_AFTER_RE.search(sentence[v_end:]) or _DOUBT_BEFORE_RE.search(before) or _tried(before):
            return None, "the final value is questioned, doubted or quoted, not stated"
        if _UNEQUAL_RE.search(masked, kept[0][0], v_end) or _UNEQUAL_RE.search(before):
            return None, "the final value is rejected ('\u2260'), not stated"
        if _JUXTAPOSED_RE.search(masked, kept[0][0], v_end):
            return None, "hack guard: the final values stand side by side (a spray), none is stated"
        first = len(kept) - 1
        while first > 0 and _CHAIN_RE.fullmatch(masked, kept[first - 1][1], kept[first][0]):
            first -= 1  # "x = -1 or x = 5", "x = 2 and y = 3": the values offered together
        lead = _EITHER_RE.sub("", masked[kept[first - 1][1] if first else c_start : kept[first][0]])
        if _BOUND_BEFORE_RE.search(lead) or _BOUND_BEFORE_RE.search(before):
            return None, "the final value is bounded ('at least', 'between'...), not stated"
        if not _OPENER_RE.match(masked) and not _stated(lead):
            return None, "the final sentence states no value (no 'is', '=', 'we get', 'therefore'... right before it)"
        trailing = sentence[v_end:cut] + " ".join(
            sentence[a:b] for a, b in clauses if a > v_end and not _EXPLANATION_RE.match(masked, a)
        )
        if len(_WORD_RE.findall(trailing)) > MAX_TRAILING_WORDS and not _CONCLUSION_RE.search(masked[:v_start]):
            return None, "the final sentence does not end with a value or state a conclusion"
        return sentence[kept[first][0] : v_end].strip(), ""
    return None, "the final sentence only rejects values"


def _stated(lead: str) -> bool:
    """Whether the text between a value and the clause's start (or the previous value) states it:
    nothing, or a statement word among its last few words, and no article or conjunction right before it."""
    words = list(_WORD_RE.finditer(lead))
    if len(words) < MIN_UNSTATED_WORDS:
        return True
    if _DANGLING_RE.search(lead):
        return False
    window = lead[words[-STATEMENT_WINDOW_WORDS].start() :] if len(words) >= STATEMENT_WINDOW_WORDS else lead
    return _ASSERTION_RE.search(window) is not None


def _tried(before: str) -> bool:
    """Whether ``before`` tries the value as a candidate ("let me check 7") without a result ("checking, I get 7")."""
    trials = list(_TRIAL_RE.finditer(before))
    return bool(trials) and not _RESULT_RE.search(before, trials[-1].end())


def quoted_phrase(text: str, begin: int, answer: str, after: str) -> bool:
    """Whether the answer phrase at ``text[begin:]`` reports, supposes, asks or doubts its value."""
    before = text[max(0, begin - CONTEXT_CHARS) : begin]
    cut = _sentence_start(before)
    if _reported_or_supposed(before[cut:]):
        return True
    if answer.rstrip().endswith("?") or _NEGATED_ANSWER_RE.match(answer):
        return True
    sentence_rest = re.split(r"(?<=[.!])\s|\n", after, maxsplit=1)[0]
    return bool(_DOUBT_AFTER_PHRASE_RE.search(sentence_rest) or _DOUBT_AFTER_PHRASE_RE.search(answer))


def _reported_or_supposed(before: str) -> bool:
    """Whether ``before`` (an answer's sentence up to it) reports someone else's answer or supposes it."""
    if _SUPPOSED_RE.search(before[-40:]):
        return True
    lower = before.lower()
    return any(stem in lower for stem in _REPORTED_STEMS) and _REPORTED_RE.search(before) is not None


def quoted_box(text: str, start: int, end: int) -> bool:
    """Whether the box at ``text[start:end]`` reports someone else's answer ("the statement says the answer is
    \\boxed{5}"), supposes it ("if the answer is \\boxed{5}") or asks it ("\\boxed{5}?")."""
    if text[end : end + 4].lstrip(" $)").startswith("?"):
        return True
    before = text[max(0, start - CONTEXT_CHARS) : start].rstrip(" $(\\")
    phrase = _LEAD_PHRASE_RE.search(before, max(0, len(before) - 40))
    before = before[: phrase.start()] if phrase else before
    if not _reported_or_supposed(before):  # cheap first: most boxes have no speech verb anywhere near
        return False
    cut = _sentence_start(before)
    return _reported_or_supposed(before[cut:])


def explicit_correction(text: str) -> bool:
    """Whether ``text`` retracts what came before it explicitly and without hedging ("I made an error")."""
    return any(
        not _TENTATIVE_RE.search(text[max(0, m.start() - 60) : m.start()]) and not _ASKED_RE.match(text, m.end())
        for m in _CORRECTION_RE.finditer(text)
    )


def marked_final(prefix: str) -> bool:
    """Whether the text just before an answer marks it as the final one ("Final answer:")."""
    return _FINAL_MARK_RE.search(prefix[-80:].rstrip(" \t\n*#:$\\([")) is not None
