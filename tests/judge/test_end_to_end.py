"""Every test format and comparator end to end in the real sandbox: a right solution scores 1, a wrong one less."""

from __future__ import annotations

import json
from textwrap import dedent
from typing import Any

import pytest

from sandbox.backend import Backend
from sandbox.judge import Comparison, Options, judge, parse_tests

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

LISTNODE_PRELUDE = dedent("""
    from typing import *
    class ListNode:
        def __init__(self, val=0, next=None):
            self.val, self.next = val, next
    def list_node(values):
        head = None
        for v in reversed(values):
            head = ListNode(v, head)
        return head
    def values_of(node):
        out = []
        while node:
            out.append(node.val)
            node = node.next
        return out
""")

CASES: list[tuple[str, Any, str, str, str]] = [
    (
        "plain stdin/stdout",
        {"inputs": ["1 2\n", "5 7\n"], "outputs": ["3\n", "12\n"]},
        "python",
        "print(sum(map(int, input().split())))",
        "print(3)",
    ),
    (
        "APPS input_output JSON text",
        {"input_output": json.dumps({"inputs": ["3\n1 2 3\n"], "outputs": ["6\n"]})},
        "python",
        "input()\nprint(sum(map(int, input().split())))",
        "print(0)",
    ),
    (
        "APPS call-based, outputs wrapped in lists",
        {"input_output": {"fn_name": "total", "inputs": [[[1, 2, 3]], [[]]], "outputs": [[6], [0]]}},
        "python",
        "def total(xs):\n    return sum(xs)",
        "def total(xs):\n    return len(xs)",
    ),
    (
        "TACO lines lists",
        {"input_output": {"inputs": [["2", "a b"]], "outputs": [["b", "a"]]}},
        "python",
        "input()\nprint(*reversed(input().split()), sep='\\n')",
        "input()\nprint(*input().split(), sep='\\n')",
    ),
    (
        "CodeContests in C++",
        {
            "public_tests": {"input": ["2 3\n"], "output": ["6\n"]},
            "private_tests": {"input": ["4 5\n"], "output": ["20\n"]},
        },
        "cpp",
        '#include <cstdio>\nint main(){long long a,b;scanf("%lld %lld",&a,&b);printf("%lld\\n",a*b);}',
        '#include <cstdio>\nint main(){long long a,b;scanf("%lld %lld",&a,&b);printf("%lld\\n",a+b+1);}',
    ),
    (
        "LiveCodeBench functional, Solution class",
        {
            "public_test_cases": json.dumps(
                [{"input": "[1, 2, 3]\n2", "output": "[2, 4, 6]", "testtype": "functional"}]
            ),
            "metadata": json.dumps({"func_name": "scale"}),
        },
        "python",
        "class Solution:\n    def scale(self, nums, k):\n        return [n * k for n in nums]",
        "class Solution:\n    def scale(self, nums, k):\n        return [n + k for n in nums]",
    ),
    (
        "HumanEval check(candidate)",
        {"test": "def check(candidate):\n    assert candidate('abc') == 'cba'\n", "entry_point": "rev"},
        "python",
        "def rev(s):\n    return s[::-1]",
        "def rev(s):\n    return s",
    ),
    (
        "MBPP with setup and imports",
        {"test_list": ["assert area(r) == math.pi * 4"], "test_setup_code": "r = 2", "test_imports": ["import math"]},
        "python",
        "import math\ndef area(r):\n    return math.pi * r * r",
        "def area(r):\n    return 12.56",
    ),
    (
        "LeetCode prelude: linked lists cross as data",
        {
            "prelude": LISTNODE_PRELUDE,
            "test": "def check(candidate):\n    assert values_of(candidate(list_node([1, 2, 3]))) == [3, 2, 1]\n\n"
            "check(Solution().reverseList)",
        },
        "python",
        "class Solution:\n    def reverseList(self, head):\n        prev = None\n        while head:\n"
        "            head.next, prev, head = prev, head, head.next\n        return prev",
        "class Solution:\n    def reverseList(self, head):\n        return head",
    ),
    (
        "in-place function: mutated arguments come back",
        {
            "test": "def check(candidate):\n    xs = [3, 1, 2]\n    candidate(xs)\n    assert xs == [1, 2, 3]\n",
            "entry_point": "sort_in_place",
        },
        "python",
        "def sort_in_place(xs):\n    xs.sort()",
        "def sort_in_place(xs):\n    xs = sorted(xs)",
    ),
    (
        "design problem: an object of the solution's class",
        {
            "test": "def check(candidate):\n    c = candidate()\n    c.add(2)\n    c.add(3)\n"
            "    assert c.total() == 5\n",
            "entry_point": "Counter",
        },
        "python",
        "class Counter:\n    def __init__(self):\n        self.n = 0\n    def add(self, k):\n        self.n += k\n"
        "    def total(self):\n        return self.n",
        "class Counter:\n    def add(self, k):\n        pass\n    def total(self):\n        return 0",
    ),
    (
        "pytest file",
        {
            "pytest": "import pytest\nfrom solution import add\n\n@pytest.mark.parametrize('a', [1, 2, 3])\n"
            "def test_add(a):\n    assert add(a, 1) == a + 1\n"
        },
        "python",
        "def add(a, b):\n    return a + b",
        "def add(a, b):\n    return a + b if a < 3 else 0",
    ),
    (
        "checker program in the sandbox",
        {
            "inputs": ["10\n"],
            "outputs": ["3 7\n"],
            "checker": "import sys\nn = int(open(sys.argv[1]).read())\n"
            "a, b = map(int, open(sys.argv[2]).read().split())\n"
            "sys.exit(0 if a + b == n and a > 0 and b > 0 else 1)",
        },
        "python",
        "n = int(input())\nprint(1, n - 1)",
        "n = int(input())\nprint(0, n)",
    ),
]


@pytest.mark.parametrize(("tests", "language", "right", "wrong"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_right_and_wrong_solution_yield_full_and_partial_scores(
    local_backend: Backend, tests: Any, language: str, right: str, wrong: str
) -> None:
    suite = parse_tests(tests)
    good = judge(right, suite, local_backend, language=language)
    bad = judge(wrong, suite, local_backend, language=language)
    assert (good.score, bad.score < 1.0) == (1.0, True), (good.summary(), bad.summary())


COMPARATORS = [
    ("tokens by default", Comparison(), "print('1   2')", 1.0),
    ("lines keep inner spacing", Comparison(mode="lines"), "print('1   2')", 0.0),
    ("float tolerance", Comparison(mode="float", abs_eps=1e-3), "print('1.0004 2')", 1.0),
    ("float tolerance, too far", Comparison(mode="float", abs_eps=1e-3), "print('1.01 2')", 0.0),
    ("case-insensitive only when asked", Comparison(case_insensitive=True), "print('1 2'.upper())", 1.0),
]


@pytest.mark.parametrize(("how", "code", "score"), [c[1:] for c in COMPARATORS], ids=[c[0] for c in COMPARATORS])
def test_comparator_in_sandbox_yields_score(local_backend: Backend, how: Comparison, code: str, score: float) -> None:
    suite = parse_tests({"inputs": [""], "outputs": ["1 2\n"]})
    assert judge(code, suite, local_backend, options=Options(comparison=how)).score == score
