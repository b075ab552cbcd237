"""A stand-in for the part of TRL's GRPOTrainer that calls reward functions (TRL itself is not installed).

It mirrors ``GRPOTrainer._calculate_rewards`` of TRL 1.16: ``reward_kwargs`` from every dataset
column but prompt/completion/completion_ids, plus ``trainer_state``, ``log_extra`` and
``log_metric``; keyword arguments only; functions ``is_async_callable`` recognises are
awaited on a daemon event loop; None becomes NaN. (TRL itself drives the adapter in
tests/trainers/, ``make test-trainers``.)
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import math
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any


def is_async_callable(func: Callable[..., Any]) -> bool:
    """TRL 1.16's ``trl.trainer.utils.is_async_callable``: partials unwrapped, an instance's ``__call__`` seen."""
    while isinstance(func, functools.partial):
        func = func.func
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(func.__call__)  # type: ignore[operator]


def callable_name(func: Callable[..., Any]) -> str:
    """TRL 1.16's ``get_callable_name``: the name a reward function is logged under (``rewards/<name>/mean``)."""
    while isinstance(func, functools.partial):
        func = func.func
    return getattr(func, "__name__", type(func).__name__)


class TrainerLike:
    """The parts of GRPOTrainer that call reward functions: kwargs, async loop, None→NaN, logging hooks."""

    def __init__(self) -> None:
        self.state = object()  # a TrainerState in TRL
        self.extra: dict[str, list[Any]] = defaultdict(list)
        self.metrics: dict[str, list[float]] = defaultdict(list)
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def _log_completion_extra(self, column: str, values: list[Any]) -> None:
        self.extra[column].extend(values)

    def _log_metric(self, name: str, value: float) -> None:
        self.metrics[name].append(value)

    def calculate_rewards(
        self,
        reward_func: Callable[..., Any],
        inputs: list[dict[str, Any]],
        prompts: list[Any],
        completions: list[Any],
        completion_ids: list[list[int]],
    ) -> list[float]:
        keys = [key for key in inputs[0] if key not in ["prompt", "completion", "completion_ids"]]
        reward_kwargs: dict[str, Any] = {key: [example[key] for example in inputs] for key in keys}
        reward_kwargs["trainer_state"] = self.state
        reward_kwargs["log_extra"] = self._log_completion_extra
        reward_kwargs["log_metric"] = self._log_metric
        if is_async_callable(reward_func):

            async def invoke() -> Any:
                return await reward_func(
                    prompts=prompts, completions=completions, completion_ids=completion_ids, **reward_kwargs
                )

            output = asyncio.run_coroutine_threadsafe(invoke(), self.loop).result(timeout=30)
        else:
            output = reward_func(
                prompts=prompts, completions=completions, completion_ids=completion_ids, **reward_kwargs
            )
        return [r if r is not None else math.nan for r in output]

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
