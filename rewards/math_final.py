"""When does a value the completion writes count as its *final* answer? (docs/math-policy.md)

Pure string rules, shared by the extraction paths of :mod:`rewards.math_extract`:

- A **bare** value (no box, no answer phrase) counts only in the completion's final sentence
  (R1-style traces end with their answer), which is not a question: the last value of its
  last clause that neither explains ("as computed above", "(4 + 3 + 2 + 1)") nor rejects
  ("10, not 20") — provided nothing doubts, supposes or quotes it, the sentence states it
  ("is", "=", "we get", "therefore"... once two or more words precede it), and it ends the
  sentence (a few unit words may follow) or the sentence is a conclusion.
- An **answer phrase** ("the answer is N") does not count when its sentence reports someone
  else's answer ("the statement says the answer is N"), supposes it, asks it, or doubts it right
  after ("..., but checking it I get ...").
- A **self-correction** (an earlier answer, an explicit retraction such as "I made an error",
  then an answer marked final: "Final answer: \\boxed{5}") replaces the earlier answer; several
  answers without an explicit, untentative retraction between them are a hedge.
"""

from __future__ import annotations

import re

MAX_TRAILING_WORDS = 3
# words that bound a value instead of stating it ("at least 5", "between 5 and 6")
BOUND_WORDS = (
    r"at\s+least|at\s+most|more\s+than|less\s+than|greater\s+than|fewer\s+than|no\s+more\s+than|between|up\s+to"
)
MAX_SKIPPED_SENTENCES = 2
MAX_SKIPPED_WORDS = 8
CONTEXT_CHARS = 300

# Chat-template leftovers and sign-offs after the answer.
_TRAILER_RE = re.compile(
    r"(?:\s*(?:<\|[a-z_]{1,20}\|>\s*(?:user|assistant|system)?|</?s>|I hope (?:it|this) is correct\.?))+\s*$",
    re.IGNORECASE,
)
_MATH_SPAN_RE = re.compile(
    r"(?<!\\)\$\$.*?\$\$|\\\[.*?\\\]|\\\(.*?\\\)|(?<!\\)\$(?:[^$\\]|\\.)*\$|\\begin\{(\w+\*?)\}.*?\\end\{\1\}",
    re.DOTALL,
)
_BOUNDARY_RE = re.compile(r"[.!?](?=\s|$)|\n")
_NUMBER_RE = re.compile(r"(?<![\w.])-?(?:\d[\d,.]*|\.\d+)(?:/\d+)?(?:\s*\\?%)?|-?\\(?:[dt]?frac|sqrt|pi)(?![a-zA-Z])")
_CLAUSE_RE = re.compile(r"[,;:]|\b(?:but|however|though|although|whereas|while|since|because|which)\b", re.IGNORECASE)
# Where an explanation of a stated value starts: "10 (4 + 3 + 2 + 1)", "10, as computed", "10 for d = 1, 2".
_EXPLANATION_RE = re.compile(
    r"\s+\(|\s*\b(?:as|since|because|for|with|when|where|from|using|by|after|once|via|so\s+that)\b",
    re.IGNORECASE,
)
_NEGATED_RE = re.compile(r"\b(?:not|rather\s+than|instead\s+of|never)\s*$", re.IGNORECASE)
# Between two tokens of one value: operators, brackets, list commas ("4 + 3 = 7", "\\frac{10}{9}", "1, 2, 3").
_JOIN_RE = re.compile(r"(?:[\s+\-*/=^<>(){}\[\],]|\\(?:cdot|times|div|pm|le|ge|leq|geq)(?![a-zA-Z]))*")
_CHAIN_RE = re.compile(
    r"\s*[,;]?\s*(?:\b(?:or|and|either|and\s+also|as\s+well\s+as|and/or)\b|\\text\s*\{\s*(?:or|and)\s*\})\s*",
    re.IGNORECASE,
)
_ASIDE_RE = re.compile(r"\s\(")  # "10 (4 + 3 + 2 + 1)": a parenthetical aside, not one expression
_ASSIGNED_RE = re.compile(r"(?<![A-Za-z])[A-Za-z](?:_\{?\w+\}?)?\s*=\s*$")
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]*")
# A value is not asserted when its clause questions, rejects, supposes or quotes it.
_DOUBT_BEFORE_RE = re.compile(
    r"\b(?:not|no|never|isn't|wasn't|aren't|is\s+it|could\s+it|would\s+it|whether|if|suppose|supposing|assume|"
    r"assuming|guess(?:ed)?|maybe|perhaps|possibly|might|try|trying|tried|test|testing|check(?:ing)?|"
    + BOUND_WORDS + r"|"
    r"instead\s+of|rather\s+than|other\s+than|except|says|said|states|stated|claims?|claimed|"
    r"according\s+to|supposedly|allegedly|wrong|incorrect|rejected?|discard(?:ed)?)\b",
    re.IGNORECASE,
)
_DOUBT_AFTER_RE = re.compile(
    r"\?|\b(?:fails?|failed|doesn't|does\s+not|isn't|is\s+not|wasn't|was\s+not|can't|cannot|won't|is\s+wrong|"
    r"was\s+wrong|is\s+incorrect|was\s+incorrect|is\s+impossible|contradicts?|violates?|too\s+(?:big|small|large)|"
    r"not\s+(?:the|an?|correct|right|valid|possible)|is\s+ruled\s+out|must\s+be\s+rejected)\b",
    re.IGNORECASE,
)
_CONCLUSION_RE = re.compile(
    r"\b(?:therefore|thus|hence|so|consequently|in\s+total|in\s+conclusion|altogether|finally|overall|"
    r"we\s+(?:get|find|obtain|have|conclude)|the\s+(?:result|solution|total|value|number|count|sum|product|"
    r"probability|area|volume|length|answer)\s+(?:is|are|equals|will\s+be))\b",
    re.IGNORECASE,
)
# Words that state a value: a value after two or more prose words needs one of them ("qwe asd 42" states nothing).
_ASSERTION_RE = re.compile(
    r"\b(?:is|are|was|were|be|it's|that's|equals?|gives?|gave|get|gets|got|obtain|obtained|find|found|have|has|"
    r"makes?|becomes?|yields?|comes\s+to|totals?|answer|result|solution|therefore|thus|hence|so|then|finally)\b|"
    r"=|'s\b",
    re.IGNORECASE,
)
MIN_UNSTATED_WORDS = 2
# Reported answers (a speech verb anywhere in the phrase's sentence before "the answer is"), and
# supposed or asked ones (a hypothetical right before it).
_QUOTED_RE = re.compile(
    r"\b(?:says|said|states|stated|claims?|claimed|suggests|suggested|according\s+to\s+(?:the|them|him|her)|"
    r"supposedly|allegedly|reportedly)\b|\b(?:if|suppose|supposing|assume|assuming|whether|maybe|perhaps|check)"
    r"(?:\s+that)?\s*$",
    re.IGNORECASE,
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
    r"\b(?:I|we)\s+(?:have\s+|had\s+)?made\s+(?:an?\s+|a\s+small\s+)?(?:error|mistake|slip)|"
    r"\b(?:that|this|it|my\s+(?:earlier|previous|first|initial)\s+(?:answer|result|calculation))\s+"
    r"(?:was|is)\s+(?:wrong|incorrect|a\s+mistake|an\s+error|not\s+right)|"
    r"\bI\s+was\s+wrong\b|\bcorrection\s*:|\bmiscalculated\b|\bscratch\s+that\b|\bdisregard\s+(?:that|the\s+above)\b|"
    r"\blet\s+me\s+(?:correct|fix)\s+(?:this|that|it|my)",
    re.IGNORECASE,
)
_TENTATIVE_RE = re.compile(
    r"\b(?:if|maybe|perhaps|possibly|might|may|could|unless|in\s+case)\b[^.]{0,40}$", re.IGNORECASE
)
_FINAL_MARK_RE = re.compile(
    r"\b(?:final\s+answer|correct(?:ed)?\s+answer|(?:the\s+)?answer\s+is\s+actually)\b[^.\n]{0,40}$", re.IGNORECASE
)


def strip_trailer(text: str) -> str:
    """``text`` without chat-template tokens and "I hope it is correct" after the answer."""
    return _TRAILER_RE.sub("", text)


def _masked(text: str) -> str:
    """``text`` with the inside of math spans replaced by 'M', so that '.' or '?' inside math are no boundaries."""
    return _MATH_SPAN_RE.sub(lambda m: m.group()[0] + "M" * (len(m.group()) - 2) + m.group()[-1], text)


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-empty sentence of ``text``, math spans kept whole."""
    masked = _masked(text)
    out, start = [], 0
    for m in _BOUNDARY_RE.finditer(masked):
        if masked[m.start() - 1 : m.start()].isdigit() and masked[m.end() : m.end() + 1].isdigit():
            continue
        if text[start : m.end()].strip():
            out.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        out.append((start, len(text)))
    return out


def _values(sentence: str) -> list[tuple[int, int]]:
    """(start, end) of the values of a sentence: math spans and plain-text expressions ("x = 4 + 3 = 7", "1, 2, 3")."""
    spans = [(m.start(), m.end()) for m in _MATH_SPAN_RE.finditer(sentence)]
    masked = _masked(sentence)
    tokens = [
        (m.start(), m.end()) for m in _NUMBER_RE.finditer(masked) if not any(a <= m.start() < b for a, b in spans)
    ]
    groups: list[list[int]] = []
    for start, end in sorted(spans + tokens):
        gap = masked[groups[-1][1] : start] if groups else ""
        if groups and _JOIN_RE.fullmatch(gap) and not _ASIDE_RE.search(gap):
            groups[-1][1] = end
        else:
            lead = _ASSIGNED_RE.search(masked, 0, start)
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
        if _values(sentence):
            break
        if skipped >= MAX_SKIPPED_SENTENCES or len(_WORD_RE.findall(sentence)) > MAX_SKIPPED_WORDS:
            return None, "the final sentence states no value"
        sentences.pop()
        skipped += 1
    else:
        return None, "no value in the completion"
    if sentence.rstrip().endswith("?"):
        return None, "the final sentence is a question"
    return _stated_value(sentence)


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
        if _DOUBT_AFTER_RE.search(sentence[v_end:]) or _DOUBT_BEFORE_RE.search(before):
            return None, "the final value is questioned, doubted or quoted, not stated"
        lead = masked[c_start:kept[0][0]]
        if len(_WORD_RE.findall(lead)) >= MIN_UNSTATED_WORDS and not _ASSERTION_RE.search(masked[:kept[0][0]]):
            return None, "the final sentence states no value (no 'is', '=', 'we get', 'therefore'...)"
        trailing = sentence[v_end:cut] + " ".join(
            sentence[a:b] for a, b in clauses if a > v_end and not _EXPLANATION_RE.match(masked, a)
        )
        if len(_WORD_RE.findall(trailing)) > MAX_TRAILING_WORDS and not _CONCLUSION_RE.search(masked[:v_start]):
            return None, "the final sentence does not end with a value or state a conclusion"
        first = len(kept) - 1
        while first > 0 and _CHAIN_RE.fullmatch(masked, kept[first - 1][1], kept[first][0]):
            first -= 1  # "x = -1 or x = 5", "x = 2 and y = 3": the values offered together
        return sentence[kept[first][0] : v_end].strip(), ""
    return None, "the final sentence only rejects values"


def quoted_phrase(text: str, begin: int, answer: str, after: str) -> bool:
    """Whether the answer phrase at ``text[begin:]`` reports, supposes, asks or doubts its value."""
    before = text[max(0, begin - CONTEXT_CHARS) : begin]
    cut = max((m.end() for m in _BOUNDARY_RE.finditer(_masked(before))), default=0)
    if _QUOTED_RE.search(before[cut:]):
        return True
    if answer.rstrip().endswith("?") or _NEGATED_ANSWER_RE.match(answer):
        return True
    sentence_rest = re.split(r"(?<=[.!])\s|\n", after, maxsplit=1)[0]
    return bool(_DOUBT_AFTER_PHRASE_RE.search(sentence_rest) or _DOUBT_AFTER_PHRASE_RE.search(answer))


def explicit_correction(text: str) -> bool:
    """Whether ``text`` retracts what came before it explicitly and without hedging ("I made an error")."""
    starts = [m.start() for m in _CORRECTION_RE.finditer(text)]
    return any(not _TENTATIVE_RE.search(text[max(0, i - 60) : i]) for i in starts)


def marked_final(prefix: str) -> bool:
    """Whether the text just before an answer marks it as the final one ("Final answer:")."""
    return _FINAL_MARK_RE.search(prefix[-80:]) is not None
