"""attrs validators shared by every provider's request models.

Each raises :class:`~akool_async.ValidationError` naming the field (its alias where it has one),
so a bad argument fails before any request is sent.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from attrs import Attribute

from ._errors import ValidationError

__all__ = [
    "bounded_text",
    "check_http_url",
    "fail",
    "float_range",
    "http_url",
    "int_range",
    "non_empty_text",
    "one_of",
    "optional_bool",
    "optional_http_url",
    "optional_text",
]


def fail(attribute: Attribute[Any], problem: str) -> None:
    """Raise the ValidationError of ``attribute``, named as the caller spells it."""
    raise ValidationError(attribute.alias or attribute.name, problem)


def check_http_url(name: str, value: object) -> None:
    """Refuse anything but a non-empty http(s) URL with a host, naming ``name``.

    Raises:
        ValidationError: naming ``name``.
    """
    if not isinstance(value, str):
        raise ValidationError(name, f"must be a URL string, got {type(value).__name__}")
    if not value.strip():
        raise ValidationError(name, "must not be empty")
    try:
        parts = urlsplit(value)
        _ = parts.port  # a port out of range raises ValueError
    except ValueError:
        raise ValidationError(name, "is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(name, "must be an http(s) URL with a host")
    # urlsplit quietly strips leading control characters and drops tabs and newlines, so a
    # URL that parses can still carry them: refuse any whitespace or unprintable character.
    # (Whole-string checks: str.split and str.isspace agree on what whitespace is.)
    if not value.isprintable() or value.split() != [value]:
        raise ValidationError(name, "must not contain whitespace or control characters")


def http_url(_inst: object, attribute: Attribute[Any], value: object) -> None:
    """Validator: a non-empty http(s) URL with a host."""
    check_http_url(attribute.alias or attribute.name, value)


def optional_http_url(inst: object, attribute: Attribute[Any], value: object) -> None:
    """Validator: None or an http(s) URL."""
    if value is not None:
        http_url(inst, attribute, value)


def non_empty_text(_inst: object, attribute: Attribute[Any], value: object) -> None:
    """Validator: a non-blank string."""
    if not isinstance(value, str):
        fail(attribute, f"must be a string, got {type(value).__name__}")
    assert isinstance(value, str)
    if not value.strip():
        fail(attribute, "must not be empty")
    if "\x00" in value:
        fail(attribute, "must not contain NUL")


def optional_text(inst: object, attribute: Attribute[Any], value: object) -> None:
    """Validator: None or a non-blank string."""
    if value is not None:
        non_empty_text(inst, attribute, value)


def one_of(*choices: object) -> Any:
    """Validator factory: None or one of ``choices`` (type-exact, so "720" is not 720)."""

    def check(_inst: object, attribute: Attribute[Any], value: object) -> None:
        if value is None:
            return
        if not any(type(value) is type(c) and value == c for c in choices):
            fail(attribute, f"must be one of {', '.join(repr(c) for c in choices)}; got {value!r}")

    return check


def int_range(lo: int, hi: int) -> Any:
    """Validator factory: None or an int (not bool) in [lo, hi]."""

    def check(_inst: object, attribute: Attribute[Any], value: object) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            fail(attribute, f"must be an integer, got {type(value).__name__}")
        assert isinstance(value, int)
        if not lo <= value <= hi:
            fail(attribute, f"must be between {lo} and {hi}; got {value}")

    return check


def float_range(lo: float, hi: float) -> Any:
    """Validator factory: None or a finite number in [lo, hi]."""

    def check(_inst: object, attribute: Attribute[Any], value: object) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            fail(attribute, f"must be a number, got {type(value).__name__}")
        assert isinstance(value, int | float)
        if not math.isfinite(value) or not lo <= value <= hi:
            fail(attribute, f"must be between {lo} and {hi}; got {value}")

    return check


def optional_bool(_inst: object, attribute: Attribute[Any], value: object) -> None:
    """Validator: None or a bool."""
    if value is not None and not isinstance(value, bool):
        fail(attribute, f"must be true or false, got {type(value).__name__}")


def bounded_text(limit: int, *, optional: bool = False, blank: bool = False) -> Any:
    """Validator factory: a string of at most ``limit`` characters (None too if ``optional``;
    a blank string only if ``blank``)."""

    def check(inst: object, attribute: Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        if blank and isinstance(value, str) and not value.strip():
            pass
        else:
            non_empty_text(inst, attribute, value)
        if not isinstance(value, str):
            fail(attribute, f"must be a string, got {type(value).__name__}")
        assert isinstance(value, str)
        if len(value) > limit:
            fail(attribute, f"must be at most {limit} characters; got {len(value)}")

    return check
