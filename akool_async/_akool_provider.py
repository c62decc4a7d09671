"""Akool as a :class:`~akool_async._provider.Provider` record: what the batch wing and the CLI
know of it (its families, request validation, manifest spellings, session from the environment).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Unpack

from . import _constants as C
from ._akool import FAMILIES
from ._akool._common import VIDEO_STATUS
from ._akool.aliases import FAMILY_ALIASES, FIELD_ALIASES
from ._base import SessionOptions
from ._converter import build_request
from ._errors import _CODE_TABLE
from ._provider import Provider
from ._session import Session

__all__ = ["AKOOL_PROVIDER", "FAMILY_ALIASES", "FIELD_ALIASES"]


def _session_from_env(base_url: str | None = None, **options: Unpack[SessionOptions]) -> Session:
    """A session with AKOOL_API_KEY (or AKOOL_CLIENT_ID + AKOOL_CLIENT_SECRET) credentials."""
    return Session(base_url=base_url, **options)


def _field_aliases(family: str) -> Mapping[str, str]:
    return FIELD_ALIASES.get(family, {})


#: Akool, the SDK's first provider.
AKOOL_PROVIDER: Final = Provider(
    name=Session.provider,
    families=FAMILIES,
    build_request=build_request,
    session_from_env=_session_from_env,
    field_aliases=_field_aliases,
    family_aliases=FAMILY_ALIASES,
    status_endpoint=VIDEO_STATUS,
    base_url_env="AKOOL_BASE_URL",
    default_base_url=C.DEFAULT_BASE_URL,
    credential_env=(("AKOOL_API_KEY",), ("AKOOL_CLIENT_ID", "AKOOL_CLIENT_SECRET")),
    retryable_codes=frozenset(str(code) for code, cls in _CODE_TABLE.items() if cls.retryable),
)
