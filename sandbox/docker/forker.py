"""The agent's side of the Python template (template.py): start it, fork steps off it.

Stdlib only: runner.py sends this file with wipe.py, gauges.py and agent.py as the agent's source.
The template is started with the agent (and again after a wipe if it is gone), so its
interpreter start is paid while the container is idle. It is only ever told to fork: each
step's spec goes straight to the step, on a socket pair of that step's own. Any failure
of the template (it died, or a step of it does not answer in time) only costs speed: the
agent stops using it until the next wipe and spawns steps itself.
"""

import marshal
import os
import signal
import socket
import sys
from socket import SCM_RIGHTS, SOL_SOCKET

TEMPLATE_PYTHON = "/usr/bin/python3"
PYTHON_NAMES = ("python3", TEMPLATE_PYTHON)  # how a step names the interpreter the template is
PYTHON_FLAGS = ["-I", "-S", "-B"]
TEMPLATE_REPLY_S = 5.0
MARSHAL_VERSION = 4


DEPTH_PROBE = "try:\n    __import__('sys').setrecursionlimit(1)\nexcept RecursionError as e:\n    depth = e\n"
"""Leaves in ``depth`` the error that says the recursion depth where it runs (template.py's ``depth_in`` reads it).

The wrapper pops ``depth`` again: its __main__ is the programs' (a fresh start's has no such name).
"""


def forkable(argv: list) -> bool:
    """True if ``argv`` is ``python3 -I -S -B FILE ...`` or ``python3 -I -S -B -c CODE ...``: what the template runs."""
    if len(argv) < 5 or argv[0] not in PYTHON_NAMES or argv[1:4] != PYTHON_FLAGS:
        return False
    return len(argv) >= 6 if argv[4] == "-c" else not argv[4].startswith("-")


class Template:
    """A started template interpreter (root, as the agent; never runs a program, never sees a submission)."""

    def __init__(self, source: str, env: dict, work: str) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        wrapper = (  # MAIN_DEPTH: what the recursion limit counts at a fresh program's module level (see template.py)
            f"{DEPTH_PROBE}exec(compile({source!r}, '<rlvr-template>', 'exec'), "
            "{'__name__': 'rlvr_template', 'MAIN_DEPTH': str(globals().pop('depth', ''))})"
        )
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)
                os.dup2(theirs.fileno(), 3)
                os.closerange(4, 65536)
                os.chdir(work)
                for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGXCPU):
                    signal.signal(sig, signal.SIG_DFL)
                os.execve(TEMPLATE_PYTHON, [TEMPLATE_PYTHON, *PYTHON_FLAGS, "-c", wrapper], env)
            finally:
                os._exit(127)
        theirs.close()
        ours.settimeout(TEMPLATE_REPLY_S)
        self.pid, self._sock, self._ready, self._env, self._work = pid, ours, False, env, work

    def _receive(self, sock: socket.socket) -> dict:
        data = sock.recv(1 << 16)
        if not data:
            raise OSError("the Python template or its step closed the socket")
        reply = marshal.loads(data)
        if not isinstance(reply, dict):
            raise OSError(f"unreadable reply from the Python template: {reply!r}")
        return reply

    def wait_ready(self) -> None:
        """Block until the template has started (its start-up CPU is then not the step's); OSError if it cannot."""
        if not self._ready:
            self._ready = bool(self._receive(self._sock).get("ready"))
        if not self._ready:
            raise OSError("the Python template did not start")

    def spawn(self, argv: list, fds: tuple, rlimits: list, uid: int, private_tmp: bool = False) -> int:
        """Fork a step off the template: ``argv`` run as ``uid`` on ``fds`` (0, 1, 2, ...); its pid (our child)."""
        self.wait_ready()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with ours, theirs:
            ours.settimeout(TEMPLATE_REPLY_S)
            rights = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (theirs.fileno(), *fds))
            self._sock.sendmsg([marshal.dumps({"op": "spawn"}, MARSHAL_VERSION)], [(SOL_SOCKET, SCM_RIGHTS, rights)])
            theirs.close()
            pid = self._receive(ours).get("pid")
            if not isinstance(pid, int):
                raise OSError("the Python template's fork did not start")
            spec = {"argv": argv, "rlimits": rlimits, "uid": uid, "env": self._env, "work": self._work}
            ours.sendall(marshal.dumps({**spec, "private_tmp": private_tmp}, MARSHAL_VERSION))
        return pid

    def alive(self) -> bool:
        """True while the template runs (it is our child: a pid reused by anyone else is never taken for it)."""
        try:
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            return False  # died and reaped already
        return pid == 0

    def stop(self) -> None:
        """Kill the template and drop its socket."""
        self._sock.close()
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
