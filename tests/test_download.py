"""Downloads against a real aiohttp server on 127.0.0.1: retries, limits, atomicity, names."""

from __future__ import annotations

import asyncio
import hashlib
import os
import socket
import tempfile
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import anyio
import anyio.lowlevel
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from akool_async._download import (
    MAX_FILENAME_BYTES,
    Downloader,
    DownloadMismatch,
    expiry_warning,
    safe_filename,
    suffix_from_url,
)
from akool_async._errors import (
    ConnectError,
    HTTPStatusError,
    InvalidResponse,
    RequestTimeout,
    ResponseTooLarge,
    ServerError,
    ValidationError,
)

BODY = bytes(range(256)) * 40
BODY_SHA = hashlib.sha256(BODY).hexdigest()


class RecordingClock:
    """A clock whose sleeps return at once and are remembered."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def now(self) -> float:
        return 0.0

    def wall(self) -> float:
        return 0.0

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await anyio.lowlevel.checkpoint()

    def to_real(self, seconds: float) -> float:
        return seconds


class FakeCDN:
    """A tiny file server whose routes misbehave on purpose."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.release = asyncio.Event()
        self.in_flight = 0
        self.max_in_flight = 0
        self.app = web.Application()
        self.app.router.add_get("/{kind}/{name}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        self.hits[kind] += 1
        if kind == "ok":
            return web.Response(body=BODY)
        if kind == "flaky" and self.hits[kind] == 1:
            return web.Response(status=503, text="<html>bad gateway</html>")
        if kind == "flaky":
            return web.Response(body=BODY)
        if kind == "throttled" and self.hits[kind] == 1:
            return web.Response(status=429, headers={"Retry-After": "7"})
        if kind == "throttled":
            return web.Response(body=BODY)
        if kind == "missing":
            return web.Response(status=404, text="gone")
        if kind == "error":
            return web.Response(status=500)
        if kind == "big":
            return web.Response(body=b"x" * 5000)
        if kind in ("short", "chunked", "slow", "stall"):
            resp = web.StreamResponse()
            if kind == "chunked":
                resp.enable_chunked_encoding()
            else:
                resp.content_length = len(BODY)
            await resp.prepare(request)
            if kind == "chunked":
                for _ in range(5):
                    await resp.write(b"y" * 1000)
                await resp.write_eof()
                return resp
            if kind == "stall":
                await self.release.wait()
                return resp
            await resp.write(BODY[:1000])
            if kind == "slow":
                await self.release.wait()
            assert request.transport is not None
            request.transport.close()  # fewer bytes than Content-Length
            return resp
        if kind == "counted":
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            await asyncio.sleep(0.02)
            self.in_flight -= 1
            return web.Response(body=BODY)
        raise web.HTTPNotFound()


@asynccontextmanager
async def serve(cdn: FakeCDN) -> AsyncIterator[str]:
    """Run the fake CDN on 127.0.0.1 on a free port; yield its base URL."""
    runner = web.AppRunner(cdn.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        cdn.release.set()
        await runner.cleanup()


@asynccontextmanager
async def setup(
    tmp_path: Path, **kwargs: object
) -> AsyncIterator[tuple[str, FakeCDN, Downloader, RecordingClock]]:
    """A fake CDN, a session and a downloader writing to tmp_path/out."""
    cdn = FakeCDN()
    clock = RecordingClock()
    async with serve(cdn) as base, aiohttp.ClientSession() as session:
        dl = Downloader(session, tmp_path / "out", clock=clock, **kwargs)  # type: ignore[arg-type]
        yield base, cdn, dl, clock


def listing(directory: Path) -> list[str]:
    """The names in a directory (hidden part files included)."""
    return sorted(os.listdir(directory)) if directory.exists() else []


# -- downloads ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_download(tmp_path: Path) -> None:
    """A file is streamed to its final name with its size and sha256, and nothing else is left."""
    async with setup(tmp_path) as (base, _, dl, _):
        result = await dl.download(f"{base}/ok/v.mp4", "row-1.mp4")
    out = (tmp_path / "out").resolve()
    assert result.path == out / "row-1.mp4"
    assert (result.size, result.sha256, result.skipped) == (len(BODY), BODY_SHA, False)
    assert result.path.read_bytes() == BODY
    assert listing(out) == ["row-1.mp4"]


@pytest.mark.anyio
async def test_short_body_retried_then_error(tmp_path: Path) -> None:
    """Fewer bytes than Content-Length is retried, then raised; no file is left behind."""
    async with setup(tmp_path, retries=2) as (base, cdn, dl, clock):
        with pytest.raises(InvalidResponse):
            await dl.download(f"{base}/short/v.mp4", "v.mp4")
    assert cdn.hits["short"] == 3
    assert len(clock.slept) == 2
    assert listing(tmp_path / "out") == []


@pytest.mark.anyio
async def test_oversize_refused_from_content_length(tmp_path: Path) -> None:
    """A Content-Length above max_bytes is refused before reading, and not retried."""
    async with setup(tmp_path, max_bytes=1000) as (base, cdn, dl, clock):
        with pytest.raises(ResponseTooLarge, match="Content-Length 5000"):
            await dl.download(f"{base}/big/v.mp4", "v.mp4")
    assert (cdn.hits["big"], clock.slept) == (1, [])
    assert listing(tmp_path / "out") == []


@pytest.mark.anyio
async def test_oversize_refused_while_streaming(tmp_path: Path) -> None:
    """A body without Content-Length is cut off once it passes max_bytes; the part file goes."""
    async with setup(tmp_path, max_bytes=2500) as (base, cdn, dl, _):
        with pytest.raises(ResponseTooLarge, match="body exceeds"):
            await dl.download(f"{base}/chunked/v.mp4", "v.mp4")
    assert cdn.hits["chunked"] == 1
    assert listing(tmp_path / "out") == []


@pytest.mark.anyio
async def test_5xx_then_ok(tmp_path: Path) -> None:
    """A 5xx is retried after a backoff sleep on the clock."""
    async with setup(tmp_path) as (base, cdn, dl, clock):
        result = await dl.download(f"{base}/flaky/v.mp4", "v.mp4")
    assert result.sha256 == BODY_SHA
    assert cdn.hits["flaky"] == 2
    assert len(clock.slept) == 1
    assert 0 <= clock.slept[0] <= 0.5  # full jitter under the first cap


@pytest.mark.anyio
async def test_5xx_exhausts_retries(tmp_path: Path) -> None:
    """A persistent 5xx raises ServerError after the configured retries."""
    async with setup(tmp_path, retries=3) as (base, cdn, dl, clock):
        with pytest.raises(ServerError) as info:
            await dl.download(f"{base}/error/v.mp4", "v.mp4")
    assert info.value.http_status == 500
    assert (cdn.hits["error"], len(clock.slept)) == (4, 3)


@pytest.mark.anyio
async def test_429_honours_retry_after(tmp_path: Path) -> None:
    """A 429 is retried no sooner than its Retry-After."""
    async with setup(tmp_path) as (base, _, dl, clock):
        await dl.download(f"{base}/throttled/v.mp4", "v.mp4")
    assert clock.slept == [7.0]


@pytest.mark.anyio
async def test_404_not_retried(tmp_path: Path) -> None:
    """A 4xx is raised at once, and the error never shows the URL's query (signatures)."""
    async with setup(tmp_path) as (base, cdn, dl, clock):
        with pytest.raises(HTTPStatusError) as info:
            await dl.download(f"{base}/missing/v.mp4?X-Amz-Signature=s3cr3t", "v.mp4")
    assert info.value.http_status == 404
    assert "s3cr3t" not in str(info.value)
    assert "s3cr3t" not in info.value.endpoint
    assert (cdn.hits["missing"], clock.slept) == (1, [])


@pytest.mark.anyio
async def test_connection_refused_is_connect_error(tmp_path: Path) -> None:
    """A refused connection surfaces as ConnectError (aiohttp types do not leak), after retries."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with setup(tmp_path, retries=1) as (_, _, dl, clock):
        with pytest.raises(ConnectError) as info:
            await dl.download(f"http://127.0.0.1:{port}/v.mp4", "v.mp4")
    assert isinstance(info.value.__cause__, aiohttp.ClientError)
    assert len(clock.slept) == 1


@pytest.mark.anyio
async def test_silence_is_request_timeout(tmp_path: Path) -> None:
    """A server that stops sending for longer than the timeout raises RequestTimeout."""
    async with setup(tmp_path, retries=0, timeout=0.2) as (base, _, dl, _):
        with pytest.raises(RequestTimeout):
            await dl.download(f"{base}/stall/v.mp4", "v.mp4")
    assert listing(tmp_path / "out") == []


@pytest.mark.anyio
async def test_skip_when_verified(tmp_path: Path) -> None:
    """An existing file matching the expected sha256 or size is not downloaded again."""
    async with setup(tmp_path) as (base, cdn, dl, _):
        url = f"{base}/ok/v.mp4"
        first = await dl.download(url, "v.mp4")
        by_sha = await dl.download(url, "v.mp4", expected_sha256=BODY_SHA.upper())
        by_size = await dl.download(url, "v.mp4", expected_size=len(BODY))
        assert cdn.hits["ok"] == 1
        again = await dl.download(url, "v.mp4")  # nothing expected: always fetched
        assert cdn.hits["ok"] == 2
    assert (by_sha.skipped, by_size.skipped, again.skipped) == (True, True, False)
    assert by_sha.sha256 == by_size.sha256 == first.sha256
    assert by_size.size == first.size


@pytest.mark.anyio
async def test_mismatch_keeps_existing_file(tmp_path: Path) -> None:
    """A download that does not match expectations fails and leaves the final name untouched."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "v.mp4").write_bytes(b"old")
    async with setup(tmp_path) as (base, cdn, dl, clock):
        with pytest.raises(DownloadMismatch, match="sha256"):
            await dl.download(f"{base}/ok/v.mp4", "v.mp4", expected_sha256="0" * 64)
        with pytest.raises(DownloadMismatch, match="Content-Length"):
            await dl.download(f"{base}/ok/v.mp4", "v.mp4", expected_size=4)
    assert (cdn.hits["ok"], clock.slept) == (2, [])
    assert (out / "v.mp4").read_bytes() == b"old"
    assert listing(out) == ["v.mp4"]


@pytest.mark.anyio
async def test_failure_never_leaves_partial_file_under_final_name(tmp_path: Path) -> None:
    """A cut-short download leaves an existing file as it was and no part file."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "v.mp4").write_bytes(b"old")
    async with setup(tmp_path, retries=0) as (base, _, dl, _):
        with pytest.raises(InvalidResponse):
            await dl.download(f"{base}/short/v.mp4", "v.mp4")
    assert (out / "v.mp4").read_bytes() == b"old"
    assert listing(out) == ["v.mp4"]


@pytest.mark.anyio
async def test_cancellation_cleans_up(tmp_path: Path) -> None:
    """Cancelling a download mid-stream removes its part file and creates no final file."""
    out = tmp_path / "out"
    async with setup(tmp_path) as (base, _, dl, _):
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(dl.download, f"{base}/slow/v.mp4", "v.mp4")
                # The part file appearing on disk is the signal; nothing to wait on but the disk.
                while not any(".part-" in n for n in listing(out)):  # noqa: ASYNC110
                    await anyio.sleep(0.005)
                tg.cancel_scope.cancel()
    assert listing(out) == []


@pytest.mark.anyio
async def test_concurrency_bounded(tmp_path: Path) -> None:
    """No more than ``concurrency`` downloads are in flight at once."""
    async with (
        setup(tmp_path, concurrency=2) as (base, cdn, dl, _),
        anyio.create_task_group() as tg,
    ):
        for i in range(6):
            tg.start_soon(dl.download, f"{base}/counted/{i}.mp4", f"{i}.mp4")
    assert cdn.hits["counted"] == 6
    assert cdn.max_in_flight == 2
    assert len(listing(tmp_path / "out")) == 6


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["", "../v.mp4", "a/b.mp4", "a\\b.mp4", ".hidden", "a\x00b"])
async def test_unsafe_names_refused(tmp_path: Path, name: str) -> None:
    """A name that is not a plain file name is refused before any request."""
    async with setup(tmp_path) as (base, cdn, dl, _):
        with pytest.raises(ValidationError, match="name"):
            await dl.download(f"{base}/ok/v.mp4", name)
    assert cdn.hits["ok"] == 0


@pytest.mark.anyio
async def test_symlink_out_of_directory_refused(tmp_path: Path) -> None:
    """A symlink planted under the final name cannot redirect the write outside out_dir."""
    out = tmp_path / "out"
    out.mkdir()
    target = tmp_path / "elsewhere.mp4"
    (out / "v.mp4").symlink_to(target)
    async with setup(tmp_path) as (base, cdn, dl, _):
        with pytest.raises(ValidationError, match="outside"):
            await dl.download(f"{base}/ok/v.mp4", "v.mp4")
    assert not target.exists()
    assert cdn.hits["ok"] == 0


def test_bad_configuration_refused(tmp_path: Path) -> None:
    """Out-of-range settings are refused with the argument named."""
    with pytest.raises(ValueError, match="concurrency"):
        Downloader(None, tmp_path, concurrency=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        Downloader(None, tmp_path, timeout=0)  # type: ignore[arg-type]


# -- names -------------------------------------------------------------------------------------

_OUT = Path(tempfile.gettempdir()).resolve() / "akool-out"
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{d}{n}" for d in ("COM", "LPT") for n in "0123456789"
}
_tricky = st.lists(
    st.sampled_from([*"./\\\x00\x1f \u202e:~aC0ONnul", "..", "CON", "com1", "\u00a0"])
).map("".join)


@given(stem=st.one_of(st.text(), _tricky), suffix=st.sampled_from(["", ".mp4", ".JPG"]))
def test_safe_filename_stays_inside(stem: str, suffix: str) -> None:
    """For any stem the name is a plain, bounded, deterministic name that stays in the directory."""
    name = safe_filename(stem, suffix=suffix)
    assert name == safe_filename(stem, suffix=suffix)
    assert (_OUT / name).resolve().parent == _OUT
    assert not any(ch in name for ch in "/\\\x00" + os.sep)
    assert not name.startswith(".")
    assert name.endswith(suffix)
    assert 0 < len(name.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert name.split(".")[0].rstrip(" ").upper() not in _WINDOWS_RESERVED
    assert not any(ord(ch) < 32 for ch in name)


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("row-1", "row-1.mp4"),
        ("", "_.mp4"),
        ("..", "_~" + hashlib.sha256(b"..").hexdigest()[:8] + ".mp4"),
        (
            "../../etc/passwd",
            "_._etc_passwd~" + hashlib.sha256(b"../../etc/passwd").hexdigest()[:8] + ".mp4",
        ),
        ("CON", "_CON~" + hashlib.sha256(b"CON").hexdigest()[:8] + ".mp4"),
    ],
)
def test_safe_filename_examples(stem: str, expected: str) -> None:
    """Clean stems pass through; altered ones get a short digest of the original."""
    assert safe_filename(stem, suffix=".mp4") == expected


def test_safe_filename_keeps_distinct_stems_distinct() -> None:
    """Stems that clean to the same text still give different names; long ones are capped."""
    assert safe_filename("a/b") != safe_filename("a_b")
    assert safe_filename("x" * 500) != safe_filename("x" * 501)
    assert len(safe_filename("é" * 500, suffix=".mp4").encode()) <= MAX_FILENAME_BYTES
    assert safe_filename("\ud800") != "_"  # lone surrogate: replaced, not crashed on
    with pytest.raises(ValueError, match="suffix"):
        safe_filename("a", suffix="/../x")


@pytest.mark.parametrize(
    ("url", "suffix"),
    [
        ("https://cdn.akool.com/a/b/video.MP4?sig=abc", ".mp4"),
        ("https://cdn/x.tar.gz", ".gz"),
        ("https://cdn/noext", ".bin"),
        ("https://cdn/dir.v1/noext", ".bin"),
        ("https://cdn/x.toolongext", ".bin"),
        ("https://cdn/x.mp%34", ".bin"),
        ("https://cdn/x.", ".bin"),
        ("http://[::1", ".bin"),
    ],
)
def test_suffix_from_url(url: str, suffix: str) -> None:
    """The suffix comes from the URL path's last segment, whitelisted, or the default."""
    assert suffix_from_url(url) == suffix


def test_expiry_warning() -> None:
    """A warning appears within the margin of the 7-day expiry and after it, not before."""
    day = 24 * 3600.0
    assert expiry_warning(0.0, 5 * day) is None
    soon = expiry_warning(0.0, 6.5 * day)
    assert soon is not None
    assert "expires in 12.0 h" in soon
    late = expiry_warning(0.0, 8 * day)
    assert late is not None
    assert "expired 24.0 h ago" in late
    assert expiry_warning(0.0, 1 * day, ttl=2 * day, margin=0.5 * day) is None
