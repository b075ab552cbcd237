"""examples/verl/rlvr_python_tool.py with veRL 0.9.1's own BaseTool, driven as veRL's ToolAgentLoop drives it.

veRL is installed with --no-deps (``make install``); ``verl/__init__.py`` imports torch, so
``verl.tools`` and ``verl.utils`` are imported from the wheel under empty parent packages.
veRL's ``tool_registry`` imports omegaconf and transformers at the top, which the main
environment does not have: the test loads ``examples/verl/tool_config.yaml`` the way
``initialize_tools_from_config`` does (the class by ``class_name`` through ``find_spec``,
the schema through veRL's ``OpenAIFunctionToolSchema``, ``tool_cls(config=, tool_schema=)``).
A tool call is what ``ToolAgentLoop._call_tool`` does for a ``BaseTool``: ``create`` →
``execute(instance_id, args, agent_data=...)`` → ``release``, for every call.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import importlib.util
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.server import REPO, run_server

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

VERL_PARENTS = ("verl", "verl.utils", "verl.tools")
TOOL_CONFIG = REPO / "examples" / "verl" / "tool_config.yaml"
# one trajectory, in order: the code the model sends, what the tool answers
TURNS: list[tuple[str, str]] = [
    ("import math\nx = 41\nprint('set')", "set"),
    ("x + 1", "42"),
    ("open('notes.txt', 'w').write('kept')\nmath.floor(2.5)", "2"),
    ("print(open('notes.txt').read())", "kept"),
]


@pytest.fixture(scope="module")
def verl_tools() -> Iterator[types.SimpleNamespace]:
    """veRL's ``verl.tools`` (BaseTool, schemas) and the example, imported from the installed wheel."""
    spec = importlib.util.find_spec("verl")
    assert spec is not None and spec.submodule_search_locations, "verl is not installed: run `make install`"
    root = Path(next(iter(spec.submodule_search_locations)))
    saved = {name: module for name, module in sys.modules.items() if name == "verl" or name.startswith("verl.")}
    for name in VERL_PARENTS:
        package = types.ModuleType(name)
        package.__path__ = [str(root.joinpath(*name.split(".")[1:]))]
        sys.modules[name] = package
    try:
        yield types.SimpleNamespace(
            base=importlib.import_module("verl.tools.base_tool"), schemas=importlib.import_module("verl.tools.schemas")
        )
    finally:
        for name in [n for n in sys.modules if n == "verl" or n.startswith("verl.")]:
            del sys.modules[name]
        sys.modules.update(saved)
        sys.modules.pop("examples.verl.rlvr_python_tool", None)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with run_server(env={"RLVR_WORKERS": "1", "RLVR_RUN_MAX_CONCURRENCY": "2"}) as base:
        yield base


def load_tools(verl_tools: types.SimpleNamespace, url: str) -> list[Any]:
    """``initialize_tools_from_config(examples/verl/tool_config.yaml)``, step for step, the URL set in config."""
    tools = []
    for tool_config in yaml.safe_load(TOOL_CONFIG.read_text())["tools"]:
        assert tool_config["config"]["type"] == "native"
        module_name, class_name = tool_config["class_name"].rsplit(".", 1)
        module_spec = importlib.util.find_spec(module_name)
        assert module_spec is not None and module_spec.loader is not None, module_name
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module
        module_spec.loader.exec_module(module)
        schema = verl_tools.schemas.OpenAIFunctionToolSchema.model_validate(tool_config["tool_schema"])
        tools.append(getattr(module, class_name)(config={**tool_config["config"], "url": url}, tool_schema=schema))
    return tools


class Trajectory:
    """What veRL's ToolAgentLoop hands a tool as ``agent_data``: per-trajectory ``extra_fields`` for tool sessions."""

    def __init__(self) -> None:
        self.extra_fields: dict[str, Any] = {}


async def call_tool(tool: Any, arguments: dict[str, Any], agent_data: Any) -> tuple[str | None, float, float]:
    """One tool call as ``ToolAgentLoop._call_tool`` makes it; plus ``calc_reward`` before the release."""
    instance_id, _ = await tool.create(create_kwargs={})
    try:
        response, step_reward, _ = await tool.execute(instance_id, arguments, agent_data=agent_data)
        return response.text, step_reward, await tool.calc_reward(instance_id)
    finally:
        await tool.release(instance_id)


def test_config_yields_a_base_tool_with_its_openai_schema(verl_tools: types.SimpleNamespace, url: str) -> None:
    (tool,) = load_tools(verl_tools, url)
    assert isinstance(tool, verl_tools.base.BaseTool)
    schema = tool.get_openai_tool_schema()
    assert (tool.name, schema.type, schema.function.parameters.required) == ("python", "function", ["code"])


def test_trajectory_calls_yield_state_carried_across_calls(verl_tools: types.SimpleNamespace, url: str) -> None:
    (tool,) = load_tools(verl_tools, url)

    async def rollout() -> list[tuple[str, str | None, float, float]]:
        trajectory = Trajectory()
        return [(code, *(await call_tool(tool, {"code": code}, trajectory))) for code, _ in TURNS]

    assert asyncio.run(rollout()) == [(code, answer, 0.0, 1.0) for code, answer in TURNS]


def test_trajectories_side_by_side_yield_their_own_state(verl_tools: types.SimpleNamespace, url: str) -> None:
    (tool,) = load_tools(verl_tools, url)

    async def one(n: int) -> str | None:
        trajectory = Trajectory()
        await call_tool(tool, {"code": f"x = {n}"}, trajectory)
        return (await call_tool(tool, {"code": "x * 10"}, trajectory))[0]

    async def rollouts() -> list[str | None]:
        return list(await asyncio.gather(*(one(n) for n in range(3))))

    assert asyncio.run(rollouts()) == ["0", "10", "20"]


@pytest.mark.parametrize(
    ("arguments", "says", "reward"),
    [
        ({"code": "1 / 0"}, "ZeroDivisionError", 0.0),
        ({"code": "while True: pass"}, "[timeout", 0.0),
        ({"code": ""}, "pass the Python code", 0.0),
        ({"source": "print(1)"}, "pass the Python code", 0.0),
        ({"code": "print('x' * 10000)"}, "...(truncated)", 1.0),
    ],
    ids=["raises", "runs_forever", "empty", "wrong_argument", "floods"],
)
def test_bad_call_yields_text_for_the_model(
    verl_tools: types.SimpleNamespace, url: str, arguments: dict[str, Any], says: str, reward: float
) -> None:
    (tool,) = load_tools(verl_tools, url)
    tool.timeout = 1.0
    text, _, got_reward = asyncio.run(call_tool(tool, arguments, Trajectory()))
    assert text is not None and says in text
    assert got_reward == reward


def test_without_agent_data_release_yields_session_ended(verl_tools: types.SimpleNamespace, url: str) -> None:
    (tool,) = load_tools(verl_tools, url)

    async def scenario() -> tuple[str | None, int]:
        instance_id, _ = await tool.create()
        response, _, _ = await tool.execute(instance_id, {"code": "y = 2\ny * 21"})
        session_id = tool._instances[instance_id].session.id
        await tool.release(instance_id)
        gone = httpx.post(f"{url}/v1/sessions/{session_id}/exec", json={"code": "y"}, timeout=30)
        return response.text, gone.status_code

    assert asyncio.run(scenario()) == ("42", 404)


def test_trajectory_dropped_yields_its_session_ended(verl_tools: types.SimpleNamespace, url: str) -> None:
    (tool,) = load_tools(verl_tools, url)

    async def scenario() -> int:
        trajectory = Trajectory()
        await call_tool(tool, {"code": "z = 1"}, trajectory)
        session_id = trajectory.extra_fields["rlvr_sessions"]["python"]
        del trajectory
        gc.collect()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            status = httpx.post(f"{url}/v1/sessions/{session_id}/exec", json={"code": "z"}, timeout=30).status_code
            if status == 404:
                return status
        return status

    assert asyncio.run(scenario()) == 404


def test_session_gone_mid_trajectory_yields_a_fresh_interpreter_said_so(
    verl_tools: types.SimpleNamespace, url: str
) -> None:
    (tool,) = load_tools(verl_tools, url)

    async def scenario() -> str | None:
        trajectory = Trajectory()
        await call_tool(tool, {"code": "w = 1"}, trajectory)
        session_id = trajectory.extra_fields["rlvr_sessions"]["python"]
        httpx.delete(f"{url}/v1/sessions/{session_id}", timeout=30)  # as the TTL or a restart would
        return (await call_tool(tool, {"code": "print('again')"}, trajectory))[0]

    assert asyncio.run(scenario()) == "[the interpreter was restarted: variables from earlier calls are gone]\nagain"
