"""Verifiers that exist only to exercise the dispatcher: slow, crashing, grouped, counting."""

from __future__ import annotations

import os
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


@verifier("t_nap", heavy=True)
def nap(item: Item, params: object) -> Verdict:
    """Runs in the pool (never deduplicated): sleeps ``reference`` seconds, then scores 1."""
    time.sleep(float(item.reference))
    return Verdict.ok(1.0, f"slept {item.reference} s")


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
