"""A veRL (0.9.x) tool: a Python interpreter, one rlvr session per trajectory, in rlvr's sandbox.

veRL's ``ToolAgentLoop`` calls a ``BaseTool`` as ``create`` → ``execute`` → ``release`` for
*every* tool call, so an instance lives for one call. State that should persist across a
trajectory's calls (variables, imports, files) is kept where veRL says tools keep session
data: ``agent_data.extra_fields``. The first call of a trajectory opens an rlvr session
there; later calls run their cells in it. It is ended when veRL drops the trajectory's
``AgentData`` (or, if the process dies first, by the service's idle TTL). Called without
``agent_data`` (other loops, tests), an instance owns its session and ``release`` ends it.

Point veRL at ``examples/verl/tool_config.yaml``::

    actor_rollout_ref.rollout.multi_turn.enable=True
    actor_rollout_ref.rollout.multi_turn.tool_config_path=examples/verl/tool_config.yaml

``config``: ``url`` (default ``$RLVR_URL`` or http://127.0.0.1:8000), ``api_key`` (default
``$RLVR_API_KEY``), ``timeout`` (seconds per cell, 10), ``memory_limit_mb`` (the service's
default), ``max_output_chars`` (4000). ``calc_reward`` is the share of this instance's cells
that ran without an error (0.0 before any), a shaping signal veRL may add to the reward.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import weakref
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from verl.tools.base_tool import BaseTool
from verl.tools.schemas import OpenAIFunctionToolSchema, ToolResponse
from verl.utils.rollout_trace import rollout_trace_op

from grpo.run_wire import CellResponse
from grpo.tools import AsyncSession, AsyncToolClient, SessionGoneError

DEFAULT_URL = "http://127.0.0.1:8000"
SESSION_KEY = "rlvr_sessions"
"""``agent_data.extra_fields[SESSION_KEY][tool name]``: the id of the trajectory's session. An id, not the session
object: veRL makes every ``extra_fields`` key a column of the batch its agent-loop workers return through Ray,
which pickles it (a session holds its client's connection pool, which does not pickle)."""
SCHEMA = {
    "type": "function",
    "function": {
        "name": "python",
        "description": "Run Python code in a persistent interpreter: variables, imports and files carry over to "
        "the next call. Returns what the code printed and the value of its last expression.",
        "parameters": {
            "type": "object",
            "properties": {"code": {"type": "string", "description": "the Python code to run"}},
            "required": ["code"],
        },
    },
}


@dataclass
class _Instance:
    """One tool instance: its session (unless the trajectory's), and how its cells went."""

    session: AsyncSession | None = None
    cells: int = 0
    ok: int = 0


class RlvrPythonTool(BaseTool):
    """veRL ``BaseTool`` backed by an rlvr Python session (``grpo.tools``)."""

    def __init__(self, config: dict[str, Any], tool_schema: OpenAIFunctionToolSchema | None) -> None:
        super().__init__(config, tool_schema or OpenAIFunctionToolSchema.model_validate(SCHEMA))
        url = config.get("url") or os.environ.get("RLVR_URL", DEFAULT_URL)
        self.client = AsyncToolClient(url, api_key=config.get("api_key") or os.environ.get("RLVR_API_KEY"))
        self.timeout = float(config.get("timeout", 10.0))
        self.memory_limit_mb = config.get("memory_limit_mb")
        self.max_output_chars = int(config.get("max_output_chars", 4000))
        self._instances: dict[str, _Instance] = {}

    async def create(self, instance_id: str | None = None, **kwargs: Any) -> tuple[str, ToolResponse]:
        instance_id = instance_id or str(uuid4())
        self._instances[instance_id] = _Instance()
        return instance_id, ToolResponse()

    @rollout_trace_op
    async def execute(
        self, instance_id: str, parameters: dict[str, Any], **kwargs: Any
    ) -> tuple[ToolResponse, float, dict[str, Any]]:
        code = parameters.get("code")
        if not isinstance(code, str) or not code.strip():
            return ToolResponse(text="error: pass the Python code to run as the string argument `code`"), 0.0, {}
        instance = self._instances.setdefault(instance_id, _Instance())
        agent_data = kwargs.get("agent_data")
        note = ""
        try:
            cell = await (await self._session(instance, agent_data)).exec(code, timeout=self.timeout)
        except SessionGoneError:  # idle past the service's TTL, or the service restarted: start afresh
            self._forget(instance, agent_data)
            cell = await (await self._session(instance, agent_data)).exec(code, timeout=self.timeout)
            note = "[the interpreter was restarted: variables from earlier calls are gone]\n"
        instance.cells += 1
        instance.ok += cell.status == "ok"
        metrics = {"status": cell.status, "execution_time": cell.execution_time, "restarted": bool(note)}
        return ToolResponse(text=note + self._text(cell)), 0.0, metrics

    async def calc_reward(self, instance_id: str, **kwargs: Any) -> float:
        instance = self._instances.get(instance_id)
        return instance.ok / instance.cells if instance and instance.cells else 0.0

    async def release(self, instance_id: str, **kwargs: Any) -> None:
        instance = self._instances.pop(instance_id, None)
        if instance is not None and instance.session is not None:
            await instance.session.close()

    async def _session(self, instance: _Instance, agent_data: Any) -> AsyncSession:
        """The trajectory's session (opened on its first call), or this instance's own without ``agent_data``."""
        if agent_data is None:
            if instance.session is None:
                instance.session = await self.client.session(memory_limit_mb=self.memory_limit_mb)
            return instance.session
        sessions: dict[str, str] = agent_data.extra_fields.setdefault(SESSION_KEY, {})
        if self.name not in sessions:
            session = await self.client.session(memory_limit_mb=self.memory_limit_mb)
            sessions[self.name] = session.id
            weakref.finalize(agent_data, _end_later, asyncio.get_running_loop(), self.client, session.id)
            return session
        return AsyncSession(self.client, sessions[self.name])

    def _forget(self, instance: _Instance, agent_data: Any) -> None:
        if agent_data is None:
            instance.session = None
        else:
            agent_data.extra_fields.get(SESSION_KEY, {}).pop(self.name, None)

    def _text(self, cell: CellResponse) -> str:
        """What the model sees: output, the last expression's value, the error, and a word if state was lost."""
        parts = [cell.stdout]
        if cell.result is not None:
            parts.append(cell.result)
        if cell.status == "error":
            parts.append(cell.stderr)
        elif cell.status in ("timeout", "crashed", "sandbox_error"):
            parts.append(f"[{cell.status}: {cell.message or 'the cell did not finish'}]")
        text = "\n".join(p.rstrip("\n") for p in parts if p)
        if len(text) > self.max_output_chars:
            text = text[: self.max_output_chars] + "\n...(truncated)"
        return text or "(no output)"


def _end_later(loop: asyncio.AbstractEventLoop, client: AsyncToolClient, session_id: str) -> None:
    """The trajectory is gone: end its session on the loop that opened it (the TTL ends it if that loop is gone)."""
    with contextlib.suppress(RuntimeError):  # the loop is closed
        loop.call_soon_threadsafe(lambda: asyncio.ensure_future(AsyncSession(client, session_id).close()))
