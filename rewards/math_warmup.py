"""What the ``math`` verifier's warm-up scores: common answer shapes, in the phrasings models use.

The warm-up runs once before the worker processes fork (:mod:`service.pool`), so every worker
starts with the LaTeX parser's prediction cache (ANTLR's DFA, which grows with each new token
sequence) and sympy's lazily built state warm: a cold shape costs 50-250 ms, a warm one ~2 ms.
Values lie outside the benches' ranges (the benches assert it): no parse or verdict cached
here can serve a benchmarked pair; the warm state is the shapes', not the values'.
"""

from __future__ import annotations

WARMUP_PAIRS: tuple[tuple[str, str], ...] = (
    ("0.2\\pi", "\\frac{\\pi}{5}"),
    ("\\dfrac{5}{8}", "0.625"),
    ("5\\sqrt{11}", "\\sqrt{275}"),
    ("e^{-2}", "\\frac{1}{e^2}"),
    ("\\{7, 5\\}", "\\{5, 7\\}"),
    ("[0, 2)", "[0,2)"),
    ("(14, -23)", "(14,-23)"),
    ("11 + 14i", "14i + 11"),
    ("y = 7", "7"),
    ("20^\\circ", "\\frac{\\pi}{9}"),
    ("37.5\\%", "0.375"),
    ("1.25 \\times 10^{4}", "12500"),
    ("\\begin{pmatrix} 10 & 15 \\\\ 16 & 11 \\end{pmatrix}", "\\begin{bmatrix}10&15\\\\16&11\\end{bmatrix}"),
    ("a^2 - 4", "(a-2)(a+2)"),
    ("\\textbf{(D)}", "D"),
    ("7 \\text{ m}", "7"),
    # lists, exponents, roots and units as written without braces or boxes
    ("1, 4, 9", "\\{9, 4, 1\\}"),
    ("e^{-3}", "\\frac{1}{e^{3}}"),
    ("\\frac{7}{e}", "7e^{-1}"),
    ("\\pi/8", "0.125\\pi"),
    ("\\frac{11\\pi}{8}", "\\frac{11}{8}\\pi"),
    ("5 \\sqrt 7", "\\sqrt{175}"),
    ("\\sqrt[3]{16}", "2\\sqrt[3]{2}"),
    ("10^{7}", "10,000,000"),
    ("2^{10}", "1024"),
    ("x = 13", "13"),
    ("7 - 8i", "-8i + 7"),
    ("4.5 \\times 10^{-4}", "0.00045"),
    ("70^{\\circ}", "70"),
    ("\\left( 11, \\frac{\\pi}{8} \\right)", "(11, \\frac{\\pi}{8})"),
    ("\\begin{pmatrix} 11 \\\\ -13 \\end{pmatrix}", "(11, -13)"),
    ("x^2 + 24x + 143", "(x+11)(x+13)"),
    ("y = 11x - 13", "y=11x-13"),
    ("(-13, 17]", "(-13,17]"),
    ("(-\\infty, -13) \\cup (17, \\infty)", "(-\\infty,-13)\\cup(17,\\infty)"),
    ("x \\geq 13", "[13, \\infty)"),
    ("\\log_2 13", "\\frac{\\ln 13}{\\ln 2}"),
    ("\\binom{13}{2}", "78"),
    ("\\frac{\\sqrt{13}}{2}", "\\frac{13}{2\\sqrt{13}}"),
    ("\\$17.50", "17.5"),
)
# The common ways a completion ends with its answer: a box, Minerva's "Final Answer", R1's after </think>.
WARMUP_PHRASINGS: tuple[str, ...] = (
    "The answer is $\\boxed{{{}}}$.",
    "Final Answer: The final answer is ${}$. I hope it is correct.",
    "</think>\nSo the answer is ${}$.",
)
