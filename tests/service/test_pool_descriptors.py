"""Verifier workers hold none of the service's descriptors, whenever they start.

A worker forked from the service would keep every descriptor the service's threads held at
that moment (a sandbox's pipe, a client's socket) for its whole life: the other end would
never see EOF. Workers come from a clean fork server instead; the service's pipe is at EOF
as soon as the service closes its end, whether the worker started before or during its life.
"""

from __future__ import annotations

import os
import select
from typing import Any

import pytest

from service.app import build_scorer
from tests.service.conftest import make_settings
from tests.service.test_dispatch import score

EOF_WAIT_S = 5.0
OK = {"completion": "ok", "reference": "ok"}
DIES = {"completion": "die"}  # t_heavy kills its own worker: the pool starts a replacement


@pytest.mark.parametrize(
    ("before_pipe", "while_pipe_open"),
    [
        ([], [OK]),  # the pool's first workers start while the pipe is open
        ([OK], [DIES, OK]),  # a replacement for a dead worker starts while it is open
    ],
    ids=["first workers", "replacement worker"],
)
def test_service_pipe_reaches_eof_when_the_service_closes_it(
    before_pipe: list[dict[str, Any]], while_pipe_open: list[dict[str, Any]]
) -> None:
    scorer = build_scorer(make_settings())
    try:
        if before_pipe:
            score(scorer, before_pipe, {"t_heavy": 1.0})
        read, write = os.pipe()
        results = score(scorer, while_pipe_open, {"t_heavy": 1.0})
        assert results[-1]["reward"] == 1.0, results
        os.close(write)
        ready, _, _ = select.select([read], [], [], EOF_WAIT_S)
        assert ready and os.read(read, 1) == b"", "a verifier worker holds the service's pipe open"
        os.close(read)
    finally:
        scorer.close()
