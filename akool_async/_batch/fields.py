"""Manifest fields: names (aliases, case), value kinds (CSV text to numbers, booleans, lists),
and validation that reports every problem of a row, not only the first."""

from __future__ import annotations

import functools
import json
import math
import types
from collections.abc import Mapping
from typing import Any, Final, Literal, Union, get_args, get_origin

import attrs

from .._errors import ValidationError
from .._family import Family
from .._provider import Provider
from .providers import lookup, providers

__all__: list[str] = []

_COMMON_ALIASES: Final[Mapping[str, str]] = {"webhookurl": "webhook_url"}
_TRUE: Final = frozenset({"true", "yes", "y", "1", "on"})
_FALSE: Final = frozenset({"false", "no", "n", "0", "off"})


# -- field conversion ----------------------------------------------------------------------------

_Kind = Literal["str", "bool", "int", "float", "list"]


def _kind_of(tp: Any) -> _Kind:
    """The value kind a request attribute takes (``None`` aside)."""
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        tp = args[0] if len(args) == 1 else str
    if tp is bool:
        return "bool"
    if tp is int:
        return "int"
    if tp is float:
        return "float"
    if get_origin(tp) in (tuple, list):
        return "list"
    return "str"


@functools.cache
def _field_kinds(family: str) -> Mapping[str, _Kind]:
    """Per field of the family's request class, the kind of value it takes."""
    cls = _lookup(family)[1].request_type
    attrs.resolve_types(cls)
    return {a.name: _kind_of(a.type) for a in attrs.fields(cls)}


def _norm_key(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def _lookup(family: str) -> tuple[Provider, Family]:
    found = lookup(family)
    if found is None:
        raise KeyError(family)
    return found


def _family_name(value: Any) -> str:
    """The canonical family name, or raise ValidationError."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("family", "is required")
    key = _norm_key(value)
    for p in providers():
        name = p.family_aliases.get(key, key)
        if lookup(name) is not None:
            return name
    known = sorted(name for p in providers() for name in p.families)
    raise ValidationError("family", f"unknown family {value!r}; known: {', '.join(known)}")


def _from_text(name: str, kind: _Kind, text: str) -> Any:
    """A CSV cell converted to what the field takes (text stays text)."""
    if kind == "bool":
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValidationError(name, f"must be true or false, got {text!r}")
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ValidationError(name, f"must be an integer, got {text!r}") from None
    if kind == "float":
        try:
            number = float(text)
        except ValueError:
            raise ValidationError(name, f"must be a number, got {text!r}") from None
        if not math.isfinite(number):
            raise ValidationError(name, f"must be a finite number, got {text!r}")
        return number
    if kind == "list":
        if text.startswith("["):
            try:
                return json.loads(text)
            except (ValueError, RecursionError) as exc:
                raise ValidationError(name, f"is not a valid JSON array: {exc}") from None
        return [part.strip() for part in text.split("|") if part.strip()]
    return text


def _normalise_fields(
    family: str,
    raw: Mapping[str, Any],
    *,
    from_text: bool,
    problems: list[ValidationError] | None = None,
) -> dict[str, Any]:
    """Canonical field names and typed values; aliases resolved; empty values dropped.

    With ``problems``, every bad field goes there (and is left out) instead of raising at the
    first one.
    """
    out: dict[str, Any] = {}
    given_as: dict[str, str] = {}
    for key, value in raw.items():
        try:
            _normalise_field(family, key, value, out, given_as, from_text=from_text)
        except ValidationError as exc:
            if problems is None:
                raise
            problems.append(exc)
    return out


def _normalise_field(
    family: str,
    key: Any,
    value: Any,
    out: dict[str, Any],
    given_as: dict[str, str],
    *,
    from_text: bool,
) -> None:
    """Normalise one field into ``out`` (nothing for an empty value); ValidationError if bad."""
    provider = _lookup(family)[0]
    aliases = {**_COMMON_ALIASES, **provider.field_aliases(family)}
    kinds = _field_kinds(family)
    if value is None or (isinstance(value, str) and not value.strip()):
        return
    if not isinstance(key, str):
        raise ValidationError(repr(key), "field names must be text")
    norm = _norm_key(key)
    name = aliases.get(norm, norm)
    if name in out:
        raise ValidationError(name, f"given twice (as {given_as[name]!r} and {key!r})")
    kind = kinds.get(name)
    if isinstance(value, str):
        value = value.strip()
        if from_text and kind is not None:
            value = _from_text(name, kind, value)
    if name == "language" and isinstance(value, list | tuple):
        if not all(isinstance(v, str) for v in value):
            raise ValidationError(name, "must list language codes as text")
        value = ",".join(v.strip() for v in value)
    if kind == "list" and isinstance(value, str):
        value = [value]  # one image URL in JSON: a list of one
    out[name] = value
    given_as[name] = key


def _build_all(
    provider: Provider, fam: Family, fields: Mapping[str, Any], found: list[ValidationError]
) -> Any:
    """The request, or None; every problem found goes to ``found`` (not only the first one).

    The provider's validation stops at the first bad field; when it fails, every other field is
    checked on its own (unknown, missing, or refused by its own validator) so that a row's
    problems are all reported at once.
    """
    try:
        request = provider.build_request(fam.request_type, fields)
    except ValidationError as exc:
        found.append(exc)
    else:
        return request if not found else None
    cls = fam.request_type
    if not attrs.has(cls):
        return None
    reported = {e.field for e in found}

    def add(name: str, problem: str) -> None:
        if name not in reported:
            reported.add(name)
            found.append(ValidationError(name, problem))

    known = {a.name: a for a in attrs.fields(cls)}
    for key in fields:
        if key not in known:
            add(str(key), f"unknown field; expected one of {', '.join(sorted(known))}")
    for a in known.values():
        value = fields.get(a.name)
        if value is None:
            if a.default is attrs.NOTHING:
                add(a.name, "is required")
            continue
        if a.validator is None or not isinstance(value, str | int | float | bool):
            continue  # lists and objects are structured by the provider first: not checked alone
        try:
            a.validator(None, a, a.converter(value) if callable(a.converter) else value)
        except ValidationError as exc:
            add(exc.field or a.name, exc.problem)
        except Exception:  # a validator that needs the whole request: skipped
            continue
    return None
