"""The trusted harness: runs tests against a solution that lives in another process.

Shipped into the sandbox on the step's stdin with wire.py and runner.py (see
program.py; never as a file the solution could rewrite). The harness makes itself
non-dumpable (the child cannot ptrace it or read its memory or fds), forks a child
*before* reading anything secret, then reads the job (nonce, solution, tests) from its
stdin, which the child never sees. The child runs the solution; the tests run here and reach the solution only
through proxies that send arguments and receive results as plain data (wire.py), so
``__eq__`` tricks, ``sys.exit``, monkeypatched builtins and skips all stay in the
child. The one result line goes to a private dup of stdout, prefixed with the nonce.
"""

from __future__ import annotations

import builtins
import json
import os

if __name__ != "__main__":  # imported by the judge; in the sandbox wire.py's source precedes this one
    from typing import Any

    from sandbox.judge.wire import NotData, decode, encode

BUILTIN_ERRORS = {n: e for n, e in vars(builtins).items() if isinstance(e, type) and issubclass(e, Exception)}


class CandidateError(BaseException):
    """The solution's process died or broke the protocol; BaseException so tests cannot swallow it."""

    def __init__(self, status: str, message: str, **info: Any) -> None:
        super().__init__(message)
        self.result = {"status": status, "message": message[:500], **info}


# ---------------------------------------------------------------- child side (untrusted)
def _serve(rfd: int, wfd: int) -> None:
    rfile, wfile = os.fdopen(rfd, "rb"), os.fdopen(wfd, "wb")
    state: dict[str, Any] = {"ns": {}, "handles": [], "classes": frozenset()}
    for line in rfile:
        try:
            reply = _handle(json.loads(line), state)
        except BaseException as exc:
            reply = {"raised": type(exc).__name__, "message": _safe_str(exc)}
        wfile.write(json.dumps(reply).encode() + b"\n")
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
        modules = {k: v.__name__ for k, v in new.items() if isinstance(v, type(builtins))}
        return {"names": kinds, "modules": modules}
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


# ---------------------------------------------------------------- parent side (trusted)
class Link:
    """The parent's end of the pipe pair to the child."""

    def __init__(self, pid: int, wfd: int, rfd: int) -> None:
        self.pid, self.w, self.r = pid, os.fdopen(wfd, "wb"), os.fdopen(rfd, "rb")
        self.classes: dict[str, type] = {}
        self.pending_init: dict | None = None
        self.names: dict[str, str] = {}
        self.modules: dict[str, str] = {}
        self.failure: CandidateError | None = None

    def ask(self, msg: dict) -> dict:
        """Send one request and return the reply; a dead or lying child raises CandidateError (and is remembered)."""
        try:
            self.start()
            return self._exchange(msg)
        except CandidateError as exc:
            self.failure = self.failure or exc
            raise

    def start(self) -> None:
        """Have the child load the solution (once), learning the names it defines."""
        if self.pending_init is None:
            return
        msg, self.pending_init = self.pending_init, None
        reply = self._exchange({**msg, "classes": sorted(self.classes)})
        if "compile_error" in reply:
            raise CandidateError("compile_error", str(reply["compile_error"]))
        if "raised" in reply:
            name, message = str(reply["raised"]), str(reply.get("message"))[:300]
            raise CandidateError("error", f"the solution raised {name}: {message} while loading", raised=name)
        names, modules = reply.get("names"), reply.get("modules")
        if type(names) is not dict or type(modules) is not dict:
            raise CandidateError("error", "the solution's process broke the protocol")
        self.names = {str(k): str(v) for k, v in names.items()}
        self.modules = {str(k): str(v) for k, v in modules.items()}

    def _exchange(self, msg: dict) -> dict:
        try:
            self.w.write(json.dumps(msg).encode() + b"\n")
            self.w.flush()
            line = self.r.readline()
        except (BrokenPipeError, OSError):
            line = b""
        if not line:
            raise self._died()
        try:
            reply = json.loads(line)
        except (ValueError, RecursionError):
            raise CandidateError("error", "the solution's process broke the protocol") from None
        if type(reply) is not dict:
            raise CandidateError("error", "the solution's process broke the protocol")
        return reply

    def _died(self) -> CandidateError:
        _, status = os.waitpid(self.pid, 0)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            return CandidateError("died", f"the solution was killed by signal {sig}", signal=sig)
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        return CandidateError(
            "died", f"the solution's process exited (code {code}) before the tests finished", exit_code=code
        )

    def call(self, where: dict, args: tuple, kwargs: dict) -> Any:
        names = frozenset(self.classes)
        try:
            msg = {
                "op": "call",
                **where,
                "args": [encode(a, names) for a in args],
                "kwargs": {k: encode(v, names) for k, v in kwargs.items()},
            }
        except NotData as exc:
            raise TypeError(f"the harness cannot pass this argument to the solution: {exc}") from None
        reply = self.ask(msg)
        if "handle" in reply:
            return RemoteObject(self, int(reply["handle"]))
        value = self._value(reply)
        for arg, new in [
            *zip(args, reply.get("after") or [], strict=False),
            *((kwargs.get(k), v) for k, v in (reply.get("after_kw") or {}).items()),
        ]:
            if new is not None:
                _update(arg, self._decode(new))
        return value

    def _value(self, reply: dict) -> Any:
        if "raised" in reply:
            name, message = str(reply["raised"]), str(reply.get("message", ""))[:300]
            exc = BUILTIN_ERRORS.get(name)
            if exc is None or name in ("AssertionError",):
                raise CandidateError("error", f"the solution raised {name}: {message}", raised=name)
            raise exc(message)
        if "value" not in reply:
            raise CandidateError("error", "the solution's process broke the protocol")
        return self._decode(reply["value"])

    def _decode(self, data: Any) -> Any:
        try:
            return decode(data, self.classes)
        except (NotData, RecursionError) as exc:
            raise CandidateError("error", f"the solution returned something that is not plain data: {exc}") from None

    def close(self) -> None:
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except OSError:
            pass


def _update(target: Any, new: Any) -> None:
    if type(target) is not type(new):
        return
    if isinstance(target, list):
        target[:] = new
    elif isinstance(target, dict | set):
        target.clear()
        target.update(new)
    else:
        target.__dict__.clear()
        target.__dict__.update(new.__dict__)


class RemoteCallable:
    """A function or class of the solution, callable from the tests."""

    def __init__(self, link: Link, where: dict, label: str) -> None:
        self._link, self._where, self._label = link, where, label

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._link.call(self._where, args, kwargs)

    def __repr__(self) -> str:
        return f"<solution {self._label}>"


class RemoteObject:
    """An instance of the solution's own class: its methods can be called, nothing else."""

    def __init__(self, link: Link, handle: int) -> None:
        self._link, self._handle = link, handle

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        reply = self._link.ask({"op": "getattr", "handle": self._handle, "attr": attr})
        if reply.get("callable") is True:
            return RemoteCallable(self._link, {"handle": self._handle, "attr": attr}, attr)
        return self._link._value(reply)

    def _refuse(self, *_: Any) -> Any:
        raise CandidateError("error", "a test used an object of the solution's own class as a value")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __bool__ = __hash__ = __len__ = __iter__ = _refuse
