"""Math verifier: intervals, sets, tuples, matrices, equations, choice letters and text answers."""

from __future__ import annotations

import pytest

from rewards.item import Item
from rewards.math_verifier import MathParams, math
from rewards.verdict import Status


def score(completion: str, reference: str) -> float | None:
    verdict = math(Item(completion=completion, reference=reference), MathParams())
    assert verdict.status is Status.OK, verdict.reason
    return verdict.score


EQUIVALENT = [
    # intervals, and the same set written as an inequality
    ("The function is defined for $x \\in \\boxed{[-4, 0]}$.", "[-4,0]"),
    ("So the solution set is $\\boxed{(-\\infty, 2]}$.", "a \\leqslant 2"),
    ("So $\\boxed{0.5 \\leq x \\leq 8}$.", "[\\frac{1}{2}, 8]"),
    ("We need $\\boxed{-2 \\le x \\le 7}$.", "x \\in [-2,7]"),
    ("The domain is $\\boxed{(2,12) \\cup (12,102)}$.", "(2, 12) \\cup (12, 102)"),
    ("Hence $\\boxed{(-1, 1)}$.", "\\{x \\mid -1 < x < 1\\}"),
    ("The range is $\\boxed{[-1, -\\tfrac12) \\cup (-\\tfrac12, 0)}$.", "[-1,-\\frac{1}{2})\\cup(-\\frac{1}{2},0)"),
    ("It holds for $\\boxed{x > 3}$.", "(3, \\infty)"),
    # sets: order does not matter
    ("The integer roots are $\\boxed{-2, 1}$.", "1,-2"),
    ("The solutions are $\\boxed{\\{1, 3, 5\\}}$.", "\\{5, 3, 1\\}"),
    ("The roots are $\\boxed{\\{1\\pm\\sqrt{5},-2\\}}$.", "\\{-2, 1+\\sqrt{5}, 1-\\sqrt{5}\\}"),
    ("So $x = \\boxed{\\pm 3}$.", "3, -3"),
    ("The pairs are $\\boxed{(2, 1), (1, 2)}$.", "(1,2),(2,1)"),
    ("The values are $\\boxed{4, 8}$.", "8,4"),
    ("Solutions: $\\boxed{(3,0), (-3,1)}$", "(3,0),(-3,1)"),
    # tuples: order matters
    ("Thus $(p,q) = \\boxed{\\left( \\frac{1}{5}, \\frac{1}{6} \\right)}$.",
     "\\left(\\frac{1}{5},\\frac{1}{6}\\right)"),
    ("The polar coordinates are $\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}$.", "(3, \\frac{\\pi}{2})"),
    ("The point is $\\boxed{(1, 4.5)}$.", "(1,\\frac{9}{2})"),
    ("We find $(p,q,r) = \\boxed{(6,31,-1)}$.", "(6,31,-1)"),
    ("So the answer is $\\boxed{(3,2,7)}$.", "(p,q,r)=(3,2,7)"),
    # matrices and vectors
    ("$\\boxed{\\begin{pmatrix} 0 & 3 \\\\ 0 & -1 \\end{pmatrix}}$",
     "\\begin{pmatrix} 0 & 3 \\\\ 0 & -1 \\end{pmatrix}"),
    ("The zero matrix: $\\boxed{\\begin{pmatrix}0 & 0 \\\\0 & 0\\end{pmatrix}}$",
     "\\begin{bmatrix}0 & 0 \\\\0 & 0\\end{bmatrix}"),
    ("$\\boxed{\\left[\\begin{array}{cc}1 & 2 \\\\3 & 4\\end{array}\\right]}$",
     "\\begin{pmatrix}1 & 2 \\\\3 & 4\\end{pmatrix}"),
    ("The vector is $\\boxed{(-7, 16, 5)}$.", "\\begin{pmatrix} -7 \\\\ 16 \\\\ 5 \\end{pmatrix}"),
    ("$\\boxed{\\begin{pmatrix} \\frac12 \\\\ 0.25 \\end{pmatrix}}$",
     "\\begin{pmatrix} 0.5 \\\\ \\frac{1}{4} \\end{pmatrix}"),
    # equations and relations
    ("Therefore $\\boxed{x = 5}$.", "5"),
    ("So the answer is $\\boxed{5}$.", "x=5"),
    ("We get $\\boxed{k=1}$.", "k = 1"),
    ("The plane is $\\boxed{x-2y+z-1=0}$.", "x-2y+z-1=0"),
    ("The line is $\\boxed{y=-\\frac{1}{2}x+\\frac{3}{4}}$.", "2x+4y-3=0"),
    ("The ellipse is $\\boxed{\\frac{x^2}{16} + \\frac{y^2}{12} = \\frac14}$.", "x^2/4 + y^2/3 = 1"),
    ("Hence $\\boxed{x \\geq 5}$.", "x >= 5"),
    ("We find $\\boxed{5 \\geq x}$.", "x \\leq 5"),
    ("The answer is $\\boxed{f(x)=2x}$.", "f(x)=2 x"),
    ("The function is $\\boxed{f(x) = x}$.", "f(z)=z"),
    ("All solutions are $\\boxed{n\\pi}$.", "x = k\\pi"),
    ("The integral is $\\boxed{-x + \\frac{4}{\\sqrt{5}} \\tan^{-1}\\left( \\frac{\\tan x}{\\sqrt{5}} \\right) + C}$",
     "-x + \\frac{4}{\\sqrt{5}} \\arctan \\left( \\frac{\\tan x}{\\sqrt{5}} \\right) + C"),
    # multiple-choice letters
    ("Comparing the options, the correct choice is $\\boxed{\\text{(C)}}$.", "C"),
    ("The answer is \\boxed{B}.", "(B)"),
    ("So we pick $\\boxed{(D)}$.", "\\text{D}"),
    ("Only option E works: $\\boxed{\\textbf{(E)}}$", "E"),
    ("The answer is (A).", "A"),
    ("The correct option is \\boxed{B) 42}.", "B"),
    # text answers
    ("Evelyn's speed is greatest, so $\\boxed{\\text{Evelyn}}$ is our answer.", "\\text{Evelyn}"),
    ("The sum of two odd numbers is even, so the answer is $\\boxed{\\text{even}}$.", "\\text{Even}"),
    ("So the last token goes to $\\boxed{Petya}$.", "Petya will receive the last token."),
    ("Thus $\\boxed{\\text{Yes}}$, it is possible.", "Yes"),
    ("The shape is \\boxed{\\text{The midpoints form a regular hexagon}}",
     "\\text{The midpoints form a regular hexagon}"),
    ("The order is $\\boxed{b, a, d, c}$.", "b < a < d < c"),
    ("Solving the system, $\\boxed{x=2, y=3}$.", "(2,3)"),
    ("The intersection is $\\boxed{(2,3)}$.", "x=2, y=3"),
    ("So $\\boxed{x \\in (0, 1)}$.", "(0,1)"),
    ("The range is $\\boxed{(0, 1)}$.", "0<f(x)<1"),
    ("The solution is $\\boxed{x<0 \\text{ or } x>1}$.", "(-\\infty,0)\\cup(1,\\infty)"),
    ("No real solution: $\\boxed{\\emptyset}$.", "\\varnothing"),
    ("The limit is $\\boxed{\\infty}$.", "\\infty"),
    ("So $\\boxed{\\text{No}}$, it cannot be done.", "No"),
    ("Therefore the answer is $\\boxed{no}$.", "No"),
    ("As a row vector, $\\boxed{\\begin{pmatrix} 1 & 2 & 3 \\end{pmatrix}}$.", "(1,2,3)"),
    ("The vector is $\\boxed{\\langle 1, 2, 3 \\rangle}$.", "(1,2,3)"),
    ("So the set is $\\boxed{(2, \\infty)}$.", "\\{x \\in \\mathbb{R} \\mid x > 2\\}"),
    ("So the set is $\\boxed{(2, \\infty)}$.", "\\{x : x > 2\\}"),
    ("Both conditions give $\\boxed{[2,5)}$.", "x \\geq 2 \\text{ and } x < 5"),
    ("From greatest to least: $\\boxed{c, a, b}$.", "c > a > b"),
    ("The general solution is $\\boxed{\\frac{\\pi}{2}+n\\pi}$.", "x = \\frac{\\pi}{2} + k\\pi, k \\in \\mathbb{Z}"),
    ("All solutions: $\\boxed{2n\\pi \\quad (n \\in \\mathbb{Z})}$.", "2k\\pi"),
    ("The winner is $\\boxed{Vasya}$.", "Vasya wins"),
    ("So $\\boxed{\\text{Yes}}$.", "Yes, it is possible"),
    ("So $g(x) = \\boxed{g(x) = x^2}$.", "g(t) = t^2"),
    ("The pair is $\\boxed{(x, x^2)}$.", "(P(x),Q(x)) = (x, x^2)"),
    ("The roots are $\\boxed{\\pm 2}$.", "x^2 = 4"),
    ("The angle is $\\boxed{\\frac{\\pi}{4}}$.", "45^\\circ"),
    ("The angle is $\\boxed{60^\\circ}$.", "\\frac{\\pi}{3}"),
    ("The correct option is $\\boxed{C}$.", "\\text{(C) } 12"),
    ("The count is $\\boxed{12}$.", "(C) 12"),
]

DIFFERENT = [
    ("The function is defined for $x \\in \\boxed{(-4, 0]}$.", "[-4,0]"),
    ("So the solution set is $\\boxed{(-\\infty, 1]}$.", "a \\leqslant 2"),
    ("So $\\boxed{0.5 \\leq x \\leq 7}$.", "[\\frac{1}{2}, 8]"),
    ("Hence $\\boxed{(-1, 2)}$.", "\\{x|-1 < x < 1\\}"),
    ("It holds for $\\boxed{x < 3}$.", "(3, \\infty)"),
    ("The integer roots are $\\boxed{-2, 2}$.", "1,-2"),
    ("The solutions are $\\boxed{\\{1, 3\\}}$.", "\\{5, 3, 1\\}"),
    ("So $x = \\boxed{3}$.", "\\pm 3"),
    ("Solutions: $\\boxed{(3,0), (-3,2)}$", "(3,0),(-3,1)"),
    ("We find $\\boxed{(1, 0), (100, 8)}$.", "(1,0),(\\frac{1}{100},-8),(100,8)"),
    ("The ordered pair is $\\boxed{(2, 1)}$.", "(1,2)"),
    ("The point is $\\boxed{(1, 4)}$.", "(1,\\frac{9}{2})"),
    ("$\\boxed{\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}}$", "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}"),
    ("The vector is $\\boxed{(-7, 16, 7)}$.", "\\begin{pmatrix} -7 \\\\ 16 \\\\ 5 \\end{pmatrix}"),
    ("Therefore $\\boxed{x = 6}$.", "5"),
    ("Hence $\\boxed{x < 5}$.", "x > 5"),
    ("The plane is $\\boxed{x + y - z + 2 = 0}$.", "5x - 7y + 11z + 4 = 0"),
    ("The function is $\\boxed{f(x) = x+1}$.", "f(z)=z"),
    ("All solutions are $\\boxed{2n\\pi}$.", "x = k\\pi"),
    ("We get $\\boxed{0}$.", "a + 3z = 0"),
    ("Comparing the options, the correct choice is $\\boxed{\\text{(D)}}$.", "C"),
    ("The answer is \\boxed{A}.", "(B)"),
    ("So the last token goes to $\\boxed{Vasya}$.", "Petya will receive the last token."),
    ("The answer is $\\boxed{\\text{odd}}$.", "\\text{even}"),
    ("The order is $\\boxed{a < b < c < d}$.", "b < a < d < c"),
    ("So the statement is $\\boxed{\\forall x > 0, 3^x \\geq x}$.", "∀x＞0, 3<sup>x</sup>≥x<sup>2</sup>"),
    ("The interval is $\\boxed{(1,2]}$.", "[1,2]"),
    ("The limit is $\\boxed{-\\infty}$.", "\\infty"),
    ("So $\\boxed{\\text{Yes}}$.", "No"),
    ("The solution is $\\boxed{x<0 \\text{ or } x>2}$.", "(-\\infty,0)\\cup(1,\\infty)"),
    ("Solving the system, $\\boxed{x=3, y=2}$.", "(2,3)"),
    ("So the set is $\\boxed{(3, \\infty)}$.", "\\{x : x > 2\\}"),
    ("From greatest to least: $\\boxed{a, c, b}$.", "c > a > b"),
    ("So $\\boxed{\\text{No}}$.", "Yes, it is possible"),
    ("The winner is $\\boxed{Alice}$.", "Alice and Bob both win"),
    ("So $\\boxed{g(x) = x^3}$.", "g(t) = t^2"),
    ("The pair is $\\boxed{(x^2, x)}$.", "(P(x),Q(x)) = (x, x^2)"),
    ("The root is $\\boxed{x = 2}$.", "x^2 = 4"),
    ("The vector is $\\boxed{(16, -7, 5)}$.", "\\begin{pmatrix} -7 \\\\ 16 \\\\ 5 \\end{pmatrix}"),
    ("The answer is $\\boxed{x \\in \\mathbb{Z}}$.", "x \\in \\mathbb{R}"),
    ("The angle is $\\boxed{\\frac{\\pi}{3}}$.", "45^\\circ"),
    ("The angle is $\\boxed{45}$.", "\\frac{\\pi}{4}"),
    ("The correct option is $\\boxed{B}$.", "\\text{(C) } 12"),
    ("The count is $\\boxed{13}$.", "(C) 12"),
]


@pytest.mark.parametrize(("completion", "reference"), EQUIVALENT)
def test_equivalent_structure_yields_1(completion: str, reference: str) -> None:
    assert score(completion, reference) == 1.0


@pytest.mark.parametrize(("completion", "reference"), DIFFERENT)
def test_different_structure_yields_0(completion: str, reference: str) -> None:
    assert score(completion, reference) == 0.0
