"""The one private cattrs converter, and the request (de)serialisation built on it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import AttributeValidationNote, IterableValidationNote
from cattrs.preconf.json import make_converter

from ._errors import ValidationError
from ._family import Family

__all__ = [
    "build_request",
    "join_path",
    "register_structure_hook",
    "register_structure_hook_func",
    "request_body",
]

T = TypeVar("T")

_converter = make_converter(forbid_extra_keys=True)

#: Areas register hooks for their nested request types (face swap's images) here.
register_structure_hook = _converter.register_structure_hook
register_structure_hook_func = _converter.register_structure_hook_func


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


def join_path(path: str, field: str) -> str:
    """``source_image`` + ``[0]`` + ``path`` -> ``source_image[0].path`` ("" adds nothing)."""
    if not field or not path:
        return path or field
    return f"{path}{field}" if field.startswith("[") else f"{path}.{field}"


def _first_validation_error(exc: BaseException, path: str = "") -> ValidationError | None:
    """The first ValidationError inside a cattrs error, its field prefixed with where it was
    found (cattrs notes each attribute name and list index on the way down)."""
    if isinstance(exc, ValidationError):
        return exc if not path else ValidationError(join_path(path, exc.field), exc.problem)
    if isinstance(exc, BaseExceptionGroup):
        for sub in exc.exceptions:
            where = path
            for note in getattr(sub, "__notes__", ()):
                if isinstance(note, AttributeValidationNote):
                    where = join_path(where, note.name)
                elif isinstance(note, IterableValidationNote):
                    where = join_path(where, f"[{note.index}]")
            found = _first_validation_error(sub, where)
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
            # repr for a blank key (a CSV header with a trailing comma) so the field shows.
            name = key if isinstance(key, str) and key.strip() else repr(key)
            raise ValidationError(
                name, f"unknown field; expected one of {', '.join(sorted(known))}"
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
