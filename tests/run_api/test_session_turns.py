"""A session's turns (service.runs.sessions): one cell at a time, a lapsed turn freed, a late answer ignored."""

from __future__ import annotations

import time

import pytest

from service.runs.sessions import SessionBusy, Sessions

# steps on one session, in order: (action, lease_s, state sent back) → outcome
# actions: "begin" takes a turn (the newest token is kept), "end_old" answers with the first token,
# "end" answers with the newest one, "sleep" waits 0.05 s
Step = tuple[str, float, bytes | None]
CASES: list[tuple[str, list[Step], list[str], bytes | None]] = [
    ("one_cell", [("begin", 10, None), ("end", 0, b"s1")], ["ok", "ended"], b"s1"),
    ("second_cell_waits", [("begin", 10, None), ("begin", 10, None)], ["ok", "busy"], None),
    ("after_end_next_cell", [("begin", 10, None), ("end", 0, b"s1"), ("begin", 10, None)],
     ["ok", "ended", "ok"], b"s1"),
    ("failed_cell_keeps_state", [("begin", 10, None), ("end", 0, b"s1"), ("begin", 10, None), ("end", 0, None)],
     ["ok", "ended", "ok", "ended"], b"s1"),
    ("lapsed_turn_freed", [("begin", 0.01, None), ("sleep", 0, None), ("begin", 10, None)],
     ["ok", "slept", "ok"], None),
    ("late_answer_ignored", [("begin", 0.01, None), ("sleep", 0, None), ("begin", 10, None), ("end_old", 0, b"late"),
                             ("end", 0, b"new")], ["ok", "slept", "ok", "ended", "ended"], b"new"),
]


@pytest.mark.parametrize(("steps", "outcomes", "state"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_turns_yield_one_cell_at_a_time(steps: list[Step], outcomes: list[str], state: bytes | None) -> None:
    sessions = Sessions(ttl_s=60, per_caller=1)
    sid = sessions.create("me", None, {}).id
    tokens: list[str] = []
    seen = []
    for action, lease_s, sent in steps:
        if action == "begin":
            try:
                turn = sessions.begin(sid, "me", lease_s)
            except SessionBusy:
                seen.append("busy")
                continue
            assert turn is not None
            tokens.append(turn[1])
            seen.append("ok")
        elif action == "sleep":
            time.sleep(0.05)
            seen.append("slept")
        else:
            sessions.end(sid, tokens[0] if action == "end_old" else tokens[-1], sent)
            seen.append("ended")
    assert seen == outcomes
    got = sessions.get(sid, "me")
    assert got is not None and got.state == state


@pytest.mark.parametrize(("caller", "session_id"), [("someone_else", None), ("me", "no-such-id")])
def test_begin_on_unknown_or_foreign_session_yields_none(caller: str, session_id: str | None) -> None:
    sessions = Sessions(ttl_s=60, per_caller=1)
    sid = sessions.create("me", None, {}).id
    assert sessions.begin(session_id or sid, caller, 10) is None


def test_running_cell_yields_no_expiry_past_the_ttl() -> None:
    sessions = Sessions(ttl_s=0.01, per_caller=1)
    sid = sessions.create("me", None, {}).id
    turn = sessions.begin(sid, "me", 10)
    assert turn is not None
    time.sleep(0.05)
    assert len(sessions) == 1  # busy: not swept
    sessions.end(sid, turn[1], b"s")
    time.sleep(0.05)
    assert len(sessions) == 0


# state each cell gives back, in order → whether the session still holds its uploads after them
UPLOADS_KEPT: list[tuple[list[bytes | None], bool]] = [
    ([None], True),  # the first cell crashed: the next one starts from the uploads again
    ([None, None], True),
    ([b"s1"], False),  # a state exists: it carries the files, the uploads are never read again
    ([None, b"s1", None], False),
]


@pytest.mark.parametrize(("states", "kept"), UPLOADS_KEPT)
def test_uploads_yield_dropped_once_a_state_carries_them(states: list[bytes | None], kept: bool) -> None:
    sessions = Sessions(ttl_s=60, per_caller=1)
    sid = sessions.create("me", None, {"big.bin": "eA=="}).id
    for state in states:
        turn = sessions.begin(sid, "me", 10)
        assert turn is not None
        sessions.end(sid, turn[1], state)
    got = sessions.get(sid, "me")
    assert got is not None and bool(got.files) is kept
