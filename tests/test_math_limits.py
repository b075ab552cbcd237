"""Math verifier limits: the complexity guard, the deadline and the brace scanner on hostile input."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from rewards.math_deadline import DeadlineExceeded, can_interrupt, deadline
from rewards.math_extract import find_boxes
from rewards.math_guard import complexity_problem

UNSAFE = [
    ("10^{10^{10^{10}}}", "power"),
    ("9^9^9^9", "power"),
    ("2^{10^{5}}", "power"),
    ("1.5^{99999}", "power"),
    ("9^" * 10_000 + "9", "power"),
    ("123456!", "factorial"),
    ("\\binom{1000000}{500000}", "binomial"),
    # a factorial of a bracketed operand is bounded without evaluating it (outside round: "{10^{8}}!!", 12 s in C)
    ("{10^{8}}!!", "factorial"),
    ("(10^8)!", "factorial"),
    ("\\left(10^{8}\\right)!", "factorial"),
    ("(2^{64})!", "factorial"),
    ("(3 \\cdot 10^{3})!", "factorial"),
    ("((3!)!)!", "factorial"),  # nested: not bounded, refused
    ("(\\pi)!", "factorial"),  # a command: not bounded, refused
    ("\\binom{10^{7}}{5\\cdot 10^{6}}", "binomial"),
    ("1" * 401, "digits"),
    ("{" * 10_000 + "}" * 10_000, "nesting depth"),
    ("(" * 20 + "1" + ")" * 20, "nesting depth"),
    ("{{{{{x}}}}}", "directly nested braces"),
]
SAFE = [
    "2^{2024}",
    "10^{100}",
    "3^{3^{3}}",
    "x^{x^{2}}",
    "100!",
    "{10^{3}}!",
    "(2 \\cdot 5)!",
    "(n+1)!",
    "\\frac{(2n)!}{n!\\,(n+1)!}",
    "\\binom{n}{2}",
    "\\binom{2^{10}}{3}",
    "\\frac{\\sqrt{x^{2}+1}}{2}",
    "\\frac{{1}}{2}",
    "1" * 400,
    "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
    "e^{i\\pi}",
]


@pytest.mark.parametrize(("latex", "fragment"), UNSAFE)
def test_explosive_expression_yields_a_named_problem(latex: str, fragment: str) -> None:
    problem = complexity_problem(latex)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize("latex", SAFE)
def test_ordinary_expression_yields_no_problem(latex: str) -> None:
    assert complexity_problem(latex) is None


BOXES = [
    ("so \\boxed{\\frac{1}{2}} and \\fbox{3}", ["\\frac{1}{2}", "3"]),
    ("\\boxed{\\boxed{7}}", ["\\boxed{7}"]),
    ("\\boxed{a \\{ b \\} c}", ["a \\{ b \\} c"]),
    ("\\boxed 5.", ["5"]),
    ("\\boxed{" + "{" * 10_000 + "}" * 10_000 + "}", ["{" * 10_000 + "}" * 10_000]),
    ("\\boxed{never closed", []),
    ("\\boxed{" * 10_000, []),
    ("\\boxedsymbol{3}", []),
]


@pytest.mark.parametrize(("text", "expected"), BOXES)
def test_box_scanner_yields_top_level_contents(text: str, expected: list[str]) -> None:
    assert find_boxes(text) == expected


def test_busy_work_past_deadline_yields_deadline_exceeded() -> None:
    started = time.process_time()
    with pytest.raises(DeadlineExceeded), deadline(0.05):
        while time.process_time() - started < 5:
            pass
    assert time.process_time() - started < 2


class _SwallowsInDel:
    """Burns CPU in ``__del__``, where Python drops any exception: the deadline's first one lands there."""

    def __del__(self) -> None:
        started = time.process_time()
        while time.process_time() - started < 0.2:
            pass


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped one: the point
def test_deadline_exception_dropped_by_a_finalizer_yields_deadline_exceeded_after() -> None:
    started = time.process_time()
    with pytest.raises(DeadlineExceeded), deadline(0.05):
        _SwallowsInDel()  # freed at once: its __del__ runs past the deadline and swallows the exception
        while time.process_time() - started < 5:
            pass
    assert time.process_time() - started < 2


def test_waiting_without_cpu_yields_no_deadline() -> None:
    with deadline(0.05):  # a busy machine delays the work but burns none of its CPU time
        time.sleep(0.2)


def test_outer_virtual_timer_is_rearmed_after_the_deadline_block() -> None:
    fired: list[int] = []
    old = signal.signal(signal.SIGVTALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_VIRTUAL, 30.0)
        with deadline(0.5):
            pass
        remaining, _ = signal.getitimer(signal.ITIMER_VIRTUAL)
        assert 25.0 < remaining <= 30.05  # the kernel rounds a timer to its clock tick
        assert fired == []
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, old)


def test_outer_alarm_is_untouched_by_the_deadline_block() -> None:
    fired: list[int] = []
    outer_timer = signal.getitimer(signal.ITIMER_REAL)  # pytest-timeout's, if any: restored below
    old = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        with deadline(0.5):
            pass
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25.0 < remaining <= 30.0
        assert fired == []
    finally:
        signal.signal(signal.SIGALRM, old)
        signal.setitimer(signal.ITIMER_REAL, *outer_timer)


def test_deadline_off_the_main_thread_yields_a_no_op() -> None:
    seen: list[bool] = []

    def body() -> None:
        with deadline(0.01):
            time.sleep(0.05)
        seen.append(can_interrupt())

    worker = threading.Thread(target=body)
    worker.start()
    worker.join()
    assert seen == [False]
