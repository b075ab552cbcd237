"""Boundary job → the machine's CPU → a job judged at the same time.

An attacker who has read sandbox/cgroups.py knows a job's processes are bounded in number
and each in CPU time, but not in their share of the machine: a program that keeps sixty
processes busy, each in a session of its own (the kernel's autogroups share the CPU out
per session), leaves a correct program judged beside it so little CPU that it runs past
its wall-time limit: TLE, a wrong verdict for a submission that is not the attacker's.
Every job must get its share of the CPU whatever its processes do.
"""

from __future__ import annotations

import threading
import time

import pytest

from sandbox.backend import Backend
from sandbox.judge import Limits, Options, judge, parse_tests

pytestmark = [pytest.mark.integration]

TESTS = {"inputs": ["1\n", "2\n", "3\n"], "outputs": ["2\n", "4\n", "6\n"]}
HOG_TESTS = {"inputs": ["1\n"], "outputs": ["2\n"]}  # one test: it outlasts the honest job's three
HONEST = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3:\n    pass\nprint(int(input()) * 2)"
HOG = "import os\nfor _ in range(60):\n    if os.fork() == 0:\n        {detach}break\nwhile True:\n    pass\n"
HOGS = {
    "sixty busy processes": HOG.format(detach=""),
    "sixty busy sessions": HOG.format(detach="os.setsid()\n        "),
}
HONEST_LIMITS = Options(limits=Limits(time_s=1.0))  # 0.3 s of CPU in a wall limit of 3 s
HOG_LIMITS = Options(limits=Limits(time_s=5.0))
HEAD_START_S = 1.0


@pytest.mark.parametrize("hog", HOGS.values(), ids=HOGS.keys())
def test_honest_job_beside_a_cpu_hog_yields_ac(backend: Backend, hog: str) -> None:
    hogging = threading.Thread(
        target=judge, args=(hog, parse_tests(HOG_TESTS), backend), kwargs={"options": HOG_LIMITS}
    )
    hogging.start()
    try:
        time.sleep(HEAD_START_S)
        result = judge(HONEST, parse_tests(TESTS), backend, options=HONEST_LIMITS)
    finally:
        hogging.join()
    assert result.score == 1.0, result.summary()
