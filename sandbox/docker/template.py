"""The Python template: an interpreter started ahead of demand, forked for each Python step.

Stdlib only; the agent runs this file as ``python3 -I -S -B -c <wrapper>`` (root, with the
agent's SETUID/SETGID/KILL and nothing else). The template never runs a program and never
receives anything of a submission: it is asked only to fork, and gets only fds (a socket
and the step's stdio). Its fork, the step, takes the step's spec (argv, uid, rlimits,
environment) on that socket, drops to the step's uid and becomes what a fresh
``python3 -I -S -B FILE|-c CODE ...`` would be (argv, orig_argv, __main__ and its __file__,
environment, standard streams, the modules of a fresh start, the exit status and traceback
of an uncaught exception, thread joins and atexit at the end). So its memory, copied into
every step, holds nothing of any submission; steps are unprivileged and the template is
root, so no step can signal, trace or read it.

Protocol on fd 3 (SOCK_SEQPACKET, marshal): the template says {"ready": True}, then takes
{"op": "spawn"} with fds (the step's spec socket, then its stdio; SCM_RIGHTS). On the spec
socket the step says {"pid": n} and reads {"argv", "rlimits", "uid", "env", "work",
"private_tmp"}. What the fork does not emulate (a script that is a directory, a zip or a
.pyc) it runs by exec of the real interpreter, after the same set-up.
"""

import sys

FRESH_MODULES = frozenset(sys.modules)  # what a fresh `python3 -I -S -B` has: the fork gives the program only these

import _signal  # noqa: E402 - imported after the snapshot of a fresh start's modules
import _socket  # noqa: E402
import ctypes  # noqa: E402
import gc  # noqa: E402
import marshal  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402

CONTROL_FD = 3
MAX_MESSAGE = 1 << 20
MAX_FDS = 8
FD_BYTES = 4
HIGH_FD = 100
PR_SET_DUMPABLE = 4
MARSHAL_VERSION = 4
DEPTH_PROBE = compile(
    "import sys\ntry:\n    sys.setrecursionlimit(1)\nexcept RecursionError as e:\n    depth = e\n", "<probe>", "exec"
)
PYC_MAGIC = sys.modules["_frozen_importlib_external"].MAGIC_NUMBER
ZIP_END = b"PK\x05\x06"
libc = ctypes.CDLL(None, use_errno=True)


def receive(sock):
    """One message and the fds sent with it; (None, []) when the agent is gone."""
    data, ancdata, _, _ = sock.recvmsg(MAX_MESSAGE, _socket.CMSG_SPACE(MAX_FDS * FD_BYTES))
    if not data:
        return None, []
    fds = []
    for level, kind, payload in ancdata:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds += [int.from_bytes(payload[i : i + FD_BYTES], sys.byteorder) for i in range(0, len(payload), FD_BYTES)]
    return marshal.loads(data), fds


def std_stream(fd, mode, name, template):
    """A standard stream as the interpreter's start makes it (create_stdio), on the step's fd."""
    buffer = open(fd, mode + "b", -1, closefd=False)  # noqa: SIM115 - the step's stream, open until it exits
    buffer.raw.name = name
    line_buffering = buffer.raw.isatty() or fd == 2
    stream = type(template)(buffer, template.encoding, template.errors, "\n", line_buffering, False)
    stream.mode = mode
    return stream


def become_step(spec, fds):
    """In the fork: the step's session, stdio, rlimits, uid and environment (returned)."""
    os.setsid()
    staged = [os.dup2(fd, HIGH_FD + n) for n, fd in enumerate(fds)]
    for target, fd in enumerate(staged):
        os.dup2(fd, target)
    os.closerange(len(fds), resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    os.chdir(spec["work"])
    with open("/proc/self/oom_score_adj", "w") as fh:
        fh.write("1000")  # the OOM killer takes the step, never the agent or the template
    for name, soft, hard in spec["rlimits"]:
        kind = getattr(resource, name)
        _, ceiling = resource.getrlimit(kind)
        if ceiling != resource.RLIM_INFINITY:
            soft, hard = min(soft, ceiling), min(hard, ceiling)
        resource.setrlimit(kind, (soft, hard))
    uid = spec["uid"]
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)  # every capability goes with root
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # as after an exec: the uid change made us non-dumpable
    env = spec["env"]
    if spec.get("private_tmp"):
        private = f"/tmp/.harness-{os.urandom(8).hex()}"
        try:
            os.mkdir(private, 0o700)
            env = {**env, "HOME": private, "TMPDIR": private}
        except OSError:
            pass  # a full /tmp is not the harness's failure: it keeps /tmp
    environ = sys.modules["posix"].environ  # what a fresh `import os` builds os.environ from
    for key in list(environ):
        os.unsetenv(key)
    environ.clear()
    for key, value in env.items():
        os.putenv(key, value)
        environ[key.encode()] = value.encode()
    return env


def load(argv, env):
    """The program's argv, __main__ globals and code, as `python3 -I -S -B` would run them (exec if not emulated)."""
    main = sys.modules["__main__"].__dict__
    if argv[4] == "-c":
        return ["-c", *argv[6:]], main, compile(argv[5], "<string>", "exec", dont_inherit=True)
    path = os.path.abspath(argv[4])
    try:
        with open(path, "rb") as fh:
            source = fh.read()
    except OSError as exc:
        if os.path.isdir(path):
            os.execve(sys.executable, argv, env)  # a directory's __main__.py: the real interpreter's business
        os.write(2, f"{argv[0]}: can't open file {path!r}: [Errno {exc.errno}] {exc.strerror}\n".encode())
        os._exit(2)
    if source.startswith(PYC_MAGIC) or ZIP_END in source:
        os.execve(sys.executable, argv, env)
    loader = sys.modules["_frozen_importlib_external"].SourceFileLoader("__main__", path)
    main.update(__file__=path, __cached__=None, __loader__=loader)
    return argv[4:], main, compile(source, path, "exec", dont_inherit=True)


def depth_in(message):
    """The depth that "cannot set the recursion limit to 1 at the recursion depth N: ..." says; None if not."""
    try:
        return int(message.split("depth ")[1].split(":")[0])
    except (IndexError, ValueError):
        return None  # another wording (another Python)


def same_recursion_depth(ours):
    """Give the program the recursion depth a fresh start gives: ``ours``, the frames below it, are not counted.

    The program runs at the bottom of the template's stack. sys.get/setrecursionlimit become
    wrappers that add our depth to the limit, so the program reads and sets the numbers it
    would, and hits RecursionError at the depth it would (a thread it starts gets ``ours`` more).
    """
    get_limit, set_limit = sys.getrecursionlimit, sys.setrecursionlimit

    def getrecursionlimit():
        return get_limit() - ours

    def setrecursionlimit(limit, /):
        set_limit(limit.__index__() + ours)

    getrecursionlimit.__doc__, setrecursionlimit.__doc__ = get_limit.__doc__, set_limit.__doc__
    sys.getrecursionlimit, sys.setrecursionlimit = getrecursionlimit, setrecursionlimit
    set_limit(get_limit() + ours)


def run_step(spec, fds):
    """In the fork: run the program; leave by SystemExit so the interpreter ends as a fresh one would."""
    env = become_step(spec, fds)
    for name, fd, mode in (("stdin", 0, "r"), ("stdout", 1, "w"), ("stderr", 2, "w")):
        stream = std_stream(fd, mode, f"<{name}>", getattr(sys, name))
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    try:
        args, main, code = load(spec["argv"], env)
    except SyntaxError as exc:
        exc.__traceback__ = None  # a compile error shows no traceback
        sys.excepthook(type(exc), exc, None)
        raise SystemExit(1) from None
    for name in [name for name in sys.modules if name not in FRESH_MODULES]:
        del sys.modules[name]
    sys.argv[:] = args
    sys.orig_argv[:] = spec["argv"]
    probe: dict = {}
    exec(DEPTH_PROBE, probe)  # run as the program will be, from here: what the limit counts at its module level
    here, fresh = depth_in(str(probe.get("depth"))), depth_in(MAIN_DEPTH)  # type: ignore[name-defined]  # noqa: F821 - forker.py's wrapper gives it
    if here is not None and fresh is not None:
        same_recursion_depth(here - fresh)  # the program's frames below a fresh start's are ours, not its
    try:
        exec(code, main)
    except SystemExit:
        raise
    except BaseException as exc:
        trace = exc.__traceback__
        exc.__traceback__ = trace and trace.tb_next  # without this frame: as a fresh interpreter shows it
        sys.excepthook(type(exc), exc, exc.__traceback__)
        if isinstance(exc, KeyboardInterrupt):
            sys.stdout.flush()
            sys.stderr.flush()
            _signal.signal(_signal.SIGINT, _signal.SIG_DFL)
            os.kill(os.getpid(), _signal.SIGINT)  # a fresh interpreter's way out of an uncaught ^C
        raise SystemExit(1) from None
    raise SystemExit(0)


def serve():
    """Fork a blank step whenever asked; return (in the step) its spec socket and stdio fds.

    The step is a grandchild: its parent exits at once, so it is reparented to the agent
    (PID 1), which reaps it and counts its CPU time like any process it spawned.
    """
    sock = _socket.socket(fileno=CONTROL_FD)
    gc.freeze()  # a step's collections skip our objects: no copy-on-write of our whole heap in every step
    sock.sendall(marshal.dumps({"ready": True}, MARSHAL_VERSION))
    while True:
        request, fds = receive(sock)
        if request is None:
            os._exit(0)
        pid = os.fork()
        if pid == 0:
            sock.detach()
            if os.fork():
                os._exit(0)
            return fds
        for fd in fds:
            os.close(fd)
        os.waitpid(pid, 0)


def start_step(fds):
    """In the step: say our pid once we are the agent's, then take the spec (which only we ever see)."""
    channel = _socket.socket(fileno=fds[0])
    while os.getppid() != 1:  # until our parent has exited: the agent can then wait for us
        os.sched_yield()
    channel.sendall(marshal.dumps({"pid": os.getpid()}, MARSHAL_VERSION))
    spec = marshal.loads(channel.recv(MAX_MESSAGE))
    channel.detach()
    return spec, fds[1:]


run_step(*start_step(serve()))
