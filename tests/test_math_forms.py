"""Math verifier: the same number written many ways (fractions, roots, pi, percent, units...)."""

from __future__ import annotations

import pytest

from rewards.item import Item
from rewards.math_verifier import MathParams, math
from rewards.verdict import Status


def score(completion: str, reference: str, **params: object) -> float | None:
    verdict = math(Item(completion=completion, reference=reference), MathParams(**params))  # type: ignore[arg-type]
    assert verdict.status is Status.OK, verdict.reason
    assert verdict.reason.startswith("extracted") or verdict.reason.startswith("no answer")
    return verdict.score


EQUIVALENT = [
    # fractions in every spelling
    ("The probability is $\\frac{3}{8}$, so the answer is $\\boxed{\\frac{3}{8}}$.", "3/8"),
    ("Simplifying, $\\frac{6}{16} = \\dfrac{3}{8}$.\n\nFinal answer: $\\boxed{\\dfrac{3}{8}}$", "\\frac{3}{8}"),
    ("Thus the ratio is $\\boxed{\\tfrac38}$.", "0.375"),
    ("We get 3/8 of the pie, i.e. \\boxed{3/8}.", "\\frac38"),
    ("So $x = \\boxed{0.375}$.", "\\frac{3}{8}"),
    ("Dividing gives $\\boxed{-\\frac{10}{9}}$.", "-10/9"),
    ("The slope is $\\boxed{\\frac{-10}{9}}$.", "-\\frac{10}{9}"),
    ("Hence $\\boxed{\\cfrac{1}{3}}$.", "0.3333333"),
    ("The value is $\\boxed{\\frac{14}{3}}$.", "4\\frac{2}{3}"),
    ("$2+\\frac{5}{3}+1=\\boxed{\\frac{14}{3}}$", "\\frac{28}{6}"),
    # square roots
    ("The distance is $\\sqrt{117} = \\boxed{3\\sqrt{13}}$.", "3\\sqrt{13}"),
    ("So the side is $\\boxed{\\sqrt{117}}$.", "3\\sqrt{13}"),
    ("Rationalising, $\\frac{1}{\\sqrt2}=\\boxed{\\frac{\\sqrt{2}}{2}}$.", "\\frac{1}{\\sqrt{2}}"),
    ("The answer is $\\boxed{\\sqrt 2+\\sqrt 5}$", "\\sqrt{2}+\\sqrt{5}"),
    ("Therefore $r = \\boxed{2\\sqrt[3]{2}}$.", "\\sqrt[3]{16}"),
    ("The roots are $x = \\boxed{1 \\pm \\sqrt{19}}$.", "1\\pm\\sqrt{19}"),
    # pi
    ("The area is $\\boxed{\\frac{9}{4}\\pi}$ square units.", "\\frac{9\\pi}{4}"),
    ("So the circumference is $\\boxed{6\\pi}$.", "6\\pi"),
    ("The volume is $\\boxed{\\frac{4\\pi}{3}}$.", "\\frac{4}{3}\\pi"),
    ("The angle is $\\boxed{\\pi/2}$ radians.", "\\frac{\\pi}{2}"),
    # percent
    ("A 10% loss then a 20% loss leaves 72%, a total loss of $\\boxed{28\\%}$.", "28\\%"),
    ("So the percentage is \\boxed{28}.", "28\\%"),
    ("The final answer is 28 percent.", "28\\%"),
    ("The rate is $\\boxed{0.28}$.", "28\\%"),
    ("It increases by $\\boxed{12.5\\%}$.", "12.5\\%"),
    # degrees
    ("Hence the angle between the lines is $\\boxed{90^\\circ}$.", "90^\\circ"),
    ("The angle is \\boxed{45}.", "45^{\\circ}"),
    ("$\\angle BAC = 50^\\circ + 40^\\circ = \\boxed{90^{\\circ}}$", "90"),
    ("Each interior angle measures $\\boxed{108°}$.", "108^\\circ"),
    # units and \text
    ("The distance is $\\boxed{125\\textnormal{ miles}}$.", "125"),
    ("The area is $\\boxed{15\\mbox{ cm}^2}$.", "15"),
    ("So she pays $\\boxed{\\$7.78}$.", "7.78"),
    ("The total cost is \\boxed{10 \\text{ dollars}}.", "10"),
    ("It takes $\\boxed{3\\text{ hours}}$.", "3 \\text{ hours}"),
    ("The answer is $\\boxed{10}$.", "10\\text{ units}"),
    # thousands separators
    ("Summing, we get $\\boxed{7,425,000}$.", "7425000"),
    ("The count is $\\boxed{11,\\!111,\\!111,\\!100}$.", "11111111100"),
    ("The smallest value of $N$ is $\\boxed{14{,}916}$.", "14916"),
    ("The population is \\boxed{1\\,000\\,000}.", "1000000"),
    ("Total: $\\boxed{12,000,023}$", "12000023"),
    # decimals and integers
    ("The answer is $\\boxed{.1}$.", "0.1"),
    ("So $n = \\boxed{1000.0}$.", "1000"),
    ("The root is $\\boxed{-5}$.", "-5"),
    ("The total is $\\boxed{16386.17}$ dollars.", "16386.17"),
    ("So $x = \\boxed{0.0833333333}$", "\\frac{1}{12}"),
    # scientific notation
    ("The speed is $\\boxed{3 \\times 10^{8}}$ m/s.", "300000000"),
    ("Avogadro-sized: $\\boxed{6.02\\times10^{23}}$", "6.02 \\times 10^{23}"),
    ("The charge is $\\boxed{1.6 \\times 10^{-19}}$ C.", "1.6e-19"),
    ("The mass is \\boxed{2.5 \\cdot 10^3} kg.", "2500"),
    # algebraic forms
    ("Thus $x-p=\\boxed{2-2p}$.", "2-2p"),
    ("Expanding, $\\boxed{x^2+5x+6}$.", "(x+2)(x+3)"),
    ("The answer is $\\boxed{(x-2)(x+2)}$.", "\\left(x-2\\right)\\left(x+2\\right)"),
    ("So the expression equals $\\boxed{\\sec^2 y}$.", "\\tan^2(y)+1"),
    ("By sum-to-product, $\\boxed{2 \\sin b \\cos a}$.", "2\\cos a \\sin b"),
    ("The answer is $\\boxed{\\frac{9a+11}{20}}$.", "\\frac{11+9a}{20}"),
    ("The answer is $\\boxed{\\dfrac{3m - 2}{2}}$", "\\frac{3 m}{2}-1"),
    ("So $\\log_2 8 = \\boxed{3}$.", "3"),
    ("The sum is $\\boxed{2^{10}}$.", "1024"),
    ("The base-5 quotient is $\\boxed{204_5}$.", "204_5"),
    ("The answer is $\\boxed{\\frac{3}{4}i}$.", "\\frac34i"),
    ("Rationalising gives $\\boxed{\\frac{\\sqrt{3}}{3}}$.", "\\frac{1}{\\sqrt{3}}"),
    ("So the diagonal is $\\boxed{2\\sqrt{2}}$.", "\\sqrt{8}"),
    ("So the length is $\\boxed{\\text{5 cm}}$.", "5"),
    ("The length is $\\boxed{5}$ cm.", "5 \\text{ cm}"),
    ("She has $\\boxed{12 apples}$ left.", "12"),
    ("So the share is $\\boxed{50\\%}$.", "0.5"),
    ("The probability is $\\boxed{\\frac{1}{2}}$.", "50\\%"),
    ("Europeans write it $\\boxed{1,5}$.", "1.5"),
    ("So $p = \\boxed{2.5 \\times 10^{-3}}$.", "0.0025"),
    ("The count is $\\boxed{6.02e23}$.", "6.02\\times10^{23}"),
    ("It costs $\\boxed{\\$1,000}$.", "1000"),
    ("As a fraction, $\\boxed{0.\\overline{3}}$.", "\\frac13"),
    ("So the exponent is $\\boxed{\\log_2 8}$.", "3"),
    ("The mean is $\\boxed{0.50}$.", "0.5"),
    ("So $x = \\boxed{+5}$.", "5"),
    ("We find $\\boxed{\\frac{10}{2}}$.", "5"),
    # unicode spellings
    ("Half of it: \\boxed{½}", "0.5"),
    ("The side is \\boxed{√2}.", "\\sqrt{2}"),
    ("The area is \\boxed{3π}.", "3\\pi"),
    ("So the result is \\boxed{−5}.", "-5"),
    ("The height is \\boxed{√3/2}.", "\\frac{\\sqrt3}{2}"),
    ("The answer is ２４", "24"),
    ("The polynomial is \\boxed{2x²+1}.", "2x^2+1"),
    ("The step is \\boxed{10⁻³}.", "0.001"),
]

DIFFERENT = [
    ("So the answer is $\\boxed{\\frac{64}{400}}$.", "\\frac{63}{400}"),
    ("The probability is $\\boxed{\\frac{3}{7}}$.", "\\frac{3}{8}"),
    ("Therefore $\\boxed{0.38}$.", "\\frac{3}{8}"),
    ("The distance is $\\boxed{3\\sqrt{12}}$.", "3\\sqrt{13}"),
    ("The side is $\\boxed{4\\sqrt{2}}$.", "4"),
    ("The area is $\\boxed{\\frac{9}{2}\\pi}$.", "\\frac{9\\pi}{4}"),
    ("The area is $\\boxed{9\\pi}$.", "9"),
    ("The loss is $\\boxed{27\\%}$.", "28\\%"),
    ("The angle is $\\boxed{60^\\circ}$.", "45^\\circ"),
    ("The distance is $\\boxed{126 \\text{ miles}}$.", "125"),
    ("Summing, we get $\\boxed{7,425,001}$.", "7425000"),
    ("The speed is $\\boxed{3 \\times 10^{7}}$ m/s.", "300000000"),
    ("The root is $\\boxed{5}$.", "-5"),
    ("So the sum is $\\boxed{1 + \\frac{1}{e}}$.", "1-\\frac{1}{\\mathrm{e}}"),
    ("Expanding, $\\boxed{x^2+5x+5}$.", "(x+2)(x+3)"),
    ("The answer is $\\boxed{\\frac{9a+8}{20}}$.", "\\frac{11+9a}{20}"),
    ("The answer is $\\boxed{2^{11}}$.", "1024"),
    ("Hence $\\boxed{\\frac{1+\\sqrt{5}}{2}}$.", "2"),
    ("The value is $\\boxed{1000.5}$.", "1000"),
    ("So $x=\\boxed{0.45}$.", "0.458"),
    ("So the ratio is $\\boxed{3.14}$.", "\\pi"),
    ("As a fraction, $\\boxed{0.\\overline{6}}$.", "\\frac13"),
    ("The count is $\\boxed{6.02e22}$.", "6.02\\times10^{23}"),
    ("So the share is $\\boxed{5\\%}$.", "0.5"),
    ("So $\\boxed{\\frac123}$.", "4"),  # never 12/3: \\frac without braces takes one digit per argument
    ("The polynomial is \\boxed{x²}.", "2x"),
]


@pytest.mark.parametrize(("completion", "reference"), EQUIVALENT)
def test_equivalent_spelling_yields_1(completion: str, reference: str) -> None:
    assert score(completion, reference) == 1.0


@pytest.mark.parametrize(("completion", "reference"), DIFFERENT)
def test_different_value_yields_0(completion: str, reference: str) -> None:
    assert score(completion, reference) == 0.0


ROUNDED_REFERENCE = [
    # an exact answer against a reference rounded to 3+ significant digits
    ("\\boxed{\\dfrac{27}{59}}", "0.458", 1.0),
    ("\\boxed{\\dfrac{1}{15}}", "6.67\\%", 1.0),
    ("\\boxed{\\frac{1 + \\sqrt{97}}{8}}", "1.36", 1.0),
    ("\\boxed{\\dfrac{31}{60}}", "0.458", 0.0),
    ("\\boxed{\\frac{31031}{7776}}", "3.99", 1.0),
    ("\\boxed{\\frac{1}{3}}", "33.3\\%", 1.0),
    ("\\boxed{\\frac{1}{4}}", "33.3\\%", 0.0),
    ("\\boxed{\\sqrt{2}}", "1.41", 1.0),
    # too few significant digits in the reference: no rounding leniency
    ("\\boxed{\\frac{5}{11}}", "0.5", 0.0),
    # the model's own decimal must be right to the reference's precision
    ("\\boxed{0.46}", "0.458", 0.0),
]


@pytest.mark.parametrize(("completion", "reference", "expected"), ROUNDED_REFERENCE)
def test_exact_answer_against_rounded_reference_yields_expected(completion: str, reference: str,
                                                                expected: float) -> None:
    assert score(f"Computing carefully, the result is {completion}.", reference) == expected


def test_float_rounding_param_decides_close_decimals() -> None:
    completion = "The mean is $\\boxed{0.3333}$."
    assert score(completion, "\\frac{1}{3}") == 0.0
    assert score(completion, "\\frac{1}{3}", float_rounding=4) == 1.0
