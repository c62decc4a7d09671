"""The one private cattrs converter, and the request (de)serialisation built on it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.preconf.json import make_converter

from ._errors import ValidationError
from ._families import Family
from ._models import SwapImage

__all__ = ["build_request", "request_body"]

T = TypeVar("T")

_converter = make_converter(forbid_extra_keys=True)


def _passthrough(value: Any, _type: Any) -> Any:
    # The request classes' validators check types and say which field is wrong; cattrs'
    # default would coerce (str(5) == "5") and hide mistakes.
    return value


for _t in (str, int, float, bool):
    _converter.register_structure_hook(_t, _passthrough)


def _omit_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _omit_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_omit_none(v) for v in value]
    return value


def request_body(fam: Family, request: Any) -> dict[str, Any]:
    """The JSON body of a create request: None fields dropped, names as the endpoint spells them."""
    raw = _omit_none(_converter.unstructure(request))
    assert isinstance(raw, dict)
    renames: dict[str, str] = {"webhook_url": fam.webhook_key, **fam.renames}
    return {renames.get(str(k), str(k)): v for k, v in raw.items()}


def _first_validation_error(exc: BaseException) -> ValidationError | None:
    if isinstance(exc, ValidationError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for sub in exc.exceptions:
            found = _first_validation_error(sub)
            if found is not None:
                return found
    return None


def build_request(cls: type[T], fields: Mapping[str, Any]) -> T:
    """Validate untyped fields (a manifest row, keyword arguments) into a request object.

    Raises:
        ValidationError: naming the first bad, missing or unknown field.
    """
    if not isinstance(fields, Mapping):
        raise ValidationError("request", f"must be a mapping, got {type(fields).__name__}")
    known = {a.name for a in attrs.fields(cls)}  # type: ignore[arg-type]
    for key in fields:
        if key not in known:
            raise ValidationError(
                str(key), f"unknown field; expected one of {', '.join(sorted(known))}"
            )
    for a in attrs.fields(cls):  # type: ignore[arg-type]
        if a.default is attrs.NOTHING and fields.get(a.name) is None:
            raise ValidationError(a.name, "is required")
    try:
        return _converter.structure(dict(fields), cls)
    except Exception as exc:
        found = _first_validation_error(exc)
        if found is not None:
            raise found from None
        if isinstance(exc, cattrs.BaseValidationError):
            message = cattrs.transform_error(exc)[0]
            where = message.rpartition(" @ $.")[2] if " @ $." in message else "request"
            raise ValidationError(where, message.partition(" @ ")[0]) from None
        raise ValidationError("request", str(exc)) from None


def _structure_swap(value: Any, _type: Any) -> SwapImage:
    if isinstance(value, SwapImage):
        return value
    if isinstance(value, str):
        return SwapImage(path=value)
    if isinstance(value, Mapping):
        extra = set(value) - {"path", "opts"}
        if extra:
            raise ValidationError(f"image.{sorted(extra)[0]}", "unknown field")
        return SwapImage(path=value.get("path"), opts=value.get("opts"))  # type: ignore[arg-type]
    raise ValidationError("image", f"must be a URL or {{path, opts}}, got {type(value).__name__}")


_converter.register_structure_hook(SwapImage, _structure_swap)
