"""Transport safety and limits over loopback HTTP(S): TLS verified by default, plain http refused
off loopback, redirects never followed (so credentials never reach another host), and a cap or a
timeout on everything the network can make unbounded."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import os
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from akool_async import (
    AkoolError,
    CapacityExceeded,
    ConfigurationError,
    ConnectError,
    CreationUnknown,
    HTTPStatusError,
    JobTimeout,
    RequestTimeout,
    ResponseTooLarge,
    RetryPolicy,
    ScaledClock,
    Session,
)
from akool_async._download import Downloader
from akool_async.testing import FakeAkool

from .helpers import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    IMG,
    MP3,
    QUOTA,
    TALKING_PHOTO,
    fast_config,
    pair,
    serve_app,
)

pytestmark = pytest.mark.anyio

AUTH_HEADERS = ("x-api-key", "authorization")
NO_RETRY = RetryPolicy(max_retries=0)


# -- helpers ----------------------------------------------------------------------------------


class Recorder:
    """A second host: records every request it receives (method, path, headers, body)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.seen.append((request.method, request.path, dict(request.headers), body))
        return web.json_response({"code": 1000, "msg": "OK", "data": {"credit": 1.0}})

    def auth_headers_seen(self) -> list[str]:
        return [k for _, _, headers, _ in self.seen for k in headers if k.lower() in AUTH_HEADERS]


def _self_signed(tmp_path: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file = tmp_path / "cert.pem"
    key_file = tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert_file, key_file)
    return ctx


@asynccontextmanager
async def serve_tls(app: web.Application, ctx: ssl.SSLContext) -> AsyncIterator[str]:
    """Serve ``app`` over HTTPS on 127.0.0.1; yield its base URL.

    The server's side of a refused handshake is reported to the loop's exception handler; those
    reports (about our test server, not the SDK) are dropped, anything else is passed on.
    """
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if isinstance(context.get("exception"), ConnectionResetError | ssl.SSLError):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"https://{host}:{port}"
    finally:
        await runner.cleanup()
        loop.set_exception_handler(previous)


# -- TLS ----------------------------------------------------------------------------------------


async def test_tls_verification_on_by_default() -> None:
    """A default session verifies certificates: its connector's ssl setting is not False."""
    async with Session(api_key=API_KEY) as session:
        assert session.transport._verify_ssl is True
        connector = session.transport.http.connector
        assert isinstance(connector, aiohttp.TCPConnector)
        assert connector._ssl is not False  # True: aiohttp's default, verifying context


async def test_self_signed_certificate_refused_by_default(tmp_path: Path) -> None:
    """An untrusted certificate gets no request (ConnectError) unless verify_ssl=False."""
    recorder = Recorder()
    async with serve_tls(recorder.app, _self_signed(tmp_path)) as url:
        async with Session(api_key=API_KEY, base_url=url, retry=NO_RETRY) as session:
            with anyio.fail_after(5), pytest.raises(ConnectError) as info:
                await session.credit()
            assert not info.value.sent
            with anyio.fail_after(5), pytest.raises(ConnectError):
                await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
        assert recorder.seen == []
        async with Session(
            api_key=API_KEY, base_url=url, retry=NO_RETRY, verify_ssl=False
        ) as session:
            credit = await session.credit()
        assert credit.credit == 1.0
        assert len(recorder.seen) == 1


# -- plain http ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://openapi.akool.com",
        "http://10.0.0.8:8080",
        "http://127.0.0.1.evil.example",
        "http://localhost.evil.example",
        "http://0x7f000001",
        "http://[::ffff:8.8.8.8]",
        "HTTP://openapi.akool.com",
    ],
)
async def test_plain_http_refused_off_loopback(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain http off loopback is refused (argument or environment) unless explicitly allowed."""
    with pytest.raises(ConfigurationError, match="allow_insecure_http"):
        Session(api_key=API_KEY, base_url=url)
    monkeypatch.setenv("AKOOL_BASE_URL", url)
    with pytest.raises(ConfigurationError, match="allow_insecure_http"):
        Session(api_key=API_KEY)
    session = Session(api_key=API_KEY, base_url=url, allow_insecure_http=True)
    assert session.base_url.lower().startswith("http://")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9", "http://localhost:9", "http://[::1]:9", "http://127.8.9.10"]
)
def test_plain_http_allowed_on_loopback(url: str) -> None:
    """Loopback addresses may use http (the fake server, local proxies)."""
    assert Session(api_key=API_KEY, base_url=url).base_url == url


# -- redirects ----------------------------------------------------------------------------------


def _redirecting_fake(target: str, status: int) -> tuple[FakeAkool, web.Application, list[int]]:
    """The fake Akool, with a switch that makes every API answer a redirect to ``target``."""
    fake = FakeAkool(fast_config(), clock=ScaledClock(1000.0))
    app = fake.app()
    state = [0]

    @web.middleware
    async def redirect(request: web.Request, handler: Any) -> web.StreamResponse:
        if state[0] and request.path.startswith("/api/"):
            state[0] += 1
            raise _redirect(status, target + request.path_qs)
        return await handler(request)

    app.middlewares.insert(0, redirect)
    return fake, app, state


def _redirect(status: int, location: str) -> web.HTTPException:
    classes: dict[int, type[web.HTTPException]] = {
        301: web.HTTPMovedPermanently,
        302: web.HTTPFound,
        303: web.HTTPSeeOther,
        307: web.HTTPTemporaryRedirect,
        308: web.HTTPPermanentRedirect,
    }
    return classes[status](location)  # type: ignore[call-arg]


Op = Callable[[Session], Awaitable[Any]]


async def _credit(session: Session) -> Any:
    return await session.credit()


async def _create(session: Session) -> Any:
    return await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)


async def _poll(session: Session) -> Any:
    # A job created before the redirects began: its polls get redirected until its deadline.
    return await session.track("64f0c0ffee0000000000abcd", family="talking_photo", max_wait=5.0)


OPS: dict[str, tuple[Op, type[AkoolError]]] = {
    "credit": (_credit, HTTPStatusError),
    # A redirect after a POST may follow a created job: ambiguous, so never retried.
    "create": (_create, CreationUnknown),
    "poll": (_poll, JobTimeout),
}


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("auth", ["api_key", "token"])
@pytest.mark.parametrize("op", sorted(OPS))
async def test_redirect_to_other_host_never_carries_credentials(
    op: str, auth: str, status: int
) -> None:
    """A redirect is not followed: the other host sees nothing; a typed error is raised."""
    recorder = Recorder()
    async with serve_app(recorder.app) as other:
        fake, app, redirecting = _redirecting_fake(other, status)
        async with serve_app(app) as url:
            creds: dict[str, str] = (
                {"api_key": API_KEY}
                if auth == "api_key"
                else {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
            )
            async with Session(**creds, base_url=url, clock=fake.clock, retry=NO_RETRY) as session:
                if auth == "token":
                    await session.credit()  # fetch the token before the redirects begin
                redirecting[0] = 1
                run, expected = OPS[op]
                with anyio.fail_after(5), pytest.raises(expected) as info:
                    await run(session)
    assert redirecting[0] > 1, "the fake did answer with redirects"
    assert recorder.seen == []
    assert recorder.auth_headers_seen() == []
    if isinstance(info.value, HTTPStatusError):
        assert info.value.http_status == status
    if isinstance(info.value, CreationUnknown):
        assert isinstance(info.value.__cause__, HTTPStatusError)
        assert info.value.__cause__.http_status == status


@pytest.mark.parametrize("status", [302, 307])
async def test_get_token_redirect_never_sends_client_secret_elsewhere(status: int) -> None:
    """A redirected getToken is not followed: the client secret never reaches the other host."""
    recorder = Recorder()
    async with serve_app(recorder.app) as other:
        fake, app, redirecting = _redirecting_fake(other, status)
        redirecting[0] = 1
        async with (
            serve_app(app) as url,
            Session(
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                base_url=url,
                clock=fake.clock,
                retry=NO_RETRY,
            ) as session,
        ):
            with anyio.fail_after(5), pytest.raises(HTTPStatusError) as info:
                await session.credit()
    assert info.value.http_status == status
    assert recorder.seen == []


async def test_result_download_redirect_carries_no_credentials(tmp_path: Path) -> None:
    """A result download may follow a CDN redirect but sends no credentials to either host."""
    payload = b"\x00video" * 100
    cdn_seen: list[dict[str, str]] = []
    origin_seen: list[dict[str, str]] = []

    async def cdn(request: web.Request) -> web.Response:
        cdn_seen.append(dict(request.headers))
        return web.Response(body=payload, content_type="video/mp4")

    cdn_app = web.Application()
    cdn_app.router.add_get("/{name}", cdn)
    async with serve_app(cdn_app) as cdn_url, pair() as (_fake, session):
        await session.credit()  # the session's aiohttp session has been used with credentials

        async def origin(request: web.Request) -> web.Response:
            origin_seen.append(dict(request.headers))
            raise web.HTTPFound(f"{cdn_url}/{request.match_info['name']}")

        origin_app = web.Application()
        origin_app.router.add_get("/{name}", origin)
        async with serve_app(origin_app) as origin_url:
            downloader = Downloader(session.transport.http, tmp_path, timeout=5.0)
            with anyio.fail_after(5):
                done = await downloader.download(f"{origin_url}/a.mp4", "a.mp4")
    assert done.path.read_bytes() == payload
    assert len(origin_seen) == 1 and len(cdn_seen) == 1
    for headers in origin_seen + cdn_seen:
        assert not {k.lower() for k in headers} & set(AUTH_HEADERS)


# -- limits: response size ----------------------------------------------------------------------


def _big_app(size: int, *, chunked: bool, forever: bool = False) -> web.Application:
    async def big(request: web.Request) -> web.StreamResponse:
        head = b'{"code":1000,"msg":"OK","data":{"_id":"x","pad":"'
        if not chunked:
            body = head + b"a" * size + b'"}}'
            return web.Response(body=body, content_type="application/json")
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.write(head)
        sent = 0
        while forever or sent < size:
            await resp.write(b"a" * 65536)
            sent += 65536
        await resp.write(b'"}}')
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", big)
    return app


@pytest.mark.parametrize("mode", ["content-length", "chunked", "endless"])
async def test_response_body_cap(mode: str) -> None:
    """Bodies over max_response_bytes (even endless) are refused while reading, typed."""
    app = _big_app(200_000, chunked=mode != "content-length", forever=mode == "endless")
    async with (
        serve_app(app) as url,
        Session(
            api_key=API_KEY,
            base_url=url,
            max_response_bytes=100_000,
            clock=ScaledClock(1000.0),
            retry=RetryPolicy(base=0.001, cap=0.01),
        ) as session,
    ):
        with anyio.fail_after(10):
            with pytest.raises(ResponseTooLarge):
                await session.credit()
            with pytest.raises(CreationUnknown) as info:
                await _create(session)
            assert isinstance(info.value.__cause__, ResponseTooLarge)
            with pytest.raises(JobTimeout):
                await session.track("abc", family="talking_photo", max_wait=3.0)


@pytest.mark.parametrize("mode", ["content-length", "chunked", "endless"])
async def test_download_size_cap(tmp_path: Path, mode: str) -> None:
    """Downloader(max_bytes=) refuses a larger file, typed, and leaves nothing behind."""
    app = _big_app(50_000, chunked=mode != "content-length", forever=mode == "endless")
    async with serve_app(app) as url, aiohttp.ClientSession() as http:
        downloader = Downloader(http, tmp_path / "out", max_bytes=10_000, timeout=5.0)
        with anyio.fail_after(10), pytest.raises(ResponseTooLarge):
            await downloader.download(f"{url}/big.mp4", "big.mp4")
    assert os.listdir(tmp_path / "out") == []


# -- limits: timeouts ---------------------------------------------------------------------------


def _stalling_app(*, trickle: bool) -> web.Application:
    """Answers nothing (or a header and then one byte every 50 ms, forever)."""

    async def stall(request: web.Request) -> web.StreamResponse:
        if not trickle:
            await anyio.sleep_forever()
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(request)
        while True:
            await resp.write(b" ")
            await anyio.sleep(0.05)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", stall)
    return app


@pytest.mark.parametrize("trickle", [False, True], ids=["silent", "trickle"])
async def test_every_api_request_has_a_timeout(trickle: bool) -> None:
    """A server that never finishes answering cannot hang a read, getToken, create or job."""
    async with serve_app(_stalling_app(trickle=trickle)) as url:
        kwargs: dict[str, Any] = {
            "base_url": url,
            "timeout": 0.3,
            "retry": NO_RETRY,
            "clock": ScaledClock(100.0),
        }
        async with Session(api_key=API_KEY, **kwargs) as session:
            with anyio.fail_after(10):
                with pytest.raises(RequestTimeout):
                    await session.credit()
                with pytest.raises(CreationUnknown) as info:
                    await _create(session)
                assert isinstance(info.value.__cause__, RequestTimeout)
                with pytest.raises(JobTimeout):
                    await session.track("abc", family="talking_photo", max_wait=60.0)
        async with Session(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **kwargs) as session:
            with anyio.fail_after(5), pytest.raises(RequestTimeout):
                await session.credit()


async def test_connect_and_total_timeouts_configured() -> None:
    """Every request carries a total timeout and a connect timeout no longer than it."""
    session = Session(api_key=API_KEY, timeout=7.0)
    timeout = session.transport._timeout
    assert timeout.total == 7.0
    assert timeout.sock_connect is not None and timeout.sock_connect <= 7.0


@pytest.mark.parametrize("trickle", [False, True], ids=["silent", "headers-then-silence"])
async def test_download_has_a_timeout(tmp_path: Path, trickle: bool) -> None:
    """A silent result server ends the download with RequestTimeout, leaving no file."""

    async def handler(request: web.Request) -> web.StreamResponse:
        if trickle:
            resp = web.StreamResponse(headers={"Content-Length": "1000"})
            await resp.prepare(request)
            await resp.write(b"x" * 10)
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    app = web.Application()
    app.router.add_get("/{name}", handler)
    async with serve_app(app) as url, aiohttp.ClientSession() as http:
        downloader = Downloader(http, tmp_path, timeout=0.2, retries=1, clock=ScaledClock(1.0))
        with anyio.fail_after(10), pytest.raises(RequestTimeout):
            await downloader.download(f"{url}/a.mp4", "a.mp4")
    assert os.listdir(tmp_path) == []


# -- limits: tracked jobs -----------------------------------------------------------------------


async def test_max_tracked_jobs_refuses_before_sending() -> None:
    """Creates beyond max_tracked_jobs raise CapacityExceeded before sending, even concurrent."""
    async with pair(max_tracked_jobs=5) as (fake, session):
        outcomes: list[Any] = []

        async def create(i: int) -> None:
            try:
                outcomes.append(
                    await session.talking_photo.create(
                        talking_photo_url=f"{IMG}?{i}", audio_url=MP3
                    )
                )
            except CapacityExceeded as exc:
                outcomes.append(exc)

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for i in range(20):
                    tg.start_soon(create, i)
            jobs = [o for o in outcomes if not isinstance(o, CapacityExceeded)]
            assert len(jobs) == 5
            assert fake.stats.requests[f"POST {TALKING_PHOTO}"] == 5
            assert fake.stats.creates == 5
            with pytest.raises(CapacityExceeded):
                session.track("another", family="talking_photo")
            await session.gather(jobs)
            again = await _create(session)
            await again
    assert fake.stats.creates == 6
    assert fake.stats.requests.get(f"GET {QUOTA}", 0) == 0
