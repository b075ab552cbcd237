"""Which value of a long chain of thought is its final answer (docs/math-policy.md), in labelled tables.

Every completion is R1-shaped: a long reasoning with intermediate numbers, re-checks and
"Wait," asides, then an ending. The tables vary the ending by class: bare final answers that
count, values that are not final answers (quoted, asked, rejected, garbage), hedges joined by
words, explicit self-corrections against hedging, and forms of the same value.
"""

from __future__ import annotations

import pytest

from rewards.item import Item
from rewards.math_verifier import MathParams, math
from rewards.verdict import Status

# Five reasonings of the lengths and habits of R1-style traces (numbers all along the way).
COT_COUNT = (
    "Okay, so I need to count the arithmetic sequences of three terms from 1 to 10 with common difference d > 0.\n"
    "For d = 1 the first term can be 1 through 8, that is 8 sequences. For d = 2 it can be 1 through 6, "
    "so 6 more. Hmm, wait, let me recount: the last term is a + 2d <= 10, so a <= 10 - 2d.\n"
    "d = 1 gives 8, d = 2 gives 6, d = 3 gives 4, d = 4 gives 2, d = 5 gives 0. "
    "So the total is 8 + 6 + 4 + 2 = 20. But the problem asks only for sequences whose sum is even, "
    "and the sum is 3(a + d), which is even exactly when a + d is even.\n"
    "Let me go through them again. For d = 1: a odd, a in {1, 3, 5, 7}, so 4. For d = 2: a even, "
    "a in {2, 4, 6}, so 3. For d = 3: a odd, a in {1, 3}, 2. For d = 4: a even, a = 2, 1. "
    "Adding: 4 + 3 + 2 + 1 = 10. Wait, I should double-check d = 2: a <= 6 and even gives 2, 4, 6. Yes, 3.\n"
    "Then the count is 4 + 3 + 2 + 1 = 10, but hold on, the condition also excludes the sequence 2, 4, 6? "
    "No, that one is allowed. Let me also check d = 1 once more: 1,2,3 has sum 6 (even), fine.\n"
)
COT_ALGEBRA = (
    "We need to solve x^2 - 4x - 5 = 0 and then find the requested quantity.\n"
    "The discriminant is 16 + 20 = 36, whose square root is 6. So x = (4 ± 6) / 2, that is x = 5 or x = -1.\n"
    "Let me verify: 25 - 20 - 5 = 0, and 1 + 4 - 5 = 0. Both work.\n"
    "Hmm, the question asks for the product of the roots times 3 plus 22, which by Vieta is 3 * (-5) + 22. "
    "3 * (-5) = -15, and -15 + 22 = 7. Let me double-check with the roots directly: 5 * (-1) = -5, "
    "times 3 is -15, plus 22 is 7.\n"
)
COT_GEOMETRY = (
    "The triangle has sides 5, 12 and 13. Since 25 + 144 = 169, it is a right triangle with legs 5 and 12.\n"
    "The area is (5 * 12) / 2 = 30. The inradius is r = (a + b - c)/2 = (5 + 12 - 13)/2 = 2.\n"
    "Wait, the question asks for the circumradius, which for a right triangle is half the hypotenuse: 13/2 = 6.5. "
    "Hmm, but let me re-read: it asks for the area of the incircle, pi r^2 = 4 pi.\n"
    "So I need r = 2 after all, and the area is 4pi. Let me double check r with A = r s: s = 15, "
    "A = 30, r = 30/15 = 2. Good.\n"
)
COTS = (COT_COUNT, COT_ALGEBRA, COT_GEOMETRY)


def judge(completion: str, reference: str, **params: object) -> tuple[Status, float | None, str]:
    verdict = math(Item(completion=completion, reference=reference), MathParams(**params))  # type: ignore[arg-type]
    return verdict.status, verdict.score, verdict.reason


FINAL_BARE = [
    # (CoT, ending, reference): no box, no "the answer is": the trace ends by stating its answer
    (COT_COUNT, "Therefore, there are 10 such sequences.", "10"),
    (COT_COUNT, "So the count is 10.", "10"),
    (COT_COUNT, "Adding everything up gives $4 + 3 + 2 + 1 = 10$.", "10"),
    (COT_COUNT, "Therefore, there are 10 distinct arithmetic sequences that meet the three given conditions.", "10"),
    (COT_COUNT, "So the count is 10.\n\nThat settles it.", "10"),
    (COT_COUNT, "So the count is 10. <|im_end|>", "10"),
    (COT_ALGEBRA, "Thus the value is $7$.", "7"),
    (COT_ALGEBRA, "$$3 \\cdot (-5) + 22 = 7$$", "7"),
    (COT_ALGEBRA, "Not -15, since we still add 22: it is 7.", "7"),
    (COT_ALGEBRA, "So x = -1 or x = 5.", "-1, 5"),
    (COT_GEOMETRY, "Hence the area of the incircle is $4\\pi$.", "4\\pi"),
    (COT_GEOMETRY, "The incircle's area: $4\\pi$", "4\\pi"),
    (COT_COUNT, "So we get 10 sequences in all.\nI hope it is correct.", "10"),
    (COT_COUNT, "The number of sequences is 10 (since 4 + 3 + 2 + 1 = 10).", "10"),
    (COT_COUNT, "The number of sequences is 10 (4 + 3 + 2 + 1).", "10"),
    (COT_COUNT, "So, the final count is **10**.", "10"),
    (COT_COUNT, "In total we have 10 sequences, as computed above with d from 1 to 4.", "10"),
    (COT_COUNT, "There are 10 sequences in total for d = 1, 2, 3, 4.", "10"),
    (COT_COUNT, "The total number is 10, which matches the enumeration.", "10"),
    (COT_COUNT, "Therefore the count is 10 and not 20.", "10"),
    (COT_COUNT, "Thus, 10 is the count, not 20.", "10"),
    (COT_COUNT, "It is not 20; it is 10.", "10"),
    (COT_COUNT, "The problem says 20, but I get 10.", "10"),
    (COT_COUNT, "So I would say the answer is 10.", "10"),
    (COT_COUNT, "According to my count, the answer is 10.", "10"),
    (COT_COUNT, "10 is the answer.", "10"),
    (COT_COUNT, "Therefore, $n = 10$.", "10"),
    (COT_COUNT, "The count is 10 if we do not distinguish order.", "10"),
    (COT_COUNT, "It's 10.", "10"),
    (COT_COUNT, "10", "10"),
    (COT_COUNT, "Count: 10", "10"),
    (COT_COUNT, "That makes 10 sequences.", "10"),
    (COT_COUNT, "The problem says the answer is 12, but checking it I get 10.", "10"),
    (COT_COUNT, "The statement says the answer is 10, and checking it I get 10 as well.", "10"),
    (COT_COUNT, "Checking gives 10 as the count.", "10"),
    (COT_COUNT, "Is the answer 12? No: 12 counts 2, 4, 6 twice. The answer is 10.", "10"),
    (COT_COUNT, "The problem tells us the answer is 12. Checking it, I get 10.", "10"),
    (COT_COUNT, "So, the ordered count $(a, d)$ that we need is $10$.", "10"),
    (COT_COUNT, "Therefore, the number of sequences with an even sum increases to 10.", "10"),
    (COT_COUNT, "So we get a total of 10.", "10"),
    (COT_COUNT, "That leaves only 10.", "10"),
    (COT_COUNT, "So there are ten.", "10"),
    (COT_COUNT, "Ten.", "10"),
    (COT_COUNT, "The count is $4+3+2+1 = 10$ Now nothing is left to check.", "10"),
    (COT_COUNT, "We end up with 10 ways.", "10"),
    (COT_COUNT, "It takes 10 minutes.", "10"),
    (COT_COUNT, "John pays 10 dollars.", "10"),
    (COT_COUNT, "Total 10", "10"),
    (COT_COUNT, "The area works out to 10.", "10"),
    (COT_COUNT, "The number of sequences that satisfy all the conditions given in the problem is thus 10", "10"),
    (COT_COUNT, "So the count is 10.\n\nThat covers all three cases.", "10"),
    (COT_COUNT, "So the count is 10. I checked it two ways.", "10"),
    (COT_COUNT, "The problem says the answer is \\boxed{12}, but I get 10.", "10"),
    (COT_COUNT, "If the answer is \\boxed{12}, the parity fails. So the answer is \\boxed{10}.", "10"),
]


@pytest.mark.parametrize(("cot", "ending", "reference"), FINAL_BARE)
def test_trace_ending_with_stated_value_yields_1(cot: str, ending: str, reference: str) -> None:
    status, score, reason = judge(cot + "\n" + ending, reference)
    assert (status, score) == (Status.OK, 1.0), reason


NOT_FINAL = [
    # (CoT, ending, reference): the reference value appears last, but is not asserted as the answer
    (COT_COUNT, "Is the answer 10? No: 10 counts 2, 4, 6 twice.", "10"),
    (COT_COUNT, "Could it be 10?", "10"),
    (COT_COUNT, "The statement says the answer is 10, but checking it I get something else.", "10"),
    (COT_COUNT, "The problem claims the answer is 10, which I could not confirm.", "10"),
    (COT_COUNT, "If the answer is 10, then the sum condition must be wrong.", "10"),
    (COT_ALGEBRA, "I first guessed 7 but 7 fails the second equation.", "7"),
    (COT_ALGEBRA, "So it is not 7.", "7"),
    (COT_ALGEBRA, "Let me try 7.", "7"),
    (COT_ALGEBRA, "The answer is 7, but that is wrong since the roots were misread.", "7"),
    (COT_GEOMETRY, "Suppose the area is 4pi and see what happens to r.", "4\\pi"),
    ("", "qx zz lorem 7 ipsum dolor sit amet kk vv", "7"),
    ("", "asdf 7 7 7 jkl qwerty uiop zxcv bnm", "7"),
    ("", "qwe asd zxc 7", "7"),
    ("", "lorem ipsum dolor sit amet 7.", "7"),
    (COT_COUNT, "Let me think about it more. There are several cases to consider and I am not done yet", "10"),
    (COT_COUNT, "The answer is not 10.", "10"),
    (COT_COUNT, "Hmm, is it 10 or 11?", "10"),
    (COT_COUNT, "Maybe 10.", "10"),
    (COT_COUNT, "Wait, is the answer 10?", "10"),
    (COT_COUNT, "The problem says 10, but I get 12.", "10"),
    (COT_COUNT, "So there are 10. Or maybe 11.", "10"),
    (COT_COUNT, "So there are 10, or 11 if we include 2,4,6 twice.", "10"),
    (COT_COUNT, "I computed 10 earlier, but that was wrong: the answer is 12.", "10"),
    (COT_COUNT, "The book's key claims that the answer is 10.", "10"),
    (COT_COUNT, "The answer is at least 10.", "10"),
    (COT_COUNT, "The answer is between 10 and 12.", "10"),
    (COT_COUNT, "The problem statement says the answer is 10. However, when I check it, I get 12.", "10"),
    (COT_COUNT, "We are told that the answer is 10. Let me check: I get 12 instead.", "10"),
    (COT_COUNT, "The problem tells us the answer is 10. Checking it, I get 12.", "10"),
    (COT_COUNT, "The expected answer is 10, but checking it I get something else.", "10"),
    (COT_COUNT, "The hint says 10. My count gives 12.", "10"),
    (COT_COUNT, "Is the answer 10? No, 10 fails the second condition.", "10"),
    (COT_COUNT, "Is it 10? No. 10 fails the parity check.", "10"),
    (COT_COUNT, "10? No.", "10"),
    (COT_COUNT, "Could the answer be 10?", "10"),
    (COT_COUNT, "It could be 10.", "10"),
    (COT_COUNT, "I guess 10.", "10"),
    (COT_COUNT, "Initially I thought 10, but 10 fails.", "10"),
    (COT_COUNT, "Candidate 10 is rejected.", "10"),
    (COT_COUNT, "Thus 10 must be discarded.", "10"),
    (COT_COUNT, "So 10 cannot be right.", "10"),
    (COT_ALGEBRA, "Could x be 7? No, 7 does not satisfy the second equation.", "7"),
    (COT_ALGEBRA, "Plugging in 7 gives 3 on the left but 4 on the right, so 7 is not a solution.", "7"),
    (COT_ALGEBRA, "Let's test 5: 2*5 - 3 = 7 \u2260 10.", "10"),
    (COT_ALGEBRA, "Let's test 5: $2 \\cdot 5 - 3 = 7 \\neq 10$.", "10"),
    (COT_ALGEBRA, "The answer is 8 but it could also be 7.", "7"),
    (COT_COUNT, "The problem says the answer is \\boxed{10}, but I get 12.", "10"),
    (COT_COUNT, "Is the answer $\\boxed{10}$? No, it is \\boxed{12}.", "10"),
    (COT_COUNT, "Suppose the answer is \\boxed{10}. Then the parity fails.", "10"),
]


GARBAGE = [
    # text that merely contains the reference number (7) states no answer: random-model output, code
    "asdf 7 qwer",
    "the 7",
    "vert 7",
    "xq 7 is",
    "jjj 7 = kkk",
    "7 7 7 7 7",
    "the of is to and 7 in",
    "qwe rty is uiop asd fgh jkl 7",
    "ountyoffee MR rugby 7 Sources Kinnikuman",
    "Random tokens: foo bar 7 baz qux.",
    "import numpy as np\nx = 7\nprint(x)",
    "lorem 7. ipsum dolor.",
]


@pytest.mark.parametrize("completion", GARBAGE)
def test_garbage_containing_the_reference_yields_0(completion: str) -> None:
    status, score, reason = judge(completion, "7")
    assert (status, score) == (Status.OK, 0.0), reason


@pytest.mark.parametrize(("cot", "ending", "reference"), NOT_FINAL)
def test_value_that_is_not_a_final_answer_yields_0(cot: str, ending: str, reference: str) -> None:
    status, score, reason = judge(cot + "\n" + ending, reference)
    assert (status, score) == (Status.OK, 0.0), reason


HEDGES = [
    # (CoT, ending, reference): several values offered for a one-value reference, joined by words
    (COT_ALGEBRA, "The answer is 7 and 8.", "7"),
    (COT_ALGEBRA, "The answer is 7 and also 8.", "7"),
    (COT_ALGEBRA, "The answer is either 7 or 8.", "7"),
    (COT_ALGEBRA, "The answer is 8 as well as 7.", "7"),
    (COT_ALGEBRA, "The answer is 7 and/or 8.", "7"),
    (COT_ALGEBRA, "So the value is $\\boxed{7 \\text{ and } 8}$.", "7"),
    (COT_ALGEBRA, "So the value is $\\boxed{7}$ and also $8$.", "7"),
    (COT_ALGEBRA, "So the value is $\\boxed{7}$, and possibly 8.", "7"),
    (COT_ALGEBRA, "Thus the value is 7 or 8.", "7"),
    (COT_ALGEBRA, "The answer is seven or eight.", "7"),
    (COT_COUNT, "Final answer: $\\boxed{10}$ $\\boxed{11}$", "10"),
    (COT_ALGEBRA, "The answer is 7, possibly 8.", "7"),
    (COT_ALGEBRA, "The answer is 7 (maybe 8).", "7"),
    (COT_ALGEBRA, "The answer is 7, 8.", "7"),
    (COT_ALGEBRA, "The answer is 7; 8.", "7"),
    (COT_ALGEBRA, "The answer is 7 \u2014 perhaps 8.", "7"),
    (COT_ALGEBRA, "The answer is 7 - perhaps 8.", "7"),
    (COT_ALGEBRA, "The answer is 7 -- or maybe 8.", "7"),
    (COT_ALGEBRA, "The answer is 7; perhaps 8.", "7"),
    (COT_ALGEBRA, "The answer is 7, also 8.", "7"),
    (COT_ALGEBRA, "The answer is both 7 and 8.", "7"),
    (COT_ALGEBRA, "So the result is 7 as well as 8.", "7"),
    (COT_ALGEBRA, "7 and also 8.", "7"),
    (COT_ALGEBRA, "Either 7 or 8.", "7"),
    (COT_ALGEBRA, "Final answer: $\\boxed{7}$ or 8", "7"),
    (COT_ALGEBRA, "The answer is $7$ and $8$.", "7"),
    (COT_ALGEBRA, "\\boxed{7} \u2014 perhaps 8", "7"),
    (COT_ALGEBRA, "The roots are 7, -1.", "7"),
    (COT_ALGEBRA, "So it's **8** or **7**.", "7"),
    (COT_ALGEBRA, "The answer is 7. Or is it 8?", "7"),
    (COT_ALGEBRA, "The answer is seven, eight.", "7"),
    (COT_ALGEBRA, "The answer is \\pm 7.", "7"),
    (COT_ALGEBRA, "The answer is \u00b17.", "7"),
    (COT_ALGEBRA, "Final answer: 7\nFinal answer: 8", "8"),
    (COT_ALGEBRA, "Final answer: 7. Hmm, wait, let me re-read the problem. So the answer is 8.", "8"),
]


@pytest.mark.parametrize(("cot", "ending", "reference"), HEDGES)
def test_values_joined_by_words_yield_0(cot: str, ending: str, reference: str) -> None:
    status, score, reason = judge(cot + "\n" + ending, reference)
    assert (status, score) == (Status.OK, 0.0), reason
    assert "hack guard" in reason


NOT_HEDGES = [
    # "and" between a value and prose, or a reference that itself has several values
    (COT_ALGEBRA, "The answer is 7 and we are done.", "7"),
    (COT_ALGEBRA, "The roots are $\\boxed{-1}$ and $\\boxed{5}$.", "-1, 5"),
    (COT_ALGEBRA, "The roots are $\\boxed{-1 \\text{ and } 5}$.", "\\{-1, 5\\}"),
    (COT_ALGEBRA, "The answer is $\\boxed{x = -1 \\text{ or } x = 5}$.", "-1, 5"),
    (COT_ALGEBRA, "So $\\boxed{7}$ and this agrees with Vieta.", "7"),
    (COT_ALGEBRA, "The roots are 5, -1.", "-1, 5"),
    (COT_ALGEBRA, "The roots are 5,-1.", "-1, 5"),
    (COT_ALGEBRA, "The roots are -1 and 5.", "-1, 5"),
    (COT_ALGEBRA, "The roots are x = -1, x = 5.", "\\{-1, 5\\}"),
    (COT_ALGEBRA, "x = -1, 5", "-1, 5"),
    (COT_ALGEBRA, "So x = -1 and x = 5.", "5, -1"),
    (COT_ALGEBRA, "$x \\in \\{-1, 5\\}$", "-1, 5"),
    (COT_ALGEBRA, "So x = -1 or x = 5.", "x=-1 \\text{ or } x=5"),
    (COT_ALGEBRA, "The answer is 5 or -1.", "-1, 5"),
    (COT_ALGEBRA, "So x = \\pm 7.", "-7, 7"),
    (COT_ALGEBRA, "So x = 3 \\pm 2.", "1, 5"),
]


@pytest.mark.parametrize(("cot", "ending", "reference"), NOT_HEDGES)
def test_value_with_prose_or_multi_value_reference_yields_1(cot: str, ending: str, reference: str) -> None:
    status, score, reason = judge(cot + "\n" + ending, reference)
    assert (status, score) == (Status.OK, 1.0), reason


CORRECTIONS = [
    # an earlier answer, an explicit retraction, then an answer marked final: the final one counts
    (
        COT_ALGEBRA,
        "So $\\boxed{-15}$.\n\nWait, I made an error: I forgot to add 22.\n\nFinal answer: $\\boxed{7}$",
        "7",
        1.0,
    ),
    (
        COT_ALGEBRA,
        "Thus $\\boxed{-15}$. That was wrong, the 22 is still to be added. Final answer: \\boxed{7}",
        "7",
        1.0,
    ),
    (COT_ALGEBRA, "So \\boxed{-15}. Correction: 3(-5) + 22 = 7. The corrected answer is \\boxed{7}.", "7", 1.0),
    (COT_ALGEBRA, "So \\boxed{-15}. I made a mistake in the last step.\n\n**Final Answer**\n\\boxed{7}", "7", 1.0),
    (COT_ALGEBRA, "So \\boxed{-15}. Hmm, I made an error there.\n\nFinal answer: the value is 7.", "7", 1.0),
    (
        COT_ALGEBRA,
        "So \\boxed{7}. Wait, I made an error: I misread the sign.\n\nFinal answer: $\\boxed{-15}$",
        "7",
        0.0,
    ),
    (
        COT_GEOMETRY,
        "So \\boxed{6.5}. I was wrong, the question asks for the incircle. Final answer: \\boxed{4\\pi}",
        "4\\pi",
        1.0,
    ),
    (
        COT_ALGEBRA,
        "So $\\boxed{-15}$.\n\nWait, that's wrong: I forgot to add 22.\n\nFinal answer: $\\boxed{7}$",
        "7",
        1.0,
    ),
    (
        COT_ALGEBRA,
        "So $\\boxed{-15}$.\n\nHmm, I made an error in the last step.\n\n**Final Answer**\n\n$\\boxed{7}$",
        "7",
        1.0,
    ),
    (COT_ALGEBRA, "So \\boxed{-15}. That's incorrect; I forgot the 22. Final answer: \\boxed{7}", "7", 1.0),
    (COT_ALGEBRA, "So \\boxed{-15}. Wait, that's wrong. The correct answer is \\boxed{7}.", "7", 1.0),
    (COT_ALGEBRA, "So \\boxed{-15}. I realize I made a sign error. **Final Answer:** \\boxed{7}", "7", 1.0),
    (COT_ALGEBRA, "So \\boxed{-15}. Oh no, I messed up the sign. Final answer: \\boxed{7}", "7", 1.0),
    (COT_ALGEBRA, "So \\boxed{-15}. Hmm, that can't be right: 22 is missing. Final answer: \\boxed{7}", "7", 1.0),
    (COT_ALGEBRA, "So \\boxed{-15}. My previous answer was wrong. Final answer: \\boxed{7}", "7", 1.0),
    (COT_ALGEBRA, "The answer is -15. Wait, that's wrong. Final answer: \\boxed{7}", "7", 1.0),
    (COT_ALGEBRA, "The answer is -15.\n\nWait, I made an error. Final answer: 7", "7", 1.0),
    (COT_ALGEBRA, "So \\boxed{-15}. I made an error. Final answer: \\boxed{-15}", "7", 0.0),
    (COT_ALGEBRA, "So \\boxed{-15}. My mistake: 22 is still to be added. Final answer: \\boxed{7}", "7", 1.0),
    (COT_ALGEBRA, "So \\boxed{-15}. I see the error now. Final answer: \\boxed{7}", "7", 1.0),
    (COT_ALGEBRA, "So \\boxed{-15}. There is an error in the last step. Final answer: \\boxed{7}", "7", 1.0),
    (COT_ALGEBRA, "So \\boxed{-15}. I've made an arithmetic slip. Final answer: \\boxed{7}", "7", 1.0),
    (COT_ALGEBRA, "Final answer: 8. Wait, I made an error. Final answer: 7", "7", 1.0),
    (COT_ALGEBRA, "Final answer: -15. That's wrong, I forgot 22. The correct answer is 7.", "7", 1.0),
    (COT_ALGEBRA, "Final answer: -15\n\nWait, that's incorrect.\n\n**Final Answer**\n7", "7", 1.0),
    (COT_ALGEBRA, "Final answer: 7. Double-check: 3(-5)+22 = 7. Final answer: 7", "7", 1.0),
    (COT_ALGEBRA, "Final answer: seven. Final answer: 7", "7", 1.0),
    (COT_ALGEBRA, "The problem's final answer is said to be 10. The answer is 7.", "7", 1.0),
    (COT_ALGEBRA, "So \\boxed{-15}. Oops: the 22 is missing. Final answer: \\boxed{7}", "7", 1.0),
    (COT_ALGEBRA, "So \\boxed{-15}. I forgot to add 22. Final answer: \\boxed{7}", "7", 1.0),
    (COT_ALGEBRA, "So \\boxed{-15}. I was mistaken. Final answer: \\boxed{7}", "7", 1.0),
]

HEDGED_CORRECTIONS = [
    # several answers without an explicit, untentative retraction between them stay a hedge
    (COT_ALGEBRA, "So $\\boxed{-15}$.\n\nFinal answer: $\\boxed{7}$", "7"),
    (COT_ALGEBRA, "So $\\boxed{-15}$. Maybe I made an error. Final answer: $\\boxed{7}$", "7"),
    (COT_ALGEBRA, "So $\\boxed{-15}$. If I made an error, then final answer: $\\boxed{7}$", "7"),
    (COT_ALGEBRA, "So $\\boxed{-15}$. I made an error. Or not. It is \\boxed{7}", "7"),
    (COT_ALGEBRA, "So $\\boxed{-15}$. Wait, I made an error. Final answer: $\\boxed{7}$ or $\\boxed{8}$", "7"),
    (COT_ALGEBRA, "Final answer: \\boxed{7} (or \\boxed{-15} if I made an error)", "7"),
    (COT_ALGEBRA, "\\boxed{7}. I made an error. \\boxed{8}. Final answer: \\boxed{7}", "7"),
    (COT_ALGEBRA, "So $\\boxed{-15}$. Or maybe $\\boxed{7}$.", "7"),
    (COT_ALGEBRA, "So $\\boxed{-15}$. Hmm. $\\boxed{7}$", "7"),
    (COT_ALGEBRA, "So $\\boxed{-15}$. Perhaps that's wrong. Final answer: $\\boxed{7}$", "7"),
    (COT_ALGEBRA, "So $\\boxed{-15}$. Hmm, I might have made a mistake. Final answer: $\\boxed{7}$", "7"),
    (COT_ALGEBRA, "So \\boxed{-15}. That doesn't seem right. Final answer: \\boxed{7}", "7"),
    (COT_ALGEBRA, "So \\boxed{-15}. Actually, the correct answer is \\boxed{7}.", "7"),
    (COT_ALGEBRA, "Final answer: \\boxed{7}. Final answer: \\boxed{8}", "7"),
    (COT_ALGEBRA, "The answer is \\boxed{7}. Alternatively, the answer is \\boxed{8}.", "7"),
    (COT_ALGEBRA, "So \\boxed{-15}. Wait, that's wrong. Final answer: \\boxed{7}. Hmm, or \\boxed{-15}.", "7"),
    (COT_ALGEBRA, "So \\boxed{-15}. Wait, that's wrong. Final answer: \\boxed{7}, or maybe 8.", "7"),
    (COT_ALGEBRA, "So \\boxed{-15}. Wait, I made an error. Final answer: 7 or 8", "7"),
    (COT_ALGEBRA, "So \\boxed{-15}. Have I made a mistake? Final answer: \\boxed{7}", "7"),
    (COT_ALGEBRA, "Final answer: 8. Wait, I made an error. So the answer is 7", "7"),
    (COT_ALGEBRA, "So \\boxed{-15}. If I forgot to add 22, final answer: \\boxed{7}", "7"),
]


@pytest.mark.parametrize(("cot", "ending", "reference", "expected"), CORRECTIONS)
def test_explicit_self_correction_yields_final_answers_score(
    cot: str, ending: str, reference: str, expected: float
) -> None:
    status, score, reason = judge(cot + "\n" + ending, reference)
    assert (status, score) == (Status.OK, expected), reason


@pytest.mark.parametrize(("cot", "ending", "reference"), HEDGED_CORRECTIONS)
def test_several_answers_without_explicit_correction_yield_0(cot: str, ending: str, reference: str) -> None:
    status, score, reason = judge(cot + "\n" + ending, reference)
    assert (status, score) == (Status.OK, 0.0), reason


FORMS = [
    # (ending, reference, expected): the same value in another form, and near misses
    ("The answer is five.", "5", 1.0),
    ("The answer is twenty-one apples.", "21", 1.0),
    ("The answer is one hundred and five.", "105", 1.0),
    ("The answer is minus three.", "-3", 1.0),
    ("So $\\boxed{\\text{five}}$.", "5", 1.0),
    ("The answer is six.", "5", 0.0),
    ("The answer is two thirds.", "2", 0.0),
    ("The answer is two thirds.", "\\frac{2}{3}", 1.0),
    ("So x = -1 or x = 5.", "-1, 5", 1.0),
    ("The solutions are $x = -1$ or $x = 5$.", "-1, 5", 1.0),
    ("So $\\boxed{x = -1 \\text{ or } x = 5}$.", "\\{-1, 5\\}", 1.0),
    ("So $\\boxed{x = -1 \\text{ or } x = 4}$.", "-1, 5", 0.0),
    ("So $\\boxed{e^{i\\pi}}$.", "-1", 1.0),
    ("So $\\boxed{e^{i\\pi}}$.", "1", 0.0),
    ("So $\\boxed{i^2}$.", "-1", 1.0),
    ("So $\\boxed{x^2}$.", "-1", 0.0),
    ("The answer is 2 and 3.", "2, 3", 1.0),
    ("So x = 2 and y = 3.", "x=2, y=3", 1.0),
    ("The answer is 7 or seven.", "7", 1.0),
    ("Thus, the total is $\\$7$.", "7", 1.0),
    ("#### 7", "7", 1.0),
    ("So the value is $-\\frac{10}{9}$.", "-10/9", 1.0),
    ("So there are five.", "5", 1.0),
    ("There are twenty one such numbers.", "21", 1.0),
    ("**Answer:** five", "5", 1.0),
    ("\\boxed{\\text{twenty-one}}", "21", 1.0),
    ("The answer is one half.", "1/2", 1.0),
    ("The answer is one half.", "1", 0.0),
    ("The answer is one-half.", "\\frac{1}{2}", 1.0),
    ("The answer is a half.", "0.5", 1.0),
    ("The probability is three quarters.", "3/4", 1.0),
    ("The probability is one third.", "3", 0.0),
    ("So it is three and a half.", "7/2", 1.0),
    ("The answer is negative five.", "-5", 1.0),
    ("The answer is $e^{\\pi i}$.", "-1", 1.0),
    ("\\boxed{-e^{i\\pi}}", "1", 1.0),
    ("\\boxed{e^{i\\pi}+1}", "0", 1.0),
    ("\\boxed{\\cos\\pi + i\\sin\\pi}", "-1", 1.0),
    ("\\boxed{-1}", "e^{i\\pi}", 1.0),
    ("The answer is 7 \u2014 perhaps 8.", "7", 0.0),
    ("The answer is e^{i\\pi}.", "-1", 1.0),
    ("The answer is e^{i\\pi}.", "1", 0.0),
    ("The solutions are -1 and 5.", "\\{5\\}", 0.0),
    ("The solutions are -1 and 5.", "\\{-1, 5\\}", 1.0),
    ("The roots are 5, -1.", "-1", 0.0),
]


@pytest.mark.parametrize(("ending", "reference", "expected"), FORMS)
def test_equivalent_form_yields_expected(ending: str, reference: str, expected: float) -> None:
    status, score, reason = judge(COT_ALGEBRA + "\n" + ending, reference)
    assert (status, score) == (Status.OK, expected), reason


RETRACTED = [
    # an explicit correction after the last boxed answer retracts it: only a final answer after it counts
    (COT_ALGEBRA, "Final answer: \\boxed{7}. Wait, I made an error. The answer is 8.", "7", 0.0),
    (COT_ALGEBRA, "Final answer: \\boxed{7}. Hmm, that was wrong.", "7", 0.0),
    (COT_ALGEBRA, "Final answer: \\boxed{8}. Wait, I made an error.\n\nFinal answer: 7", "7", 1.0),
    (COT_ALGEBRA, "Final answer: \\boxed{7}. If I made an error, it is in the sign.", "7", 1.0),
    (COT_ALGEBRA, "Final answer: \\boxed{7}. Have I made a mistake? No, it checks out.", "7", 1.0),
]


@pytest.mark.parametrize(("cot", "ending", "reference", "expected"), RETRACTED)
def test_retracted_boxed_answer_yields_expected(cot: str, ending: str, reference: str, expected: float) -> None:
    status, score, reason = judge(cot + "\n" + ending, reference)
    assert (status, score) == (Status.OK, expected), reason


ANSWER_STATEMENTS = [
    # (CoT, ending, reference, expected): one answer stated, a candidate beside it, repeated bare numbers
    (COT_ALGEBRA, "The answer is 7.", "7", 1.0),
    (COT_ALGEBRA, "So the quantity asked for is 7", "7", 1.0),
    (COT_ALGEBRA, "Hence it is 7", "7", 1.0),
    (COT_ALGEBRA, "The answer is 7, with 8 being the other candidate.", "7", 0.0),
    (COT_ALGEBRA, "The answer is 7, with 8 as the other candidate", "7", 0.0),
    (COT_ALGEBRA, "So the value is \\boxed{7}, with 8 being the other candidate.", "7", 0.0),
    (COT_ALGEBRA, "Thus the value is 7, and 8 is also possible.", "7", 0.0),
    (COT_ALGEBRA, "The answer is 7 (another possible answer is 8).", "7", 0.0),
    (COT_ALGEBRA, "The answer is 7. 8 was the other candidate, but it fails the check.", "7", 1.0),
    (COT_ALGEBRA, "The answer is 7, the only candidate left.", "7", 1.0),
    (COT_ALGEBRA, "\\boxed{12}, with -3 being the other solution.", "12", 0.0),
    (COT_ALGEBRA, "\\boxed{12}. The other solution is -3, but a length must be positive.", "12", 1.0),
    (COT_ALGEBRA, "\\boxed{12}. The other solution is -3, which we discard.", "12", 1.0),
    (COT_ALGEBRA, "The answer is 7, the largest of the 3 candidates.", "7", 1.0),
    # repeated bare numbers: a spray, never an answer, even when every number is the reference
    (COT_ALGEBRA, "7 7 7 7", "7", 0.0),
    (COT_ALGEBRA, "The answer is 7 7 7 7.", "7", 0.0),
    (COT_ALGEBRA, "\\boxed{7 7 7 7}", "7", 0.0),
    (COT_ALGEBRA, "\\boxed{7\\ 7\\ 7}", "7", 0.0),
    (COT_ALGEBRA, "The answer is 7 000.", "7000", 1.0),
]


@pytest.mark.parametrize(("cot", "ending", "reference", "expected"), ANSWER_STATEMENTS)
def test_stated_answer_beside_candidates_or_repeats_yields_expected(
    cot: str, ending: str, reference: str, expected: float
) -> None:
    status, score, reason = judge(cot + "\n" + ending, reference)
    assert (status, score) == (Status.OK, expected), reason


ROOTS_AGAINST_SETS = [
    # (ending, reference, expected): roots named x_1, x_2 against a reference equation or set
    ("So the roots are x_1 = -1 and x_2 = 5.", "x = -1 or x = 5", 1.0),
    ("So the roots are x_1 = -1 and x_2 = 5.", "-1, 5", 1.0),
    ("So the roots are x_1 = -1 and x_2 = 5.", "\\{-1, 5\\}", 1.0),
    ("The roots are $x_1 = -1$ and $x_2 = 5$.", "\\{-1, 5\\}", 1.0),
    ("\\boxed{x_1 = 5,\\ x_2 = -1}", "x = -1 \\text{ or } x = 5", 1.0),
    ("So the roots are x_{1} = 5 and x_{2} = -1.", "-1, 5", 1.0),
    ("So the roots are x_1 = -1 and x_2 = 6.", "-1, 5", 0.0),
    ("So the root is x_1 = -1.", "-1, 5", 0.0),
    ("So the roots are x_1 = -1, x_2 = 5 and x_3 = 0.", "-1, 5", 0.0),
]


@pytest.mark.parametrize(("ending", "reference", "expected"), ROOTS_AGAINST_SETS)
def test_named_roots_against_set_reference_yield_expected(ending: str, reference: str, expected: float) -> None:
    status, score, reason = judge(COT_ALGEBRA + "\n" + ending, reference)
    assert (status, score) == (Status.OK, expected), reason


PI_MULTIPLES = [
    # (ending, reference, expected): a multiple of pi as a fraction, a quotient or a decimal coefficient
    ("So the angle is \\pi/8.", "0.125\\pi", 1.0),
    ("The answer is \\pi/8.", "0.125\\pi", 1.0),
    ("\\boxed{\\frac{\\pi}{8}}", "0.125\\pi", 1.0),
    ("\\boxed{0.125\\pi}", "\\pi/8", 1.0),
    ("\\boxed{\\tfrac18\\pi}", "0.125\\pi", 1.0),
    ("\\boxed{\\pi/4}", "0.125\\pi", 0.0),
    ("\\boxed{0.125}", "\\pi/8", 0.0),
]


@pytest.mark.parametrize(("ending", "reference", "expected"), PI_MULTIPLES)
def test_pi_multiple_forms_yield_expected(ending: str, reference: str, expected: float) -> None:
    status, score, reason = judge(COT_GEOMETRY + "\n" + ending, reference)
    assert (status, score) == (Status.OK, expected), reason


INTERVAL_UNIONS = [
    # (ending, reference, expected): a union of intervals against conditions joined by "or", both ways
    ("\\boxed{(-\\infty,-13)\\cup(17,\\infty)}", "x < -13 or x > 17", 1.0),
    ("\\boxed{(-\\infty,-13)\\cup(17,\\infty)}", "x < -13 \\text{ or } x > 17", 1.0),
    ("$x \\in \\boxed{(17, \\infty) \\cup (-\\infty, -13)}$", "x < -13 or x > 17", 1.0),
    ("\\boxed{x < -13 \\text{ or } x > 17}", "(-\\infty,-13)\\cup(17,\\infty)", 1.0),
    ("So x < -13 or x > 17.", "(-\\infty,-13)\\cup(17,\\infty)", 1.0),
    ("The answer is x < -13 or x > 17.", "(-\\infty,-13)\\cup(17,\\infty)", 1.0),
    ("\\boxed{(-\\infty,-13]\\cup(17,\\infty)}", "x < -13 or x > 17", 0.0),
    ("\\boxed{(-\\infty,-13)}", "x < -13 or x > 17", 0.0),
    ("\\boxed{(-13, 17)}", "x < -13 or x > 17", 0.0),
    ("\\boxed{x < -13 \\text{ or } x > 18}", "(-\\infty,-13)\\cup(17,\\infty)", 0.0),
]


@pytest.mark.parametrize(("ending", "reference", "expected"), INTERVAL_UNIONS)
def test_interval_union_against_or_conditions_yields_expected(ending: str, reference: str, expected: float) -> None:
    status, score, reason = judge(COT_ALGEBRA + "\n" + ending, reference)
    assert (status, score) == (Status.OK, expected), reason
