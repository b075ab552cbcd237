"""The fair run gate (service.runs.gate): slots, round-robin across callers, deadlines, cancellation."""

from __future__ import annotations

import asyncio

import pytest

from service.runs.gate import FairGate, QueueTimeout


async def _served_order(requests: list[str]) -> list[str]:
    gate = FairGate(1)
    await gate.acquire("holder", 1)
    order: list[str] = []

    async def one(caller: str, n: int) -> None:
        await gate.acquire(caller, 5)
        order.append(f"{caller}{n}")
        await asyncio.sleep(0)
        gate.release()

    tasks = []
    for i, caller in enumerate(requests):
        tasks.append(asyncio.ensure_future(one(caller, i)))
        await asyncio.sleep(0)  # queue in this order
    gate.release()
    await asyncio.gather(*tasks)
    assert gate.busy == 0 and gate.queued == 0
    return order


@pytest.mark.parametrize(
    ("requests", "order"),
    [
        (["a", "a", "a", "b"], ["a0", "b3", "a1", "a2"]),
        (["a", "a", "b", "b", "c"], ["a0", "b2", "c4", "a1", "b3"]),
        (["a", "b"], ["a0", "b1"]),
    ],
    ids=["batch_then_single", "three_callers", "plain_fifo"],
)
def test_waiters_yield_round_robin_by_caller(requests: list[str], order: list[str]) -> None:
    assert asyncio.run(_served_order(requests)) == order


def test_wait_past_deadline_yields_queue_timeout_and_no_lost_slot() -> None:
    async def scenario() -> tuple[int, int]:
        gate = FairGate(1)
        await gate.acquire("a", 1)
        with pytest.raises(QueueTimeout):
            await gate.acquire("b", 0.05)
        gate.release()
        await gate.acquire("b", 0.05)  # the slot is free again
        return gate.busy, gate.queued

    assert asyncio.run(scenario()) == (1, 0)


def test_cancelled_waiter_yields_its_place_to_the_next() -> None:
    async def scenario() -> list[str]:
        gate = FairGate(1)
        await gate.acquire("a", 1)
        served: list[str] = []

        async def one(caller: str) -> None:
            await gate.acquire(caller, 5)
            served.append(caller)

        gone = asyncio.ensure_future(one("gone"))
        stays = asyncio.ensure_future(one("stays"))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.sleep(0)
        gate.release()
        await stays
        return served

    assert asyncio.run(scenario()) == ["stays"]


def test_zero_slots_yields_value_error() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        FairGate(0)
