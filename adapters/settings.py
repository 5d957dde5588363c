"""Typed settings from plain TOML tables, with errors that name the key and the expectation.

Adapters declare their settings as a frozen dataclass (``config_model``); the gateway's
own tables use the same loader, so every bad config file fails the same clear way.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar, get_args, get_origin

__all__ = ["SettingsError", "load_settings"]

T = TypeVar("T")

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


class SettingsError(ValueError):
    """A configuration value is missing, unknown or of the wrong type.

    ``key`` is the dotted path of the offending key (``regions.77.base_url``).
    """

    def __init__(self, key: str, expected: str, got: object = dataclasses.MISSING) -> None:
        self.key = key
        self.expected = expected
        if got is dataclasses.MISSING:
            message = f"{key}: expected {expected}"
        else:
            message = f"{key}: expected {expected}, got {got!r}"
        super().__init__(message)


def _describe(tp: Any) -> str:
    origin = get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_describe(a) for a in get_args(tp) if a is not type(None))
    if origin in (list, tuple):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        return f"a list of {_describe(args[0])}s" if args else "a list"
    if origin is dict:
        return "a table"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return _TYPE_NAMES.get(tp, getattr(tp, "__name__", str(tp)))


def _convert(tp: Any, value: Any, key: str) -> Any:
    origin = get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, key)
            except SettingsError:
                continue
        raise SettingsError(key, _describe(tp), value)
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise SettingsError(key, _describe(tp), value)
        (item_tp, *_) = get_args(tp) or (Any,)
        items = [_convert(item_tp, v, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, Mapping):
            raise SettingsError(key, "a table", value)
        _, value_tp = get_args(tp) or (str, Any)
        return {str(k): _convert(value_tp, v, f"{key}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, Mapping):
            raise SettingsError(key, "a table", value)
        return load_settings(tp, value, where=key)
    if tp is Any:
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(key, "a number", value)
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(key, "an integer", value)
        return value
    if tp in (str, bool):
        if not isinstance(value, tp):
            raise SettingsError(key, _TYPE_NAMES[tp], value)
        return value
    raise SettingsError(key, f"a value of type {tp!r}")  # pragma: no cover


def load_settings(model: type[T], table: Mapping[str, Any], *, where: str) -> T:
    """Build the frozen dataclass ``model`` from a TOML table, checking every key.

    Args:
        model: a dataclass whose field types are str, int, float, bool, lists, dicts,
            optional values or nested dataclasses.
        table: the parsed TOML table.
        where: the dotted path of ``table`` in the file, used in error messages.

    Raises:
        SettingsError: naming the first key that is unknown, missing or mistyped.
    """
    if not dataclasses.is_dataclass(model):
        raise TypeError(f"{model!r} is not a dataclass")
    hints = typing.get_type_hints(model)
    fields = {f.name: f for f in dataclasses.fields(model)}
    for name in table:
        if name not in fields:
            known = ", ".join(sorted(fields)) or "none"
            raise SettingsError(f"{where}.{name}", f"one of the known keys ({known})")
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        key = f"{where}.{name}"
        if name in table:
            kwargs[name] = _convert(hints[name], table[name], key)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise SettingsError(key, f"{_describe(hints[name])} (required)")
    return model(**kwargs)
