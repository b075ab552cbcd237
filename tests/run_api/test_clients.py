"""SandboxFusion's real clients against /run_code: the sandbox-fusion package, veRL's reward code and tool call.

veRL is installed without its dependencies (``make install``); only its
``verl/utils/reward_score/sandbox_fusion`` package is imported, under empty parent
packages (``verl/__init__.py`` would import torch). That package needs only ``requests``.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sandbox_fusion
from sandbox_fusion import RunCodeRequest, RunStatus, SummaryMapping, summary_run_code_result

from tests.run_api.conftest import KEY

pytestmark = pytest.mark.integration

VERL_PARENTS = ("verl", "verl.utils", "verl.utils.reward_score")
ECHO_DOUBLE = "```python\nprint(2 * int(input()))\n```"
TESTS = {"inputs": ["1\n", "5\n", "21\n"], "outputs": ["2\n", "10\n", "42\n"]}
SUMMARY = SummaryMapping(
    CompileFailed="compile", CompileTimeout="compile_timeout", RunFailed="run", RunTimeout="timeout"
)


@pytest.fixture(scope="module")
def verl_sandbox_fusion() -> Iterator[types.ModuleType]:
    """veRL's ``verl.utils.reward_score.sandbox_fusion``, imported from the installed wheel alone."""
    spec = importlib.util.find_spec("verl")
    assert spec is not None and spec.submodule_search_locations, "verl is not installed: run `make install`"
    root = Path(next(iter(spec.submodule_search_locations)))
    saved = {name: sys.modules.get(name) for name in (*VERL_PARENTS, f"{VERL_PARENTS[-1]}.sandbox_fusion")}
    for name in VERL_PARENTS:
        package = types.ModuleType(name)
        package.__path__ = [str(root.joinpath(*name.split(".")[1:]))]
        sys.modules[name] = package
    try:
        yield importlib.import_module("verl.utils.reward_score.sandbox_fusion")
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _run(endpoint: str, code: str, language: str = "python", **fields: Any) -> sandbox_fusion.RunCodeResponse:
    return sandbox_fusion.run_code(RunCodeRequest(code=code, language=language, **fields), endpoint, max_attempts=1)


@pytest.mark.parametrize(
    ("code", "language", "fields", "summary"),
    [
        ("print(input())", "python", {"stdin": "x"}, "Success"),
        ("raise SystemExit(2)", "python", {}, "run"),
        ("while True: pass", "python", {"run_timeout": 1}, "timeout"),
        ("int main(){ return 0", "cpp", {}, "compile"),
        ("int main(){ return 0; }", "cpp", {}, "Success"),
    ],
    ids=["success", "exit_code", "run_timeout", "compile_error", "cpp"],
)
def test_sandbox_fusion_client_outcome_yields_its_summary(
    local_url: str, code: str, language: str, fields: dict[str, Any], summary: str
) -> None:
    assert summary_run_code_result(_run(local_url, code, language, **fields), SUMMARY) == summary


def test_sandbox_fusion_client_files_yield_fetched_files(local_url: str) -> None:
    result = _run(
        local_url,
        "open('b.txt', 'w').write(open('a.txt').read() * 2)",
        files={"a.txt": "aGk="},
        fetch_files=["b.txt"],
    )
    assert result.status == RunStatus.Success
    assert result.files == {"b.txt": "aGloaQ=="}


def test_sandbox_fusion_async_client_yields_success(local_url: str) -> None:
    request = RunCodeRequest(code="print('async')", language="python")
    result = asyncio.run(sandbox_fusion.run_code_async(request, local_url, max_attempts=1))
    assert result.status == RunStatus.Success
    assert result.run_result is not None and result.run_result.stdout == "async\n"


@pytest.mark.parametrize(
    ("user_info", "ok"), [(f"rlvr:{KEY}@", True), (f"{KEY}:@", True), ("", False), ("x:bad@", False)]
)
def test_sandbox_fusion_client_key_in_endpoint_yields_access(tight_url: str, user_info: str, ok: bool) -> None:
    endpoint = tight_url.replace("http://", f"http://{user_info}")
    if ok:
        assert _run(endpoint, "print(1)").status == RunStatus.Success
    else:
        with pytest.raises(Exception, match="401"):
            _run(endpoint, "print(1)")


def test_verl_reward_correct_program_yields_full_score(local_url: str, verl_sandbox_fusion: types.ModuleType) -> None:
    score, metadata = verl_sandbox_fusion.compute_score(
        f"{local_url}/run_code", threading.Semaphore(4), 1024, ECHO_DOUBLE, TESTS
    )
    assert score == 1.0
    assert [m["status"] for m in metadata] == ["success"] * 3


@pytest.mark.parametrize(
    ("completion", "status"),
    [
        ("```python\nprint(3)\n```", "wrong_answer"),
        ("```python\nimport sys; sys.exit(1)\n```", "runtime_error"),
        ("```python\nwhile True: pass\n```", "timeout"),
        ("```python\ndef f(:\n```", "runtime_error"),
    ],
    ids=["wrong", "crash", "timeout", "syntax"],
)
def test_verl_reward_failing_program_yields_program_status_never_sandbox_error(
    local_url: str, verl_sandbox_fusion: types.ModuleType, completion: str, status: str
) -> None:
    score, metadata = verl_sandbox_fusion.compute_score(
        f"{local_url}/run_code", None, None, completion, {"inputs": ["1\n"], "outputs": ["2\n"]}, timeout=2
    )
    assert score == 0.0
    assert metadata[0]["status"] == status


@pytest.mark.parametrize(("query", "score"), [(f"?api_key={KEY}", 1.0), ("", 0.0), ("?api_key=wrong", 0.0)])
def test_verl_reward_key_in_query_yields_access(
    tight_url: str, verl_sandbox_fusion: types.ModuleType, query: str, score: float
) -> None:
    got, metadata = verl_sandbox_fusion.compute_score(
        f"{tight_url}/run_code{query}", None, 128, ECHO_DOUBLE, {"inputs": ["2\n"], "outputs": ["4\n"]}
    )
    assert got == score
    assert metadata[0]["status"] == ("success" if score else "api_error")


def test_verl_tutorial_tool_request_yields_run_output(local_url: str) -> None:
    """veRL 0.9's tutorial SandboxTool: aiohttp posts {"code": ...} alone and reads run_result's stdout + stderr."""

    async def call() -> str:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                f"{local_url}/run_code", json={"code": "import sys\nprint(6*7)\nprint('w', file=sys.stderr)"}
            ) as resp,
        ):
            resp.raise_for_status()
            result = await resp.json()
            return str(result["run_result"]["stdout"] + result["run_result"]["stderr"])

    assert asyncio.run(call()) == "42\nw\n"


def test_verl_sandbox_fusion_tool_call_yields_run_output(local_url: str, verl_sandbox_fusion: types.ModuleType) -> None:
    """veRL ≤ 0.7.1's SandboxFusionTool.execute_code is this call of the reward code: no stdin, no expected output."""
    status, metadata = verl_sandbox_fusion.utils._process_single_case(
        0, None, None, f"{local_url}/run_code", "print(sum(range(10)))", 30, 1024, "python"
    )
    assert status is True
    assert (metadata["status"], metadata["stdout"]) == ("success", "45\n")
