"""Verifiers by name: the built-in ones plus plugins from the ``rlvr.verifiers`` entry points.

A verifier is a plain function ``fn(item, params) -> Verdict`` (or, for group-scoped
verifiers, ``fn(items, params) -> list[Verdict]``) decorated with :func:`verifier`,
which attaches its :class:`VerifierSpec`. Plugins point their entry point at such a
function; a plugin that fails to load is recorded in ``Registry.problems`` (with the
file and line of an import error) and skipped, and asking for it says it failed to load.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import traceback
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from rewards.errors import PluginError, RegistryError
from rewards.item import Item
from rewards.params import NoParams, describe_params, params_schema, parse_params
from rewards.verdict import Verdict

ENTRY_POINT_GROUP = "rlvr.verifiers"
SPEC_ATTR = "__rlvr_verifier__"
BUILTIN_MODULES = (
    "rewards.format",
    "rewards.language",
    "rewards.overlong",
    "rewards.cosine_length",
    "rewards.repetition",
    "rewards.reasoning_steps",
    "rewards.length_penalty",
    "rewards.math_verifier",
    "rewards.code",
    "rewards.ifeval",
    "rewards.choice",
    "rewards.reasoning_gym",
)

F = TypeVar("F", bound=Callable[..., Any])
NO_REFERENCE: Mapping[str, Any] = {
    "description": "Not used: the verifier reads only the completion (send none; any value is ignored).",
    "examples": [None],
}


@dataclass(frozen=True)
class VerifierSpec:
    """What the registry knows of a verifier.

    ``heavy`` verifiers (CPU-bound, e.g. sympy) run in the worker-process pool under a
    hard deadline; ``blocking`` ones (waiting on a sandbox or other I/O) each get a
    thread; the rest run in small chunks on threads. ``cache_key`` (optional, cheap)
    maps an item to a key under which its verdict may be reused, e.g. (extracted
    answer, reference) for math; ``scope="group"`` verifiers see whole groups.
    ``warmup`` (optional) runs before the workers start (a built-in's in the parent, which the
    workers fork from; a plugin's in each worker), so the first real
    items do not pay for lazy imports and parser caches (math: ~50-250 ms cold, ~2 ms warm).
    ``reference`` (optional) is the JSON Schema of the references it accepts, with
    ``examples``, published by ``GET /v1/verifiers`` and in docs/verifiers/.
    ``timeout_s`` (optional) is the verifier's own per-item deadline, e.g. longer for one
    that runs programs; the service clamps it to ``RLVR_MAX_ITEM_TIMEOUT_S``.
    ``overrun`` (optional, heavy item verifiers) says what an item whose work overran the
    pool's deadline is, when the verifier can tell whose cost it was: math judges the answer 0
    when the reference alone parses in time; None (or no ``overrun``) leaves it a timeout.
    """

    name: str
    fn: Callable[..., Any]
    params: type = NoParams
    scope: Literal["item", "group"] = "item"
    heavy: bool = False
    blocking: bool = False
    cache_key: Callable[[Item, Any], Hashable] | None = None
    warmup: Callable[[], None] | None = None
    timeout_s: float | None = None
    reference: Mapping[str, Any] | None = None
    overrun: Callable[[Item, Any], Verdict | None] | None = None
    description: str = ""
    source: str = "builtin"
    version: str = ""

    def parse_params(self, raw: dict[str, Any] | None) -> Any:
        return parse_params(self.params, raw, verifier=self.name)

    def describe(self) -> dict[str, Any]:
        """What ``GET /v1/verifiers`` publishes: kind, origin, parameters and their schema, reference shape."""
        return {
            "name": self.name,
            "description": self.description,
            "scope": self.scope,
            "heavy": self.heavy,
            "blocking": self.blocking,
            "source": self.source,
            "version": self.version,
            "timeout_s": self.timeout_s,
            "params": describe_params(self.params),
            "params_schema": params_schema(self.params),
            "reference_schema": dict(self.reference) if self.reference is not None else None,
        }


def verifier(
    name: str,
    *,
    params: type = NoParams,
    scope: Literal["item", "group"] = "item",
    heavy: bool = False,
    blocking: bool = False,
    cache_key: Callable[[Item, Any], Hashable] | None = None,
    warmup: Callable[[], None] | None = None,
    timeout_s: float | None = None,
    reference: Mapping[str, Any] | None = None,
    overrun: Callable[[Item, Any], Verdict | None] | None = None,
) -> Callable[[F], F]:
    """Mark ``fn`` as the verifier ``name``; the function itself is returned unchanged (it stays picklable)."""
    if not dataclasses.is_dataclass(params):
        raise TypeError(f"verifier {name!r}: params must be a dataclass, got {params!r}")
    if timeout_s is not None and not timeout_s > 0:
        raise ValueError(f"verifier {name!r}: timeout_s must be a positive number of seconds, got {timeout_s!r}")

    def mark(fn: F) -> F:
        doc = (fn.__doc__ or "").strip().splitlines()
        spec = VerifierSpec(
            name=name,
            fn=fn,
            params=params,
            scope=scope,
            heavy=heavy,
            blocking=blocking,
            cache_key=cache_key,
            warmup=warmup,
            timeout_s=timeout_s,
            reference=reference,
            overrun=overrun,
            description=doc[0] if doc else "",
        )
        setattr(fn, SPEC_ATTR, spec)
        return fn

    return mark


def spec_of(obj: Any) -> VerifierSpec:
    """The spec attached to a verifier function (or the spec itself)."""
    if isinstance(obj, VerifierSpec):
        return obj
    spec = getattr(obj, SPEC_ATTR, None)
    if not isinstance(spec, VerifierSpec):
        raise PluginError(f"{obj!r} is not a verifier: decorate it with rewards.verifier(...)")
    return spec


class Registry:
    """Name → VerifierSpec; refuses duplicates, records plugins that fail to load."""

    def __init__(self) -> None:
        self._specs: dict[str, VerifierSpec] = {}
        self._failed: dict[str, str] = {}
        self._aliases: dict[str, str] = {}
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def register(self, obj: Any, *, source: str | None = None, version: str | None = None) -> VerifierSpec:
        spec = spec_of(obj)
        if source is not None or version is not None:
            spec = dataclasses.replace(spec, source=source or spec.source, version=version or spec.version)
        if spec.name in self._specs:
            raise RegistryError(
                f"verifier {spec.name!r} from {spec.source} is already registered (by {self._specs[spec.name].source})"
            )
        self._specs[spec.name] = spec
        return spec

    def get(self, name: str) -> VerifierSpec:
        try:
            return self._specs[name]
        except KeyError:
            if name in self._failed:
                raise RegistryError(f"verifier {name!r} failed to load: {self._failed[name]}") from None
            if self._aliases.get(name) in self._specs:
                raise RegistryError(
                    f"unknown verifier {name!r}: the plugin entry point of that name registers {self._aliases[name]!r}"
                ) from None
            raise RegistryError(f"unknown verifier {name!r}; known: {', '.join(sorted(self._specs))}") from None

    def _fail(self, names: Sequence[str], where: str, exc: BaseException) -> None:
        """Record that ``where`` (the verifiers ``names``, when known) failed to load, and why."""
        cause = describe_failure(exc)
        self.problems.append(f"{where}: {cause}")
        for name in names:
            if name not in self._specs:
                self._failed.setdefault(name, f"{where}: {cause}")

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[VerifierSpec]:
        return iter(sorted(self._specs.values(), key=lambda s: s.name))

    def names(self) -> list[str]:
        return sorted(self._specs)

    def load_module(self, module: str, *, source: str, version: str = "", check: bool = False) -> None:
        """Register every verifier defined in ``module``.

        With ``check`` (plugins), each verifier is admitted only if it passes the load checks;
        one that fails goes to ``problems`` and the module's other verifiers still load.
        """
        mod = importlib.import_module(module)
        found = [
            v
            for v in vars(mod).values()
            if isinstance(getattr(v, SPEC_ATTR, None), VerifierSpec) and getattr(v, "__module__", None) == mod.__name__
        ]
        if not found:
            raise PluginError(f"module {module!r} defines no verifier")
        for fn in found:
            try:
                self.register(_check_on_load(fn) if check else fn, source=source, version=version)
            except RegistryError as exc:
                if not check:
                    raise
                self._fail([spec_of(fn).name], f"module {module!r}", exc)

    def load_plugins(self, modules: Sequence[str] = ()) -> None:
        """Load entry-point plugins and extra modules; failures go to ``problems``, not up."""
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.name if ep.dist else "?"
            version = ep.dist.version if ep.dist else ""
            where = f"plugin {ep.name!r} ({ep.value}, package {dist})"
            names = [ep.name]
            try:
                obj = ep.load()
                names.append(spec_of(obj).name)
                spec = self.register(_check_on_load(obj), source=f"plugin:{dist}", version=version)
                if spec.name != ep.name:
                    self._aliases[ep.name] = spec.name
                    self.warnings.append(
                        f"{where}: the entry point is named {ep.name!r} but its verifier is named {spec.name!r}; "
                        f"requests must use {spec.name!r} (rename one to match)"
                    )
            except Exception as exc:  # a broken plugin must not take the service down
                self._fail(names, where, exc)
        for module in modules:
            try:
                self.load_module(module, source=f"module:{module}", check=True)
            except Exception as exc:
                self._fail([], f"module {module!r}", exc)


def describe_failure(exc: BaseException) -> str:
    """``Type: message``, plus the file and line where an import or syntax error arose in the plugin's code."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{type(exc).__name__}: {exc.msg} ({exc.filename}:{exc.lineno})"
    if isinstance(exc, (ImportError, AttributeError, NameError, TypeError, ValueError)) and not isinstance(
        exc, (RegistryError, PluginError)
    ):
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith("<frozen")]
        frames = [f for f in frames if "importlib" not in f.filename]
        if frames:
            return f"{text} (at {frames[-1].filename}:{frames[-1].lineno})"
    return text


def _check_on_load(obj: Any) -> Any:
    """``obj`` if it is a verifier passing the quick contract checks, else PluginError saying what is wrong."""
    from rewards.contract import load_problems  # rewards.contract imports this module

    spec = spec_of(obj)
    problems = load_problems(spec)
    if problems:
        raise PluginError(f"verifier {spec.name!r} breaks the contract: {'; '.join(problems)}")
    return obj


def default_registry(*, plugins: bool = True, modules: Sequence[str] = ()) -> Registry:
    """The built-in verifiers, plus plugins and ``modules`` unless ``plugins`` is false."""
    registry = Registry()
    from rewards import __version__

    for module in BUILTIN_MODULES:
        registry.load_module(module, source="builtin", version=__version__)
    if plugins:
        registry.load_plugins(modules)
    return registry
