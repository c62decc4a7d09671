"""TopView as a :class:`~akool_async._provider.Provider` record: what the batch wing and the CLI
know of it (its families, request validation, camelCase spellings, session from the environment).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any, Final, Unpack

import attrs

from .. import _constants as C
from .._base import SessionOptions
from .._errors import ConfigurationError
from .._provider import Provider
from ._errors import TOPVIEW_CODES
from ._families import TOPVIEW_FAMILIES
from ._models import UploadedFile, build_request, json_names
from ._session import TopViewSession

__all__ = ["TOPVIEW_PROVIDER"]

_ENV: Final = ("TOPVIEW_API_KEY", "TOPVIEW_UID")


def _session_from_env(
    base_url: str | None = None, **options: Unpack[SessionOptions]
) -> TopViewSession:
    """A session with TOPVIEW_API_KEY and TOPVIEW_UID credentials (ConfigurationError if not)."""
    missing = [name for name in _ENV if not os.environ.get(name, "").strip()]
    if missing:
        raise ConfigurationError(
            f"TopView (topview_*) families need {' and '.join(missing)} in the environment"
        )
    return TopViewSession(base_url=base_url, **options)


@functools.cache
def _field_aliases(family: str) -> Mapping[str, str]:
    """TopView's JSON spellings, normalised (``productimagefileid``), as its session takes."""
    cls = TOPVIEW_FAMILIES[family].request_type
    return {
        spelling.lower(): a.name for a in attrs.fields(cls) for spelling in json_names(cls, a.name)
    }


def _plain(value: Any) -> Any:
    """An upload given in Python as its fileId (mask sizes were checked with it first); a list
    of uploads (``reference_image_file_ids``) as a list of fileIds."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value.file_id if isinstance(value, UploadedFile) else value


#: TopView, the SDK's second provider.
TOPVIEW_PROVIDER: Final = Provider(
    name=TopViewSession.provider,
    families=TOPVIEW_FAMILIES,
    build_request=build_request,
    session_from_env=_session_from_env,
    field_aliases=_field_aliases,
    plain=_plain,
    base_url_env="TOPVIEW_BASE_URL",
    default_base_url=C.TOPVIEW_BASE_URL,
    credential_env=(_ENV,),
    retryable_codes=frozenset(str(code) for code, cls in TOPVIEW_CODES.items() if cls.retryable),
)
