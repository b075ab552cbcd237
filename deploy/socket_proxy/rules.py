"""The allow list of the Docker socket proxy: which Engine API calls the sandbox backend may make.

Deny by default. Allowed: ping and version; inspecting images; listing containers only
with the sandbox label filter; creating a container only from an allowed image, with the
sandbox label, no network, a read-only root, all capabilities dropped but at most those
the runner's agent needs (it is root in the container only to run each step as uids of
its own: SETUID, SETGID, KILL), no-new-privileges, no sysctl but IPC cleanup, and no host
resources (no binds, volumes, devices, host namespaces, ports, privileged mode); start,
attach, wait, kill, inspect, update (memory only) and remove only of containers that carry
the sandbox label.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SANDBOX_LABEL = "rlvr.sandbox"
DEFAULT_IMAGES = ("rlvr-runner:latest",)
VERSION_PREFIX = re.compile(r"^/v\d+(?:\.\d+)?(?=/)")
CONTAINER_ACTION = re.compile(r"^/containers/([A-Za-z0-9][A-Za-z0-9_.-]*)(?:/(start|attach|wait|kill|update|json))?$")
IMAGE_INSPECT = re.compile(r"^/images/(.+)/json$")

# Keys of the create body that may be set (non-empty); any other non-empty key is refused.
CREATE_KEYS = frozenset({
    "Image", "Cmd", "Entrypoint", "User", "WorkingDir", "Env", "Labels", "HostConfig", "Tty", "OpenStdin",
    "StdinOnce", "AttachStdin", "AttachStdout", "AttachStderr", "NetworkDisabled", "StopSignal", "StopTimeout",
    "Hostname", "Domainname", "Healthcheck",
})
HOST_CONFIG_KEYS = frozenset({
    "NetworkMode", "ReadonlyRootfs", "CapDrop", "CapAdd", "SecurityOpt", "Tmpfs", "Memory", "MemorySwap",
    "MemoryReservation", "PidsLimit", "NanoCpus", "CpuPeriod", "CpuQuota", "CpuShares", "Ulimits", "ShmSize", "Init",
    "AutoRemove", "Sysctls",
})
# What the runner's agent needs (sandbox/docker/runner.py AGENT_CAPABILITIES), and nothing else.
ALLOWED_CAPABILITIES = frozenset({"SETUID", "SETGID", "KILL"})
# Namespaced to the container's own IPC namespace.
ALLOWED_SYSCTLS = frozenset({"kernel.shm_rmid_forced"})
UPDATE_KEYS = frozenset({"Memory", "MemorySwap", "MemoryReservation"})


@dataclass(frozen=True)
class Decision:
    """Whether a request may pass, and why (logged, and sent back with a 403)."""

    allowed: bool
    reason: str
    hijack: bool = False


def _deny(reason: str) -> Decision:
    return Decision(False, reason)


def _set(value: Any) -> bool:
    """True when a body field is actually set (docker-py sends unset fields as null/false/empty)."""
    return value not in (None, False, "", 0, [], {})


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        return None


def _check_host_config(host: Any) -> str | None:
    """Why a HostConfig is refused, or None if it is hardened and touches nothing of the host."""
    if not isinstance(host, dict):
        return "HostConfig is missing"
    extra = sorted(k for k, v in host.items() if _set(v) and k not in HOST_CONFIG_KEYS)
    if extra:
        return f"HostConfig may not set {', '.join(extra)}"
    if host.get("NetworkMode") != "none":
        return "NetworkMode must be none"
    if host.get("ReadonlyRootfs") is not True:
        return "ReadonlyRootfs must be true"
    if "ALL" not in (host.get("CapDrop") or []):
        return "CapDrop must include ALL"
    added = {str(cap).upper().removeprefix("CAP_") for cap in host.get("CapAdd") or []}
    if not added <= ALLOWED_CAPABILITIES:
        return f"CapAdd may only hold {', '.join(sorted(ALLOWED_CAPABILITIES))}"
    if not set(host.get("Sysctls") or {}) <= ALLOWED_SYSCTLS:
        return f"Sysctls may only set {', '.join(sorted(ALLOWED_SYSCTLS))}"
    security = host.get("SecurityOpt") or []
    if "no-new-privileges" not in security and "no-new-privileges:true" not in security:
        return "SecurityOpt must include no-new-privileges"
    if any(not opt.startswith("no-new-privileges") for opt in security):
        return "SecurityOpt may only hold no-new-privileges"
    if not _set(host.get("Memory")) or not _set(host.get("PidsLimit")):
        return "Memory and PidsLimit must be limited"
    return None


def check_create(body: bytes, images: frozenset[str]) -> Decision:
    """POST /containers/create: only hardened, labelled runner containers."""
    spec = _json_body(body)
    if not isinstance(spec, dict):
        return _deny("the create body is not a JSON object")
    extra = sorted(k for k, v in spec.items() if _set(v) and k not in CREATE_KEYS)
    if extra:
        return _deny(f"container create may not set {', '.join(extra)}")
    if spec.get("Image") not in images:
        return _deny(f"image {spec.get('Image')!r} is not an allowed runner image")
    if (spec.get("Labels") or {}).get(SANDBOX_LABEL) != "1":
        return _deny(f"the container must carry the label {SANDBOX_LABEL}=1")
    problem = _check_host_config(spec.get("HostConfig"))
    if problem:
        return _deny(problem)
    return Decision(True, "create a hardened runner container")


def _list_filters_sandbox(query: Mapping[str, list[str]]) -> bool:
    raw = (query.get("filters") or [""])[0]
    filters = _json_body(raw.encode())
    if not isinstance(filters, dict):
        return False
    labels = filters.get("label")
    if isinstance(labels, dict):  # the older {"label": {"k=v": true}} spelling
        labels = [k for k, v in labels.items() if v]
    return isinstance(labels, list) and f"{SANDBOX_LABEL}=1" in labels


def decide(method: str, target: str, body: bytes, labelled: Callable[[str], bool],
           images: frozenset[str] = frozenset(DEFAULT_IMAGES)) -> Decision:
    """The decision for one request; ``labelled(id)`` tells whether a container carries the sandbox label."""
    url = urlsplit(target)
    path = VERSION_PREFIX.sub("", unquote(url.path))
    query = parse_qs(url.query)
    if path == "/_ping" and method in ("GET", "HEAD"):
        return Decision(True, "ping")
    if path == "/version" and method == "GET":
        return Decision(True, "version")
    if IMAGE_INSPECT.match(path) and method == "GET":
        return Decision(True, "inspect an image")
    if path == "/containers/json" and method == "GET":
        if _list_filters_sandbox(query):
            return Decision(True, "list sandbox containers")
        return _deny(f"container lists must filter on label {SANDBOX_LABEL}=1")
    if path == "/containers/create" and method == "POST":
        if _set(query.get("platform")):
            return _deny("create may not name a platform")
        return check_create(body, images)
    match = CONTAINER_ACTION.match(path)
    if match is None:
        return _deny(f"{method} {path} is not on the allow list")
    ident, action = match.groups()
    allowed_method = {None: "DELETE", "json": "GET"}.get(action, "POST")
    if method != allowed_method:
        return _deny(f"{method} {path} is not on the allow list")
    if action == "update":
        spec = _json_body(body)
        if not isinstance(spec, dict) or any(_set(v) and k not in UPDATE_KEYS for k, v in spec.items()):
            return _deny("update may only change the memory limit")
    if not labelled(ident):
        return _deny(f"container {ident} does not carry the label {SANDBOX_LABEL}=1")
    return Decision(True, f"{action or 'remove'} a sandbox container", hijack=action == "attach")
