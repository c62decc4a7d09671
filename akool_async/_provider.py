"""What a provider is, as data: the :class:`Provider` record each provider declares by its session.

The batch wing and the command line know providers only through these records (assembled in
:mod:`akool_async._providers`); a new provider is one more record. This module sits with the
neutral core: it knows families and sessions, never a particular provider.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, Unpack

from attrs import field, frozen

from ._family import Family, StatusEndpoint

if TYPE_CHECKING:
    from ._base import BaseSession, SessionOptions

__all__ = ["Provider", "SessionFactory", "expected_job_labels"]


class SessionFactory(Protocol):
    """Makes a provider's session with credentials from the environment."""

    def __call__(
        self, *, base_url: str | None = None, **options: Unpack[SessionOptions]
    ) -> BaseSession: ...


def _no_aliases(family: str) -> Mapping[str, str]:
    return {}


def _as_is(value: Any) -> Any:
    return value


@frozen(slots=True)
class Provider:
    """One provider, as the batch wing and the CLI see it.

    Attributes:
        name: what its session's ``provider`` says (``"akool"``), written into job tokens.
        families: its family table, by family name.
        build_request: its own request validation (what its session's ``create`` runs):
            ``(request class, fields) -> request``, raising ValidationError.
        session_from_env: ``(base_url=None, **session options) -> session`` with credentials
            from the environment, raising ConfigurationError naming what is missing.
        field_aliases: per family name, extra field spellings (normalised key -> field name).
        family_aliases: other names for its families (normalised name -> family name).
        plain: a validated field value as JSON data, as the journal stores it.
        status_endpoint: the status endpoint most of its families poll, if one is shared.
        base_url_env: the environment variable a base URL comes from, for help texts.
        default_base_url: the base URL used otherwise, for help texts.
        credential_env: the environment variables of each way to authenticate, in order of
            preference (e.g. ``(("AKOOL_API_KEY",), ("AKOOL_CLIENT_ID", "AKOOL_CLIENT_SECRET"))``).
        retryable_codes: error codes (as text) of failures the provider says to try again later.
    """

    name: str
    families: Mapping[str, Family]
    build_request: Callable[[type[Any], Mapping[str, Any]], Any]
    session_from_env: SessionFactory
    field_aliases: Callable[[str], Mapping[str, str]] = _no_aliases
    family_aliases: Mapping[str, str] = field(factory=dict)
    plain: Callable[[Any], Any] = _as_is
    status_endpoint: StatusEndpoint | None = None
    base_url_env: str | None = None
    default_base_url: str | None = None
    credential_env: tuple[tuple[str, ...], ...] = ()
    retryable_codes: frozenset[str] = frozenset()


def expected_job_labels(request: Any) -> list[str]:
    """What tells apart the jobs one create starts: one per language of a multi-language
    request (its codes), one per video of a ``count`` > 1 request (``"1"``, ``"2"`` ...), else
    one job with no label (``[""]``)."""
    languages = getattr(request, "languages", None)
    if isinstance(languages, list) and len(languages) > 1:
        return [str(code) for code in languages]
    count = getattr(request, "count", None)
    if type(count) is int and count > 1:
        return [str(i) for i in range(1, count + 1)]
    return [""]
