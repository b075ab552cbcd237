"""Exceptions raised by the rewards package.

RewardsError
├── ParamError          a verifier's params are unknown or mistyped
└── RegistryError       a verifier cannot be registered or found
    └── PluginError     a plugin failed to load or breaks the contract
"""


class RewardsError(Exception):
    """Base of every error this package raises on purpose."""


class ParamError(RewardsError, ValueError):
    """Unknown or mistyped verifier parameters; the message names the valid ones."""


class RegistryError(RewardsError, LookupError):
    """A duplicate or unknown verifier name."""


class PluginError(RegistryError):
    """A plugin failed to import or does not follow the verifier contract."""
