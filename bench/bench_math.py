"""Math throughput on a GRPO-shaped batch: math-verify called directly (as TRL's accuracy
reward does) vs rlvr in-process vs rlvr over HTTP. Prints items/s and the ratios.

    python -m bench.bench_math [--prompts 64] [--samples 16] [--rounds 3]

(a) and (b) run ``--rounds`` times, alternating, each round in a fresh process (a cold start
for both: no parse cache of an earlier round helps either), and the medians are compared: on
a shared machine one round of each swings with the others' load (4.8x to 11x in one hour).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
from typing import Any

import httpx

from bench.grpo_batch import Sample, grpo_batch
from bench.proc_tree import timed_round
from grpo.wire import ScoreRequest
from rewards.math_extract import extract
from rewards.math_warmup import WARMUP_PAIRS, WARMUP_PHRASINGS
from service.app import build_scorer
from service.cache import VerdictCache
from service.settings import Settings
from tests.server import run_server

JSON = {"content-type": "application/json"}
# SCORER_LOOP: rlvr is timed on one event loop that lives as long as its scorer, as in the service.
# ``asyncio.run`` per batch would add a cost of the harness, not of scoring: on Python 3.11 it
# restores its SIGINT handler through ``signal.getsignal``, which formats repr() of the finished
# task, i.e. of the whole ScoreResponse (about 45 ms for 1,024 items).


def warmup_overlap(samples: list[Sample]) -> set[str]:
    """References or answers of ``samples`` that the math warm-up scores too: it must share none with a bench."""
    warm = {text for pair in WARMUP_PAIRS for text in pair}
    answers = {a for s in samples for a in extract(s.completion, "any").answers}
    return ({s.gold for s in samples} | answers) & warm


def trl_accuracy(samples: list[Sample]) -> list[float]:
    """TRL's accuracy_reward: parse gold and completion with math-verify, verify, one by one."""
    from latex2sympy2_extended import NormalizationConfig
    from math_verify import LatexExtractionConfig, parse, verify

    config = [
        LatexExtractionConfig(
            normalization_config=NormalizationConfig(
                nits=False, malformed_operators=False, basic_latex=True, equations=True, boxed="all", units=True
            ),
            boxed_match_priority=0,
            try_extract_without_anchor=False,
        )
    ]
    rewards = []
    for s in samples:
        gold = parse(f"\\boxed{{{s.gold}}}", extraction_mode="first_match")
        answer = parse(s.completion, extraction_config=config, extraction_mode="first_match")
        rewards.append(float(verify(gold, answer)))
    return rewards


def request_for(samples: list[Sample]) -> ScoreRequest:
    return ScoreRequest.model_validate(
        {
            "rewards": {"math": 1.0},
            "items": [
                {"id": n, "group": s.group, "completion": s.completion, "reference": s.gold}
                for n, s in enumerate(samples)
            ],
        }
    )


Timing = tuple[float, float]  # (wall seconds, CPU seconds of this process and its descendants)


def in_process(samples: list[Sample], warmup: list[Sample]) -> tuple[list[float | None], Timing]:
    """Scores with a warmed-up scorer (workers started, imports done) and an empty verdict cache."""
    scorer = build_scorer(Settings())
    loop = asyncio.new_event_loop()  # one loop for the scorer's life, as in the service (see SCORER_LOOP)
    try:
        loop.run_until_complete(scorer.score(request_for(warmup)))
        scorer.cache = VerdictCache(scorer.cache.size)
        request = request_for(samples)
        response, timing = timed_round(lambda: loop.run_until_complete(scorer.score(request)))
    finally:
        loop.close()
        scorer.close()
    return [r.reward for r in response.results], timing


def over_http(samples: list[Sample], warmup: list[Sample]) -> tuple[list[float | None], Timing]:
    with run_server() as url, httpx.Client(base_url=url, timeout=600) as client:
        client.post("/v1/score", content=request_for(warmup).model_dump_json(), headers=JSON).raise_for_status()
        body = request_for(samples).model_dump_json()
        response, timing = timed_round(lambda: client.post("/v1/score", content=body, headers=JSON))
        response.raise_for_status()
    return [r["reward"] for r in response.json()["results"]], timing


def _round(contender: str, samples: list[Sample], warmup: list[Sample]) -> tuple[list[float | None], Timing]:
    """One round of contender "a" (the baseline) or "b" (rlvr in-process), run in a fresh process."""
    if contender == "a":
        # the same warm-up as rlvr's workers get before they start (untimed): both start equally warm
        trl_accuracy([Sample(0, p.format(answer), gold) for answer, gold in WARMUP_PAIRS for p in WARMUP_PHRASINGS])
        rewards, timing = timed_round(lambda: trl_accuracy(samples))
        return list(rewards), timing
    return in_process(samples, warmup)


def _round_to(conn: Any, contender: str, samples: list[Sample], warmup: list[Sample]) -> None:
    conn.send(_round(contender, samples, warmup))
    conn.close()


def fresh_round(contender: str, samples: list[Sample], warmup: list[Sample]) -> tuple[list[float | None], Timing]:
    """One round of ``contender`` in a new spawned process: its own cold start, nothing inherited."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_round_to, args=(send, contender, samples, warmup))  # not daemonic: (b) forks workers
    proc.start()
    send.close()
    try:
        return receive.recv()  # type: ignore[no-any-return]
    finally:
        proc.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3, help="fresh-process rounds of (a) and (b), alternating")
    args = parser.parse_args()
    samples = grpo_batch(args.prompts, args.samples, seed=0)
    # starts the workers; its answers are not among the batch's, so no verdict or parse is reused
    warmup = [Sample(0, "The answer is \\boxed{7}.", "7")] * 4
    n = len(samples)
    assert not warmup_overlap(samples), f"the math warm-up scores {warmup_overlap(samples)} too: unfair"
    print(
        f"math bench: {args.prompts} prompts x {args.samples} samples = {n} completions, "
        f"{len({(s.completion, s.gold) for s in samples})} distinct; {args.rounds} rounds of (a) and (b)"
    )
    a_rounds, b_rounds = [], []
    for _ in range(args.rounds):  # alternating, so that both see the machine's load alike
        a_rounds.append(fresh_round("a", samples, warmup))
        b_rounds.append(fresh_round("b", samples, warmup))
    baseline, local = a_rounds[0][0], b_rounds[0][0]
    remote, (t_c, cpu_c) = over_http(samples, warmup)
    t_a, cpu_a = (statistics.median(r[1][i] for r in a_rounds) for i in (0, 1))
    t_b, cpu_b = (statistics.median(r[1][i] for r in b_rounds) for i in (0, 1))
    rows = [
        ("(a) math-verify direct, sequential (TRL accuracy_reward)", t_a, cpu_a),
        ("(b) rlvr in-process", t_b, cpu_b),
        ("(c) rlvr over HTTP (one round)", t_c, cpu_c),
    ]
    for label, t, cpu in rows:
        print(f"  {label:<58} {n / t:8.1f} items/s  ({t:.2f}s; CPU {cpu:.2f}s, all processes)")
    per_round = ", ".join(f"{a[1][0] / b[1][0]:.1f}x" for a, b in zip(a_rounds, b_rounds, strict=True))
    print(f"  ratio (b)/(a) = {t_a / t_b:.2f}x of the medians   (target >= 10x); rounds: {per_round}")
    cpu_rounds = ", ".join(f"{a[1][1] / max(b[1][1], 1e-9):.1f}x" for a, b in zip(a_rounds, b_rounds, strict=True))
    print(f"  CPU (a)/(b) = {cpu_a / max(cpu_b, 1e-9):.2f}x of the medians; rounds: {cpu_rounds}")
    print(f"  ratio (c)/(b) = {t_c / t_b:.2f}x slower   (target <= 1.3x)")
    differ = sum(1 for x, y in zip(baseline, local, strict=True) if y is None or x != y)
    print(
        f"  verdicts differing from (a): {differ}/{n}; not judged by rlvr: {sum(r is None for r in local)}; "
        f"HTTP equals in-process: {remote == local}"
    )


if __name__ == "__main__":
    main()
