"""Find the final answer in a model completion: think tags, boxes, answer phrases, hedges.

Pure string work (no sympy), linear in the input, so it is safe on adversarial text and
cheap enough to build the verdict-cache key from.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["boxed", "phrase", "bare", "none"]
ExtractMode = Literal["boxed", "boxed_or_phrase", "any"]

MAX_BOXES = 64
TAIL_CHARS = 1500
PHRASE_CHARS = 400

_BOX_RE = re.compile(r"\\(?:boxed|fbox)\b")
_PHRASE_RE = re.compile(
    r"(?:final\s{1,3}answer(?:\s{1,3}is)?\s{0,3}:?|the\s{1,3}answer\s{1,3}is\s{0,3}:?|answer\s{0,3}:)",
    re.IGNORECASE,
)
_TRAILING_OR_RE = re.compile(
    r"^[\s$.,;:)\]}]{0,12}(?:\\text\s*\{\s*)?\(?\s*or\b\s*(?:maybe|possibly|perhaps|else|equivalently)?\s*(.{1,120})",
    re.IGNORECASE | re.DOTALL,
)
_SENTENCE_END_RE = re.compile(r"\.(?:\s+(?=[A-Z<])|\s*$)|\n")
_HOPE_RE = re.compile(r"\s*I hope it is correct\.?.*$", re.IGNORECASE | re.DOTALL)
# Alternatives joined by "or" (hedging); "and" also separates answers when listing options.
_OR_RE = re.compile(r"\\text\s*\{\s*(?:or|either)\s*\}|\\(?:lor|vee)\b|\b(?:or|either)\b", re.IGNORECASE)
_NUMBER_RE = re.compile(r"-?(?:\d{1,3}(?:(?:,\\!|\\!,|\{,\}|\\,|\\!|\\ |,| )\d{3})+(?!\d)|\d+)(?:\.\d+)?")
_LIST_SEP_RE = re.compile(r"^(?:\s*[,;]\s*|\s+(?:and|or)\s+|\s+|\s*,?\s*\\(?:quad|qquad|,|;)\s*)$")


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
        return completion[close + len("</think>"):], "after </think>"
    if "<think>" in completion:
        return None, "unterminated <think>: no answer after the reasoning"
    return completion, ""


def find_boxes(text: str, limit: int = MAX_BOXES + 1) -> list[str]:
    """Contents of the top-level ``\\boxed{...}``/``\\fbox{...}`` in order; iterative brace matching."""
    return [content for content, _ in _scan_boxes(text, limit)]


def _scan_boxes(text: str, limit: int) -> list[tuple[str, int]]:
    """(content, end index) of each top-level box, at most ``limit``."""
    out: list[tuple[str, int]] = []
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
            out.append((text[i + 1:end], end + 1))
            pos = end + 1
        elif i < len(text) and m.end() < i and text[i].isalnum():  # "\boxed 5"
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] == "."):
                j += 1
            out.append((text[i:j].rstrip("."), j))
            pos = j
        else:
            pos = m.end()
    return out


def trailing_alternative(after: str) -> str | None:
    """A second answer offered right after the answer ("\\boxed{3} (or possibly 4)", "3. Or maybe 4.")."""
    m = _TRAILING_OR_RE.match(after[:200])
    if m is None:
        return None
    alt = re.split(r"\n|\.\s", m.group(1), maxsplit=1)[0].lstrip(" $})").rstrip(" $.,;")
    while alt and alt[-1] in ")}" and alt.count(alt[-1]) > alt.count("(" if alt[-1] == ")" else "{"):
        alt = alt[:-1].rstrip(" $.,;")
    start = re.search(r"[\d$\\(\[{-]", alt)
    return alt[start.start():].lstrip("$ ") if start else None


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


def last_phrase(text: str) -> tuple[str, str, str] | None:
    """(answer, its sentence, the text after it) for the last "final answer"/"the answer is" phrase."""
    begin = start = None
    for m in _PHRASE_RE.finditer(text):
        begin, start = m.start(), m.end()
    if start is None or begin is None:
        return None
    lead = len(text[start:start + PHRASE_CHARS]) - len(text[start:start + PHRASE_CHARS].lstrip(" \t\n*:#"))
    start += lead  # "**Final Answer**\n\n$42$": the answer may sit on the next line
    rest = _HOPE_RE.sub("", text[start:start + PHRASE_CHARS])
    cut = len(rest)
    for m in _SENTENCE_END_RE.finditer(rest):
        if m.start() > 0 and rest.count("$", 0, m.start()) % 2 == 0 and not _inside_number(rest, m.start()):
            cut = m.start()
            break
    phrase = rest[:cut].strip().rstrip(".").strip().strip("*").strip()
    return (phrase, text[begin:start] + rest[:cut], rest[cut:]) if phrase else None


def _inside_number(text: str, i: int) -> bool:
    return 0 < i < len(text) - 1 and text[i] == "." and text[i - 1].isdigit() and text[i + 1].isdigit()


def split_alternatives(answer: str) -> tuple[list[str], bool]:
    """Alternatives a single answer offers ("3 or 4", "either 3 or 4"), or a bare list of 3+ numbers (flag True)."""
    stripped = _unwrap_math(answer)
    if _OR_RE.search(stripped):
        parts = [p.strip(" ,;$\\") for p in _OR_RE.split(stripped)]
        parts = [p for p in parts if p and not p.lower().startswith("equivalently")]
        if len(parts) > 1:
            return parts, False
    numbers = list(_NUMBER_RE.finditer(stripped))
    if len(numbers) >= 3:
        gaps = [stripped[a.end():b.start()] for a, b in itertools.pairwise(numbers)]
        if all(_LIST_SEP_RE.match(g) for g in gaps):
            return [m.group() for m in numbers], True
    return [], False


def _unwrap_math(text: str) -> str:
    text = text.strip()
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if text.startswith(left) and text.endswith(right) and len(text) > len(left) + len(right):
            return text[len(left):-len(right)].strip()
    return text


def extract(completion: str, mode: ExtractMode = "any") -> Extraction:
    """Extract the final answer of ``completion`` according to ``mode``."""
    region, note = answer_region(completion)
    if region is None:
        return Extraction("none", note=note)
    scanned = _scan_boxes(region, MAX_BOXES + 1)
    if scanned:
        boxes = [content for content, _ in scanned]
        if len(boxes) > MAX_BOXES:
            return Extraction("boxed", tuple(boxes), note=f"more than {MAX_BOXES} boxed answers")
        alternatives, listed = split_alternatives(boxes[0]) if len(boxes) == 1 else ([], False)
        extra = trailing_alternative(region[scanned[-1][1]:])
        if extra is not None and not alternatives:
            alternatives, listed = [boxes[-1], extra], False
        return Extraction("boxed", tuple(boxes), tuple(alternatives), listed=listed)
    if mode == "boxed":
        return Extraction("none", note="no \\boxed{} answer" + (f" {note}" if note else ""))
    found = last_phrase(region)
    if found is not None:
        phrase, sentence, after = found
        alternatives, listed = split_alternatives(phrase)
        extra = trailing_alternative(after)
        if extra is not None and not alternatives:
            alternatives, listed = [phrase, extra], False
        return Extraction("phrase", (phrase,), tuple(alternatives), context=sentence, listed=listed)
    if mode == "boxed_or_phrase":
        return Extraction("none", note="no \\boxed{} answer and no 'the answer is' phrase")
    tail = region.strip()[-TAIL_CHARS:]
    if not tail:
        return Extraction("none", note="empty completion" + (f" {note}" if note else ""))
    last_line = tail.splitlines()[-1] if tail.splitlines() else tail
    alternatives, listed = split_alternatives(last_line)
    return Extraction("bare", (last_line.strip(),), tuple(alternatives), context=tail, listed=listed)
