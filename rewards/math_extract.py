"""Find the final answer in a model completion: think tags, boxes, answer phrases, hedges.

Pure string work (no sympy), linear in the input, so it is safe on adversarial text and
cheap enough to build the verdict-cache key from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rewards.math_final import bare_answer, explicit_correction, marked_final, quoted_box, quoted_phrase
from rewards.math_hedge import is_value, offered_alternative, split_alternatives, trailing_alternative
from rewards.math_words import digits_for_words

Kind = Literal["boxed", "phrase", "bare", "none"]
ExtractMode = Literal["boxed", "boxed_or_phrase", "any"]

MAX_BOXES = 64
TAIL_CHARS = 1500
PHRASE_CHARS = 400

_BOX_RE = re.compile(r"\\(?:boxed|fbox)\b")
_PHRASE_RE = re.compile(
    r"(?:final\s{1,3}answer(?:\s{1,3}is)?\s{0,3}:?|the\s{1,3}(?:correct(?:ed)?\s{1,3})?answer\s{1,3}is\s{0,3}:?|"
    r"answer\s{0,3}:)",
    re.IGNORECASE,
)
_FINAL_RE = re.compile(r"final\s{1,3}answer", re.IGNORECASE)
_SENTENCE_END_RE = re.compile(r"\.(?:\s+(?=[A-Z<\d])|\s*$)|\n")  # "is 7. 8 was ...": a digit starts one too
_EMPTY_RE = re.compile(r"(?:\s|\\[,;:! ]|\\q?quad\b)*")
_FIRST_VALUE_RE = re.compile(r"\$[^$]{1,80}\$|-?\d+(?:\.\d+)?(?:/\d+)?")
_HOPE_RE = re.compile(r"\s*I hope it is correct\.?.*$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Extraction:
    """What the completion offers as its final answer.

    ``answers`` are the boxed contents (kind ``boxed``), or one text to hand to the parser
    (kinds ``phrase``/``bare``); ``alternatives`` is non-empty when the answer hedges or
    lists several values; ``note`` says why nothing was extracted.
    """

    kind: Kind
    answers: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
    note: str = ""
    context: str = ""
    listed: bool = False

    @property
    def shown(self) -> str:
        """The extracted answer, shortened for a one-line reason."""
        text = " | ".join(self.answers)
        text = " ".join(text.split())
        return text if len(text) <= 120 else text[:117] + "..."


def answer_region(completion: str) -> tuple[str | None, str]:
    """The part of the completion that may hold the answer, or None with a note.

    With think tags, only the text after the last ``</think>`` counts; an opened but
    unterminated ``<think>`` means the model never answered.
    """
    close = completion.rfind("</think>")
    if close >= 0:
        return completion[close + len("</think>") :], "after </think>"
    if "<think>" in completion:
        return None, "unterminated <think>: no answer after the reasoning"
    return completion, ""


def find_boxes(text: str, limit: int = MAX_BOXES + 1) -> list[str]:
    """Contents of the top-level ``\\boxed{...}``/``\\fbox{...}`` in order; iterative brace matching."""
    return [content for content, _, _ in _scan_boxes(text, limit)]


def _scan_boxes(text: str, limit: int) -> list[tuple[str, int, int]]:
    """(content, start index, end index) of each top-level box, at most ``limit``."""
    out: list[tuple[str, int, int]] = []
    pos = 0
    while len(out) < limit:
        m = _BOX_RE.search(text, pos)
        if m is None:
            break
        i = m.end()
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text) and text[i] == "{":
            end = _match_brace(text, i)
            if end < 0:
                break
            out.append((text[i + 1 : end], m.start(), end + 1))
            pos = end + 1
        elif i < len(text) and m.end() < i and text[i].isalnum():  # "\boxed 5"
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] == "."):
                j += 1
            out.append((text[i:j].rstrip("."), m.start(), j))
            pos = j
        else:
            pos = m.end()
    return out


def _match_brace(text: str, open_at: int) -> int:
    """Index of the brace closing ``text[open_at]`` ('{'), or -1; escaped braces are skipped."""
    depth = 0
    i = open_at
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def last_phrase(text: str) -> tuple[str, str, str, int] | None:
    """(answer, its sentence, the text after it, where the phrase begins) for the last answer phrase."""
    begin = start = None
    for m in _PHRASE_RE.finditer(text):
        begin, start = m.start(), m.end()
    if start is None or begin is None:
        return None
    lead = len(text[start : start + PHRASE_CHARS]) - len(text[start : start + PHRASE_CHARS].lstrip(" \t\n*:#"))
    start += lead  # "**Final Answer**\n\n$42$": the answer may sit on the next line
    rest = _HOPE_RE.sub("", text[start : start + PHRASE_CHARS])
    cut = len(rest)
    for m in _SENTENCE_END_RE.finditer(rest):
        if m.start() > 0 and rest.count("$", 0, m.start()) % 2 == 0 and not _inside_number(rest, m.start()):
            cut = m.start()
            break
    phrase = rest[:cut].strip().rstrip(".").strip().strip("*").strip()
    return (phrase, text[begin:start] + rest[:cut], rest[cut:], begin) if phrase else None


def _inside_number(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and text[i] == "." and text[i - 1].isdigit() and text[i + 1].isdigit()


def extract(completion: str, mode: ExtractMode = "any") -> Extraction:
    """Extract the final answer of ``completion`` according to ``mode`` (policy: docs/math-policy.md)."""
    region, note = answer_region(completion)
    if region is None:
        return Extraction("none", note=note)
    scanned = _scan_boxes(region, MAX_BOXES + 1)
    if len(scanned) <= MAX_BOXES:  # a quoted or asked box is no answer ("the key says \\boxed{5}, but ..."),
        # nor is an empty one ("\\boxed{}" offers nothing: "\\boxed{} \\boxed{30}" answers 30)
        scanned = [b for b in scanned if not _EMPTY_RE.fullmatch(b[0]) and not quoted_box(region, b[1], b[2])]
    if scanned:
        if len(scanned) > MAX_BOXES:
            return Extraction("boxed", tuple(c for c, _, _ in scanned), note=f"more than {MAX_BOXES} boxed answers")
        corrected = _corrected_phrase(region, scanned[-1][2], mode)
        if corrected is not None:
            return corrected
        scanned, note = _after_last_correction(region, scanned)
        boxes = [_words_as_digits(content) for content, _, _ in scanned]
        alternatives, listed = split_alternatives(boxes[0]) if len(boxes) == 1 else ([], False)
        after = region[scanned[-1][2] :]
        extra = trailing_alternative(after) or offered_alternative(after)
        if extra is not None and not alternatives:
            alternatives, listed = [boxes[-1], extra], False
        return Extraction("boxed", tuple(boxes), tuple(alternatives), note=note, listed=listed)
    if mode == "boxed":
        return Extraction("none", note="no \\boxed{} answer" + (f" {note}" if note else ""))
    found = _phrase(region)
    if found is not None:
        return found
    if mode == "boxed_or_phrase":
        return Extraction("none", note="no \\boxed{} answer and no unquestioned 'the answer is' phrase")
    tail = region.strip()[-TAIL_CHARS:]
    if not tail:
        return Extraction("none", note="empty completion" + (f" {note}" if note else ""))
    answer, why = bare_answer(tail)
    if answer is None:
        return Extraction("none", note=why)
    extra = offered_alternative(tail[tail.rfind(answer) + len(answer) :])
    answer = _words_as_digits(answer)
    alternatives, listed = split_alternatives(answer)
    if extra is not None and not alternatives:
        alternatives, listed = [answer, extra], False
    return Extraction("bare", (answer,), tuple(alternatives), context=answer, listed=listed)


def _phrase(region: str) -> Extraction | None:
    """The last answer phrase, unless it quotes, supposes, asks or doubts its value."""
    found = last_phrase(region)
    if found is None:
        return None
    phrase, sentence, after, begin = found
    if quoted_phrase(region, begin, phrase, after):
        return None
    digits = _words_as_digits(phrase)
    sentence = sentence.replace(phrase, digits)
    alternatives, listed = split_alternatives(digits)
    value = _FIRST_VALUE_RE.search(digits)
    offered = offered_alternative(f"{digits[value.end() :]} {after}") if value else None
    if value is not None and offered is not None and not alternatives:  # "7, with 8 being the other candidate"
        return Extraction("phrase", (digits,), (value.group(), offered), context=sentence)
    extra = trailing_alternative(after) or _earlier_final(region, begin, region.find(phrase, begin), digits)
    if extra is not None and not alternatives:
        alternatives, listed = [extra, digits], False
    return Extraction("phrase", (digits,), tuple(alternatives), context=sentence, listed=listed)


def _earlier_final(region: str, begin: int, answer_at: int, answer: str) -> str | None:
    """A different earlier "final answer" that no explicit correction retracts: two finals are a hedge."""
    finals = list(_FINAL_RE.finditer(region, 0, begin))
    if not finals:
        return None
    start = finals[-1].start()
    following = _PHRASE_RE.search(region, finals[-1].end(), begin)
    found = last_phrase(region[start : following.start() if following else begin])
    if found is None or quoted_phrase(region, start, found[0], found[2]):
        return None
    earlier = _words_as_digits(found[0])
    if not is_value(earlier) or _plain(earlier) == _plain(answer):
        return None
    if explicit_correction(region[start + len(found[1]) : answer_at]) and marked_final(region[:answer_at]):
        return None
    return earlier


def _plain(answer: str) -> str:
    """``answer`` without spaces, dollars and bold marks, to tell a repeated answer from a different one."""
    return "".join(c for c in answer if c not in " $*")


def _after_last_correction(region: str, scanned: list[tuple[str, int, int]]) -> tuple[list[tuple[str, int, int]], str]:
    """The boxes after the last explicit correction, when the last box is marked final; else all of them."""
    for i in range(len(scanned) - 1, 0, -1):
        if explicit_correction(region[scanned[i - 1][2] : scanned[i][1]]):
            if marked_final(region[scanned[-2][2] : scanned[-1][1]]):
                return scanned[i:], f"{i} earlier boxed answer(s) explicitly corrected"
            break
    return scanned, ""


def _corrected_phrase(region: str, last_box_end: int, mode: ExtractMode) -> Extraction | None:
    """After an explicit correction of the last boxed answer: the "final answer" phrase that follows, or none."""
    after = region[last_box_end:]
    if not explicit_correction(after):
        return None
    found = None if mode == "boxed" else _phrase(after)
    if found is None or not marked_final(found.context[:24]) or found.alternatives:
        return Extraction("none", note="the last boxed answer is explicitly retracted and no final answer follows")
    return Extraction("phrase", found.answers, context=found.context, note="the boxed answer was explicitly corrected")


def _words_as_digits(answer: str) -> str:
    """An answer given in number words with digits instead ("five" → "5"); others unchanged."""
    return digits_for_words(answer) or answer
