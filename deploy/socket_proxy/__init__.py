"""A stdlib-only filtering proxy for the Docker socket: only the calls the docker sandbox backend needs."""

from .rules import Decision, decide
from .server import ProxyServer

__all__ = ["Decision", "ProxyServer", "decide"]
