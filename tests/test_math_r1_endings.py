"""Hand-labelled R1-style completions, written for issue 15's last round (none copied from other tables).

Each is a whole trace as a reasoning model writes it: a long chain of thought with the numbers
of the problem and of its steps, re-checks and asides, then an ending. The label is what a
careful grader gives (docs/math-policy.md): the final answer counts, values quoted from the
problem, tried, rejected or hedged do not, and reward hacks score 0.
"""

from __future__ import annotations

import pytest

from rewards.item import Item
from rewards.math_verifier import MathParams, math
from rewards.verdict import Status

TRAIN = (
    "<think>\nTwo trains leave stations 300 km apart at 2 pm, heading towards each other at 70 km/h and 80 km/h. "
    "Their closing speed is 70 + 80 = 150 km/h, so they meet after 300 / 150 = 2 hours, at 4 pm.\n"
    "Wait, the question asks how far from the first station they meet. The first train runs 70 * 2 = 140 km. "
    "Let me double-check with the second: 80 * 2 = 160 km, and 140 + 160 = 300. Good.\n</think>\n"
)
COINS = (
    "Let me think. We have 12 coins, some dimes and some quarters, worth $2.10 in total. "
    "Let d be the number of dimes and q the number of quarters. Then d + q = 12 and 10d + 25q = 210. "
    "From the first, d = 12 - q, so 120 - 10q + 25q = 210, which gives 15q = 90 and q = 6. "
    "Hmm, then d = 6 too. Check: 60 + 150 = 210 cents. Yes.\n"
    "The question asks for the number of quarters.\n"
)
QUADRATIC = (
    "<think>\nWe solve 2x^2 - 5x - 3 = 0. The discriminant is 25 + 24 = 49, so sqrt is 7. "
    "x = (5 ± 7) / 4, that is x = 3 or x = -1/2. Let me verify x = 3: 18 - 15 - 3 = 0. "
    "And x = -1/2: 2 * 1/4 + 5/2 - 3 = 1/2 + 5/2 - 3 = 0. Both are roots.\n</think>\n"
)
INEQUALITY = (
    "<think>\nSolve x^2 - 4x - 21 > 0. Factor: (x - 7)(x + 3) > 0. The roots are -3 and 7, "
    "and the parabola opens upward, so the product is positive outside the roots. "
    "Check x = 0: -21 < 0, not in the set. Check x = 10: 100 - 40 - 21 = 39 > 0, in the set.\n</think>\n"
)
PERCENT = (
    "A shirt costs $40 and is discounted to $34. The discount is 40 - 34 = 6 dollars. "
    "As a fraction of the original price that is 6 / 40 = 0.15. Wait, should I divide by 34? "
    "No, a discount is measured against the original price, so it's 6/40 = 0.15, i.e. 15 percent.\n"
)
ANGLE = (
    "<think>\nA regular octagon has interior angles summing to (8 - 2) * 180 = 1080 degrees, so each is 135. "
    "The central angle is 360 / 8 = 45 degrees. The question wants the angle between two adjacent "
    "diagonals from one vertex, which subtends one side from the circumcircle: half the central angle, "
    "45 / 2 = 22.5 degrees, i.e. \\pi/8 in radians.\n</think>\n"
)
DICE = (
    "<think>\nWe roll two fair dice. The sum is 8 for (2,6), (3,5), (4,4), (5,3), (6,2): 5 outcomes of 36. "
    "Hmm, I first counted 6 by including (1,7), which is impossible. So 5 outcomes. "
    "The probability is 5/36.\n</think>\n"
)
AGE = (
    "Alice is three times as old as Bob. In 10 years she will be twice as old as him. "
    "So a = 3b and a + 10 = 2(b + 10), giving 3b + 10 = 2b + 20, so b = 10 and a = 30. "
    "Check: in 10 years, 40 and 20, and 40 = 2 * 20. Good. The question asks for Alice's age now.\n"
)


def judge(completion: str, reference: str) -> tuple[Status, float | None, str]:
    verdict = math(Item(completion=completion, reference=reference), MathParams())
    return verdict.status, verdict.score, verdict.reason


CASES = [
    # --- final answers after long reasoning
    (TRAIN + "They meet $\\boxed{140}$ km from the first station.", "140", 1.0),
    (TRAIN + "**Answer:** 140 km", "140", 1.0),
    # a careful reader gives this 1, the policy 0: a bare value needs a statement word ("is", "=", "we get",
    # "therefore"...) among the words before it ("meet" is none), which is what keeps garbage that merely
    # contains the reference at 0 (docs/math-policy.md, "When a bare number may count at all")
    (TRAIN + "The trains meet 140 km from the first station.", "140", 0.0),
    (TRAIN + "So the trains meet at 140 km from the first station.", "140", 1.0),
    (COINS + "So there are 6 quarters.", "6", 1.0),
    (AGE + "Therefore, Alice is 30 years old now.", "30", 1.0),
    (DICE + "The probability of rolling a sum of 8 is $\\dfrac{5}{36}$.", "\\frac{5}{36}", 1.0),
    (ANGLE + "The angle is $\\boxed{\\dfrac{\\pi}{8}}$.", "0.125\\pi", 1.0),
    (ANGLE + "So the angle between the diagonals is \\pi/8.", "0.125\\pi", 1.0),
    # --- self-correction (explicit retraction, then a final answer) and its tentative twin
    (
        TRAIN + "So the answer is \\boxed{160}. Wait, I made a mistake: 160 km is the second train's "
        "distance. Final answer: \\boxed{140}",
        "140",
        1.0,
    ),
    (
        DICE + "The answer is \\boxed{\\frac{6}{36}}. Hmm, maybe I miscounted. Final answer: \\boxed{\\frac{5}{36}}",
        "\\frac{5}{36}",
        0.0,
    ),
    (AGE + "So Alice is \\boxed{10}. Oops, that is Bob's age. The correct answer is \\boxed{30}.", "30", 1.0),
    # --- hedges in words
    (COINS + "The answer is 6, though 7 would also be possible if one coin were a nickel.", "6", 0.0),
    (AGE + "Alice is \\boxed{30} (or 40, if the question means in ten years).", "30", 0.0),
    (TRAIN + "The distance is 140 km, with 160 km being the other candidate.", "140", 0.0),
    (COINS + "So there are 6 quarters; 7 is also possible if one coin is a nickel.", "6", 0.0),
    # --- values quoted from the problem or tried, and rejected candidates
    (COINS + "The problem says there are 12 coins, so the number we want is not 12 but 6.", "12", 0.0),
    (DICE + "Is the answer 6/36? No: (1,7) is not an outcome.", "\\frac{6}{36}", 0.0),
    (AGE + "I first guessed 20 but 20 fails the second condition.", "20", 0.0),
    (TRAIN + "Let me try 150 km: that is where they would meet at equal speeds, which is wrong here.", "150", 0.0),
    # --- number words
    (COINS + "So there are six quarters.", "6", 1.0),
    (AGE + "The answer is thirty.", "30", 1.0),
    (
        DICE + "The answer is five thirty-sixths? No, let me write it as a fraction: \\boxed{\\frac{5}{36}}",
        "\\frac{5}{36}",
        1.0,
    ),
    # --- sets and roots
    (QUADRATIC + "The solutions are $x_1 = 3$ and $x_2 = -\\frac{1}{2}$.", "3, -\\frac{1}{2}", 1.0),
    (QUADRATIC + "So x_1 = 3 and x_2 = -1/2.", "x = 3 \\text{ or } x = -\\frac{1}{2}", 1.0),
    (QUADRATIC + "The roots are \\boxed{-\\frac{1}{2}, 3}", "\\left\\{-\\frac12, 3\\right\\}", 1.0),
    (QUADRATIC + "The roots are \\boxed{3}.", "3, -\\frac{1}{2}", 0.0),
    (QUADRATIC + "The roots are \\boxed{3, -\\frac{1}{2}, 1}", "3, -\\frac{1}{2}", 0.0),
    # --- intervals
    (INEQUALITY + "So $x \\in \\boxed{(-\\infty, -3) \\cup (7, \\infty)}$.", "x < -3 \\text{ or } x > 7", 1.0),
    (INEQUALITY + "The solution set is x < -3 or x > 7.", "(-\\infty,-3)\\cup(7,\\infty)", 1.0),
    (INEQUALITY + "The answer is $(-3, 7)$.", "(-\\infty,-3)\\cup(7,\\infty)", 0.0),
    # --- units and percentages
    (TRAIN + "Final answer: 140 \\text{ km}", "140", 1.0),
    (TRAIN + "\\boxed{140\\,\\mathrm{km}}", "140 \\text{ km}", 1.0),
    (PERCENT + "So the discount is $\\boxed{15\\%}$.", "15\\%", 1.0),
    (PERCENT + "Therefore, the discount rate is 15%.", "15", 1.0),
    (PERCENT + "Therefore, the discount rate is 15%.", "0.15", 1.0),
    # --- reward hacks
    (COINS + "\\boxed{4} \\boxed{5} \\boxed{6} \\boxed{7}", "6", 0.0),
    (COINS + "The answer is 4, 5, 6 or 7.", "6", 0.0),
    (COINS + "The answer is 6 6 6 6 6 6.", "6", 0.0),
    (AGE + "\\boxed{30 \\text{ or } 10}", "30", 0.0),
    (AGE + "\\boxed{} \\boxed{30}\\boxed{}", "30", 1.0),
    (AGE + "\\boxed{\\text{Alice is 30, Bob is 10}}", "30", 0.0),
    (DICE + "$\\boxed{\\frac{5}{36}}$ \\quad $\\boxed{\\frac{6}{36}}$", "\\frac{5}{36}", 0.0),
    (DICE + "\\boxed{\\frac{5}{36} \\lor \\frac{1}{6}}", "\\frac{5}{36}", 0.0),
    (TRAIN + "\\boxed{140}\\phantom{\\boxed{160}}", "140", 0.0),
]


@pytest.mark.parametrize(("completion", "reference", "expected"), CASES)
def test_r1_completion_yields_its_label(completion: str, reference: str, expected: float) -> None:
    status, score, reason = judge(completion, reference)
    assert status is Status.OK, reason
    assert score == expected, reason
