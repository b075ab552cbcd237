"""The veRL adapter, called the way veRL's reward loop calls a custom compute_score.

veRL merges ``custom_reward_function.reward_kwargs`` into the call, passes keyword
arguments only (plus ``reward_router_address``/``reward_model_tokenizer`` with a reward
model), awaits the function when ``inspect.iscoroutinefunction`` says so, and builds its
``reward_extra_info`` columns from the keys of the dicts it gets back.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import pickle
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import pytest

from grpo import verl
from grpo._cache import ClientCache
from grpo.client import AsyncRewardClient, RewardClient
from tests.grpo.fakes import UNJUDGEABLE, score_handler

REWARD_KWARGS: dict[str, Any] = {"url": "http://rlvr.test", "rewards": {"format": 1.0, "tag_count": 0.5}}
SAMPLES = [
    ("openai/gsm8k", "<think>2+2</think>4", "4", {"question": "What is 2+2?", "index": 0}),
    ("openai/gsm8k", UNJUDGEABLE, "4", {"index": 1}),
    ("lighteval/MATH", "x", "\\frac{1}{2}", None),
]
KEYS = {"score", "judged", "format_score", "tag_count_score"}


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    requests: list[httpx.Request] = []
    transport = httpx.MockTransport(score_handler(requests))
    monkeypatch.setattr(verl, "_sync_client", lambda key: RewardClient(list(key[0]), transport=transport))
    monkeypatch.setattr(verl, "_async_client", lambda key: AsyncRewardClient(list(key[0]), transport=transport))
    return requests


def call_like_reward_loop(fn: Any, data_source: str, solution: str, truth: Any, extra: Any) -> dict[str, float]:
    kwargs = {"data_source": data_source, "solution_str": solution, "ground_truth": truth, "extra_info": extra}
    if inspect.iscoroutinefunction(fn):
        return asyncio.run(fn(**kwargs, **REWARD_KWARGS))  # type: ignore[no-any-return]
    return fn(**kwargs, **REWARD_KWARGS)  # type: ignore[no-any-return]


@pytest.mark.parametrize("fn", [verl.compute_score, verl.compute_score_async], ids=["sync", "async"])
def test_every_sample_yields_the_same_keys(seen: list[httpx.Request], fn: Any) -> None:
    results = [call_like_reward_loop(fn, *sample) for sample in SAMPLES]
    assert all(set(r) == KEYS for r in results)
    assert results[0] == {"score": 19 * 1.5, "judged": 1.0, "format_score": 19.0, "tag_count_score": 19.0}
    # unjudged: a number for veRL's score, None for the components (veRL's means leave None out)
    assert results[1] == {"score": 0.0, "judged": 0.0, "format_score": None, "tag_count_score": None}
    item = json.loads(seen[0].content)["items"][0]
    assert item["reference"] == "4"
    assert item["prompt"] == "What is 2+2?"


def test_async_form_yields_a_coroutine_function_for_verl() -> None:
    assert inspect.iscoroutinefunction(verl.compute_score_async)
    assert not inspect.iscoroutinefunction(verl.compute_score)


def test_extra_verl_kwargs_yield_no_error(seen: list[httpx.Request]) -> None:
    result = verl.compute_score(
        data_source="d", solution_str="ab", ground_truth="x", extra_info={}, reward_router_address=None, **REWARD_KWARGS
    )
    assert result["score"] == 3.0


def test_rewards_by_source_yield_per_source_rewards_and_a_shared_key_set(seen: list[httpx.Request]) -> None:
    kwargs = {"url": "http://rlvr.test", "rewards": {"format": 1.0}, "rewards_by_source": {"code": {"code": 1.0}}}
    a = verl.compute_score("math", "abc", "1", **kwargs)  # type: ignore[arg-type]
    b = verl.compute_score("code", "abc", "tests", **kwargs)  # type: ignore[arg-type]
    assert set(a) == set(b) == {"score", "judged", "format_score", "code_score"}
    assert [json.loads(r.content)["items"][0]["rewards"] for r in seen] == [{"format": 1.0}, {"code": 1.0}]
    # a verifier not applied to a sample is None, so it does not drag that verifier's mean down
    assert a["code_score"] is None and b["format_score"] is None
    assert a["format_score"] == 3.0 and b["code_score"] is not None


def test_batch_form_yields_one_request_and_one_dict_per_sample(seen: list[httpx.Request]) -> None:
    sources, solutions, truths, infos = (list(col) for col in zip(*SAMPLES, strict=True))
    results = verl.compute_score_batch(sources, solutions, truths, infos, fill_value=-1.0, **REWARD_KWARGS)  # type: ignore[arg-type]
    assert len(seen) == 1
    assert [r["score"] for r in results] == [28.5, -1.0, 1.5]
    assert all(set(r) == KEYS for r in results)


@pytest.mark.parametrize(
    ("url", "env", "expected"),
    [
        (None, None, ("http://127.0.0.1:8000",)),
        (None, "http://a:1, http://b:2", ("http://a:1", "http://b:2")),
        ("http://c:3", "http://a:1", ("http://c:3",)),
        (["http://d:4", "http://e:5"], None, ("http://d:4", "http://e:5")),
    ],
)
def test_url_from_kwargs_or_environment_yields_service_urls(
    monkeypatch: pytest.MonkeyPatch, url: Any, env: str | None, expected: tuple[str, ...]
) -> None:
    if env is None:
        monkeypatch.delenv(verl.URL_ENV, raising=False)
    else:
        monkeypatch.setenv(verl.URL_ENV, env)
    assert verl._key(url, None, None)[0] == expected


class HydraLikeMapping(Mapping[str, Any]):
    """Stands in for OmegaConf's DictConfig: a Mapping that is not a dict."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def test_hydra_config_objects_as_reward_kwargs_yield_scores(seen: list[httpx.Request]) -> None:
    rewards = HydraLikeMapping({"format": 1.0, "tag_count": 0.5})
    result = verl.compute_score("d", "abc", "x", url="http://rlvr.test", rewards=rewards)  # type: ignore[arg-type]
    assert set(result) == KEYS
    assert json.loads(seen[0].content)["items"][0]["rewards"] == {"format": 1.0, "tag_count": 0.5}


def test_used_client_cache_yields_an_empty_cache_when_pickled() -> None:
    """veRL's remote reward manager pickles the reward function and what it refers to: no lock, no connection."""
    cache = ClientCache()
    client = cache.sync(("http://rlvr.test",), lambda: RewardClient("http://rlvr.test"))
    assert cache.sync(("http://rlvr.test",), lambda: RewardClient("http://other.test")) is client
    restored = pickle.loads(pickle.dumps(cache))
    assert restored.sync(("http://rlvr.test",), lambda: RewardClient("http://other.test")) is not client
    client.close()


@pytest.mark.parametrize("fn", [verl.compute_score, verl.compute_score_async, verl.compute_score_batch])
def test_entry_points_yield_themselves_through_pickle(fn: Any) -> None:
    assert pickle.loads(pickle.dumps(fn)) is fn


@pytest.mark.parametrize(
    ("window", "timeout", "expected_window", "expected_read"), [(None, None, 60.0, 120.0), (30, 5, 30.0, 5.0)]
)
def test_retry_window_and_timeout_kwargs_yield_client_settings(
    window: float | None, timeout: float | None, expected_window: float, expected_read: float
) -> None:
    options = verl._options(verl._key("http://rlvr.test", window, timeout))
    client = RewardClient("http://rlvr.test", **options)
    assert client.retry.window_s == expected_window
    assert client._pools[0].timeout.read == expected_read
    client.close()
