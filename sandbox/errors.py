"""Exceptions raised by the sandbox package.

SandboxError            the sandbox itself failed: never the program's fault
├── BackendUnavailable  the backend cannot run anything (bwrap missing, daemon down)
├── ToolchainMissing    the language's compiler or interpreter is not installed
└── Cancelled           the job's cancel event was set: nobody waits for its verdict
UnsupportedLanguage     no such language in the table
"""


class SandboxError(Exception):
    """Infrastructure failure: report as ``sandbox_error``, never as a wrong answer."""


class BackendUnavailable(SandboxError):
    """The backend cannot run anything right now; the message says what is wrong."""


class ToolchainMissing(SandboxError):
    """The language is known but its toolchain is not installed on this backend."""


class UnsupportedLanguage(ValueError):
    """The language is not in the language table."""


class Cancelled(SandboxError):
    """The job was stopped because its ``cancel`` event was set (client gone, deadline passed)."""
