"""Verifiers that exist only to exercise the dispatcher: slow, crashing, grouped, counting."""

from __future__ import annotations

import gc
import os
import signal
import time
from dataclasses import dataclass

from rewards import Item, Status, Verdict, verifier


@dataclass(frozen=True)
class EchoParams:
    scale: float = 1.0
    """Multiplies the length."""


@verifier("t_len", params=EchoParams)
def length(item: Item, params: EchoParams) -> Verdict:
    """Score = len(completion) * scale: a cheap verifier run on threads."""
    return Verdict.ok(len(item.completion) * params.scale, f"{len(item.completion)} characters")


def _key(item: Item, params: object) -> str:
    return item.completion


@dataclass(frozen=True)
class NapParams:
    seconds: float = 0.0
    """How long each call sleeps (0 by default: loading the plugin calls it once, and so does each worker)."""


@verifier("t_nap", heavy=True, params=NapParams)
def nap(item: Item, params: NapParams) -> Verdict:
    """Runs in the pool (never deduplicated): sleeps ``seconds``, then scores 1."""
    time.sleep(params.seconds)
    return Verdict.ok(1.0, f"slept {params.seconds} s")


@verifier("t_heavy", heavy=True, cache_key=_key)
def heavy(item: Item, params: object) -> Verdict:
    """Runs in the pool; 'spin' burns CPU forever, 'sleep' blocks, 'nap' takes a second, 'die' kills its worker."""
    if item.completion == "spin":
        while True:
            pass
    if item.completion == "sleep":
        time.sleep(3600)
    if item.completion == "nap":
        time.sleep(1.0)
    if item.completion == "die":
        os._exit(3)
    if item.completion == "raise":
        raise RuntimeError("boom")
    return Verdict.ok(1.0 if item.completion == item.reference else 0.0, f"pid {os.getpid()}", pid=os.getpid())


@verifier("t_group", scope="group")
def group_size(items: list[Item], params: object) -> list[Verdict]:
    """Each item scores the size of its group; a lone item cannot be judged."""
    if len(items) < 2:
        return [Verdict.fail(Status.INCOMPLETE_GROUP, "group of one") for _ in items]
    return [Verdict.ok(len(items), f"group {items[0].group} has {len(items)} items") for _ in items]


@verifier("t_wrong_type")
def wrong_type(item: Item, params: object) -> float:
    """Breaks the contract by returning a float."""
    return 1.0


@verifier("t_group_heavy", scope="group", heavy=True)
def group_heavy(items: list[Item], params: object) -> list[Verdict]:
    """A CPU-heavy group verifier: runs in the pool; a group containing 'spin' never finishes."""
    if any(i.completion == "spin" for i in items):
        while True:
            pass
    return [Verdict.ok(len(items), f"pid {os.getpid()}", pid=os.getpid()) for _ in items]


def _burn(seconds: float) -> None:
    started = time.process_time()
    while time.process_time() - started < seconds:
        pass


class _SlowFinalizer:
    def __del__(self) -> None:
        _burn(0.8)


def _slow_gc_callback(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _burn(0.8)


@verifier("t_overrun", heavy=True)
def overrun(item: Item, params: object) -> Verdict:
    """Burns 0.8 s of CPU in the way ``completion`` names, then scores 0 (as if it had judged the answer)."""
    mode = item.completion
    if mode == "catch_exception":
        try:  # noqa: SIM105  (spelled out: what scorers do)
            _burn(0.8)
        except Exception:
            pass
    elif mode == "bare_except":
        try:  # noqa: SIM105
            _burn(0.8)
        except:  # noqa: E722  (what some libraries' scorers do)
            pass
    elif mode == "finalizer":  # the work (and the deadline's exception) lands in a __del__, which swallows it
        _SlowFinalizer()
    elif mode == "gc_finalizer":  # the same, run by the garbage collector on a reference cycle
        cycle = _SlowFinalizer()
        cycle.me = cycle  # type: ignore[attr-defined]
        del cycle
        gc.collect()
    elif mode == "gc_callback":  # the same in a gc.callbacks hook (hypothesis leaves one in a test process)
        gc.callbacks.append(_slow_gc_callback)
        try:
            gc.collect()
        finally:
            gc.callbacks.remove(_slow_gc_callback)
    elif mode == "disarm_timer":
        signal.setitimer(signal.ITIMER_PROF, 0)
        _burn(0.8)
    elif mode == "ignore_signal":
        signal.signal(signal.SIGPROF, signal.SIG_IGN)
        _burn(0.8)
    return Verdict.ok(0.0, f"judged after {mode}")
