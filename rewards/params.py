"""Turn a JSON params dict into a verifier's frozen params dataclass, or say what is wrong.

Verifier parameters are declared as ``@dataclass(frozen=True)`` classes; this module
checks names and types so that a typo is an error naming the valid parameters,
never a silently ignored setting.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import re
import textwrap
import types
import typing
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from rewards.errors import ParamError

P = TypeVar("P")


@dataclasses.dataclass(frozen=True)
class NoParams:
    """For verifiers that take no parameters."""


def parse_params(params_type: type[P], raw: dict[str, Any] | None, *, verifier: str) -> P:
    """Build ``params_type`` from ``raw``; unknown names and wrong types raise ParamError."""
    raw = dict(raw or {})
    fields = {f.name: f for f in dataclasses.fields(params_type)}  # type: ignore[arg-type]
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        valid = ", ".join(sorted(fields)) or "none"
        raise ParamError(f"verifier {verifier!r}: unknown parameter(s) {', '.join(unknown)}; valid: {valid}")
    hints = typing.get_type_hints(params_type)
    values = {}
    for name, value in raw.items():
        try:
            values[name] = _coerce(value, hints[name])
        except (TypeError, ValueError) as exc:
            raise ParamError(f"verifier {verifier!r}: parameter {name!r}: {exc}") from None
    try:
        return params_type(**values)
    except (TypeError, ValueError) as exc:
        raise ParamError(f"verifier {verifier!r}: {exc}") from None


def describe_params(params_type: type) -> list[dict[str, Any]]:
    """Name, type, default and description of each parameter, for ``GET /v1/verifiers``."""
    hints = typing.get_type_hints(params_type)
    described = param_descriptions(params_type)
    out = []
    for f in dataclasses.fields(params_type):
        default: Any = None
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        out.append(
            {
                "name": f.name,
                "type": _type_name(hints[f.name]),
                "default": _jsonable(default),
                "required": f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
                "description": described.get(f.name, ""),
                "json_schema": type_schema(hints[f.name]),
            }
        )
    return out


def params_schema(params_type: type) -> dict[str, Any]:
    """The JSON Schema of a verifier's ``params`` object, with each parameter's default and description."""
    described = describe_params(params_type)
    properties = {}
    for p in described:
        prop = {**p["json_schema"], "description": p["description"]} if p["description"] else dict(p["json_schema"])
        if not p["required"]:
            prop["default"] = p["default"]
        properties[p["name"]] = prop
    required = [p["name"] for p in described if p["required"]]
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    return {**schema, "required": required} if required else schema


def param_descriptions(params_type: type) -> dict[str, str]:
    """Each parameter's description: ``field(metadata={"description": ...})``, else the string literal
    right after the field (an attribute docstring), else the class docstring's clause on ``name``."""
    out: dict[str, str] = {}
    doc = inspect.getdoc(params_type) or ""
    attributes = _attribute_docstrings(params_type)
    for f in dataclasses.fields(params_type):
        clause = rf"``{re.escape(f.name)}``(?:\s*\([^)]*\))?\s*:\s*(.+?)(?:;|\.(?:\s|$)|\n\n|$)"
        if "description" in f.metadata:
            out[f.name] = str(f.metadata["description"])
        elif f.name in attributes:
            out[f.name] = attributes[f.name]
        elif m := re.search(clause, doc, re.S):
            out[f.name] = " ".join(m.group(1).split())
    return out


def _attribute_docstrings(params_type: type) -> dict[str, str]:
    """``name: T = default`` followed by a string literal, in the class body's source."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(params_type)))
    except (OSError, TypeError, SyntaxError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    out = {}
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            out[node.target.id] = " ".join(after.value.value.split())
    return out


def default_problems(params_type: type) -> list[str]:
    """Defaults that do not fit their parameter's declared type (a float defaulting to "high")."""
    hints = typing.get_type_hints(params_type)
    problems = []
    for f in dataclasses.fields(params_type):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            continue
        try:
            _coerce(_jsonable(default), hints[f.name])
        except (TypeError, ValueError) as exc:
            problems.append(
                f"parameter {f.name!r} ({_type_name(hints[f.name])}) defaults to {default!r}, which its own type "
                f"refuses: {exc}"
            )
    return problems


def type_schema(tp: Any) -> dict[str, Any]:
    """The JSON Schema of a parameter type, as requests must send it."""
    origin = get_origin(tp)
    if tp is Any:
        return {}
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if origin in (Union, types.UnionType):
        return {"anyOf": [type_schema(a) for a in get_args(tp)]}
    if origin in (tuple, list, frozenset):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        return {"type": "array", "items": type_schema(args[0]) if args else {}}
    if origin is dict:
        key_value = get_args(tp)
        return {"type": "object", "additionalProperties": type_schema(key_value[1]) if len(key_value) == 2 else {}}
    simple = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}
    return {"type": simple[tp]} if tp in simple else {}


def _coerce(value: Any, tp: Any) -> Any:
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin is Literal:
        if value not in get_args(tp):
            raise ValueError(f"must be one of {', '.join(map(repr, get_args(tp)))}, got {value!r}")
        return value
    if origin in (Union, types.UnionType):
        errors = []
        for arg in get_args(tp):
            if arg is type(None):
                if value is None:
                    return None
                continue
            try:
                return _coerce(value, arg)
            except (TypeError, ValueError) as exc:
                errors.append(str(exc))
        raise ValueError(" or ".join(errors) if errors else f"must be null, got {value!r}")
    if origin in (tuple, list, frozenset):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"must be a list, got {type(value).__name__}")
        args = get_args(tp)
        item_tp = args[0] if args else Any
        items = [_coerce(v, item_tp) for v in value]
        return origin(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise TypeError(f"must be an object, got {type(value).__name__}")
        return dict(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise TypeError(f"must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"must be an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"must be a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise TypeError(f"must be a string, got {value!r}")
        return value
    raise TypeError(f"unsupported parameter type {tp!r}")


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        return " | ".join(_type_name(a) for a in get_args(tp))
    if origin is not None:
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in get_args(tp) if a is not Ellipsis)}]"
    return "null" if tp is type(None) else getattr(tp, "__name__", str(tp))


def _jsonable(value: Any) -> Any:
    if isinstance(value, (tuple, frozenset)):
        return list(value)
    return value
