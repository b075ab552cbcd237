"""The trusted harness: runs tests against a solution that lives in another, isolated process.

Shipped into the sandbox on the step's stdin with wire.py and runner.py (see
program.py; never as a file the solution could rewrite). The solution runs in the
step's *peer* (peer.py), which the backend starts in namespaces of its own: it cannot
see, signal, ptrace or read this process, and shares no files with it. The tests run
here and reach the solution only through proxies that send arguments and receive
results as plain data (wire.py), so ``__eq__`` tricks, ``sys.exit``, monkeypatched
builtins and skips all stay in the peer. Nothing the peer says is code or a name to
import: the names it reports become proxies only, after validation. The one result
line goes to a private dup of stdout, prefixed with the nonce.
"""

from __future__ import annotations

import builtins
import keyword
import marshal
import os

if __name__ != "__main__":  # imported by the judge; in the sandbox wire.py's source precedes this one
    from typing import Any

    from sandbox.judge.wire import NotData, decode, encode, loads

# what a solution may raise into the tests; StopIteration (StopAsyncIteration) would end a test's map() or
# filter() early, as if every item were checked, so it ends the test as the solution's error instead
BUILTIN_ERRORS = {
    n: e
    for n, e in vars(builtins).items()
    if isinstance(e, type) and issubclass(e, Exception) and not issubclass(e, (StopIteration, StopAsyncIteration))
}


class CandidateError(BaseException):
    """The solution's process died or broke the protocol; BaseException so tests cannot swallow it."""

    def __init__(self, status: str, message: str, **info: Any) -> None:
        super().__init__(message)
        self.result = {"status": status, "message": message[:500], **info}


MAX_NAMES = 1000


def _valid_name(name: object) -> bool:
    """A name the peer may define for the tests to call: a plain identifier, not a keyword or dunder."""
    return type(name) is str and name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("__")


class Link:
    """The harness's end of the two pipes to the solution's process (the step's peer)."""

    def __init__(self, wfd: int, rfd: int) -> None:
        self.w, self.r = os.fdopen(wfd, "wb"), os.fdopen(rfd, "rb")
        self.classes: dict[str, type] = {}
        self.pending_init: dict | None = None
        self.names: dict[str, str] = {}
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
        names = reply.get("names")
        if type(names) is not dict or len(names) > MAX_NAMES:
            raise CandidateError("error", "the solution's process broke the protocol")
        self.names = {k: v for k, v in names.items() if _valid_name(k) and v in ("class", "callable")}

    def _exchange(self, msg: dict) -> dict:
        try:
            data = marshal.dumps(msg)  # to the peer: the untrusted side reads what we send, never the reverse
            self.w.write(len(data).to_bytes(4, "little") + data)
            self.w.flush()
            line = self.r.readline()
        except (BrokenPipeError, OSError):
            line = b""
        if not line:
            raise self._died()
        try:
            reply = loads(line)
        except (ValueError, RecursionError):
            raise CandidateError("error", "the solution's process broke the protocol") from None
        if type(reply) is not dict:
            raise CandidateError("error", "the solution's process broke the protocol")
        return reply

    @staticmethod
    def _died() -> CandidateError:
        # how it ended (a limit, a signal) is the backend's to tell: it judges the step's limits first
        return CandidateError("died", "the solution's process ended before the tests finished")

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
        """Close the pipes: the peer sees EOF (and the backend ends it with the step)."""
        for f in (self.w, self.r):
            try:  # noqa: SIM105 - contextlib is an import every test would pay
                f.close()
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
