"""In-sandbox runner: PID 1 of a job's sandbox; it runs the job's programs in namespaces of their own.

Runs *inside* bubblewrap (``--as-pid-1``) with the sandbox's own python3 (``python3 -I
-S -B -c <bootstrap> FD TMP_BYTES KIND CODE_FD``: the bootstrap runs this file, compiled
ahead when the versions match; see sandbox/bwrap.py), so it must import nothing of
ours. One runner serves all steps of a job, which saves a bubblewrap start per test.

The job's programs run in a *space*: a user and pid namespace whose PID 1 is ours, the
space's *init*. A program cannot see, signal or ptrace the runner (it has no pid in the
space), PID 1 of a namespace cannot be killed from inside it, and the init is
non-dumpable and holds no capabilities once the space is made. The init starts each
step's program with ``posix_spawn`` under the step's rlimits, reports its exit status,
then kills and reaps everything else in the space before the next step: nothing outlives
its step, and every process is reaped by the init, so its RUSAGE_CHILDREN counts the CPU
time of all of them.

A step with a *peer* (the judge harness's untrusted solution side) runs the harness and
the peer each as a ``Solo``: PID 1 of namespaces of its own (the peer's also mount, IPC
and network ones, with its own /tmp, /dev/shm, /box and loopback and an empty /proc, and
none it may make; the job's first step's peer has the runner's network namespace, new
with the job, shared with that step's harness only), cloned straight from
the runner, non-dumpable and without capabilities (nor are its children: a peer cannot
unmount its private dirs to reach the job's), joined to the harness only by two pipes
(fds 3 and 4 of the harness). What a Solo starts dies with it, and its rusage as the
runner reaps it counts them all; one process each, where an init and its program are
two. A peer and a harness are made ahead of their step, one right after the other: at the
job's start, and after a step whose next one has a peer. A job host's runner makes no
harness ahead: it runs its job's last harness step itself (``final_step``), the service
watching it from outside, and makes a harness Solo only for an earlier step.

A space's init is a fork of the runner straight into the space's namespaces (``clone``:
clone(2) with namespace flags, one process where unshare(2) needs two); it serves steps
over a socket pair until the runner closes it, or until a step needs a hard rlimit above
the current one (rlimits only go down), when the runner makes a fresh space. The runner
drains the program's stdout and stderr into the host's memfds, and stops a step at the
output cap or the wall deadline by SIGTERM to the init (which kills and reaps the step),
SIGKILL if the init does not answer; a Solo by SIGKILL.

In a job host (sandbox/hosts.py; KIND ``host``) this process is instead a template that
serves no step: for each job the host sends (its tmpfs size and kind, with the job's own
socket) it forks the job's runner into JOB_NAMESPACES (``clone``), PID 1 of the new pid
namespace, which mounts its own /tmp, /dev/shm, /box and /proc, says hello, waits for
the host's go (the host has put it in the job's cgroup) and then runs ``main`` on the
job's socket as a sandbox's runner would (``serve_jobs``, ``job_runner``).

Protocol on the control socket FD (SOCK_SEQPACKET): the host sends a step (a marshal'd
dict) with its stdin/stdout/stderr fds (SCM_RIGHTS), or, to a sandbox started before its
job came, the job's files (names, and memfds); the runner answers one marshal'd dict.
marshal, _socket and _signal, not json, socket and signal: they import nothing, and
every import is paid by every job.
"""

import sys

FRESH_MODULES = frozenset(sys.modules)  # what `python3 -I -S -B` has imported before a program's first line

import _signal as signal  # noqa: E402 - the C module: `signal` would import enum, paid by every job
import _socket  # noqa: E402
import ctypes  # noqa: E402
import fcntl  # noqa: E402
import gc  # noqa: E402
import marshal  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import select  # noqa: E402
import time  # noqa: E402

PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 4, 38
CAPABILITY_VERSION_3 = 0x20080522  # capset(2): a header (version, pid) and two {effective, permitted, inheritable}
# what the programs of a space (and a harness's test code) may hold of each namespace kind: the kernel counts them per
# uid, and every sandbox is one uid. None of the kinds that let a program take a lock every job's sandbox needs: with a
# mount namespace of its own a program may mount (one bind mount of a tree propagated into sixty copies held the
# kernel's mount lock for seconds a call, every job's: outside round), with a network namespace of its own take RTNL
SPACE_NAMESPACES = {"user": 64, "mnt": 0, "pid": 64, "ipc": 64, "net": 0, "uts": 64, "cgroup": 64, "time": 64}
PEER_NAMESPACES_HELD = dict.fromkeys(SPACE_NAMESPACES, 0)  # a solution needs none
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID = 0x20000, 0x08000000, 0x10000000, 0x20000000
CLONE_NEWNET, CLONE_NEWUTS = 0x40000000, 0x04000000
JOB_NAMESPACES = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS
SIOCSIFFLAGS, IFF_UP, IFNAMSIZ = 0x8914, 1, 16
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 16384, 1 << 18
STOP_GRACE_S = 2.0
PEER_EXIT_S = 0.1  # a peer left running after its harness ended is killed after this long
HIGH_FD = 64  # where a step's fds are moved before they are dup'd onto 0..4, so no source is clobbered
MAX_MESSAGE = 1 << 20
MAX_FDS = 8  # a step sends at most five: stdin, stdout, stderr and the two peer pipes
FD_BYTES = 4  # an fd in SCM_RIGHTS is a C int
READ_CHUNK = 1 << 16
MARSHAL_VERSION = 4  # plain dicts of str/int/float/list: readable by any Python 3.4+
PYTHON_FLAGS = ["-I", "-S", "-B"]  # the runner's own: a program run with them can be forked from it
# imported by a harness sandbox's runner before its first step: what the judge harness uses, and the standard modules
# solutions import most (`from typing import List` alone is ~4 ms of a start); never one that keeps a state a fork
# would share with its siblings (random's seed)
WARM_MODULES = (
    *("_json", "_ast", "collections", "keyword", "math", "importlib", "types"),
    *("typing", "re", "functools", "itertools", "heapq", "bisect", "string", "operator", "copy"),
)
COMPILED: dict = {}
SYS_CLONE = {"x86_64": 56, "aarch64": 220, "riscv64": 220, "ppc64le": 120}  # clone(2), flags first on all four
libc = ctypes.CDLL(None, use_errno=True)
python = ctypes.PyDLL(None, use_errno=True)  # the same, holding the GIL: for clone and the interpreter's fork hooks


def check(result, what):
    """Raise OSError with errno if a libc call failed."""
    if result != 0:
        raise OSError(ctypes.get_errno(), what)


def mount_tmpfs(path, size, mode):
    """A fresh tmpfs on ``path`` in this mount namespace."""
    opts = f"size={size},mode={mode:o}".encode()
    check(libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, opts), f"mount tmpfs on {path}")


def write_text(path, text):
    """Write ``text`` to a /proc file in one write(2), with os calls: a fresh process's first ``open()`` in text mode
    costs ~40 us each (measured), and a job's processes write eleven such files."""
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def enter_namespaces(uid, gid):
    """Keep our parent's ``uid`` and ``gid`` in the user namespace we were just cloned into (``clone``).

    Called by a space's init and a Solo: user and pid namespaces, and for a peer mount and IPC too.
    A step's program shares /tmp, /box and IPC objects with the job's other steps (its
    own earlier tests: nothing of theirs is alive, nothing of another job is there); a
    peer gets all of them fresh, so it shares nothing with the harness that judges it.
    A job host's job gets every namespace of its own (JOB_NAMESPACES).
    """
    # /proc/self of a non-dumpable process belongs to root, so the maps are written while dumpable;
    # no untrusted process can address us meanwhile (an earlier step's are dead, a peer has no /proc).
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            write_text(f"/proc/self/{name}", text)
    finally:
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def bound_namespaces(held):
    """Cap what the programs of a space may create of each namespace kind (``held``: the most of each kind), as root
    of the space's new user namespace; the kernel applies it to every user namespace made below it too.

    The kernel counts namespaces per uid over the whole machine; unbounded, one program
    could use up the count and every other job's sandbox would fail to start. No mount or
    network namespace (SPACE_NAMESPACES); a peer gets none at all (PEER_NAMESPACES_HELD):
    copies of copies of a namespace of 100,000 bind mounts kept the kernel's mount lock for
    seconds, every job's and past the peer's death. A kind this kernel does not have is skipped.
    """
    for kind, count in held.items():
        try:  # noqa: SIM105 - contextlib costs ~9 ms of imports per job
            write_text(f"/proc/sys/user/max_{kind}_namespaces", str(count))
        except FileNotFoundError:
            pass


def private_mounts(tmp_bytes):
    """A peer's own /tmp, /dev/shm and /box, and an empty /proc (made by the peer, before its step comes)."""
    check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make mounts private")
    for path in ("/tmp", "/dev/shm"):
        mount_tmpfs(path, tmp_bytes, 0o1777)
    mount_tmpfs("/box", tmp_bytes, 0o755)
    mount_tmpfs("/proc", 1 << 16, 0o555)
    os.chdir("/box")


def drop_capabilities():
    """Give up every capability (an init or a Solo has all of them in its new user namespace), for good (no_new_privs).

    A program would keep them, or a child inherit them: a peer could then unmount its
    private /box, /tmp and /proc and see the job's own, with the job's files and processes,
    or raise the space's namespace limits back (``bound_namespaces``).
    """
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "set no_new_privs")
    header = (CAPABILITY_VERSION_3).to_bytes(4, sys.byteorder) + bytes(4)  # struct __user_cap_header_struct, pid 0
    check(libc.capset(header, bytes(24)), "drop capabilities")  # two all-zero __user_cap_data_struct


def ignore(_signum, _frame):
    """A handler that does nothing: the signal's byte on the wakeup fd is what counts."""


def send(sock, message, fds=()):
    """One marshal'd message on a SOCK_SEQPACKET socket, with fds if any."""
    data = marshal.dumps(message, MARSHAL_VERSION)
    rights = b"".join(fd.to_bytes(FD_BYTES, sys.byteorder) for fd in fds)  # C ints: `array` costs ~2 ms to import
    sock.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, rights)] if fds else [])


def lower_limits(current, wanted):
    """Apply ``wanted`` rlimits to ourselves; False, with none applied, if one needs a hard limit above the current
    one."""
    if any(hard > resource.getrlimit(getattr(resource, name))[1] != resource.RLIM_INFINITY for name, _, hard in wanted):
        return False
    for name, soft, hard in wanted:
        current[name] = (soft, hard)
        resource.setrlimit(getattr(resource, name), (soft, hard))
    return True


def reaped():
    """(pid, status) of every child that has exited, without waiting."""
    found: list = []
    try:
        while True:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return found
            found.append((pid, status))
    except ChildProcessError:
        return found


def forked(fds, session=True):
    """In a fork of the init: the step's fds as 0.., nothing else of ours open, signals as Python starts them, and a
    session of its own (``session``: not for a job's runner running its last step, ``final_step``)."""
    if session:
        os.setsid()
    for n, fd in enumerate(fds):
        os.dup2(fd, n)  # dup2 makes the copy inheritable: the program's own stdio (and peer pipes)
    os.closerange(len(fds), resource.getrlimit(resource.RLIMIT_NOFILE)[0])  # our socket and wakeup pipe too
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGTERM, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def exit_status(exc):
    """The exit status of SystemExit ``exc``, saying its message as Python does for one that is not a number."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    sys.stderr.write(f"{exc.code}\n")
    return 1


def flush_std():
    """Flush the program's stdout and stderr, as the interpreter does at exit."""
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105
            stream.flush()
        except BaseException:
            pass


def fork_python(source, fds):
    """Run ``python3 -I -S -B -c source`` as a fork of this init: the interpreter this runner already is.

    The same interpreter and flags, already started, and in a harness sandbox with
    WARM_MODULES imported (the judge harness and its solution side start ~15 ms sooner;
    elsewhere the program imports what it needs: a fetch step or a session's driver would
    pay for them and use none); the child keeps nothing of
    ours but memory holding no secret: its fds are the step's, its signals Python's own.
    """
    code = compiled(source)
    pid = os.fork()
    if pid:
        return pid
    run_python(code, fds)


def python_c(argv):
    """``argv`` is ``python3 -I -S -B -c SOURCE`` with our interpreter and flags: a program we may run as a fork."""
    return argv[:-1] == [sys.executable, *PYTHON_FLAGS, "-c"]


def compiled(source):
    """The code of ``python -c source``, compiled once per process."""
    return COMPILED.get(source) or COMPILED.setdefault(source, compile(source, "<string>", "exec"))


def run_python(code, fds, session=True, ending=None):
    """In a process of its own: run ``code`` as ``python -c`` runs its source, on the step's ``fds``; never returns.

    ``session``: see ``forked``; ``ending``: our exit status from the program's (``final_step``).
    """
    status = 1
    try:
        forked(fds, session)
        sys.argv[:] = ["-c"]
        exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
        status = 0
    except SystemExit as exc:
        status = exit_status(exc)
    except BaseException:
        sys.excepthook(*sys.exc_info())
    finally:
        flush_std()
        os._exit(status & 0xFF if ending is None else ending(status & 0xFF))


def fresh_stdio():
    """New sys.stdin, stdout and stderr on fds 0-2, made as the interpreter makes them at start.

    Ours were made for the runner's own fds (/dev/null, a memfd), so what they cached of
    them (a terminal? seekable?) would be wrong for the program's.
    """
    for fd, name in enumerate(("stdin", "stdout", "stderr")):
        old = getattr(sys, f"__{name}__")
        buffer = open(fd, "wb" if fd else "rb", closefd=False)  # noqa: SIM115 - lives as long as the program
        buffer.raw.name = f"<{name}>"  # type: ignore[attr-defined]
        stream = type(old)(buffer, old.encoding, old.errors, "\n", fd == 2 or os.isatty(fd), False)
        stream.mode = "w" if fd else "r"
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def fresh_main(path):
    """A new ``__main__`` module for the script at ``path``, and sys.modules as a fresh interpreter has it."""
    for name in [name for name in sys.modules if name not in FRESH_MODULES]:
        del sys.modules[name]  # the runner's own imports: the program imports its own copy, as it would
    main = type(sys)("__main__")
    main.__dict__.update(
        __builtins__=sys.modules["builtins"],
        __annotations__={},
        __file__=path,
        __cached__=None,
        __loader__=sys.modules["_frozen_importlib_external"].SourceFileLoader("__main__", path),
    )
    sys.modules["__main__"] = main
    return main.__dict__


def recursion_depth():
    """The depth the interpreter counts for RecursionError (frames and C calls) in our caller, as it says it."""
    try:
        sys.setrecursionlimit(1)
    except RecursionError as exc:  # "cannot set the recursion limit to 1 at the recursion depth N: ..."
        try:
            return int(str(exc).split("depth ")[1].split(":")[0]) - 1  # less this function's frame
        except (IndexError, ValueError):
            pass
    return 0  # another wording (another Python): the limit is left as it is


def same_recursion_depth(ours):
    """Give the program the recursion depth a fresh start gives: ``ours``, the depth of its caller, is not counted.

    The program runs at the bottom of the runner's stack. sys.get/setrecursionlimit become
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


def run_script(argv):
    """Run ``argv`` (``python3 -I -S -B FILE``) in this process as the interpreter runs a script; its exit status.

    The program sees what a fresh start shows it: sys.argv, sys.orig_argv, an absolute
    __file__, a new __main__ (pickle finds its classes there), sys.modules without ours,
    new std streams, tracebacks without our frames, and at exit its non-daemon threads
    joined, its atexit functions run, and an unhandled KeyboardInterrupt ending it by SIGINT.
    """
    name = argv[-1]
    path = name if name.startswith("/") else f"{os.getcwd()}/{name}"  # as Python makes it (not normalized)
    sys.argv[:] = [name]
    sys.orig_argv[:] = argv
    same_recursion_depth(recursion_depth())  # the program's module frame is as deep here as ours is
    fresh_stdio()
    main = fresh_main(path)
    status, interrupted = 1, False
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as exc:
        sys.stderr.write(f"{sys.executable}: can't open file {path!r}: [Errno {exc.errno}] {exc.strerror}\n")
        return 2
    try:
        exec(compile(source, path, "exec", dont_inherit=True), main)
        status = 0
    except SystemExit as exc:
        status = exit_status(exc)
    except BaseException as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        ours = exc.__traceback__  # this frame: the program's (none: a SyntaxError) come after it
        exc.with_traceback(ours.tb_next if ours else None)
        sys.excepthook(type(exc), exc, exc.__traceback__)
    threading = sys.modules.get("threading")
    for finish in (threading and threading._shutdown, __import__("atexit")._run_exitfuncs):
        if finish:
            try:
                finish()
            except BaseException:
                sys.excepthook(*sys.exc_info())
    flush_std()
    if interrupted:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return status


def fork_script(argv, fds):
    """Run ``python3 -I -S -B FILE`` as a fork of this init: a started interpreter, the program seeing a fresh one.

    Saves the interpreter's start (~10 ms a step). Not WARM_MODULES: the program imports
    what it imports, as it would.
    """
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        forked(fds)
        status = run_script(argv)
    finally:
        os._exit(status & 0xFF)


def serve_step(sock, spec, fds, wakeup):
    """Run one program in this space; say started, then (the rest killed and reaped) its exit status and CPU.

    Signals only write their number to ``wakeup``: SIGCHLD wakes us to reap, SIGTERM from
    the runner ends the step. No handler raises, so the clean-up always runs.
    """
    try:  # noqa: SIM105 - contextlib costs ~9 ms of imports per job
        os.read(wakeup, 4096)  # stale signals, from before this step
    except BlockingIOError:
        pass
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    received, fds = fds, [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, HIGH_FD) for fd in fds]
    for fd in received:  # the program's copies only: a pipe end left open here would never see EOF
        os.close(fd)
    pid = None
    argv = spec["argv"]
    try:
        if python_c(argv):
            pid = fork_python(argv[-1], fds)
        elif argv[:-1] == [sys.executable, *PYTHON_FLAGS] and not argv[-1].startswith("-"):
            pid = fork_script(argv, fds)
        else:
            pid = os.posix_spawnp(  # PATH lookup (the sandbox's PATH) for a bare command name
                argv[0],
                argv,
                os.environ,
                file_actions=[(os.POSIX_SPAWN_DUP2, fd, n) for n, fd in enumerate(fds)],
                setsid=True,
                setsigdef=(signal.SIGPIPE, signal.SIGXFSZ),  # python ignores both; the program must not inherit that
            )
        send(sock, {"started": True})
    except OSError as exc:
        send(sock, {"started": True, "exec_error": f"{type(exc).__name__}: {exc}"})
    finally:
        for fd in fds:
            os.close(fd)
    ended = {}  # the program's exit status, said with the CPU time: one message fewer per step
    while pid is not None:  # reap orphans as they come back to us, until the program exits or we are stopped
        for done, status in reaped():
            if done == pid:
                ended["status"] = status
                pid = None
        if pid is not None:
            select.select([wakeup], [], [])
            if bytes([signal.SIGTERM]) in os.read(wakeup, 4096):
                break
    try:  # noqa: SIM105
        os.kill(-1, signal.SIGKILL)  # everything else in the space (ESRCH: nothing is left)
    except ProcessLookupError:
        pass
    try:
        while True:
            done, status = os.waitpid(-1, 0)
            if done == pid:  # it ended before the stop's SIGTERM was read (a SIGXCPU, say): how it ended counts
                ended["status"] = status
    except ChildProcessError:
        pass
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # every process of the step, each reaped here
    send(sock, {**ended, "cpu_time_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime})


def init(sock):
    """PID 1 of a space: serve steps until the runner closes the socket or a step needs higher rlimits."""
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # inherited from the runner; said again after the clone
    wakeup_r, wakeup_w = os.pipe()
    for fd in (wakeup_r, wakeup_w):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wakeup_w)
    for sig in (signal.SIGTERM, signal.SIGCHLD):  # a namespace's init gets only the signals it handles
        signal.signal(sig, ignore)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    limits: dict = {}
    while True:
        data, fds = recv_step(sock)
        if data is None:
            return
        spec = marshal.loads(data)
        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu_soft = next((soft for name, soft, _ in spec["rlimits"] if name == "RLIMIT_CPU"), None)
        if (cpu_soft and used.ru_utime + used.ru_stime > cpu_soft / 2) or not lower_limits(limits, spec["rlimits"]):
            send(sock, {"respawn": True})  # our own CPU counts against RLIMIT_CPU too
            return
        serve_step(sock, spec, fds, wakeup_r)


def keep_only(fd):
    """In a fork of the runner: close every fd above stdio but ``fd`` (the host's socket, a step's pipes, ...)."""
    os.closerange(3, fd)
    os.closerange(fd + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def clone(flags):
    """``os.fork()`` into the new namespaces ``flags`` names: the child is PID 1 of its pid namespace.

    clone(2) with no stack of its own is fork(2) with namespace flags, wrapped in the
    interpreter's own before/after-fork calls as ``os.fork`` wraps fork(2); one process
    instead of a fork that unshares and forks again. We are single-threaded: nothing else
    of glibc's fork (its atfork handlers) has state to fix. 0 in the child.
    """
    python.PyOS_BeforeFork()
    number, flags = SYS_CLONE.get(os.uname().machine, -1), flags | signal.SIGCHLD
    pid = python.syscall(*map(ctypes.c_long, (number, flags, 0, 0, 0, 0)))  # longs: syscall(2) is variadic
    if pid == 0:
        python.PyOS_AfterFork_Child()
        return 0
    python.PyOS_AfterFork_Parent()
    if pid < 0:
        raise OSError(ctypes.get_errno(), "clone into new namespaces")
    return pid


def space_init(sock, ids, own_net):
    """A space's init, just cloned into its namespaces: take the runner's uid and gid (``ids``) in them, bring up
    its loopback if it has a network namespace of its own (``own_net``), give up every capability (nothing of a step
    may undo the space), then serve steps."""
    try:
        enter_namespaces(*ids)
        bound_namespaces(SPACE_NAMESPACES)
        if own_net:
            loopback_up()
        drop_capabilities()
    except OSError as exc:
        send(sock, {"setup_error": f"{type(exc).__name__}: {exc}"})
        return
    init(sock)


class Space:
    """The runner's handle on a space: the socket to its init (our child), the init's pid, what it said of this step."""

    def __init__(self, own_net=False):
        """``own_net``: the space gets a network namespace of its own, else it has the runner's."""
        theirs, self.sock = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        ids = os.getuid(), os.getgid()
        self.said, self.broken = {}, False
        try:
            self.init = clone(CLONE_NEWUSER | CLONE_NEWPID | (CLONE_NEWNET if own_net else 0))
        except OSError as exc:
            self.init, self.broken = None, True
            self.said = {"setup_error": f"{type(exc).__name__}: {exc}"}
        if self.init == 0:
            try:  # a forked runner: whatever happens, it must never return into the runner's loop
                keep_only(theirs.fileno())
                space_init(theirs, ids, own_net)
            finally:
                os._exit(0)
        theirs.close()

    def receive(self):
        """The init's next message; {} if the space is gone."""
        try:
            data = self.sock.recv(MAX_MESSAGE)
        except OSError:
            data = b""
        if not data:
            self.broken = True
            return {}
        return marshal.loads(data)

    def start(self, argv, rlimits, fds):
        """Hand a step to the init: True if it took it, False if the space must be made anew."""
        self.said = {}
        try:
            send(self.sock, {"argv": argv, "rlimits": rlimits}, fds)
        except OSError:
            self.broken = True
            return False
        return True

    def read(self):
        """Take in the init's next message about the current step."""
        message = self.receive()
        self.said.update(message)
        if message.get("respawn") or "setup_error" in message:
            self.broken = True

    @property
    def done(self):
        """The step is over: its CPU time is counted, or the space is gone."""
        return self.broken or "cpu_time_s" in self.said

    def stop(self):
        """Have the init kill and reap the current step (SIGTERM); kill the init if it does not within a grace."""
        if self.done or self.init is None:
            return
        try:
            os.kill(self.init, signal.SIGTERM)
            if not select.select([self.sock], [], [], STOP_GRACE_S)[0]:
                os.kill(self.init, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def finish(self):
        """Wait until the step's CPU time is reported (or the space is gone)."""
        while not self.done:
            self.read()

    def close(self):
        """Let the init go (it exits when the socket closes) and reap the inits that are done."""
        self.sock.close()
        reap_children()


# a peer's network namespace too: one step's sockets (TIME_WAIT ports, outside round) are no channel to the next's;
# but the first step's peer has the runner's, new with the job and used by no step before it (Spaces.lent_net)
PEER_NAMESPACES = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET
HARNESS_NAMESPACES = CLONE_NEWUSER | CLONE_NEWPID


def run_solo(channel, ids, tmp_bytes, own_net):
    """A Solo's process, just cloned into its namespaces: set them up, take its one step on ``channel``, run it.

    Takes the runner's ``ids`` (uid, gid), makes a peer's private mounts (``tmp_bytes``, 0 for
    none), brings up the loopback of its network namespace if it has one of its own
    (``own_net``) and gives up every capability; then waits, holding nothing of any step. What it says
    on ``channel`` (a set-up error) it says before the step's program runs: ``forked`` closes
    the channel with every other fd of ours first. Returns only if the step never ran.
    """
    try:
        enter_namespaces(*ids)
        bound_namespaces(PEER_NAMESPACES_HELD if tmp_bytes else SPACE_NAMESPACES)  # a peer (private mounts) makes none
        if tmp_bytes:
            private_mounts(tmp_bytes)
        if own_net:
            loopback_up()
        drop_capabilities()
    except OSError as exc:
        send(channel, {"setup_error": f"{type(exc).__name__}: {exc}"})
        return
    send(channel, {"ready": True})
    data, fds = recv_step(channel)
    if data is None:  # the runner let us go unused
        return
    spec = marshal.loads(data)
    # a namespace's init ignores a signal it has no handler for, SIGXCPU too: its soft CPU limit would stop
    # nothing, so its hard one is the soft one (the kernel's SIGKILL at the hard limit reaches an init)
    wanted = [(name, soft, soft if name == "RLIMIT_CPU" else hard) for name, soft, hard in spec["rlimits"]]
    if not lower_limits({}, wanted):
        send(channel, {"setup_error": "the step's rlimits are above the runner's"})
        return
    fds = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, HIGH_FD) for fd in fds]  # none clobbered by the dup2s
    argv = spec["argv"]
    if python_c(argv):
        run_python(compiled(argv[-1]), fds)
    forked(fds)
    for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # python ignores both; the program must not inherit that
        signal.signal(sig, signal.SIG_DFL)
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        os.write(2, f"cannot execute {argv[0]}: {exc}\n".encode(errors="replace"))
    os._exit(127)


class Solo:
    """A process that runs one step as PID 1 of namespaces of its own, cloned straight from us: no init between.

    The judge harness (HARNESS_NAMESPACES: our own code, the trusted side of a step with a
    peer) and the peer (PEER_NAMESPACES, with its own /tmp, /dev/shm, /box and an empty /proc:
    the untrusted solution side) each run so, one process fewer a test than under an init.
    What it starts dies with it (the kernel kills a pid namespace whose PID 1 exits); its
    CPU, with that of whatever it reaped, is its rusage as we reap it. A peer is made ahead
    of its step (``run_solo``): its clone, namespaces and mounts leave the step's critical
    path. It has the same face to the runner as a Space (``said``, ``done``, ``sock``: a
    pidfd, readable once it exits).
    """

    def __init__(self, flags, tmp_bytes=0):
        self.said: dict = {}
        self.broken, self.pid, self.sock, self.ready = False, 0, -1, False
        theirs, self.channel = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        ids = os.getuid(), os.getgid()
        try:
            pid = clone(flags)
        except OSError as exc:
            theirs.close()
            self.said, self.broken = {"setup_error": f"{type(exc).__name__}: {exc}"}, True
            return
        if pid == 0:
            try:  # a forked runner: whatever happens, it must never return into the runner's loop
                keep_only(theirs.fileno())
                run_solo(theirs, ids, tmp_bytes, bool(flags & CLONE_NEWNET))
            finally:
                os._exit(1)
        theirs.close()
        self.pid, self.sock = pid, os.pidfd_open(pid)

    def start(self, argv, rlimits, fds):
        """Hand it its step: True if it took it, False if it is gone (its set-up failed; ``said`` says why)."""
        if self.broken:
            return False
        try:
            send(self.channel, {"argv": argv, "rlimits": rlimits}, fds)
        except OSError:
            self.read()
            self.broken = True
            return False
        self.said = {"started": True}
        return True

    def read(self):
        """Reap it (it has exited, or is being killed): its status and CPU, or why it could not start."""
        try:
            _, status, usage = os.wait4(self.pid, 0)
            self.said.update(status=status, cpu_time_s=usage.ru_utime + usage.ru_stime)
        except ChildProcessError:  # reaped already: how it ended is unknown
            self.said.update(cpu_time_s=None)
        while True:  # said only before the step's program ran, and it is gone: no wait
            try:
                said = self.channel.recv(MAX_MESSAGE, _socket.MSG_DONTWAIT)
            except OSError:
                said = b""
            if not said:
                break
            self.hear(said)

    def hear(self, data):
        """Take in what it said on its channel: that it is ready for its step, or why it could not be."""
        said = marshal.loads(data)
        self.ready = said.pop("ready", False) or self.ready
        self.said.update(said)

    def wait_ready(self, timeout_s):
        """True once it has said it is set up (``said`` has its set-up error if it could not be)."""
        while not self.ready and "setup_error" not in self.said:
            if not select.select([self.channel], [], [], timeout_s)[0]:
                return False
            try:
                data = self.channel.recv(MAX_MESSAGE)
            except OSError:
                data = b""
            if not data:
                return False
            self.hear(data)
        return self.ready

    @property
    def done(self):
        """It has been reaped (or never started)."""
        return self.broken or "cpu_time_s" in self.said

    def stop(self, grace_s=0.0):
        """Kill it, and with it its pid namespace, unless it ends within ``grace_s`` (how it ended then counts)."""
        if self.done:
            return
        if select.select([self.sock], [], [], grace_s)[0]:
            self.read()
            return
        self.said["stopped"] = True
        try:  # noqa: SIM105
            signal.pidfd_send_signal(self.sock, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def finish(self):
        """Wait until it is reaped, STOP_GRACE_S at most once killed: its namespace's teardown (the kernel's, which
        a program can make long) is not ours to wait for; unreaped, its CPU is unknown."""
        if not self.done:
            if select.select([self.sock], [], [], STOP_GRACE_S)[0]:
                self.read()
            else:
                self.said.update(cpu_time_s=None)

    def close(self):
        """Close our pidfd and channel (a Solo never given its step exits at that)."""
        self.channel.close()
        if self.sock >= 0:
            os.close(self.sock)


def reap_children():
    """Reap our children that have exited (inits of spaces that are gone, a host's last job), without waiting."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


class Spaces:
    """What a job's runner keeps from step to step: its programs' space, and a peer and harness made ahead of a step."""

    def __init__(self, tmp_bytes, harness, harness_ahead):
        """Made before the first step comes: a harness job's peer, and its harness if ``harness_ahead`` (each a
        Solo of its own: a job host's runner runs its job's last harness step itself, ``final_step``), another
        job's programs' space."""
        self.tmp_bytes = tmp_bytes
        self.net_fresh = True  # no step has run in our network namespace (new with the job): a peer may have it
        self.lent_net = False  # a peer had it: a space made later gets one of its own
        self.program = None if harness else Space()
        self.ahead: dict = {}  # Solos made ahead of their step, by kind
        if harness:
            self.make_ahead(harness_ahead)

    def solo(self, kind):
        """A fresh Solo of ``kind``: "peer" (the untrusted side, mounts of its own) or "harness".

        A peer has a network namespace of its own unless ours is still fresh: the job's first
        step's peer has ours, which that step's harness alone shares (one namespace a job
        fewer: ~0.6 ms of a HumanEval problem's CPU); the next step's gets one of its own.
        """
        if kind == "harness":
            return Solo(HARNESS_NAMESPACES)
        return Solo(PEER_NAMESPACES & ~CLONE_NEWNET if self.net_fresh else PEER_NAMESPACES, self.tmp_bytes)

    def make_ahead(self, harness):
        """Make the next step's peer and, if ``harness``, its harness ahead of it (the host says a step with a peer
        comes), one clone right after the other: our pages are made copy-on-write once for both, not once each."""
        for kind in ("peer", "harness") if harness else ("peer",):
            if kind not in self.ahead:
                self.ahead[kind] = self.solo(kind)

    def drop_ahead(self, *kinds):
        """End the Solos made ahead (of ``kinds``, else all), and reap them: a step without a peer has the job's tasks
        (the cgroup's pids.max, RUNNER_TASKS of them ours) to itself."""
        for kind in kinds or list(self.ahead):
            solo = self.ahead.pop(kind, None)
            if solo is None:
                continue
            solo.stop()
            solo.finish()
            solo.close()

    def started(self, kind, argv, rlimits, fds):
        """A Solo of ``kind`` that has started the step: the one made ahead, or a fresh one if that one is gone."""
        solo = self.ahead.pop(kind, None) or self.solo(kind)
        if not solo.start(argv, rlimits, fds) and "setup_error" not in solo.said:
            solo.close()  # the one made ahead is gone without a word: a fresh one
            solo = self.solo(kind)
            solo.start(argv, rlimits, fds)
        if kind == "peer" and self.net_fresh:
            self.net_fresh, self.lent_net = False, True
            if self.program is not None:  # made in our network namespace (unused): a later step's gets its own
                self.program.close()
                self.program = None
        if solo.broken:
            solo.said.setdefault("setup_error", f"the {kind}'s namespaces could not be made")
        return solo

    def program_started(self, argv, rlimits, fds):
        """The programs' space, having started the step (made anew when the old one cannot)."""
        self.drop_ahead()
        self.net_fresh = False
        if self.program is None:  # a harness job's (its program is a Solo) running a step without a peer
            self.program = Space(self.lent_net)
        current = self.program
        for _ in range(2):
            if current.broken:
                current.close()
                current = self.program = Space(self.lent_net)
                if current.broken:
                    break
            if current.start(argv, rlimits, fds):
                current.read()  # "started", "respawn" (rlimits), the init's "setup_error", or nothing: it is gone
                if current.said.get("started") or "setup_error" in current.said:
                    return current
        current.said.setdefault("setup_error", "the step's namespaces could not be made")
        return current


def drain(fd, sink, cap, counts):
    """Move what is readable from pipe ``fd`` into memfd ``sink`` (at most cap + 1 bytes); False at EOF or over the cap.

    splice(2), so the bytes never enter our memory: a space made later is a fork of us,
    and a step's output (a harness's result line says what a test expected) must not be
    in it for that space's forked python steps to read.
    """
    if counts[fd] > cap:
        return False
    try:
        moved = os.splice(fd, sink, cap + 1 - counts[fd])
    except BlockingIOError:
        raise
    except OSError:  # the memfd refused (full): drop what is there, as the cap would
        moved = len(os.read(fd, READ_CHUNK))
    counts[fd] += moved
    return moved > 0


def watch(main, pipes, cap, deadline):
    """Drain stdout/stderr until the program exits; 'wall_time' or 'output' if it had to be stopped."""
    counts = dict.fromkeys(pipes, 0)
    open_pipes = set(pipes)
    while not any(key in main.said for key in ("status", "exec_error")) and not main.done:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "wall_time"
        ready = select.select([main.sock, *open_pipes], [], [], remaining)[0]
        for fd in ready:
            if fd == main.sock:
                main.read()
            elif not drain(fd, pipes[fd], cap, counts):
                open_pipes.discard(fd)
        if any(n > cap for n in counts.values()):
            return "output"
    for fd in open_pipes:  # what the program wrote before exiting (its namespace is being killed)
        os.set_blocking(fd, False)
        try:
            while drain(fd, pipes[fd], cap, counts):
                pass
        except BlockingIOError:
            pass
    return None


def peer_started(spec, spaces):
    """The step's peer, having started (its stdin, stdout and stderr: two pipes and /dev/null), and our ends of the
    pipes: the one to its stdin and the one from its stdout."""
    to_peer_r, to_peer_w = os.pipe()
    from_peer_r, from_peer_w = os.pipe()
    null = os.open("/dev/null", os.O_RDWR)
    peer = spaces.started("peer", spec["peer"], spec["rlimits"], [to_peer_r, from_peer_w, null])
    for fd in (to_peer_r, from_peer_w, null):
        os.close(fd)
    return peer, to_peer_w, from_peer_r


def final_step(spec, fds, spaces):
    """Run a job's last step, a harness with its peer, as this process: one clone and one exit fewer than a Solo.

    Only a job host's runner, and only when the host says so (``final``): the host watches
    this process from outside instead of our report (its pidfd, with the step's wall deadline;
    the job's cpuacct cgroup for the CPU; the template, our parent, for how we ended), since
    once the harness runs nothing we say can be believed. So, before it runs: the peer has
    said it is set up (else its set-up error is the report, and we go on serving), the
    step's rlimits are ours (our CPU so far added to its limit, soft and hard alike: as
    PID 1 we ignore SIGXCPU), and we hold what a harness Solo holds — the step's fds as
    0-4 (stdout and stderr the host's memfds; 5 our copy of the peer's pipe to the harness), the
    peer as our child, no capability, the
    space's namespace bounds. After the harness, the peer gets PEER_EXIT_S to end before
    it is killed; our exit status says how the harness and the peer ended (``final_status``).
    Returns the report only if the step could not start.
    """
    spaces.drop_ahead("harness")
    peer, to_peer_w, from_peer_r = peer_started(spec, spaces)
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    wanted = [(n, s + spent, s + spent) if n == "RLIMIT_CPU" else (n, s, h) for n, s, h in spec["rlimits"]]
    # the step's fds as 0-4, and as 5 ours of the pipe from the peer (``final_status``: has it let go of it?)
    own = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, HIGH_FD) for fd in (*fds, to_peer_w, from_peer_r, from_peer_r)]
    for fd in (*fds, to_peer_w, from_peer_r):
        os.close(fd)
    error = None if peer.wait_ready(STOP_GRACE_S) else peer.said.get("setup_error", "the peer did not start")
    try:
        if error is None and not lower_limits({}, wanted):
            error = "its rlimits are above ours"
        if error is None:
            bound_namespaces(SPACE_NAMESPACES)
            drop_capabilities()
    except OSError as exc:  # the job ends with this step: the host tears it down
        error = f"{type(exc).__name__}: {exc}"
    if error is not None:
        peer.stop()
        peer.finish()
        peer.close()
        for fd in own:
            os.close(fd)
        return {"setup_error": error}
    # forked closes the host's socket, our pidfds and channels: nothing of ours is left open
    run_python(compiled(spec["argv"][-1]), own, session=False, ending=lambda status: final_status(status, peer.pid))


def final_status(status, peer):
    """Our exit status after the harness exited ``status``: that (128 at most), or 128 + the signal that ended
    ``peer`` (our child) if the harness exited 0 and we did not send it.

    A peer still holding its end of the pipe to us is killed at once (by us: how it would
    have ended is no longer the step's); one that has let it go is ending, and gets
    PEER_EXIT_S to be reaped, so that a death during the step (the kernel's, at its CPU
    limit) is told: the step's wall time runs until we are gone.
    """
    try:  # noqa: SIM105
        os.close(3)  # the harness's end of the pipe to the peer
    except OSError:
        pass
    try:  # the test code may have reaped it, or had the kernel reap it (SIGCHLD ignored): how it ended is unknown
        if not let_go(5) or not select.select([os.pidfd_open(peer)], [], [], PEER_EXIT_S)[0]:  # unreaped: no reuse
            os.kill(peer, signal.SIGKILL)  # ours: not the peer's signal
            return min(status, 128)
        how = os.waitpid(peer, 0)[1]
    except OSError:
        return min(status, 128)
    return 128 + os.WTERMSIG(how) if status == 0 and os.WIFSIGNALED(how) else min(status, 128)


def let_go(fd):
    """True if the writing end of pipe ``fd`` is closed: what is left to read of it is drained (non-blocking)."""
    try:
        os.set_blocking(fd, False)
        while os.read(fd, READ_CHUNK):
            pass
    except BlockingIOError:
        return False
    except OSError:  # not open (the harness closed it): as good as let go
        return True
    return True


def run_step(spec, fds, spaces):
    """Run one step (and its peer) to completion, its wall deadline or its output cap; the report."""
    if spec.get("final") and spec["peer"] and python_c(spec["argv"]):
        return final_step(spec, fds, spaces)
    stdin, stdout, stderr = fds
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    start = time.monotonic()
    own = [stdin, out_w, err_w]
    peer = None
    if spec["peer"]:
        peer, to_peer_w, from_peer_r = peer_started(spec, spaces)
        own += [to_peer_w, from_peer_r]  # fds 3 and 4 of the program: sandbox.backend.PEER_WRITE_FD, PEER_READ_FD
    if peer is not None and python_c(spec["argv"]):
        main = spaces.started("harness", spec["argv"], spec["rlimits"], own)
    else:
        main = spaces.program_started(spec["argv"], spec["rlimits"], own)
    for fd in own:
        os.close(fd)
    stopped = watch(main, {out_r: stdout, err_r: stderr}, spec["max_output_bytes"], start + spec["wall_time_s"])
    wall = time.monotonic() - start
    if peer is not None:  # it ends at the harness's EOF; killed by the kernel (its CPU limit), it has ended already
        peer.stop(0.0 if stopped else PEER_EXIT_S)
    for side in (main, peer):
        if side is not None:
            if stopped:
                side.stop()
            side.finish()
    for side in (main, peer):
        if type(side) is Solo:
            side.close()
    for fd in (out_r, err_r, stdout, stderr):
        os.close(fd)
    said = main.said
    error = said.get("setup_error") or (peer.said.get("setup_error") if peer else None)
    if error:
        return {"setup_error": error}
    # an init gone before it counted (killed by the stop, or dead: its own RLIMIT_CPU, which a program
    # can run up by flooding it with SIGCHLD) leaves the step's CPU unknown, never counted as none
    counted: list = [side.said.get("cpu_time_s") for side in (main, peer) if side is not None]
    cpu = None if None in counted else sum(counted)
    peer_status = peer.said.get("status") if peer and not peer.said.get("stopped") else None
    return {  # a peer's signal, if not our stop's: the kernel's (its CPU limit, a fault), or its own
        "peer_signal": os.WTERMSIG(peer_status) if peer_status is not None and os.WIFSIGNALED(peer_status) else 0,
        "status": said.get("status", 9),  # killed at the deadline or cap: reported as SIGKILL
        "cpu_time_s": cpu,  # None: an init was killed or died before it could count
        "wall_time_s": wall,
        "timed_out": stopped == "wall_time",
        "exec_error": said.get("exec_error", ""),
    }


def recv_step(sock):
    """The next message and its fds, or (None, []) when the sender is gone."""
    fds = []
    # close-on-exec: the host's memfds must not leak into the program (it gets pipes, or a dup2'd stdin)
    data, ancdata, _, _ = sock.recvmsg(MAX_MESSAGE, _socket.CMSG_SPACE(MAX_FDS * FD_BYTES), _socket.MSG_CMSG_CLOEXEC)
    for level, kind, payload in ancdata:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds += [
                int.from_bytes(payload[i : i + FD_BYTES], sys.byteorder)
                for i in range(0, len(payload) - FD_BYTES + 1, FD_BYTES)
            ]
    return (data or None), fds


def write_files(names, fds):
    """Copy the job's files (memfds from the host, paths it checked) into the work dir: a sandbox started ahead."""
    try:
        for name, fd in zip(names, fds, strict=True):
            parent = name.rpartition("/")[0]
            if parent:
                os.makedirs(parent, 0o755, exist_ok=True)
            out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            try:
                while os.sendfile(out, fd, None, READ_CHUNK):
                    pass
            finally:
                os.close(out)
        return {"files": len(names)}
    except (OSError, ValueError) as exc:
        return {"setup_error": f"cannot write the job's files: {type(exc).__name__}: {exc}"}
    finally:
        for fd in fds:
            os.close(fd)


def main(control_fd, tmp_bytes, harness, hosted=False):
    """Serve steps until the host closes the control socket.

    A ``harness`` sandbox (its job runs the judge harness) imports WARM_MODULES here, once
    for the harness and its peer, and makes the peer and the harness before the first step
    comes, where another makes its programs' space; the next step's are made as soon as a
    step's report is sent, if the host says a step with a peer comes next (``peer_ahead``). A job
    host's runner (``hosted``) makes no harness ahead: it runs its job's last harness step
    itself (``final_step``), and a harness for an earlier step only when the host asks for one.
    """
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    os.set_inheritable(control_fd, False)
    sock = _socket.socket(fileno=control_fd)
    if harness:
        for name in WARM_MODULES:
            __import__(name)
    spaces = Spaces(tmp_bytes, harness, not hosted)
    sock.sendall(marshal.dumps({"pid": os.getpid()}, MARSHAL_VERSION))
    while True:
        data, fds = recv_step(sock)
        if data is None:
            return
        message = marshal.loads(data)
        if "files" in message:
            sock.sendall(marshal.dumps(write_files(message["files"], fds), MARSHAL_VERSION))
            continue
        sock.sendall(marshal.dumps(run_step(message, fds, spaces), MARSHAL_VERSION))
        if message.get("peer_ahead"):
            spaces.make_ahead(message.get("harness_ahead", True))
        reap_children()


def job_mounts(tmp_bytes):
    """A job's own /tmp, /dev/shm, /box and /proc (of its pid namespace), and its loopback up (by its runner)."""
    check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make mounts private")
    for path in ("/tmp", "/dev/shm"):
        mount_tmpfs(path, tmp_bytes, 0o1777)
    mount_tmpfs("/box", tmp_bytes, 0o755)
    check(libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None), "mount /proc")
    os.chdir("/box")
    loopback_up()


def loopback_up():
    """Bring up the loopback of our (new) network namespace: a program may talk to itself over 127.0.0.1."""
    probe = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
    try:
        ifreq = b"lo".ljust(IFNAMSIZ, b"\0") + IFF_UP.to_bytes(2, sys.byteorder) + bytes(22)
        fcntl.ioctl(probe.fileno(), SIOCSIFFLAGS, ifreq)
    finally:
        probe.close()


def job_runner(sock, tmp_bytes, harness, ids):
    """A job's runner, just cloned into namespaces of its own: PID 1 of the job's pid namespace.

    It takes the template's ``ids`` (uid, gid) in its user namespace, mounts the job's own
    filesystems, says hello (its pid reaches the host, translated, by SCM_CREDENTIALS),
    waits for the host's go (the host has put it in the job's cgroup meanwhile), then
    serves the job as a sandbox's runner would (``main``).
    """
    try:
        enter_namespaces(*ids)
        job_mounts(tmp_bytes)
    except Exception as exc:  # whatever it is, the host must hear why (not just EOF)
        send(sock, {"setup_error": f"{type(exc).__name__}: {exc}"})
        return
    send(sock, {"job": True})
    if recv_step(sock)[0] == b"go":
        main(sock.detach(), tmp_bytes, harness, hosted=True)


def preload(sources, code):
    """Compile ``sources``, and run the definitions of each program in ``code`` (marshal'd) in a namespace of its own,
    here, in place of what was: every job's runner, a fork of ours, then has them (``compiled``, and
    ``sys.rlvr_preloaded`` for a program's bootstrap to look up by its bytes and call its ``main``). The host's own:
    the judge harness's, never a job's (sandbox.backend.Preload); nothing of it runs here but its definitions."""
    COMPILED.clear()
    loaded = {}
    try:  # a bad one (the service's bug), and what follows it, is not loaded: the step's program runs its own copy
        for source in sources:
            compiled(source)
        for data in code:
            namespace = {"__name__": "__main__", "__builtins__": __builtins__}
            exec(marshal.loads(data), namespace)
            loaded[data] = namespace
    except Exception:
        pass
    sys.rlvr_preloaded = loaded  # type: ignore[attr-defined]
    gc.freeze()


def others_alive():
    """Processes of this (the host's) pid namespace other than us, after reaping what is done."""
    reap_children()
    return [name for name in os.listdir("/proc") if name.isdigit() and name != "1"]


def serve_jobs(control_fd):
    """A job host: fork a runner in fresh namespaces for each job the host sends; run nothing of any job here.

    A message is the job's tmpfs size and kind, with the job's own control socket; or, with
    no fd, ``reap``: the last job's runner has ended (the host saw its pidfd; it ran its
    job's last step itself, ``final_step``), and we say how (its wait status). One
    job at a time: the next is taken only once the last one's runner, and so its whole
    pid namespace, is gone, and nothing but this process is left in the host's pid
    namespace; else the host ends (and the backend starts another).
    """
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    sock = _socket.socket(fileno=control_fd)
    for name in WARM_MODULES:
        __import__(name)
    gc.freeze()  # a job's processes are forks of ours: their collections must not write (copy) our pages
    sock.sendall(marshal.dumps({"pid": os.getpid()}, MARSHAL_VERSION))
    last = None
    while True:
        data, fds = recv_step(sock)
        if data is None:
            return
        message = marshal.loads(data)
        if not fds and "preload" in message:
            preload(**message["preload"])
            continue
        if not fds and last is not None and message.get("reap"):  # how the last job's runner ended
            sock.sendall(marshal.dumps({"status": os.waitpid(last, 0)[1]}, MARSHAL_VERSION))
            last = None
            continue
        if len(fds) != 1:
            return
        if last is not None:
            os.waitpid(last, 0)  # PID 1 of the last job's pid namespace: it is reaped once all of it is gone
        if others_alive():
            return
        ids = os.getuid(), os.getgid()
        try:
            last = clone(JOB_NAMESPACES)
        except OSError as exc:  # the job hears why; this host ends (the backend starts another)
            send(_socket.socket(fileno=fds[0]), {"setup_error": f"{type(exc).__name__}: {exc}"})
            return
        if last == 0:
            try:
                sock.close()
                job_sock = _socket.socket(fileno=fds[0])
                os.set_inheritable(fds[0], False)
                job_runner(job_sock, int(message["tmp_bytes"]), bool(message["harness"]), ids)
            finally:
                os._exit(0)
        os.close(fds[0])


if __name__ == "__main__":
    if sys.argv[3] == "host":
        serve_jobs(int(sys.argv[1]))
    else:
        main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "harness")
