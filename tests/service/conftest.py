"""Scorers and apps wired with the test verifiers next to the built-in ones."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.app import build_scorer, create_app
from service.dispatch import Scorer
from service.settings import Settings

TEST_MODULES = ["tests.service.verifiers_for_tests"]


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "workers": 2,
        "plugin_workers": 2,
        "item_timeout_s": 1.0,
        "plugin_modules": TEST_MODULES,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def scorer() -> Iterator[Scorer]:
    s = build_scorer(make_settings())
    yield s
    s.close()


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(max_items=50, max_completion_chars=1000))) as c:
        yield c
