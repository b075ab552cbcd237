"""veRL adapter: ``compute_score`` functions for ``reward.custom_reward_function``.

veRL calls ``compute_score(data_source=..., solution_str=..., ground_truth=...,
extra_info=..., **reward_kwargs)`` once per sample (its reward loop awaits the function
when ``inspect.iscoroutinefunction`` says it is async, else runs it in an executor) and
builds its ``reward_extra_info`` columns from the dict it gets back, so every sample must
return the SAME keys: ``score``, ``judged`` and one ``<verifier>_score`` per configured
verifier. ``reward.custom_reward_function.reward_kwargs`` configures the call: ``url``
(or the ``RLVR_URL`` environment variable), ``rewards`` (``{"math": 1.0}``; default
``math``), ``rewards_by_source`` (rewards per ``data_source``), ``fill_value``,
``retry_window_s`` and ``timeout_s`` (the client's retry window and read timeout).

Convention for what a sample has no value for: ``<verifier>_score`` is ``None`` when that
verifier was not applied to the sample (``rewards_by_source`` gave its source other
rewards) or could not judge it. veRL's metrics leave ``None`` out of their means
(``process_validation_metrics``), so a verifier's mean is over the samples it judged,
never dragged down by zeros for samples it never saw. ``score`` must be a number: an item
the service could not judge gets ``fill_value`` (0.0 unless configured) and ``judged =
0.0``, so the logs show how many there were.

The functions pickle (veRL's ``remote`` reward manager ships them to Ray workers): the
clients live in a :class:`grpo._cache.ClientCache`, which pickles empty. The batch reward
manager can use :func:`compute_score_batch` instead (one request).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from grpo._base import DEFAULT_CONNECT_TIMEOUT_S
from grpo._cache import ClientCache
from grpo._retry import DEFAULT_RETRY, RetryPolicy
from grpo.client import DEFAULT_URL, AsyncRewardClient, RewardClient
from grpo.wire import ItemResult, RewardsField, ScoreItem, normalize_rewards

DEFAULT_REWARDS: dict[str, float] = {"math": 1.0}
URL_ENV = "RLVR_URL"

# veRL hands us a bare function, so the clients (one per process, per asyncio loop) are
# kept here; the cache pickles empty (see grpo._cache).
_clients = ClientCache()
ClientKey = tuple[tuple[str, ...], float | None, float | None]


def _key(url: str | Sequence[str] | None, retry_window_s: float | None, timeout_s: float | None) -> ClientKey:
    raw = url or os.environ.get(URL_ENV) or DEFAULT_URL
    urls = tuple(u.strip() for u in raw.split(",")) if isinstance(raw, str) else tuple(str(u) for u in raw)
    return urls, retry_window_s, timeout_s


def _options(key: ClientKey) -> dict[str, Any]:
    _, window, timeout = key
    options: dict[str, Any] = {}
    if window is not None:
        options["retry"] = RetryPolicy(window_s=float(window))
    else:
        options["retry"] = DEFAULT_RETRY
    if timeout is not None:
        options["timeout"] = httpx.Timeout(float(timeout), connect=DEFAULT_CONNECT_TIMEOUT_S)
    return options


def _sync_client(key: ClientKey) -> RewardClient:
    return _clients.sync(key, lambda: RewardClient(list(key[0]), **_options(key)))


def _async_client(key: ClientKey) -> AsyncRewardClient:
    return _clients.for_loop(key, lambda: AsyncRewardClient(list(key[0]), **_options(key)))


def _plain(rewards: Any) -> Any:
    """Hydra hands reward_kwargs over as DictConfig/ListConfig: make them the dicts and lists the schema takes."""
    if isinstance(rewards, Mapping):
        return {str(k): v if isinstance(v, (int, float)) else _plain(v) for k, v in rewards.items()}
    if isinstance(rewards, Sequence) and not isinstance(rewards, str):
        return [_plain(r) for r in rewards]
    return rewards


def _rewards_for(
    data_source: str, rewards: RewardsField | None, rewards_by_source: Mapping[str, RewardsField] | None
) -> RewardsField:
    if rewards_by_source and data_source in rewards_by_source:
        return _plain(rewards_by_source[data_source])  # type: ignore[no-any-return]
    return _plain(rewards) if rewards is not None else DEFAULT_REWARDS  # type: ignore[no-any-return]


def component_names(rewards: RewardsField | None, rewards_by_source: Mapping[str, RewardsField] | None) -> list[str]:
    """Every verifier any sample may get: the key set must not depend on the sample."""
    names: dict[str, None] = {}
    for spec in [rewards if rewards is not None else DEFAULT_REWARDS, *(rewards_by_source or {}).values()]:
        names.update(dict.fromkeys(r.name for r in normalize_rewards(_plain(spec))))
    return list(names)


def _item(solution_str: str, ground_truth: Any, extra_info: Any, rewards: RewardsField) -> ScoreItem:
    info = extra_info if isinstance(extra_info, Mapping) else {}
    prompt = info.get("question") or info.get("prompt")
    return ScoreItem(
        completion=solution_str,
        reference=ground_truth,
        prompt=prompt if isinstance(prompt, str) else None,
        rewards=rewards,
    )


def _as_dict(result: ItemResult, names: Sequence[str], fill_value: float) -> dict[str, float | None]:
    """The same keys for every sample; a verifier not applied to it or unable to judge it is None (see above)."""
    out: dict[str, float | None] = {
        "score": result.reward if result.reward is not None else fill_value,
        "judged": float(result.reward is not None),
    }
    scores = {c.name: c.score for c in result.components}
    for name in names:
        out[f"{name}_score"] = scores.get(name)
    return out


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: Any = None,
    *,
    url: str | Sequence[str] | None = None,
    rewards: RewardsField | None = None,
    rewards_by_source: Mapping[str, RewardsField] | None = None,
    fill_value: float = 0.0,
    retry_window_s: float | None = None,
    timeout_s: float | None = None,
    **kwargs: Any,
) -> dict[str, float | None]:
    """Score one sample (veRL's naive/reward-loop managers); extra veRL kwargs are ignored."""
    spec = _rewards_for(data_source, rewards, rewards_by_source)
    item = _item(solution_str, ground_truth, extra_info, spec)
    response = _sync_client(_key(url, retry_window_s, timeout_s)).score([item])
    return _as_dict(response.results[0], component_names(rewards, rewards_by_source), fill_value)


async def compute_score_async(
    data_source: str,
    solution_str: str,
    ground_truth: Any,
    extra_info: Any = None,
    *,
    url: str | Sequence[str] | None = None,
    rewards: RewardsField | None = None,
    rewards_by_source: Mapping[str, RewardsField] | None = None,
    fill_value: float = 0.0,
    retry_window_s: float | None = None,
    timeout_s: float | None = None,
    **kwargs: Any,
) -> dict[str, float | None]:
    """The async form: veRL's reward loop awaits it, many samples in flight at once."""
    spec = _rewards_for(data_source, rewards, rewards_by_source)
    item = _item(solution_str, ground_truth, extra_info, spec)
    response = await _async_client(_key(url, retry_window_s, timeout_s)).score([item])
    return _as_dict(response.results[0], component_names(rewards, rewards_by_source), fill_value)


def compute_score_batch(
    data_sources: Sequence[str],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any] | None = None,
    *,
    url: str | Sequence[str] | None = None,
    rewards: RewardsField | None = None,
    rewards_by_source: Mapping[str, RewardsField] | None = None,
    fill_value: float = 0.0,
    retry_window_s: float | None = None,
    timeout_s: float | None = None,
    **kwargs: Any,
) -> list[dict[str, float | None]]:
    """The whole batch in one call (the ``batch`` manager of veRL's legacy ``workers/reward_manager``; veRL
    0.9.1's reward loop has no ``batch`` manager); same keys per sample."""
    infos = extra_infos if extra_infos is not None else [None] * len(solution_strs)
    items = [
        _item(s, g, e, _rewards_for(d, rewards, rewards_by_source))
        for d, s, g, e in zip(data_sources, solution_strs, ground_truths, infos, strict=True)
    ]
    response = _sync_client(_key(url, retry_window_s, timeout_s)).score(items)
    names = component_names(rewards, rewards_by_source)
    return [_as_dict(r, names, fill_value) for r in response.results]
