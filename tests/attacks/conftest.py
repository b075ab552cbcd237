"""The attack suite runs every program attack on every backend (skipped locally, failed under CI=true)."""

from tests.sandbox.conftest import backend  # noqa: F401 - the fixture, parametrized over backends
