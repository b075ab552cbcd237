"""How the CLI cuts items into requests: groups kept whole, and each batch sent as concurrent parts.

Group verifiers (length_penalty…) see the items of one group in one request, so a group is
never split. A batch goes out as up to PARTS concurrent requests so that the progress bar
moves while a batch is scored, without scoring any slower than one big request.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable, Sequence

from grpo.wire import ItemResult, RewardsField, ScoreItem, ScoreRequest
from service.cli.runners import Runner

PARTS = 8


def request_batches(
    items: Sequence[ScoreItem | None], size: int, files: Sequence[str] | None = None
) -> list[list[int]]:
    """Indexes of the items (None: not sent) in batches of about ``size``; a group never split.

    With ``files`` (one name per item), a batch holds one file's items only, so a group id in
    one file never meets its namesake in another.
    """
    units: dict[tuple[str, str], list[int]] = {}
    for n, item in enumerate(items):
        if item is not None:
            file = files[n] if files is not None else ""
            key = (file, f"group:{item.group}" if item.group is not None else f"line:{n}")
            units.setdefault(key, []).append(n)
    batches: list[list[int]] = []
    last_file = None
    for (file, _), members in units.items():
        if not batches or file != last_file or len(batches[-1]) + len(members) > size:
            batches.append([])
        batches[-1].extend(members)
        last_file = file
    return batches


async def score_batches(
    runner: Runner,
    items: Sequence[ScoreItem | None],
    batches: list[list[int]],
    rewards: RewardsField | None,
    advance: Callable[[int], None],
) -> AsyncIterator[dict[int, ItemResult]]:
    """Each batch's results by item index, batch after batch; ``advance(n)`` as each part's n items come back."""
    for batch in batches:
        parts = request_batches([items[n] for n in batch], math.ceil(len(batch) / PARTS))

        async def score_part(part: list[int], batch: list[int] = batch) -> dict[int, ItemResult]:
            sent = [item for i in part if (item := items[batch[i]]) is not None]  # batches hold sent items only
            request = ScoreRequest(items=sent, rewards=rewards)
            response = await runner.score(request)
            advance(len(part))
            return {batch[i]: result for i, result in zip(part, response.results, strict=True)}

        tasks = [asyncio.ensure_future(score_part(part)) for part in parts]
        try:
            done = await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
        yield {n: result for part in done for n, result in part.items()}
