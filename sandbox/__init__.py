"""Running untrusted code: the backend contract, limits, languages and the local backend."""

from sandbox.backend import Backend, Job, Step, StepResult
from sandbox.errors import BackendUnavailable, SandboxError, ToolchainMissing, UnsupportedLanguage
from sandbox.languages import Language, get_language, job_for, resolve
from sandbox.local import LocalBackend
from sandbox.policy import COMPILE_POLICY, DEFAULT_POLICY, Policy

__all__ = [
    "COMPILE_POLICY",
    "DEFAULT_POLICY",
    "Backend",
    "BackendUnavailable",
    "Job",
    "Language",
    "LocalBackend",
    "Policy",
    "SandboxError",
    "Step",
    "StepResult",
    "ToolchainMissing",
    "UnsupportedLanguage",
    "get_language",
    "job_for",
    "resolve",
]
