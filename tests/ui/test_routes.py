"""/ui over HTTP in process: the page and its assets, the sample API behind the API key, capture off by default."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from tests.service.conftest import make_settings

KEY = {"authorization": "Bearer k"}
BATCH = {
    "items": [
        {"id": "right", "prompt": "2+2?", "completion": "<think>2+2=4</think> \\boxed{4}", "reference": "4"},
        {"id": "wrong", "prompt": "2+2?", "completion": "<think>hmm</think> \\boxed{5}", "reference": "4"},
    ],
    "rewards": {"math": 1.0},
}


@pytest.fixture(scope="module")
def capturing() -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(api_keys=["k"], ui_capture=True, ui_capture_drop_prompts=True))) as c:
        assert c.post("/v1/score", json=BATCH, headers=KEY).status_code == 200
        yield c


@pytest.fixture(scope="module")
def default() -> Iterator[TestClient]:
    with TestClient(create_app(make_settings())) as c:
        assert c.post("/v1/score", json=BATCH).status_code == 200
        yield c


@pytest.mark.parametrize(
    ("path", "status", "type_"),
    [
        ("/ui", 200, "text/html"),
        ("/ui/assets/app.js", 200, "text/javascript"),
        ("/ui/assets/style.css", 200, "text/css"),
        ("/ui/assets/icon.svg", 200, "image/svg+xml"),
        ("/ui/assets/index.html", 404, "application/json"),
        ("/ui/assets/..%2Fcapture.py", 404, "application/json"),
    ],
)
def test_page_and_asset_paths_yield_only_the_listed_files(
    capturing: TestClient, path: str, status: int, type_: str
) -> None:
    r = capturing.get(path)  # no key: the page is public code, its data needs the key
    assert r.status_code == status and r.headers["content-type"].startswith(type_)
    if status == 200:
        assert "connect-src 'self'" in r.headers["content-security-policy"]


def test_page_yields_only_same_origin_references(capturing: TestClient) -> None:
    html = capturing.get("/ui").text
    assert "http://" not in html and "https://" not in html and "//" not in html.replace("://", "")


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/ui/api/samples", {}, 401),
        ("/ui/api/samples", {"authorization": "Bearer nope"}, 401),
        ("/ui/api/samples/1", {}, 401),
        ("/ui/api/samples", KEY, 200),
        ("/ui/api/samples?limit=0", KEY, 422),
        ("/ui/api/samples?min_reward=nan", KEY, 422),
        ("/ui/api/samples/999", KEY, 404),
        ("/ui/api/samples/x", KEY, 422),
    ],
)
def test_sample_api_request_yields_status(
    capturing: TestClient, path: str, headers: dict[str, str], status: int
) -> None:
    assert capturing.get(path, headers=headers).status_code == status


def test_captured_sample_yields_its_trace_without_the_prompt(capturing: TestClient) -> None:
    listing = capturing.get("/ui/api/samples?min_reward=1", headers=KEY).json()
    assert listing["enabled"] and listing["drop_prompts"] and listing["recorded"] == 2
    assert [s["id"] for s in listing["samples"]] == ["right"]
    detail = capturing.get(f"/ui/api/samples/{listing['samples'][0]['seq']}", headers=KEY).json()
    assert detail["prompt"] is None and detail["reference"] == "4"
    assert detail["rewards"] == [{"name": "math", "weight": 1.0, "params": {}}]
    component = detail["trace"]["components"][0]
    assert component["name"] == "math" and component["rule"] and component["extracted"] is not None
    assert detail["trace"]["formula"] == "1×1 (math) = 1"


def test_capture_off_by_default_yields_nothing_kept(default: TestClient) -> None:
    listing = default.get("/ui/api/samples").json()
    assert listing["enabled"] is False and listing["samples"] == [] and listing["kept"] == 0
    missing = default.get("/ui/api/samples/1")
    assert missing.status_code == 404 and "RLVR_UI_CAPTURE=true" in missing.json()["error"]
    assert default.app.state.scorer.batch_observers == []


def test_scored_batch_yields_score_histogram_and_sums(default: TestClient) -> None:
    metrics = default.get("/metrics").text
    assert 'rlvr_component_score_bucket{le="0.0",verifier="math"} 1.0' in metrics
    assert 'rlvr_component_score_count{verifier="math"} 2.0' in metrics
    assert 'rlvr_component_score_positive_total{verifier="math"} 1.0' in metrics
