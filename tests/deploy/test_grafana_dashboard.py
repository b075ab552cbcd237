"""deploy/grafana: the dashboard's queries name metrics and labels the service really exports,
its layout is sound, and compose provisions it (profile "monitoring") with files that exist."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.app import create_app
from tests.service.conftest import make_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "rlvr.json"
GRID_COLUMNS = 24
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created"), "gauge": ("",)}
METRIC = re.compile(r"\brlvr_[a-z_]+\b")
BY = re.compile(r"\bby \(([^)]*)\)")
MATCHER = re.compile(r"\b(rlvr_[a-z_]+)\{([^}]*)\}")


@pytest.fixture(scope="module")
def exported() -> dict[str, set[str]]:
    """Every sample name the service exports after scoring a batch, with the label names seen on it."""
    with TestClient(create_app(make_settings())) as client:
        batch = {"items": [{"completion": "<think>x</think> \\boxed{4}", "reference": "4"}], "rewards": {"math": 1.0}}
        assert client.post("/v1/score", json=batch).status_code == 200
        text = client.get("/metrics").text
    names: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for suffix in SUFFIXES.get(family.type, ("",)):
            names.setdefault(family.name + suffix, set())
        for sample in family.samples:
            names.setdefault(sample.name, set()).update(sample.labels)
    return names


def _dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def _targets() -> Iterator[tuple[str, dict[str, Any]]]:
    for panel in _dashboard()["panels"]:
        for target in panel["targets"]:
            yield panel["title"], target


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize(("title", "target"), list(_targets()), ids=lambda v: v if isinstance(v, str) else "")
def test_dashboard_query_yields_exported_metrics_and_labels(
    title: str, target: dict[str, Any], exported: dict[str, set[str]]
) -> None:
    expr = target["expr"]
    assert expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}"), expr
    assert expr.count("[") == expr.count("]"), expr
    metrics = set(METRIC.findall(expr))
    assert metrics, f"{title}: no rlvr metric in {expr}"
    unknown = metrics - exported.keys()
    assert not unknown, f"{title}: {sorted(unknown)} are not exported"
    seen = set().union(*(exported[m] for m in metrics))
    if not seen:  # a labelled family with no sample yet (e.g. no request refused): nothing to compare with
        return
    for metric, matchers in MATCHER.findall(expr):
        for label in re.findall(r"(\w+)\s*[=!]~?", matchers):
            assert label in exported[metric] or not exported[metric], f"{title}: {metric} has no label {label!r}"
    for group in BY.findall(expr):
        for label in (g.strip() for g in group.split(",")):
            assert label in seen, f"{title}: no metric of {sorted(metrics)} has the label {label!r}"
    assert target["datasource"]["uid"] == "${datasource}"


def test_dashboard_layout_yields_unique_ids_inside_the_grid_without_overlap() -> None:
    dash = _dashboard()
    panels = dash["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    cells: set[tuple[int, int]] = set()
    for p in panels:
        g = p["gridPos"]
        assert g["x"] >= 0 and g["x"] + g["w"] <= GRID_COLUMNS and g["h"] > 0, p["title"]
        mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not mine & cells, f"{p['title']} overlaps another panel"
        cells |= mine
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert dash["uid"] and dash["title"] and isinstance(dash["schemaVersion"], int)


@pytest.mark.parametrize(
    ("need", "covered_by"),
    [
        ("items per second", "rlvr_items_total"),
        ("mean score", "rlvr_component_score_positive_total"),
        ("score histogram", "rlvr_component_score_bucket"),
        ("latency quantiles", "rlvr_verifier_seconds_bucket"),
        ("in-flight items", "rlvr_inflight_items"),
        ("cache hit rate", "rlvr_cache_hits_total"),
        ("429s", "rlvr_rejected_requests_total"),
        ("pool health", "rlvr_component_healthy"),
    ],
)
def test_dashboard_need_yields_a_panel(need: str, covered_by: str) -> None:
    assert any(covered_by in t["expr"] for _, t in _targets()), f"no panel shows {need} ({covered_by})"


def test_compose_monitoring_profile_yields_provisioned_grafana_and_an_unchanged_default_stack() -> None:
    services = _compose()["services"]
    default = {name for name, s in services.items() if not s.get("profiles")}
    assert default == {"rlvr", "socket-proxy"}  # `up` without --profile starts what it always did
    grafana, prometheus = services["grafana"], services["prometheus"]
    assert grafana["profiles"] == prometheus["profiles"] == ["monitoring"]
    mounts = {
        target: (DEPLOY / source).resolve()
        for s in (grafana, prometheus)
        for source, target, *_ in (v.split(":") for v in s["volumes"])
    }
    for target, source in mounts.items():
        assert source.exists(), f"{target} mounts {source}, which does not exist"
    assert mounts["/var/lib/grafana/dashboards"] == DASHBOARD.parent
    providers = yaml.safe_load((mounts["/etc/grafana/provisioning"] / "dashboards" / "rlvr.yaml").read_text())
    assert providers["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    sources = yaml.safe_load((mounts["/etc/grafana/provisioning"] / "datasources" / "prometheus.yaml").read_text())
    assert sources["datasources"][0]["url"] == "http://prometheus:9090"
    scrape = yaml.safe_load(mounts["/etc/prometheus/prometheus.yml"].read_text())
    assert scrape["scrape_configs"][0]["static_configs"][0]["targets"] == ["rlvr:8000"]
    assert "rlvr" in services and "8000" in services["rlvr"]["command"]
