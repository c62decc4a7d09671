"""The one module that sends requests.

It adds auth headers, takes a token from the session's rate budget, reads the body with a size
cap, decodes the envelope, maps aiohttp exceptions and API codes to typed errors, refreshes an
expired token once, and applies the retry rules:

* ``safe`` requests (status reads, getToken) are retried on connection errors, timeouts, 5xx, 429
  and throttling codes with capped exponential backoff and full jitter, honouring Retry-After;
* ``create`` requests are retried only when the server clearly refused them before doing any
  work (connection never made, HTTP 429, a throttling code); any ambiguous outcome raises
  :class:`CreationUnknown` so nothing is billed twice;
* ``poll`` requests are sent once: the scheduler reschedules failed polls itself, so a slot in
  the in-flight limiter is never held during a backoff sleep.
"""

from __future__ import annotations

import contextlib
import copy
import email.utils
import ipaddress
import json
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, Literal
from urllib.parse import urlsplit

import aiohttp
from attrs import field, frozen
from yarl import URL

from . import _constants as C
from ._auth import TOKEN_PATH, Auth, masked_headers
from ._clock import Clock
from ._errors import (
    AkoolError,
    APIError,
    ConfigurationError,
    ConnectError,
    CreationUnknown,
    HTTPStatusError,
    InvalidResponse,
    RateLimited,
    RequestTimeout,
    ResponseTooLarge,
    ServerError,
    SessionClosed,
    TransportError,
    error_for_code,
)
from ._ratelimit import RateBudget

__all__ = [
    "AKOOL",
    "Dialect",
    "RequestKind",
    "RetryPolicy",
    "Transport",
    "check_base_url",
    "create_sent",
]

log = logging.getLogger("akool_async")

RequestKind = Literal["safe", "create", "poll"]

#: Set by a caller that must know whether a create left this process (the batch runner, to
#: take back the intent of a row whose create never went out): ``[True]`` once a create
#: request is handed to aiohttp, back to ``[False]`` when that attempt was refused unprocessed
#: and is about to be sent again.
create_sent: ContextVar[list[bool] | None] = ContextVar("akool_create_sent", default=None)


@frozen(slots=True)
class Dialect:
    """How a provider's envelope reads.

    Attributes:
        success: the ``code`` value meaning success.
        message_key: where the error text lives.
        codes: API code -> exception class (unknown codes become APIError).
        refused: codes meaning "not processed, try later" (a create may be sent again).
        throttle: codes that mean the session should slow down.
        auth_expired: codes after which a refreshable auth fetches new credentials once.
    """

    success: int | str = 1000
    message_key: str = "msg"
    codes: Mapping[int | str, type[APIError]] | None = None
    refused: frozenset[int | str] = frozenset({1005})
    throttle: frozenset[int | str] = frozenset({1005})
    auth_expired: frozenset[int | str] = frozenset({1101})


AKOOL = Dialect()


@frozen(slots=True)
class RetryPolicy:
    """Retries of safe requests (and of creates the server clearly refused)."""

    max_retries: int = C.DEFAULT_MAX_RETRIES
    base: float = C.DEFAULT_RETRY_BASE
    cap: float = C.DEFAULT_RETRY_CAP
    max_retry_after: float = C.MAX_RETRY_AFTER
    rng: random.Random = field(factory=random.Random, eq=False, repr=False)


def _shown_url(url: object) -> str:
    """``repr(url)`` for an error message, with any ``user:password@`` part masked."""
    # Greedy up to the authority's last "@", as urlsplit reads it: a password may hold "@".
    return re.sub(r"//[^/?#]*@", "//***@", repr(url))


def check_base_url(base_url: str, *, allow_insecure_http: bool) -> str:
    """Validate the base URL: https, or http on loopback (or when explicitly allowed)."""
    try:
        parts = urlsplit(base_url)
        _ = parts.port  # a port out of range raises ValueError
    except (TypeError, ValueError):
        raise ConfigurationError(f"base_url: not a valid URL: {_shown_url(base_url)}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url: must be an http(s) URL, got {_shown_url(base_url)}")
    if parts.username is not None or parts.password is not None:
        # They would be sent as basic auth and shown in every repr of the session.
        raise ConfigurationError("base_url: must not contain credentials (user:pass@)")
    if parts.query or parts.fragment:
        raise ConfigurationError("base_url: must not have a query or fragment")
    if parts.scheme == "http" and not allow_insecure_http:
        host = parts.hostname
        loopback = host == "localhost"
        with contextlib.suppress(ValueError):
            loopback = loopback or ipaddress.ip_address(host).is_loopback
        if not loopback:
            raise ConfigurationError(
                "base_url: plain http is only allowed on loopback; pass allow_insecure_http=True "
                "to send credentials unencrypted"
            )
    return base_url.rstrip("/")


def _bare(exc: BaseException) -> BaseException:
    """``exc`` without its traceback: aiohttp's frames hold our request headers as locals, and
    an error rendered with locals must not show credentials. Its type and message remain."""
    exc.__context__ = None
    return exc.with_traceback(None)


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Transport:
    """Sends every request of a session. See the module docstring for the rules."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: Auth,
        clock: Clock,
        budget: RateBudget,
        http: aiohttp.ClientSession | None = None,
        timeout: float = C.DEFAULT_TIMEOUT,
        max_connections: int = C.DEFAULT_MAX_CONNECTIONS,
        retry: RetryPolicy | None = None,
        max_response_bytes: int = C.MAX_RESPONSE_BYTES,
        dialect: Dialect = AKOOL,
        extra_headers: Mapping[str, str] | None = None,
        verify_ssl: bool = True,
    ) -> None:
        self.base_url = base_url
        self.auth = auth
        self.clock = clock
        self.budget = budget
        self.retry = retry or RetryPolicy()
        self.max_response_bytes = max_response_bytes
        self.dialect = dialect
        self._codes = dialect.codes
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 10.0))
        self._extra = dict(extra_headers or {})
        #: The headers of an unauthenticated request, and the last auth headers seen with what
        #: they make (masked; merged with ours): polls reuse them instead of rebuilding both.
        self._plain_headers = {"User-Agent": C.USER_AGENT, **self._extra}
        self._auth_seen: Mapping[str, str] | None = None
        self._auth_masked: Mapping[str, str] = {}
        #: Both, as :meth:`_with_auth` answers them (one tuple per token, not per request).
        self._auth_pair: tuple[Mapping[str, str], Mapping[str, str]] = ({}, self._plain_headers)
        #: The auth's headers when known without an await (an API key's always are), if the
        #: auth offers that; else each request awaits ``auth.headers``.
        self._auth_now: Callable[[], Mapping[str, str] | None] | None = getattr(
            auth, "current", None
        )
        self._own_http = http is None
        self._max_connections = max_connections
        self._verify_ssl = verify_ssl
        self._http = http
        self._closed = False
        #: The transport a :meth:`with_timeout` view sends through (None: this one owns it).
        self._parent: Transport | None = None
        #: Requests sent, by ``"METHOD /path"``.
        self.sent: dict[str, int] = {}

    def with_timeout(self, timeout: float) -> Transport:
        """A view with another per-request timeout, sharing this transport's HTTP session,
        auth, rate budget and counters (closing the view closes nothing)."""
        if not timeout > 0:
            raise ConfigurationError("timeout: must be > 0")
        view = copy.copy(self)
        view._parent = self._parent or self
        view._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 10.0))
        return view

    @property
    def http(self) -> aiohttp.ClientSession:
        """The aiohttp session (created on first use if the caller gave none)."""
        if self._parent is not None:
            return self._parent.http
        if self._closed:
            raise SessionClosed("the session is closed")
        if self._http is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections, ssl=self._verify_ssl)
            self._http = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                headers={"User-Agent": C.USER_AGENT},
                # Nothing the API answers needs cookies; never keep any.
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._http

    async def aclose(self) -> None:
        """Close the aiohttp session if we created it. Safe twice."""
        if self._parent is not None:
            return
        self._closed = True
        if self._own_http and self._http is not None and not self._http.closed:
            await self._http.close()

    # -- public entry point -----------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        kind: RequestKind = "safe",
        authenticate: bool = True,
        url: URL | None = None,
    ) -> dict[str, Any]:
        """Send one logical request and return the decoded envelope (code == success).

        ``url``: where to send it, as :meth:`prepare` built it for ``path`` and ``params``
        (then ``params`` is not given again). ``path`` still names the endpoint.

        Raises:
            APIError: a subclass for the code, after the retries the rules allow.
            CreationUnknown: a create whose outcome is ambiguous.
            TransportError, HTTPStatusError: after retries, for safe and poll requests.
        """
        endpoint = f"{method} {path}"
        attempt = 0
        sent_mark = create_sent.get() if kind == "create" else None
        #: The credentials this request saw rejected, and had refreshed (a few at most).
        rejected: list[Mapping[str, str]] | None = None  # (no list built for most requests)
        waited = False
        while True:
            # Credentials are attached once the rate budget lets the request go: a short-lived
            # token fetched before a long wait would expire on the way. A request sent again
            # after a refresh keeps its place (it was refused, not served), so the new token
            # goes out at once instead of ageing in the queue again.
            # getToken (the one unauthenticated request) jumps the queue: every request waiting
            # on a new token waits behind it, and one a few seconds old may already be expired.
            if not waited and authenticate and not self.budget.try_acquire(urgent=kind == "poll"):
                await self.budget.acquire(urgent=kind == "poll")
            waited = False
            # Outside the try: a failed getToken is its own (already retried) error. This
            # request was never sent, so it is neither a 1101 to refresh on nor CreationUnknown.
            headers: Mapping[str, str]
            if authenticate:
                ready = self._auth_now() if self._auth_now is not None else None
                headers, sent_headers = self._with_auth(
                    ready if ready is not None else await self.auth.headers(self._fetch_token)
                )
            else:
                headers, sent_headers = {}, self._plain_headers
            last: AkoolError
            # One attempt, sent here rather than through a coroutine of its own (one frame
            # less on every request's path).
            try:
                sent = self.sent
                sent[endpoint] = sent.get(endpoint, 0) + 1
                debug = log.isEnabledFor(logging.DEBUG)
                started = time.perf_counter() if debug else 0.0
                malformed: str | None = None
                if sent_mark is not None:
                    sent_mark[0] = True
                try:
                    # Awaited, not entered: `async with` would add two coroutines per request
                    # (the response is released below, as its context manager would).
                    resp = await self.http.request(
                        method,
                        self.base_url + path if url is None else url,
                        params=params,
                        json=json_body,
                        headers=sent_headers,
                        allow_redirects=False,
                        # Per request, so a caller's own aiohttp session gets our timeout too.
                        timeout=self._timeout,
                    )
                    try:
                        status = resp.status
                        # Only an error answer is retried after a while (see _decode).
                        retry_after = (
                            None
                            if status == 200
                            else _parse_retry_after(resp.headers.get("Retry-After"))
                        )
                        cap = self.max_response_bytes
                        length = resp.content_length
                        # A declared length within the cap is read at once; other bodies in
                        # chunks.
                        body = await (
                            resp.content.read()
                            if length is not None and length <= cap
                            else self._read_capped(resp, endpoint)
                        )
                        if len(body) > cap:
                            raise ResponseTooLarge(f"body exceeds {cap} bytes", endpoint=endpoint)
                    finally:
                        # Hands the connection back to the pool once the body is read (else
                        # closes it), and stops a body still being sent, as `async with` does.
                        resp.release()
                        if json_body is not None:  # (a body's writer task ends before we go)
                            await resp.wait_for_close()
                except AkoolError:
                    raise
                except aiohttp.ConnectionTimeoutError as exc:
                    raise RequestTimeout(
                        "connect timed out", endpoint=endpoint, sent=False
                    ) from _bare(exc)
                except TimeoutError as exc:
                    raise RequestTimeout(
                        "request timed out", endpoint=endpoint, sent=True
                    ) from _bare(exc)
                except aiohttp.ClientConnectorError as exc:
                    raise ConnectError(
                        f"cannot connect: {exc.os_error.strerror or type(exc.os_error).__name__}",
                        endpoint=endpoint,
                        sent=False,
                    ) from _bare(exc)
                except aiohttp.ClientPayloadError as exc:
                    raise InvalidResponse("response body cut off", endpoint=endpoint) from _bare(
                        exc
                    )
                except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                    raise ConnectError(
                        "connection closed before an answer", endpoint=endpoint
                    ) from _bare(exc)
                except aiohttp.InvalidURL as exc:
                    raise ConfigurationError(f"invalid URL for {endpoint}") from _bare(exc)
                except aiohttp.ClientResponseError as exc:
                    # A malformed HTTP answer. The aiohttp error's request_info (shown by its
                    # repr too) holds our request headers, credentials included: the typed
                    # error is raised below, outside this block, so that it keeps no link
                    # (__cause__/__context__) to it.
                    malformed = f"{type(exc).__name__}, HTTP {exc.status}"
                except aiohttp.ClientError as exc:
                    raise TransportError(f"{type(exc).__name__}", endpoint=endpoint) from _bare(exc)
                if malformed is not None:
                    raise TransportError(
                        f"malformed HTTP response ({malformed})", endpoint=endpoint
                    )
                if debug:
                    log.debug(
                        "%s -> HTTP %s (%.1f ms)",
                        endpoint,
                        status,
                        (time.perf_counter() - started) * 1000,
                        extra={"endpoint": endpoint, "http_status": status},
                    )
                return self._decode(status, body, endpoint, retry_after)
            except APIError as exc:
                if (
                    exc.code in self.dialect.auth_expired
                    and authenticate
                    and self.auth.refreshable
                    and (
                        rejected is None
                        or (headers not in rejected and len(rejected) < C.MAX_AUTH_REFRESHES)
                    )
                ):
                    # Each newly rejected token earns its own (single-flight) refresh: a
                    # session never gives up on credentials that getToken still accepts.
                    rejected = [*(rejected or ()), headers]
                    if sent_mark is not None:  # refused unprocessed: nothing was created
                        sent_mark[0] = False
                    await self.auth.refresh(headers, self._fetch_token)
                    waited = True
                    continue
                if exc.code in self.dialect.throttle:
                    self.budget.throttled(None)
                if not self._may_retry(exc, kind, attempt):
                    raise
                last = exc
            except (TransportError, HTTPStatusError) as exc:
                if isinstance(exc, RateLimited):
                    self.budget.throttled(exc.retry_after)
                if kind == "create" and self._ambiguous(exc):
                    raise CreationUnknown(
                        endpoint=endpoint, request=json_body or {}, cause=str(exc)
                    ) from exc
                if not self._may_retry(exc, kind, attempt):
                    raise
                last = exc
            if sent_mark is not None:  # a create is retried only when refused unprocessed
                sent_mark[0] = False
            retry_after = getattr(last, "retry_after", None)
            delay = self._retry_delay(attempt, retry_after)
            log.debug(
                "retrying %s in %.2fs after %s",
                endpoint,
                delay,
                type(last).__name__,
                extra={"endpoint": endpoint, "attempt": attempt + 1},
            )
            await self.clock.sleep(delay)
            attempt += 1

    def prepare(self, path: str, params: Mapping[str, str] | None = None) -> URL:
        """The URL a request for ``path`` with ``params`` goes to, built as aiohttp builds it.

        A request sent again and again (a job's status poll) keeps it and passes it back as
        ``url``: aiohttp then reuses what it worked out about that URL (host, port, quoted
        query) instead of building and parsing it again on every request.
        """
        base = URL(self.base_url + path)
        return base.extend_query(params) if params else base

    # -- internals --------------------------------------------------------------------------

    def _with_auth(
        self, auth_headers: Mapping[str, str]
    ) -> tuple[Mapping[str, str], Mapping[str, str]]:
        """The auth headers masked, and every header of the request (built once per token)."""
        seen = self._auth_seen
        # Equality as well as identity: an Auth may change its mapping in place.
        if auth_headers is not seen or auth_headers != self._auth_masked:
            masked = masked_headers(auth_headers)
            self._auth_seen = auth_headers
            self._auth_masked = masked
            self._auth_pair = (masked, {**self._plain_headers, **masked})
        return self._auth_pair

    def _retry_delay(self, attempt: int, retry_after: float | None) -> float:
        from ._backoff import retry_delay

        r = self.retry
        return retry_delay(
            attempt,
            base=r.base,
            cap=r.cap,
            rng=r.rng,
            retry_after=retry_after,
            max_retry_after=r.max_retry_after,
        )

    @staticmethod
    def _ambiguous(exc: AkoolError) -> bool:
        """Could the server have acted on a request that failed like this?"""
        if isinstance(exc, RateLimited):
            return False
        if isinstance(exc, TransportError):
            return exc.sent
        # 5xx, and 3xx too: a redirect after a POST may follow a job that was created.
        return isinstance(exc, HTTPStatusError) and (
            exc.http_status >= 500 or 300 <= exc.http_status < 400
        )

    def _may_retry(self, exc: AkoolError, kind: RequestKind, attempt: int) -> bool:
        if kind == "poll" or attempt >= self.retry.max_retries:
            return False
        if kind == "create":
            if isinstance(exc, APIError):
                return exc.code in self.dialect.refused
            if isinstance(exc, RateLimited):
                return True
            return isinstance(exc, TransportError) and not exc.sent
        if isinstance(exc, APIError):
            return exc.code in self.dialect.refused
        return bool(exc.retryable)

    async def _fetch_token(self, body: Mapping[str, str]) -> Mapping[str, Any]:
        try:
            return await self.request(
                "POST", TOKEN_PATH, json_body=body, kind="safe", authenticate=False
            )
        except (InvalidResponse, HTTPStatusError) as exc:
            # A cut-off getToken answer may hold part of a token: errors never keep secrets,
            # nor do the frames below this one (their locals hold the answer's bytes).
            exc.body = b""
            raise exc.with_traceback(None) from exc.__cause__
        except APIError as exc:
            exc.body = {k: v for k, v in exc.body.items() if k != "token"}
            raise exc.with_traceback(None) from exc.__cause__

    async def _read_capped(self, resp: aiohttp.ClientResponse, endpoint: str) -> bytes:
        """A body of unknown length, read in chunks up to the cap (or a declared length over
        it, refused before reading)."""
        cap = self.max_response_bytes
        length = resp.content_length
        if length is not None and length > cap:
            raise ResponseTooLarge(f"body of {length} bytes exceeds {cap}", endpoint=endpoint)
        buf = bytearray()
        async for chunk in resp.content.iter_any():
            buf += chunk
            if len(buf) > cap:
                raise ResponseTooLarge(f"body exceeds {cap} bytes", endpoint=endpoint)
        return bytes(buf)

    def _decode(
        self, status: int, body: bytes, endpoint: str, retry_after: float | None
    ) -> dict[str, Any]:
        try:
            decoded = json.loads(body)
        except (ValueError, RecursionError):
            # RecursionError: JSON nested deeper than the interpreter's stack (a hostile body
            # well under the size cap) is as unusable as invalid JSON.
            decoded = None
        d = self.dialect
        if status != 200 or not isinstance(decoded, dict) or "code" not in decoded:
            if status == 429:
                raise RateLimited(status, endpoint=endpoint, body=body, retry_after=retry_after)
            if status >= 500:
                raise ServerError(status, endpoint=endpoint, body=body, retry_after=retry_after)
            if status != 200:
                raise HTTPStatusError(status, endpoint=endpoint, body=body, retry_after=retry_after)
            reason = "not JSON" if decoded is None else "no envelope code"
            raise InvalidResponse(f"invalid response ({reason})", endpoint=endpoint, body=body)
        code = decoded["code"]
        if code == d.success:
            self.budget.succeeded()
            return decoded
        if isinstance(code, bool) or not isinstance(code, int | str):
            raise InvalidResponse("envelope code has a wrong type", endpoint=endpoint, body=body)
        message = decoded.get(d.message_key)
        cls = error_for_code(code, self._codes)
        raise cls(
            code,
            message if isinstance(message, str) else "",
            http_status=status,
            endpoint=endpoint,
            body=decoded,
        )

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r}, auth={self.auth!r})"
