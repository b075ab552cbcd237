"""Plugin verifiers: installed packages are served; broken ones are reported and the rest keeps working."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rewards import default_registry
from tests.plugins import EXAMPLE_PLUGIN, pip_install, write_package
from tests.server import REPO, run_server, server_process

pytestmark = pytest.mark.integration

BROKEN_MODULES = {
    "__init__": "",
    "good": '''
from rewards import Item, Verdict, verifier


@verifier("broken_pkg_echo")
def echo(item: Item, params: object) -> Verdict:
    """Score 1 when the completion equals the reference."""
    return Verdict.ok(float(item.completion == item.reference), "compared")


def helper(item: Item, params: object) -> Verdict:
    """Not decorated with @verifier."""
    return Verdict.ok(1.0, "x")
''',
    "needs_missing": """
import no_such_dependency_for_rlvr_tests  # noqa: F401
""",
    "dup": '''
from rewards import Item, Verdict, verifier


@verifier("math")
def math(item: Item, params: object) -> Verdict:
    """Tries to replace the built-in math verifier."""
    return Verdict.ok(1.0, "always right")
''',
    "renamed": '''
from rewards import Item, Verdict, verifier


@verifier("renamed_real")
def renamed(item: Item, params: object) -> Verdict:
    """Registered as renamed_real, though its entry point says renamed_alias."""
    return Verdict.ok(1.0, "answered")
''',
    "bad_default": '''
from dataclasses import dataclass

from rewards import Item, Verdict, verifier


@dataclass(frozen=True)
class LevelParams:
    level: float = "high"


@verifier("bad_default", params=LevelParams)
def bad_default(item: Item, params: LevelParams) -> Verdict:
    """A float parameter whose default is a string."""
    return Verdict.ok(1.0, "answered")
''',
    "wrong": '''
from rewards import Item, verifier


@verifier("float_score")
def float_score(item: Item, params: object) -> float:
    """Returns a bare float instead of a Verdict."""
    return 1.0
''',
}
SPINS_AT_LOAD = '''
from rewards import Item, Verdict, verifier


@verifier("spins")
def spins(item: Item, params: object) -> Verdict:
    """Loops forever on any completion."""
    while True:
        pass
'''
BROKEN_ENTRY_POINTS = {
    "broken_pkg_echo": "rlvr_plugin_broken.good:echo",
    "needs_missing": "rlvr_plugin_broken.needs_missing:verifier",
    "duplicate_math": "rlvr_plugin_broken.dup:math",
    "float_score": "rlvr_plugin_broken.wrong:float_score",
    "not_a_verifier": "rlvr_plugin_broken.good:helper",
    "renamed_alias": "rlvr_plugin_broken.renamed:renamed",
    "bad_default": "rlvr_plugin_broken.bad_default:bad_default",
}


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/plugin, pip-installed into a directory of its own."""
    return pip_install(EXAMPLE_PLUGIN, tmp_path_factory.mktemp("example-site"))


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """rlvr-plugin-broken: one good verifier and four broken entry points, pip-installed."""
    src = write_package(tmp_path_factory.mktemp("src"), "rlvr-plugin-broken", BROKEN_MODULES, BROKEN_ENTRY_POINTS)
    return pip_install(src, tmp_path_factory.mktemp("broken-site"))


BOTH = {"exact_answer": 1.0, "format": 0.5}
CASE_SENSITIVE = [{"name": "exact_answer", "params": {"case_sensitive": True}}]


def _env(*sites: Path) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([str(REPO), *map(str, sites)]), "RLVR_WORKERS": "1"}


def _score(url: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = httpx.post(f"{url}/v1/score", json={"items": items}, timeout=60)
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def test_installed_plugin_yields_listing_with_origin_and_http_scores(example_site: Path) -> None:
    with run_server(env=_env(example_site)) as url:
        listing = httpx.get(f"{url}/v1/verifiers", timeout=10).json()
        results = _score(
            url,
            [
                {"completion": "<think>hm</think><answer>Paris</answer>", "reference": "paris", "rewards": BOTH},
                {"completion": "<think>hm</think><answer>Lyon</answer>", "reference": "paris", "rewards": BOTH},
                {"completion": "<answer>paris</answer>", "reference": "Paris", "rewards": CASE_SENSITIVE},
                {"completion": "<answer>Paris</answer>", "reference": None, "rewards": BOTH},
            ],
        )
    by_name = {v["name"]: v for v in listing["verifiers"]}
    assert by_name["exact_answer"]["source"] == "plugin:rlvr-plugin-example"
    assert by_name["exact_answer"]["version"] == "0.1.0"
    assert [(p["name"], p["description"]) for p in by_name["exact_answer"]["params"]] == [
        ("case_sensitive", "Compare letter case too."),
        ("tag", "The tag that holds the answer: the last <tag>…</tag> is read."),
    ]
    assert by_name["exact_answer"]["reference_schema"]["examples"] == ["Paris", "42"]
    assert by_name["math"]["source"] == "builtin"
    assert listing["problems"] == []
    assert [(r["reward"], r["status"]) for r in results] == [
        (1.5, "ok"),
        (0.5, "ok"),
        (0.0, "ok"),
        (None, "bad_reference"),
    ]
    assert results[1]["components"][0]["reason"] == "extracted 'lyon'; not equal to 'paris' (exact match, case ignored)"


@pytest.fixture(scope="module")
def broken_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("log") / "server.log"


@pytest.fixture(scope="module")
def broken_url(example_site: Path, broken_site: Path, broken_log: Path) -> Iterator[str]:
    env = {**_env(example_site, broken_site), "RLVR_WORKERS": "2", "RLVR_PLUGIN_WORKERS": "3"}
    with server_process(env=env, log_path=broken_log) as (url, _):
        yield url


@pytest.mark.parametrize(
    ("entry_point", "problem"),
    [
        (
            "needs_missing",
            "ModuleNotFoundError: No module named 'no_such_dependency_for_rlvr_tests' "
            "(at {site}/rlvr_plugin_broken/needs_missing.py:2)",
        ),
        (
            "bad_default",
            "parameter 'level' (float) defaults to 'high', which its own type refuses: must be a number, got 'high'",
        ),
        ("duplicate_math", "verifier 'math' from plugin:rlvr-plugin-broken is already registered (by builtin)"),
        ("float_score", "returned float, not a Verdict"),
        ("not_a_verifier", "is not a verifier: decorate it with rewards.verifier"),
    ],
)
def test_broken_entry_point_yields_problem_naming_plugin_and_cause(
    broken_url: str, broken_site: Path, broken_log: Path, entry_point: str, problem: str
) -> None:
    problems = httpx.get(f"{broken_url}/v1/verifiers", timeout=10).json()["problems"]
    mine = [p for p in problems if p.startswith(f"plugin {entry_point!r} (")]
    assert len(mine) == 1, problems
    assert "package rlvr-plugin-broken" in mine[0]
    assert problem.format(site=broken_site) in mine[0]
    # reported once by the service, not once per worker process
    logged = [line for line in broken_log.read_text().splitlines() if f"plugin {entry_point!r} (" in line]
    assert len(logged) == 1, logged


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("float_score", "verifier 'float_score' failed to load: plugin 'float_score' (rlvr_plugin_broken.wrong"),
        ("needs_missing", "verifier 'needs_missing' failed to load: plugin 'needs_missing' ("),
        ("bad_default", "verifier 'bad_default' failed to load: plugin 'bad_default' ("),
        ("renamed_alias", "unknown verifier 'renamed_alias': the plugin entry point of that name registers "),
        ("never_heard_of", "unknown verifier 'never_heard_of'; known: "),
    ],
)
def test_request_for_plugin_that_failed_to_load_yields_reason(broken_url: str, name: str, reason: str) -> None:
    [result] = _score(broken_url, [{"completion": "x", "rewards": {name: 1.0}}])
    assert result["status"] == "unknown_verifier"
    assert result["components"][0]["reason"].startswith(reason), result


def test_misnamed_entry_point_yields_warning_and_loads_under_its_name(broken_url: str, broken_log: Path) -> None:
    listing = httpx.get(f"{broken_url}/v1/verifiers", timeout=10).json()
    [warning] = listing["warnings"]
    assert warning.startswith("plugin 'renamed_alias' (rlvr_plugin_broken.renamed:renamed, package rlvr-plugin-broken)")
    assert "named 'renamed_alias' but its verifier is named 'renamed_real'" in warning
    assert [r["status"] for r in _score(broken_url, [{"completion": "x", "rewards": {"renamed_real": 1}}])] == ["ok"]
    assert sum("renamed_alias" in line for line in broken_log.read_text().splitlines()) == 1


def test_broken_plugins_yield_working_service_without_them(broken_url: str) -> None:
    listing = httpx.get(f"{broken_url}/v1/verifiers", timeout=10).json()
    sources = {v["name"]: v["source"] for v in listing["verifiers"]}
    assert sources["math"] == "builtin"
    assert sources["broken_pkg_echo"] == "plugin:rlvr-plugin-broken"
    assert sources["exact_answer"] == "plugin:rlvr-plugin-example"
    assert "float_score" not in sources
    results = _score(
        broken_url,
        [
            {"completion": "The answer is \\boxed{3}.", "reference": "4", "rewards": {"math": 1.0}},
            {"completion": "a", "reference": "a", "rewards": {"broken_pkg_echo": 1.0, "exact_answer": 1.0}},
            {"completion": "x", "rewards": {"float_score": 1.0}},
        ],
    )
    assert [(r["reward"], r["status"]) for r in results] == [
        (0.0, "ok"),
        (1.0, "ok"),  # echo: equal (1); exact_answer: no <answer> tag (0)
        (None, "unknown_verifier"),
    ]
    assert results[2]["components"][0]["reason"].startswith("verifier 'float_score' failed to load: ")
    assert httpx.get(f"{broken_url}/readyz", timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("import no_such_module_for_rlvr_tests\n", "ModuleNotFoundError"),
        ("import os\nraise ImportError('needs a GPU')\n", "ImportError: needs a GPU (at {path}:2)"),
        ("X = 1\n", "defines no verifier"),
        (BROKEN_MODULES["dup"], "verifier 'math' from module:{m} is already registered (by builtin)"),
        (BROKEN_MODULES["wrong"], "verifier 'float_score' breaks the contract: a plain completion: returned float"),
        ("def oops(:\n", "SyntaxError: invalid syntax ({path}:1)"),
    ],
)
def test_broken_plugin_module_setting_yields_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str, problem: str
) -> None:
    module = f"rlvr_tmp_plugin_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = default_registry(modules=[module])
    assert len(registry.problems) == 1, registry.problems
    assert registry.problems[0].startswith(f"module {module!r}: ")
    assert problem.format(m=module, path=tmp_path / f"{module}.py") in registry.problems[0]
    assert "format" in registry


def test_plugin_that_spins_at_load_yields_problem_and_stops_spinning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = f"rlvr_tmp_spin_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(SPINS_AT_LOAD)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = default_registry(modules=[module])
    assert registry.problems == [
        f"module {module!r}: PluginError: verifier 'spins' breaks the contract: "
        "a plain completion: no answer within 10s"
    ]
    time.sleep(0.2)
    before = time.process_time()
    time.sleep(1.0)
    assert time.process_time() - before < 0.3, "the load check's call still spins"


def test_plugin_own_tests_yield_pass_when_installed(example_site: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(example_site)])}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE_PLUGIN / "tests")],
        cwd=EXAMPLE_PLUGIN,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " passed" in proc.stdout
