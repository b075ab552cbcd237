"""Distinct math pairs with no repeats: varied answer shapes with fresh numbers in every pair.

A GRPO batch repeats answers within groups; a batch of many prompts, or the first batch of a
run, does not. Each pair here is (completion, gold) with a shape drawn from the common ones
(integers, decimals, fractions, roots, multiples of pi, intervals, sets, tuples, polynomials,
equations, percentages, degrees, complex numbers, scientific notation, matrices, choices)
and its own numbers; about half are right (an equivalent spelling), half wrong.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from bench.grpo_batch import CLOSINGS, REASONING, Sample

Shape = Callable[[random.Random], tuple[str, str, str]]  # (gold, right spelling, wrong answer)


def _int(r: random.Random) -> tuple[str, str, str]:
    n = r.randint(2, 99_999)
    return str(n), f"{n:,}" if n > 9_999 and r.random() < 0.5 else str(n), str(n + r.randint(1, 9))


def _decimal(r: random.Random) -> tuple[str, str, str]:
    a = r.randint(1, 999) / 100
    return f"{a:.2f}", f"{a:.2f}0", f"{a + 0.01:.2f}"


def _fraction(r: random.Random) -> tuple[str, str, str]:
    p, q = r.randint(1, 40), r.choice([3, 7, 9, 11, 13, 17])
    return f"\\frac{{{p}}}{{{q}}}", r.choice([f"\\dfrac{{{p}}}{{{q}}}", f"{p}/{q}"]), f"\\frac{{{p + 1}}}{{{q}}}"


def _root(r: random.Random) -> tuple[str, str, str]:
    a, b = r.randint(2, 9), r.choice([2, 3, 5, 6, 7])
    return f"{a}\\sqrt{{{b}}}", f"\\sqrt{{{a * a * b}}}", f"{a + 1}\\sqrt{{{b}}}"


def _pi(r: random.Random) -> tuple[str, str, str]:
    p, q = r.randint(1, 11), r.choice([2, 3, 4, 6, 12])
    return f"\\frac{{{p}\\pi}}{{{q}}}", f"\\frac{{{p}}}{{{q}}}\\pi", f"\\frac{{{p + 1}\\pi}}{{{q}}}"


def _interval(r: random.Random) -> tuple[str, str, str]:
    a, b = sorted(r.sample(range(-20, 30), 2))
    return f"({a}, {b}]", f"({a},{b}]", f"[{a}, {b}]"


def _set(r: random.Random) -> tuple[str, str, str]:
    xs = sorted(r.sample(range(-9, 20), 3))
    right = "\\{" + ", ".join(map(str, reversed(xs))) + "\\}"
    return "\\{" + ", ".join(map(str, xs)) + "\\}", right, "\\{" + ", ".join(map(str, xs[:2])) + "\\}"


def _tuple(r: random.Random) -> tuple[str, str, str]:
    a, b = r.randint(-9, 9), r.randint(-9, 9)
    return f"({a}, {b})", f"({a},{b})", f"({b}, {a + 1})"


def _poly(r: random.Random) -> tuple[str, str, str]:
    a, b = r.randint(1, 9), r.randint(1, 9)
    return f"x^2 + {a + b}x + {a * b}", f"(x+{a})(x+{b})", f"(x+{a})(x-{b})"


def _equation(r: random.Random) -> tuple[str, str, str]:
    m, c = r.randint(2, 9), r.randint(-9, 9)
    return f"y = {m}x + {c}", f"y={m}x+{c}", f"y = {m + 1}x + {c}"


def _percent(r: random.Random) -> tuple[str, str, str]:
    p = r.randint(1, 99)
    return f"{p}\\%", f"{p / 100:g}", f"{p + 1}\\%"


def _degrees(r: random.Random) -> tuple[str, str, str]:
    d = r.choice([15, 30, 45, 60, 75, 90, 105, 120, 135, 150])
    return f"{d}^\\circ", str(d), f"{d + 15}^\\circ"


def _complex(r: random.Random) -> tuple[str, str, str]:
    a, b = r.randint(1, 9), r.randint(1, 9)
    return f"{a} - {b}i", f"-{b}i + {a}", f"{a} + {b}i"


def _scientific(r: random.Random) -> tuple[str, str, str]:
    m, e = r.randint(11, 99) / 10, r.randint(3, 8)
    return f"{m} \\times 10^{{{e}}}", str(int(m * 10**e)), f"{m} \\times 10^{{{e + 1}}}"


def _matrix(r: random.Random) -> tuple[str, str, str]:
    a, b, c, d = (r.randint(-9, 9) for _ in range(4))
    gold = f"\\begin{{pmatrix}} {a} & {b} \\\\ {c} & {d} \\end{{pmatrix}}"
    return gold, f"\\begin{{bmatrix}}{a}&{b}\\\\{c}&{d}\\end{{bmatrix}}", gold.replace(f"{d} \\end", f"{d + 1} \\end")


def _choice(r: random.Random) -> tuple[str, str, str]:
    letter = r.choice("ABCDE")
    return f"\\text{{({letter})}}", f"({letter})", "(" + r.choice([c for c in "ABCDE" if c != letter]) + ")"


SHAPES: tuple[Shape, ...] = (
    _int,
    _decimal,
    _fraction,
    _root,
    _pi,
    _interval,
    _set,
    _tuple,
    _poly,
    _equation,
    _percent,
    _degrees,
    _complex,
    _scientific,
    _matrix,
    _choice,
)


def distinct_pairs(n: int = 500, seed: int = 0, reasoning_chars: int = 0) -> list[Sample]:
    """``n`` pairs, each with its own numbers; ``reasoning_chars`` (a mean: each trace draws a quarter to twice
    it) pads the reasoning into long R1-style traces."""
    rng = random.Random(seed)
    out: list[Sample] = []
    seen: set[tuple[str, str]] = set()
    while len(out) < n:
        gold, right, wrong = rng.choice(SHAPES)(rng)
        answer = right if rng.random() < 0.5 else wrong
        steps = " ".join(rng.sample(REASONING, k=rng.randint(2, 4)))
        target = rng.randint(reasoning_chars // 4, 2 * reasoning_chars) if reasoning_chars else 0
        while len(steps) < target:
            steps += (
                "\n\n" + " ".join(rng.sample(REASONING, k=3)) + f" Checking: {rng.randint(2, 99)} * "
                f"{rng.randint(2, 99)} is what we had, so the {rng.choice(['sum', 'count', 'bound'])} stands."
            )
        closing = rng.choice(CLOSINGS).format(a=answer)
        think = "<think>\n" if "</think>" in closing else ""
        completion = f"{think}{steps}\n\n{closing}"
        if (answer, gold) not in seen:  # no verdict or parse can be reused between pairs
            seen.add((answer, gold))
            out.append(Sample(len(out), completion, gold))
    return out
