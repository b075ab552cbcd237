"""The solution's side of the judge harness: a separate, untrusted process (the step's peer).

Started as the step's ``peer`` (``python3 -I -S -B -c PEER_BOOTSTRAP``, sandbox/judge/program.py, which
reads wire.py + this file, compiled, from the harness), so the sandbox starts it in namespaces
of its own (see sandbox/backend.py): it cannot see, signal or read the harness that runs the
tests, and shares no files with it. It reads requests
(JSON lines) on the pipe from the harness, runs the solution's code, and answers with
plain data only (wire.py); anything it says is checked by the harness before use.
"""

from __future__ import annotations

import builtins
import marshal
import os

if __name__ != "__main__":  # imported for checking; in the sandbox wire.py's source precedes this one
    from typing import Any

    from sandbox.judge.wire import NotData, decode, dumps, encode


def main() -> None:
    """Move the pipes off stdin/stdout (the solution's prints must not reach the harness), then serve."""
    rfd, wfd = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    _serve(rfd, wfd)


def _serve(rfd: int, wfd: int) -> None:
    """Answer the harness's requests (length-prefixed marshal, from the trusted side) with JSON lines."""
    rfile, wfile = os.fdopen(rfd, "rb"), os.fdopen(wfd, "wb")
    state: dict[str, Any] = {"ns": {}, "handles": [], "classes": frozenset()}
    while len(head := rfile.read(4)) == 4:
        msg = marshal.loads(rfile.read(int.from_bytes(head, "little")))
        try:
            reply = dumps(_handle(msg, state))
        except BaseException as exc:
            reply = dumps({"raised": type(exc).__name__, "message": _safe_str(exc)})
        wfile.write(reply.encode() + b"\n")
        wfile.flush()


def _handle(msg: dict, state: dict) -> dict:
    ns, classes = state["ns"], state["classes"]
    if msg["op"] == "init":
        state["classes"] = frozenset(msg["classes"])
        ns.update({"__name__": "solution", "__builtins__": builtins})
        exec(compile(msg["prelude"], "<prelude>", "exec"), ns)
        base = {k: id(v) for k, v in ns.items()}
        try:
            code = compile(msg["source"], "solution.py", "exec")
        except (SyntaxError, ValueError) as exc:
            return {"compile_error": _safe_str(exc)}
        exec(code, ns)
        new = {k: v for k, v in ns.items() if not k.startswith("__") and base.get(k) != id(v)}
        kinds = {k: "class" if isinstance(v, type) else "callable" for k, v in new.items() if callable(v)}
        return {"names": kinds}
    if msg["op"] == "getattr":
        value = getattr(state["handles"][msg["handle"]], msg["attr"])
        return {"callable": True} if callable(value) else {"value": encode(value, classes)}
    target = ns[msg["name"]] if "name" in msg else getattr(state["handles"][msg["handle"]], msg["attr"])
    args = [decode(a, _class_table(ns, classes)) for a in msg["args"]]
    kwargs = {k: decode(a, _class_table(ns, classes)) for k, a in msg["kwargs"].items()}
    result = target(*args, **kwargs)
    try:
        reply: dict[str, Any] = {"value": encode(result, classes)}
    except NotData:
        if type(result).__module__ != "solution":  # only instances of the solution's own classes become handles
            raise
        state["handles"].append(result)
        return {"handle": len(state["handles"]) - 1}
    if result is None:  # an in-place function: send its mutable arguments back
        reply["after"] = [_mutable(a, classes) for a in args]
        reply["after_kw"] = {k: _mutable(a, classes) for k, a in kwargs.items()}
    return reply


def _mutable(value: Any, classes: frozenset[str]) -> Any:
    return encode(value, classes) if type(value) in (list, dict, set) or type(value).__name__ in classes else None


def _class_table(ns: dict, names: frozenset[str]) -> dict[str, type]:
    return {n: ns[n] for n in names if isinstance(ns.get(n), type)}


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)[:300]
    except BaseException:
        return ""
