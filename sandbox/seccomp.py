"""The seccomp filter every local sandbox runs under: the kernel's keyring calls fail with ENOSYS.

Keys are not namespaced as processes and files are: a key one job adds and makes
readable can be found in ``/proc/keys`` and read by another job (one uid runs them all),
and one linked into a keyring that outlives the job by the next one. No program has a
use for them here (Docker's default seccomp profile refuses the same calls). Built with
libseccomp (pyseccomp), for the host's architecture and the 32-bit ABIs it also runs.
"""

from __future__ import annotations

import errno
import functools
import os

from sandbox.errors import BackendUnavailable

REFUSED = ("add_key", "request_key", "keyctl")
COMPAT_ARCHES = {"x86_64": ("X86", "X32"), "aarch64": ("ARM",)}  # other ABIs a program could call the kernel by


@functools.cache
def filter_program() -> bytes:
    """The compiled BPF program (bwrap's ``--seccomp`` format)."""
    try:
        import pyseccomp
    except (ImportError, OSError) as exc:  # OSError: libseccomp itself is missing
        raise BackendUnavailable(f"the local sandbox needs libseccomp (apt install libseccomp2): {exc}") from exc
    rules = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
    for arch in COMPAT_ARCHES.get(os.uname().machine, ()):
        rules.add_arch(getattr(pyseccomp.Arch, arch))
    for name in REFUSED:
        rules.add_rule(pyseccomp.ERRNO(errno.ENOSYS), name)
    fd = os.memfd_create("seccomp", os.MFD_CLOEXEC)
    try:
        with os.fdopen(os.dup(fd), "wb") as out:
            rules.export_bpf(out)
        return os.pread(fd, 1 << 16, 0)
    finally:
        os.close(fd)
