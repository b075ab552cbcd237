"""The docker sandbox backend: hardened runner containers with a warm pool."""

from sandbox.docker.backend import DockerBackend
from sandbox.docker.cleanup import remove_leftovers, sandbox_containers
from sandbox.docker.config import DEFAULT_IMAGE, DockerConfig

__all__ = ["DEFAULT_IMAGE", "DockerBackend", "DockerConfig", "remove_leftovers", "sandbox_containers"]
