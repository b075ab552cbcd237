"""TRL adapter: reward functions for ``GRPOTrainer(reward_funcs=[...])`` backed by the service.

TRL calls a reward function with keyword arguments only: ``prompts``, ``completions``,
``completion_ids``, every dataset column but ``prompt`` (one value per completion),
``trainer_state``, ``log_extra``, ``log_metric`` and whatever later versions add; it wants
one ``float | None`` per completion (None becomes NaN and is left out) and names the
function by its ``__name__`` in its logs (``rewards/<name>/mean``). TRL's async GRPO ships
reward functions to other processes, so these are picklable classes, not closures.

>>> reward = rlvr_reward({"math": 1.0, "format": 0.2}, url="http://127.0.0.1:8000")  # doctest: +SKIP
>>> trainer = GRPOTrainer(model=..., reward_funcs=[reward], train_dataset=...)  # doctest: +SKIP
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from grpo import _batch
from grpo.client import DEFAULT_URL, AsyncRewardClient, RewardClient
from grpo.wire import RewardsField, ScoreItem, ScoreResponse, normalize_rewards

DEFAULT_REFERENCE_COLUMN = "solution"


def message_text(value: Any) -> str:
    """A completion or prompt as text: standard strings as they are, conversations joined.

    A conversational completion is a list of messages; the text scored is the content of
    its assistant messages (all of them: the format reward must see the first one, the
    answer is in the last one). A prompt's text is its last user message.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence):
        messages = [m for m in value if isinstance(m, Mapping)]
        assistant = [_content(m) for m in messages if m.get("role") == "assistant"]
        if assistant:
            return "\n".join(assistant)
        users = [_content(m) for m in messages if m.get("role") == "user"]
        if users:
            return users[-1]
        return "\n".join(_content(m) for m in messages)
    return str(value)


def _content(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):  # multimodal parts: keep the text ones
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping) and p.get("type") == "text")
    return "" if content is None else str(content)


def default_name(rewards: RewardsField) -> str:
    """``rlvr_math_format`` for ``{"math": 1, "format": 0.2}``: what TRL shows as rewards/<name>/mean."""
    return "rlvr_" + "_".join(r.name for r in normalize_rewards(rewards))


class _TRLReward:
    """Configuration and request building shared by the sync and async reward functions."""

    def __init__(
        self,
        rewards: RewardsField | str,
        *,
        url: str | Sequence[str] = DEFAULT_URL,
        name: str | None = None,
        reference_column: str | None = DEFAULT_REFERENCE_COLUMN,
        fill_value: float | None = None,
        log_components: bool = True,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.rewards: RewardsField = {rewards: 1.0} if isinstance(rewards, str) else rewards
        self.url = url
        self.__name__ = name or default_name(self.rewards)
        self.reference_column = reference_column
        self.fill_value = fill_value
        self.log_components = log_components
        self.client_options = dict(client_options or {})
        self._client: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_client"] = None  # connections do not travel between processes
        return state

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.__name__!r}, rewards={self.rewards!r}, url={self.url!r})"

    def _items(
        self,
        prompts: Sequence[Any] | None,
        completions: Sequence[Any],
        completion_ids: Sequence[Any] | None,
        columns: Mapping[str, Any],
    ) -> list[ScoreItem]:
        references: Sequence[Any] | None = None
        if self.reference_column is not None:
            if self.reference_column not in columns:
                raise KeyError(
                    f"{self.__name__}: the dataset has no column {self.reference_column!r} to take references from; "
                    f"pass reference_column=<name>, or None for rewards that need no reference"
                )
            references = columns[self.reference_column]
        prompt_texts = [message_text(p) for p in prompts] if prompts is not None else None
        group_of: dict[str, int] = {}
        items = []
        for i, completion in enumerate(completions):
            prompt = prompt_texts[i] if prompt_texts is not None else None
            items.append(
                ScoreItem(
                    id=i,
                    group=group_of.setdefault(prompt, len(group_of)) if prompt is not None else None,
                    prompt=prompt,
                    completion=message_text(completion),
                    reference=references[i] if references is not None else None,
                    completion_tokens=len(completion_ids[i]) if completion_ids is not None else None,
                )
            )
        return items

    def _finish(self, response: ScoreResponse, columns: Mapping[str, Any]) -> list[float | None]:
        if self.log_components:
            _log(self.__name__, response, columns.get("log_metric"), columns.get("log_extra"))
        return _batch.reward_values(response, self.fill_value)


def _log(name: str, response: ScoreResponse, log_metric: Any, log_extra: Any) -> None:
    """Per-component scores to TRL's metrics (means) and completions table (one value per sample)."""
    components: dict[str, list[float | None]] = {}
    for position, result in enumerate(response.results):
        for c in result.components:
            components.setdefault(c.name, [None] * len(response.results))[position] = c.score
    if callable(log_metric):
        n = len(response.results)
        unjudged = sum(1 for r in response.results if r.reward is None)
        log_metric(f"{name}/unjudged_fraction", unjudged / n if n else 0.0)
        for comp, scores in components.items():
            judged = [s for s in scores if s is not None]
            if judged:
                log_metric(f"{name}/{comp}", sum(judged) / len(judged))
    if callable(log_extra):
        for comp, scores in components.items():
            log_extra(f"{name}/{comp}", scores)
        log_extra(f"{name}/status", [r.status for r in response.results])


class RLVRReward(_TRLReward):
    """A synchronous TRL reward function: one blocking POST per call (chunked when large)."""

    def __call__(
        self,
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] = (),
        completion_ids: Sequence[Any] | None = None,
        **columns: Any,
    ) -> list[float | None]:
        if self._client is None:
            self._client = RewardClient(self.url, **self.client_options)
        response = self._client.score(self._items(prompts, completions, completion_ids, columns), rewards=self.rewards)
        return self._finish(response, columns)


class AsyncRLVRReward(_TRLReward):
    """An async TRL reward function; TRL awaits it alongside other async reward functions.

    TRL (1.16) recognises it by its async ``__call__`` and logs it under its ``__name__``; on
    Python 3.12+ it is also marked so ``inspect.iscoroutinefunction`` sees it as async.
    """

    def __init__(self, rewards: RewardsField | str, **options: Any) -> None:
        super().__init__(rewards, **options)
        _mark_coroutine(self)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        _mark_coroutine(self)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_is_coroutine_marker", None)  # a per-interpreter sentinel: set again on load
        return state

    async def __call__(
        self,
        prompts: Sequence[Any] | None = None,
        completions: Sequence[Any] = (),
        completion_ids: Sequence[Any] | None = None,
        **columns: Any,
    ) -> list[float | None]:
        # an AsyncClient belongs to one event loop; TRL runs async rewards on one daemon loop
        if self._client is None:
            self._client = AsyncRewardClient(self.url, **self.client_options)
        items = self._items(prompts, completions, completion_ids, columns)
        response = await self._client.score(items, rewards=self.rewards)
        return self._finish(response, columns)


def _mark_coroutine(obj: Any) -> None:
    mark: Callable[[Any], Any] | None = getattr(inspect, "markcoroutinefunction", None)
    if mark is not None:
        mark(obj)


def rlvr_reward(
    rewards: RewardsField | str, *, asynchronous: bool = False, name: str | None = None, **options: Any
) -> Callable[..., Any]:
    """A named, picklable TRL reward function for ``rewards``; async ones are seen as such by TRL.

    ``options``: ``url``, ``reference_column`` (default ``"solution"``), ``fill_value``,
    ``log_components``, ``client_options`` (passed to the client: timeout, retry, chunk_size…).
    """
    if not asynchronous:
        return RLVRReward(rewards, name=name, **options)
    # the instance itself: TRL finds the async __call__ and logs the instance's __name__ (a partial
    # over the bound method would be logged as "__call__", merging every async reward into one)
    return AsyncRLVRReward(rewards, name=name, **options)
