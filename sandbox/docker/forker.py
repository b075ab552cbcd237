"""The agent's side of the per-submission Python template (template.py): start it, fork steps through it, reap them.

Stdlib only: runner.py sends this file with wipe.py, gauges.py and agent.py as the agent's source.
A template is started after every clean wipe (and at start-up), so its interpreter start is
paid while the container is idle, and it is killed by the next wipe: it serves one submission.
Any failure of the template (it died, or answers late or wrongly) only costs speed: the
agent stops using it until the next wipe and spawns steps itself.
"""

import marshal
import os
import signal
import socket
import sys

TEMPLATE_PYTHON = "/usr/bin/python3"
PYTHON_NAMES = ("python3", TEMPLATE_PYTHON)  # how a step names the interpreter the template is
PYTHON_FLAGS = ["-I", "-S", "-B"]
TEMPLATE_REPLY_S = 5.0
MARSHAL_VERSION = 4


def forkable(argv: list) -> bool:
    """True if ``argv`` is ``python3 -I -S -B FILE ...`` or ``python3 -I -S -B -c CODE ...``: what the template runs."""
    if len(argv) < 5 or argv[0] not in PYTHON_NAMES or argv[1:4] != PYTHON_FLAGS:
        return False
    return len(argv) >= 6 if argv[4] == "-c" else not argv[4].startswith("-")


class Template:
    """A started template interpreter (root, as the agent; never runs a program itself)."""

    def __init__(self, source: str, env: dict, work: str) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        wrapper = f"exec(compile({source!r}, '<rlvr-template>', 'exec'), {{'__name__': 'rlvr_template'}})"
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

    def _ask(self, message: dict, fds: list | tuple = ()) -> dict:
        if not self._ready:
            self._ready = bool(self._receive().get("ready"))
        rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, b"".join(fd.to_bytes(4, sys.byteorder) for fd in fds))]
        self._sock.sendmsg([marshal.dumps(message, MARSHAL_VERSION)], rights if fds else [])
        return self._receive()

    def _receive(self) -> dict:
        data = self._sock.recv(1 << 16)
        if not data:
            raise OSError("the Python template closed its socket")
        reply = marshal.loads(data)
        if not isinstance(reply, dict):
            raise OSError(f"unreadable reply from the Python template: {reply!r}")
        return reply

    def wait_ready(self) -> None:
        """Block until the template has started (its start-up CPU is then not the step's); OSError if it cannot."""
        if not self._ready:
            self._ready = bool(self._receive().get("ready"))
        if not self._ready:
            raise OSError("the Python template did not start")

    def spawn(self, argv: list, fds: tuple, rlimits: list, uid: int, private_tmp: bool = False) -> int:
        """Fork a step off the template: ``argv`` run as ``uid`` on ``fds`` (0, 1, 2, ...); its pid."""
        spec = {"op": "spawn", "argv": argv, "rlimits": rlimits, "uid": uid, "env": self._env, "work": self._work}
        pid = self._ask({**spec, "private_tmp": private_tmp}, fds).get("pid")
        if not isinstance(pid, int):
            raise OSError("the Python template did not fork")
        return pid

    def reap(self, pid: int) -> tuple[int, float]:
        """(wait status, CPU seconds) of a step the template forked, once it is dead."""
        reply = self._ask({"op": "reap", "pid": pid})
        return reply["status"], reply["cpu_time_s"]

    def stop(self) -> None:
        """Kill the template (its steps, if any, come to the agent to be reaped) and drop the socket."""
        self._sock.close()
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
