"""The harness's entry point in the sandbox: fork the child, read the job, run one test, print one line.

After the peer's program (length-prefixed, passed on to the peer unread), the job arrives on
stdin as JSON: ``nonce``, ``mode`` (assert | call | pytest),
``source`` (the solution), ``prelude``, ``setup``, ``code`` (assert/pytest), ``fn_name``
and ``args`` (call). The one output line is ``<nonce> <JSON result>``.
"""

from __future__ import annotations

import _ast  # the C half of ast: `import ast` costs `enum` and `contextlib`, ~3 ms of every test
import builtins
import ctypes
import importlib
import os
import sys
import types

if __name__ != "__main__":  # imported for checking; in the sandbox the sources are concatenated
    from typing import Any

    from sandbox.judge.harness import CandidateError, Link, RemoteCallable
    from sandbox.judge.wire import NotData, dumps, encode, loads

PR_SET_DUMPABLE = 4
PEER_WRITE_FD, PEER_READ_FD = 3, 4  # sandbox.backend's: the pipes to the solution's process
# Standard modules a one-file program's tests may use without importing them (HumanEval's
# tests call math.fabs, say): imported when the tests' own text names them, never because
# the solution said so.
TEST_MODULES = frozenset({
    "math", "cmath", "re", "string", "collections", "itertools", "functools", "heapq", "bisect", "operator",
    "random", "statistics", "fractions", "decimal", "copy", "typing", "json", "hashlib", "datetime", "sys",
})  # fmt: skip


def main() -> None:
    """Run one test as described on stdin and write its signed result line to stdout."""
    sys.setrecursionlimit(20000)
    stdin = sys.stdin.buffer
    head = stdin.read(4)
    _start_peer(head + stdin.read(int.from_bytes(head, "little")))  # first: the peer loads while we read the job
    dumpable = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0
    spec = loads(stdin.read())
    link = None if dumpable else Link(PEER_WRITE_FD, PEER_READ_FD)
    out = os.dup(1)
    os.dup2(2, 1)  # the tests' own prints must not reach the result channel
    if link is None:
        result: dict[str, Any] = {"status": "harness_error", "message": "prctl(PR_SET_DUMPABLE) failed"}
    else:
        try:
            result = MODES[spec["mode"]](spec, link)
            if link.failure is not None:  # a test swallowed the child's failure
                result = link.failure.result
        except CandidateError as exc:
            result = exc.result
        except Exception as exc:  # e.g. the tests misuse a proxy: the test errs, the harness does not
            result = {"status": "error", "message": f"{type(exc).__name__}: {exc}"[:300]}
        finally:
            link.close()
    data = (spec["nonce"] + " " + dumps(result) + "\n").encode()
    while data:
        data = data[os.write(out, data) :]


def _start_peer(program: bytes) -> None:
    """Hand the peer's bootstrap its program (length-prefixed, as program.py's PEER_BOOTSTRAP reads it).

    A peer gone already is found out by the first request (Link), which says how it ended.
    """
    view = memoryview(program)
    try:
        while view:
            view = view[os.write(PEER_WRITE_FD, view) :]
    except OSError:
        pass


def _namespace(spec: dict, link: Link) -> dict[str, Any]:
    """The tests' namespace: the prelude, then a proxy for each function or class the solution defines.

    Names of builtins and of the prelude are never replaced (a solution defining ``abs``
    or the tests' own helper must not change what the tests call); standard modules the
    tests name (TEST_MODULES) are imported here, as the tests of a one-file program use them.
    """
    ns: dict[str, Any] = {"__name__": "__test__"}
    exec(compile(spec.get("prelude", ""), "<prelude>", "exec"), ns)
    link.classes = {k: v for k, v in ns.items() if isinstance(v, type) and v.__module__ == "__test__"}
    link.pending_init = {"op": "init", "source": spec["source"], "prelude": spec.get("prelude", "")}
    link.start()
    protected = set(ns) | set(vars(builtins))
    for name in link.names:
        if name not in protected:
            ns[name] = RemoteCallable(link, {"name": name}, name)
    for name in _named_modules(spec):
        if name not in ns:
            ns[name] = importlib.import_module(name)
    return ns


def _named_modules(spec: dict) -> set[str]:
    """The TEST_MODULES that the tests' own code (prelude, setup, test) names."""
    names: set[str] = set()
    for part in ("prelude", "setup", "code"):
        try:
            tree = _parse(spec.get(part) or "")
        except (SyntaxError, ValueError):
            continue  # exec reports it
        names |= {n.id for n in _nodes(tree) if isinstance(n, _ast.Name)}
    return names & TEST_MODULES


def run_assert(spec: dict, link: Link) -> dict[str, Any]:
    """Run the setup and one test's code; pass only if it completes."""
    ns = _namespace(spec, link)
    last: list[Any] = []

    def eq(left: Any, right: Any) -> Any:
        result = left == right
        last[:] = [left, right, bool(result)]
        return result

    ns["__rlvr_eq__"] = eq
    exec(compile(spec.get("setup", ""), "<setup>", "exec"), ns)
    try:
        exec(_instrumented(spec["code"]), ns)
    except AssertionError:
        if last and not last[2]:
            return {"status": "fail", "message": f"expected {_short(last[1])}, got {_short(last[0])}"}
        return {"status": "fail", "message": "assertion failed: " + _failing_line(spec["code"])}
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"[:300] + _where(spec["code"])
        return {"status": "error", "message": message, "raised": type(exc).__name__}
    return {"status": "pass"}


def run_call(spec: dict, link: Link) -> dict[str, Any]:
    """Call the named function (or ``Solution().<name>``) with the JSON arguments; return its value."""
    _namespace(spec, link)
    name = spec["fn_name"]
    if link.names.get(name) == "callable":
        target = RemoteCallable(link, {"name": name}, name)
    elif link.names.get("Solution") == "class":
        target = getattr(RemoteCallable(link, {"name": "Solution"}, "Solution")(), name)
    else:
        return {"status": "error", "message": f"the solution defines no function {name!r}"}
    try:
        value = target(*spec["args"])
    except Exception as exc:
        message = f"the solution raised {type(exc).__name__}: {exc}"[:300]
        return {"status": "error", "message": message, "raised": type(exc).__name__}
    try:
        return {"status": "value", "value": encode(value)}
    except NotData as exc:
        return {"status": "error", "message": str(exc)}


def run_pytest(spec: dict, link: Link) -> dict[str, Any]:
    """Collect the test file, delete it, then run it against a lazy ``solution`` module."""
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    sys.dont_write_bytecode = True
    sys.path.extend(spec.get("sys_path", []))
    import tempfile

    try:
        import pytest
    except ImportError as exc:
        return {"status": "harness_error", "message": f"pytest is not installed in the sandbox ({exc})"}

    link.pending_init = {"op": "init", "source": spec["source"], "prelude": ""}  # sent on first use
    module = types.ModuleType("solution")
    module.__getattr__ = lambda name: _lazy(link, name)  # type: ignore[method-assign]
    sys.modules["solution"] = module
    path = os.path.join(tempfile.mkdtemp(), "test_solution.py")
    with open(path, "w") as f:
        f.write(spec["code"])
    tally = _Tally(path)
    exit_code = pytest.main(
        [
            path,
            "-q",
            "-p",
            "no:cacheprovider",
            "--noconftest",
            "-c",
            os.devnull,
            "--rootdir",
            os.path.dirname(path),
            "--import-mode=importlib",
        ],
        plugins=[tally],
    )
    return {"status": "pytest", "exit_code": int(exit_code), **tally.counts, "message": tally.message}


def _lazy(link: Link, name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return RemoteCallable(link, {"name": name}, name)


class _Tally:
    """A pytest plugin that counts outcomes and deletes the test file once it is collected."""

    def __init__(self, path: str) -> None:
        self.path, self.message = path, ""
        self.counts = {"collected": 0, "passed": 0, "failed": 0, "skipped": 0, "xfailed": 0}

    def pytest_collection_finish(self, session: Any) -> None:
        os.unlink(self.path)
        self.counts["collected"] = len(session.items)

    def pytest_runtest_logreport(self, report: Any) -> None:
        if hasattr(report, "wasxfail"):
            self.counts["xfailed"] += 1
        elif report.skipped:
            self.counts["skipped"] += 1
        elif report.failed:
            self.counts["failed"] += 1
            self.message = self.message or f"{report.nodeid.split('::')[-1]}: {report.longreprtext[-300:]}"
        elif report.when == "call" and report.passed:
            self.counts["passed"] += 1


def _instrumented(code: str) -> types.CodeType:
    """``assert a == b`` becomes ``assert __rlvr_eq__(a, b)`` so a failure can say what differed."""
    tree = _parse(code)
    for node in _nodes(tree):
        if not isinstance(node, _ast.Assert):
            continue
        test = node.test
        if isinstance(test, _ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], _ast.Eq):
            func = _ast.Name("__rlvr_eq__", _ast.Load())
            call = _ast.Call(func=func, args=[test.left, test.comparators[0]], keywords=[])
            for new in (func, call):  # at the test's place: what ast.copy_location and fix_missing_locations do
                for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
                    setattr(new, attr, getattr(test, attr))
            node.test = call
    return compile(tree, "<test>", "exec")


def _parse(code: str) -> Any:
    """``ast.parse``: the tree of ``code``."""
    return compile(code, "<test>", "exec", _ast.PyCF_ONLY_AST)


def _nodes(tree: Any) -> Any:
    """Every node of ``tree`` (``ast.walk``, in another order)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, _ast.AST):
                todo.append(value)
            elif isinstance(value, list):
                todo.extend(v for v in value if isinstance(v, _ast.AST))


def _failing_line(code: str) -> str:
    return _short_text(_line(code, _test_lineno()))


def _where(code: str) -> str:
    n = _test_lineno()
    return f" (at {_short_text(_line(code, n))})" if n else ""


def _test_lineno() -> int:
    import traceback  # only on failure: it costs more than the rest of the harness's imports

    frames = [f for f in traceback.extract_tb(sys.exc_info()[2]) if f.filename == "<test>"]
    return frames[-1].lineno or 0 if frames else 0


def _line(code: str, n: int) -> str:
    lines = code.splitlines()
    return lines[n - 1].strip() if 0 < n <= len(lines) else ""


def _short(value: Any) -> str:
    return _short_text(repr(value))


def _short_text(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


MODES = {"assert": run_assert, "call": run_call, "pytest": run_pytest}
