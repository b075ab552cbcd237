"""Stop a Python thread from outside: raise an exception in it at its next bytecode.

Threads cannot be killed; this is how a verifier call stuck in a Python loop is stopped
(a call blocked in C notices only when it returns to Python). CPython only.
"""

from __future__ import annotations

import ctypes


def raise_in_thread(thread_id: int, exc: type[BaseException]) -> None:
    """Raise ``exc`` in thread ``thread_id`` at its next bytecode."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exc))
