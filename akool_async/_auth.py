"""Authentication: an API key header, or a bearer token fetched with clientId/clientSecret.

Credentials live in :class:`Secret` wrappers whose repr and str never show the value.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Protocol, final

import anyio

from ._errors import InvalidResponse

__all__ = ["ApiKeyAuth", "Auth", "Masked", "MaskedBytes", "Secret", "TokenAuth", "mask"]

TOKEN_PATH: Final = "/api/open/v3/getToken"


@final
class Secret:
    """A credential. ``repr``/``str`` print ``***``; call :meth:`get` to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """The secret value."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("secrets are not picklable")


class Masked(str):
    """A ``str`` holding a credential: it is sent as is, but its repr is ``'***'``.

    Every header value and request body field that holds a credential is one, so a traceback
    rendered with its frames' locals (Sentry, rich ``show_locals``, ``pytest -l``) shows
    ``{'x-api-key': '***'}``, never the key. Anything built from it (``"Bearer " + token``) is a
    plain ``str`` again: wrap that too.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'***'"

    def __reduce__(self) -> Any:
        raise TypeError("secrets are not picklable")


class MaskedBytes(bytes):
    """``bytes`` holding key material (a webhook's AES key); its repr is ``b'***'``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "b'***'"

    def __reduce__(self) -> Any:
        raise TypeError("secrets are not picklable")


def mask(value: str | None) -> Any:
    """``value`` as a :class:`Masked` str (None and non-str values are returned unchanged)."""
    if isinstance(value, str) and not isinstance(value, Masked):
        return Masked(value)
    return value


def masked_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    """``headers`` with every value masked (the same mapping if they already are)."""
    if all(isinstance(v, Masked) for v in headers.values()):
        return headers
    return {k: mask(v) for k, v in headers.items()}


#: Sends ``POST getToken`` with the given JSON body (no auth) and returns the decoded envelope.
TokenFetcher = Callable[[Mapping[str, str]], Awaitable[Mapping[str, Any]]]


class Auth(Protocol):
    """Produces the auth headers of a request and, where possible, refreshes them."""

    refreshable: bool

    async def headers(self, fetch: TokenFetcher) -> Mapping[str, str]:
        """Headers for the next request."""
        ...

    async def refresh(self, stale: Mapping[str, str], fetch: TokenFetcher) -> bool:
        """Replace credentials that were rejected; False if this auth cannot refresh."""
        ...

    def secrets(self) -> list[str]:
        """Every secret value this auth holds (for redaction checks)."""
        ...


@final
class ApiKeyAuth:
    """``x-api-key: <key>`` on every request."""

    refreshable = False
    __slots__ = ("_headers", "_key")

    def __init__(self, api_key: str) -> None:
        api_key = mask(api_key)
        self._key = Secret(api_key)
        self._headers: Mapping[str, str] = {"x-api-key": api_key}

    async def headers(self, fetch: TokenFetcher) -> Mapping[str, str]:
        return self._headers

    def current(self) -> Mapping[str, str] | None:
        """The headers :meth:`headers` would give, read without awaiting it."""
        return self._headers

    async def refresh(self, stale: Mapping[str, str], fetch: TokenFetcher) -> bool:
        return False

    def secrets(self) -> list[str]:
        return [self._key.get()]

    def api_key(self) -> str:
        """The API key (Akool's webhooks are encrypted with it: it is the clientSecret)."""
        return self._key.get()

    def __repr__(self) -> str:
        return "ApiKeyAuth(api_key=***)"


@final
class TokenAuth:
    """``Authorization: Bearer <token>`` with a token from ``getToken``.

    The token is fetched lazily and refreshed once per rejected token: however many requests
    see code 1101 for the same token at the same time, one ``getToken`` is sent (single flight),
    and every request waiting on it wakes at once when the new token arrives (no queue in which
    a short-lived token would age).
    """

    refreshable = True
    __slots__ = (
        "_client_id",
        "_client_secret",
        "_failure",
        "_flight",
        "_headers",
        "_token",
        "fetches",
    )

    def __init__(self, client_id: str, client_secret: str) -> None:
        client_secret = mask(client_secret)
        self._client_id = client_id
        self._client_secret = Secret(client_secret)
        self._token: Secret | None = None
        self._headers: Mapping[str, str] = {}
        #: The getToken in flight (set when it ends), and how the last one failed.
        self._flight: anyio.Event | None = None
        self._failure: Exception | None = None
        #: getToken requests sent so far.
        self.fetches = 0

    async def _fetch(self, fetch: TokenFetcher) -> None:
        self.fetches += 1
        body = await fetch(
            {"clientId": self._client_id, "clientSecret": mask(self._client_secret.get())}
        )
        token = mask(body.get("token"))
        body = {}  # the answer holds the token in plain: keep it out of this frame's locals
        if not isinstance(token, str) or not token:
            raise InvalidResponse(
                "getToken answered without a token", endpoint=f"POST {TOKEN_PATH}"
            )
        self._token = Secret(token)
        self._headers = {"Authorization": Masked(f"Bearer {token}")}

    async def _renew(self, stale: Mapping[str, str] | None, fetch: TokenFetcher) -> None:
        """Make sure the token is not ``stale`` (None: that there is one), single flight.

        Requests waiting on a flight that failed share its error, so N waiters on bad
        credentials cost one getToken, not N; a flight cancelled midway is taken up by a waiter.
        """
        while self._token is None if stale is None else self._headers == stale:
            flight = self._flight
            if flight is not None:
                await flight.wait()
                if self._failure is not None:
                    raise self._failure
                continue
            self._flight = flight = anyio.Event()
            try:
                await self._fetch(fetch)
                self._failure = None
            except Exception as exc:
                self._failure = exc
                raise
            finally:
                self._flight = None
                flight.set()

    async def headers(self, fetch: TokenFetcher) -> Mapping[str, str]:
        if self._token is None:
            await self._renew(None, fetch)
        return self._headers

    def current(self) -> Mapping[str, str] | None:
        """The headers :meth:`headers` would give once a token is held, else None."""
        return self._headers if self._token is not None else None

    async def refresh(self, stale: Mapping[str, str], fetch: TokenFetcher) -> bool:
        await self._renew(stale, fetch)
        return True

    def client_credentials(self) -> tuple[str, str]:
        """The clientId and clientSecret (webhook decryption uses them)."""
        return self._client_id, self._client_secret.get()

    def secrets(self) -> list[str]:
        out = [self._client_secret.get()]
        if self._token is not None:
            out.append(self._token.get())
        return out

    def __repr__(self) -> str:
        return f"TokenAuth(client_id={self._client_id!r}, client_secret=***)"
