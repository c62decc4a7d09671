"""The transport's rules over loopback HTTP: retries, creates never repeated, safety limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import anyio
import pytest
from aiohttp import web

from akool_async import (
    APIError,
    ConfigurationError,
    ConnectError,
    CreationUnknown,
    HTTPStatusError,
    InvalidResponse,
    RateLimited,
    RequestTimeout,
    ResponseTooLarge,
    RetryPolicy,
    ServerError,
    Session,
    SessionClosed,
    Throttled,
    TransportError,
)
from akool_async._transport import check_base_url, create_sent
from akool_async.testing import FakeAkool

from .helpers import (
    API_KEY,
    IMG,
    LANGUAGES,
    MINIMAL_FIELDS,
    MP3,
    QUOTA,
    TALKING_PHOTO,
    VIDEO_INFO,
    fake_server,
    fast_config,
    pair,
    serve_app,
    session_for,
)

pytestmark = pytest.mark.anyio

CREATE_KEY = f"POST {TALKING_PHOTO}"
QUOTA_KEY = f"GET {QUOTA}"

SafeCall = Callable[[Session, FakeAkool], Awaitable[Any]]


async def _credit(session: Session, fake: FakeAkool) -> Any:
    return await session.credit()


async def _languages(session: Session, fake: FakeAkool) -> Any:
    return await session.languages()


async def _status(session: Session, fake: FakeAkool) -> Any:
    job_id = next(iter(fake.jobs))
    return await session.status(job_id, family="talking_photo")


SAFE_CALLS: dict[str, tuple[SafeCall, str]] = {
    "credit": (_credit, QUOTA),
    "languages": (_languages, LANGUAGES),
    "status": (_status, VIDEO_INFO),
}
#: Faults after which a safe request is sent again and then succeeds.
RETRIED_FAULTS = ["http_502", "http_500", "http_429", "code_1005", "truncated_json", "reset"]


async def _one_job(fake: FakeAkool, session: Session) -> None:
    job = await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
    job.stop()


# -- safe requests are retried ----------------------------------------------------------------


@pytest.mark.parametrize("call", sorted(SAFE_CALLS))
@pytest.mark.parametrize("fault", RETRIED_FAULTS)
async def test_safe_request_retried_after_fault(call: str, fault: str) -> None:
    """Status, languages and credit reads survive each transient fault by retrying."""
    run, path = SAFE_CALLS[call]
    async with pair() as (fake, session):
        await _one_job(fake, session)
        fake.faults.add(fault, count=2, endpoint=path)
        with anyio.fail_after(5):
            result = await run(session, fake)
    assert result is not None
    assert fake.stats.faults_injected[fault] == 2
    assert fake.stats.requests[f"{'GET'} {path}"] == 3


async def test_safe_request_retried_after_slow_timeout() -> None:
    """A read that times out (slow fault) is sent again and succeeds."""
    config = fast_config()
    config.faults.slow_delay = 0.3
    async with pair(config, timeout=0.1) as (fake, session):
        fake.faults.add("slow", endpoint=QUOTA)
        credit = await session.credit()
    assert credit.credit == config.credit
    assert fake.stats.requests[QUOTA_KEY] == 2


async def test_safe_request_honours_retry_after() -> None:
    """A 429 with Retry-After delays the retry by at least that long (in clock seconds)."""
    config = fast_config()
    config.faults.retry_after = 40
    async with pair(config) as (fake, session):
        fake.faults.add("http_429", endpoint=QUOTA)
        started = fake.clock.now()
        await session.credit()
        elapsed = fake.clock.now() - started
    assert elapsed >= 40.0
    assert fake.stats.requests[QUOTA_KEY] == 2


@pytest.mark.parametrize(
    ("fault", "error", "check"),
    [
        ("http_502", ServerError, lambda e: e.http_status == 502 and b"502" in e.body),
        ("http_500", ServerError, lambda e: e.http_status == 500),
        ("http_429", RateLimited, lambda e: e.http_status == 429 and e.retry_after == 1.0),
        ("code_1005", Throttled, lambda e: e.code == 1005 and e.retryable),
        ("truncated_json", InvalidResponse, lambda e: e.endpoint == f"GET {QUOTA}"),
        ("reset", ConnectError, lambda e: e.endpoint == f"GET {QUOTA}"),
    ],
)
async def test_safe_retries_exhausted_raise_typed_error(
    fault: str, error: type[Exception], check: Callable[[Any], bool]
) -> None:
    """When every attempt fails the last typed error is raised after max_retries + 1 sends."""
    retry = RetryPolicy(max_retries=2, base=0.001, cap=0.01)
    async with pair(retry=retry) as (fake, session):
        fake.faults.add(fault, count=10, endpoint=QUOTA)
        with pytest.raises(error) as info:
            await session.credit()
    assert check(info.value)
    sent = fake.stats.requests[QUOTA_KEY]
    # aiohttp itself resends an idempotent GET once when a reused keep-alive connection is
    # reset (RFC 9112 9.3.1.1), so a reset may cost two sends per attempt.
    assert sent == 3 if fault != "reset" else 3 <= sent <= 6


async def test_safe_request_not_retried_on_final_api_error() -> None:
    """A non-throttling API code (1009) is raised at once, not retried."""
    async with pair() as (fake, session):
        fake.faults.add("code_1009", count=5, endpoint=QUOTA)
        with pytest.raises(APIError):
            await session.credit()
    assert fake.stats.requests[QUOTA_KEY] == 1


# -- creates are never repeated when the outcome is unknown ----------------------------------


@pytest.mark.parametrize(
    ("fault", "created"),
    [
        ("reset", 0),
        ("http_502", 0),
        ("http_500", 0),
        ("truncated_json", 1),
        ("lost_create", 1),
    ],
)
async def test_ambiguous_create_is_not_retried(fault: str, created: int) -> None:
    """A create that may have reached the server raises CreationUnknown and is sent once."""
    async with pair() as (fake, session):
        fake.faults.add(fault, count=5, endpoint=TALKING_PHOTO)
        with pytest.raises(CreationUnknown) as info:
            await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
        assert not session.scheduler.jobs
    exc = info.value
    assert exc.endpoint == CREATE_KEY
    assert exc.request == {"talking_photo_url": IMG, "audio_url": MP3}
    assert exc.cause
    assert fake.stats.requests[CREATE_KEY] == 1
    assert fake.stats.creates == created and fake.stats.jobs_created == created
    assert API_KEY not in str(exc) and API_KEY not in repr(exc.request)


async def test_slow_create_times_out_as_creation_unknown() -> None:
    """A create whose answer comes after the timeout is CreationUnknown, sent exactly once."""
    config = fast_config()
    config.faults.slow_delay = 0.15
    async with pair(config, timeout=0.05) as (fake, session):
        fake.faults.add("slow", endpoint=TALKING_PHOTO)
        with pytest.raises(CreationUnknown) as info:
            await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
        assert isinstance(info.value.__cause__, RequestTimeout)
        assert info.value.request == {"talking_photo_url": IMG, "audio_url": MP3}
    assert fake.stats.requests[CREATE_KEY] == 1
    assert fake.stats.creates <= 1


@pytest.mark.parametrize("fault", ["code_1005", "http_429"])
async def test_refused_create_is_retried_once_accepted(fault: str) -> None:
    """A create refused with 1005 or HTTP 429 was not processed: it is sent again, one job."""
    async with pair() as (fake, session):
        fake.faults.add(fault, count=2, endpoint=TALKING_PHOTO)
        job = await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
        result = await job
    assert result.url
    assert fake.stats.requests[CREATE_KEY] == 3
    assert fake.stats.creates == 1 and fake.stats.jobs_created == 1
    assert fake.stats.duplicate_creates() == 0


async def test_create_sent_mark_says_whether_a_create_left() -> None:
    """``create_sent`` reads True once a create went out (and was answered), and False while
    a refused create waits to be sent again, so a cancel then loses nothing."""
    retry = RetryPolicy(max_retries=3, base=1e5, cap=1e5)  # backs off 100 s real
    async with pair(retry=retry) as (fake, session):
        mark = [False]
        token = create_sent.set(mark)
        try:
            await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
            assert mark == [True]
            fake.faults.add("code_1005", count=10, endpoint=TALKING_PHOTO)
            async with anyio.create_task_group() as tg:
                tg.start_soon(
                    lambda: session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
                )
                with anyio.fail_after(10):  # refused once, then backing off: cancel it there
                    while fake.stats.requests[CREATE_KEY] < 2 or mark[0]:  # noqa: ASYNC110
                        await anyio.sleep(0.001)
                tg.cancel_scope.cancel()
            assert mark == [False] and fake.stats.requests[CREATE_KEY] == 2
        finally:
            create_sent.reset(token)
    assert fake.stats.creates == 1


async def test_refused_create_retries_exhausted() -> None:
    """A create refused every time raises Throttled after max_retries + 1 sends, no job."""
    retry = RetryPolicy(max_retries=3, base=0.001, cap=0.01)
    async with pair(retry=retry) as (fake, session):
        fake.faults.add("code_1005", count=10, endpoint=TALKING_PHOTO)
        with pytest.raises(Throttled):
            await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
    assert fake.stats.requests[CREATE_KEY] == 4
    assert fake.stats.creates == 0


@pytest.mark.parametrize("code", [1015, 1205, 1003, 1006])
async def test_create_api_errors_not_retried(code: int) -> None:
    """A create answered with any code but 1005 is raised as its typed error, sent once."""
    async with pair() as (fake, session):
        fake.faults.add(f"code_{code}", endpoint=TALKING_PHOTO)
        with pytest.raises(APIError) as info:
            await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
    assert info.value.code == code
    assert fake.stats.requests[CREATE_KEY] == 1


async def test_create_to_unreachable_server_is_retried_then_connect_error() -> None:
    """A create whose connection was never made is safe to retry, and ends in ConnectError."""
    async with fake_server() as fake:
        base = fake.base_url
    retry = RetryPolicy(max_retries=2, base=0.001, cap=0.01)
    async with Session(api_key=API_KEY, base_url=base, retry=retry) as session:
        with pytest.raises(ConnectError) as info:
            await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
        assert not info.value.sent
        assert session.transport.sent[CREATE_KEY] == 3


async def test_polls_survive_every_fault() -> None:
    """Background polls ride through random faults of every kind and all jobs complete."""
    config = fast_config()
    faults = config.faults
    faults.scope = "status"
    faults.http_502 = faults.http_429 = faults.code_1005 = 0.05
    faults.truncated_json = faults.reset = 0.05
    faults.slow = 0.02
    faults.slow_delay = 0.01
    async with pair(config) as (fake, session):
        jobs = [
            job
            for name in ("talking_photo", "faceswap_v4", "text2video", "tts")
            for _ in range(5)
            for job in await session.create(name, MINIMAL_FIELDS[name])
        ]
        with anyio.fail_after(10):
            results = await session.gather(jobs)
    assert len(results) == 20
    assert sum(fake.stats.faults_injected.values()) > 0


# -- safety -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9", "http://localhost:80/", "http://[::1]:8080", "https://x.io"]
)
def test_base_url_allowed(url: str) -> None:
    """https anywhere and plain http on loopback are accepted (trailing slash dropped)."""
    assert check_base_url(url, allow_insecure_http=False) == url.rstrip("/")


@pytest.mark.parametrize(
    "url", ["http://openapi.akool.com", "http://10.0.0.1", "http://localhost.evil.com"]
)
def test_plain_http_refused_unless_loopback_or_allowed(url: str) -> None:
    """Plain http to a remote host is refused unless allow_insecure_http=True."""
    with pytest.raises(ConfigurationError):
        Session(api_key=API_KEY, base_url=url)
    session = Session(api_key=API_KEY, base_url=url, allow_insecure_http=True)
    assert session.base_url == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://x.io",
        "openapi.akool.com",
        "https://",
        "https://[::1",
        "https://x.io:99999",
        "https://user:secret@x.io",
        "https://x.io/?a=b",
        "https://x.io/#top",
    ],
)
def test_malformed_base_url_refused(url: str) -> None:
    """A base URL with a bad scheme, host, port, credentials, query or fragment is refused."""
    with pytest.raises(ConfigurationError) as info:
        Session(api_key=API_KEY, base_url=url, allow_insecure_http=True)
    assert "secret" not in str(info.value)


async def test_response_too_large() -> None:
    """A body larger than max_response_bytes raises ResponseTooLarge and is not retried."""
    async with pair(max_response_bytes=64) as (fake, session):
        with pytest.raises(ResponseTooLarge) as info:
            await session.languages()
        assert await session.credit()  # small answers still pass
    assert info.value.endpoint == f"GET {LANGUAGES}"
    assert not info.value.retryable
    assert fake.stats.requests[f"GET {LANGUAGES}"] == 1


async def test_response_too_large_without_content_length() -> None:
    """A streamed (chunked) body is cut off at the cap too."""

    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b'{"code":1000,"data":{"credit":1,"pad":"')
        for _ in range(20):
            await response.write(b"x" * 100)
        await response.write(b'"}}')
        return response

    app = web.Application()
    app.router.add_get(QUOTA, chunked)
    async with serve_app(app) as base:
        async with Session(api_key=API_KEY, base_url=base, max_response_bytes=500) as session:
            with pytest.raises(ResponseTooLarge):
                await session.credit()
        async with Session(api_key=API_KEY, base_url=base) as session:
            assert (await session.credit()).credit == 1.0


async def test_redirects_are_not_followed() -> None:
    """A 3xx answer is an HTTPStatusError; the Location host never sees the request or key."""
    seen: list[dict[str, str]] = []

    async def elsewhere(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.json_response({"code": 1000, "data": {"credit": 1}})

    other = web.Application()
    other.router.add_get(QUOTA, elsewhere)
    async with serve_app(other) as other_base:

        async def redirect(request: web.Request) -> web.Response:
            raise web.HTTPFound(other_base + QUOTA)

        app = web.Application()
        app.router.add_get(QUOTA, redirect)
        async with (
            serve_app(app) as base,
            Session(api_key=API_KEY, base_url=base) as session,
        ):
            with pytest.raises(HTTPStatusError) as info:
                await session.credit()
    assert info.value.http_status == 302
    assert not info.value.retryable
    assert seen == []


async def test_caller_http_session_is_not_closed() -> None:
    """A caller's aiohttp session is used as is and left open by aclose()."""
    async with fake_server() as fake, aiohttp.ClientSession() as http:
        async with session_for(fake, http=http) as session:
            await session.credit()
        await session.aclose()
        assert not http.closed
        async with http.get(fake.base_url + QUOTA, headers={"x-api-key": API_KEY}) as resp:
            assert resp.status == 200
    assert fake.stats.requests[QUOTA_KEY] == 2


async def test_caller_http_session_gets_the_session_timeout() -> None:
    """The session's timeout applies even on a caller's aiohttp session (no default there)."""
    config = fast_config()
    config.faults.slow_delay = 0.3
    async with fake_server(config) as fake, aiohttp.ClientSession() as http:
        retry = RetryPolicy(max_retries=0)
        async with session_for(fake, http=http, timeout=0.05, retry=retry) as session:
            fake.faults.add("slow", endpoint=QUOTA)
            with anyio.fail_after(2), pytest.raises(RequestTimeout):
                await session.credit()


async def test_own_http_session_is_closed() -> None:
    """The aiohttp session the SDK made is closed by aclose(), and using it raises SessionClosed."""
    async with fake_server() as fake:
        async with session_for(fake) as session:
            await session.credit()
            http = session.transport.http
        assert http.closed
        with pytest.raises(SessionClosed):
            _ = session.transport.http
        with pytest.raises(SessionClosed):
            await session.transport.request("GET", QUOTA)


async def test_transport_errors_hide_aiohttp() -> None:
    """A reset surfaces as the SDK's ConnectError (a TransportError), never an aiohttp type."""
    retry = RetryPolicy(max_retries=0)
    async with pair(retry=retry) as (fake, session):
        fake.faults.add("reset", count=2, endpoint=QUOTA)
        with pytest.raises(TransportError) as info:
            await session.credit()
    assert not isinstance(info.value, aiohttp.ClientError)
    assert isinstance(info.value.__cause__, aiohttp.ClientError)
