"""Verifiers: pure scoring logic that turns one item into a Verdict."""

from rewards.errors import ParamError, PluginError, RegistryError, RewardsError
from rewards.item import Item
from rewards.params import NoParams
from rewards.registry import Registry, VerifierSpec, default_registry, verifier
from rewards.verdict import Status, Verdict

__version__ = "0.1.0"

__all__ = [
    "Item",
    "NoParams",
    "ParamError",
    "PluginError",
    "Registry",
    "RegistryError",
    "RewardsError",
    "Status",
    "Verdict",
    "VerifierSpec",
    "default_registry",
    "verifier",
]
