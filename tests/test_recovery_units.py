"""Recovery paths in process over loopback HTTP: result downloads that are not media, a changed
file on resume, disk full, one set of field names, honest progress, late signals."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import anyio
import anyio.to_thread
import pytest
from aiohttp import web

from akool_async._batch import (
    DEFAULT_JOURNAL_NAME,
    BatchProgress,
    OutcomeState,
    parse_manifest,
    run_batch,
)
from akool_async._download import Downloader, NotMedia
from akool_async._errors import InvalidResponse, ValidationError
from akool_async.cli import _signals
from akool_async.cli._display import PlainDisplay, progress_line

from .helpers import IMG, IMG2, MP3, MP4, fake_server, fast_config, serve_app, session_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
MP4_BYTES = b"\x00\x00\x00\x18ftypmp42" + b"\0" * 100


async def _html(request: web.Request) -> web.StreamResponse:
    return web.Response(text="<html><body>Access denied</body></html>", content_type="text/html")


async def _xml_as_binary(request: web.Request) -> web.StreamResponse:
    return web.Response(body=b"<?xml version='1.0'?><Error>NoSuchKey</Error>")


async def _empty(request: web.Request) -> web.StreamResponse:
    return web.Response(body=b"", content_type="video/mp4")


async def _png(request: web.Request) -> web.StreamResponse:
    return web.Response(body=PNG, content_type="video/mp4")


async def _mp4(request: web.Request) -> web.StreamResponse:
    return web.Response(body=MP4_BYTES, content_type="video/mp4")


@asynccontextmanager
async def media_server() -> AsyncIterator[str]:
    """Result URLs that answer 200 with everything but the expected media."""
    app = web.Application()
    for path, handler in (
        ("/html.mp4", _html),
        ("/xml.mp4", _xml_as_binary),
        ("/empty.mp4", _empty),
        ("/png.mp4", _png),
        ("/ok.mp4", _mp4),
    ):
        app.router.add_get(path, handler)
    async with serve_app(app) as url:
        yield url


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/html.mp4", "/xml.mp4", "/empty.mp4", "/png.mp4"])
async def test_error_pages_and_other_media_are_not_saved(tmp_path: Path, path: str) -> None:
    """An HTML/XML page, an empty body or an image answered 200 for a video is refused, unsaved."""
    async with media_server() as base, aiohttp.ClientSession() as http:
        dl = Downloader(http, tmp_path, retries=0)
        with pytest.raises(NotMedia):
            await dl.download(base + path, "r.mp4", media="video")
        got = await dl.download(base + "/ok.mp4", "ok.mp4", media="video")
    assert got.size == len(MP4_BYTES) and sorted(os.listdir(tmp_path)) == ["ok.mp4"]


@pytest.mark.anyio
async def test_body_without_length_is_not_complete(tmp_path: Path) -> None:
    """A body ended only by the connection closing (no length, no chunks) is not a file."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nConnection: close\r\n\r\n")
        writer.write(MP4_BYTES)  # ...and the connection closes: cut, or the end?
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, aiohttp.ClientSession() as http:
        dl = Downloader(http, tmp_path, retries=0)
        with pytest.raises(InvalidResponse, match="Content-Length"):
            await dl.download(f"http://127.0.0.1:{port}/r.mp4", "r.mp4", media="video")
    assert os.listdir(tmp_path) == []


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(n: int) -> list[dict[str, str]]:
    return [
        {"id": f"r{i}", "family": "talking_photo", "photo": f"https://c.example.com/{i}.jpg",
         "audio": MP3}
        for i in range(n)
    ]  # fmt: skip


@pytest.mark.anyio
async def test_same_size_corrupted_file_is_downloaded_again(tmp_path: Path) -> None:
    """On resume a file whose bytes changed (same size) fails its sha256 and is fetched again."""
    async with fake_server() as fake, session_for(fake) as session:
        async with run_batch(session, _rows(2), out_dir=tmp_path) as batch:
            first = {o.row_id: o async for o in batch}
        (good,) = first["r0"].files
        _flip_last_byte(Path(good.path))
        async with run_batch(session, _rows(2), out_dir=tmp_path) as batch:
            again = {o.row_id: o async for o in batch}
        assert again["r0"].ok and not again["r0"].resumed and again["r1"].resumed
        assert fake.stats.downloads[first["r0"].job_ids[0]] == 2
        assert _sha256(Path(good.path)) == good.sha256


@pytest.mark.anyio
async def test_disk_full_fails_the_downloads_not_the_batch(tmp_path: Path) -> None:
    """Out of space, a download fails its row (incomplete, resumable), the others go on, and no
    create becomes unknown; with space again a re-run finishes every row."""
    tmpfs = _tmpfs(tmp_path / "small", "2m")
    out = tmpfs / "out"
    journal = tmp_path / "j.sqlite"
    rows = _rows(4)
    async with fake_server(fast_config(result_size=700_000)) as fake, session_for(fake) as s:
        async with run_batch(s, rows, out_dir=out, journal=journal, concurrency=4) as batch:
            first = {o.row_id: o async for o in batch}
        states = sorted(o.state for o in first.values())
        assert OutcomeState.INCOMPLETE in states and OutcomeState.DONE in states
        assert OutcomeState.UNKNOWN not in states and batch.error is None
        assert any("No space left" in (o.error or "") for o in first.values())
        await anyio.to_thread.run_sync(_remount, tmpfs, "8m")
        async with run_batch(s, rows, out_dir=out, journal=journal) as batch:
            again = [o async for o in batch]
        assert all(o.ok for o in again) and fake.stats.creates == 4


def _remount(path: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True)


def _tmpfs(path: Path, size: str) -> Path:
    """A small tmpfs at ``path`` (root only; the test is skipped otherwise, saying why)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("disk-full cases need root to mount a small tmpfs")
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)])
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs at {path} (exit {done.returncode})")
    return path


@pytest.fixture(autouse=True)
def _unmount(tmp_path: Path) -> Iterator[None]:
    yield
    small = tmp_path / "small"
    if small.is_dir() and os.path.ismount(small):
        subprocess.run(["umount", "-l", str(small)], check=False)


@pytest.mark.anyio
async def test_journal_disk_full_ends_with_an_error_not_a_group(tmp_path: Path) -> None:
    """The journal's disk full while many creates run: one error (not an ExceptionGroup), and
    the rows not yet begun are not unknown."""
    tmpfs = _tmpfs(tmp_path / "small", "1m")
    journal = tmpfs / DEFAULT_JOURNAL_NAME
    async with fake_server() as fake, session_for(fake) as s:
        async with run_batch(s, _rows(1), out_dir=tmp_path / "out", journal=journal) as batch:
            assert all([o.ok async for o in batch])
        with (tmpfs / "filler").open("wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
            except OSError:
                pass
        outcomes = []
        error: BaseException | None = None
        try:
            async with run_batch(
                s, _rows(40), out_dir=tmp_path / "out", journal=journal, concurrency=8
            ) as batch:
                async for outcome in batch:
                    outcomes.append(outcome)
        except Exception as exc:
            error = exc
        assert error is not None and not isinstance(error, BaseExceptionGroup)
        assert "full" in str(error), error
        assert not [o for o in outcomes if o.state is OutcomeState.UNKNOWN]
        assert fake.stats.creates == 1


# -- one set of field names ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_python_names_and_aliases_work_in_session_create_and_manifests(
    tmp_path: Path,
) -> None:
    """``modify_image`` (the Python method's name), ``modifyImage`` and ``modify_url`` are the
    same field in session.create and in a manifest; ``lipsync`` names lip sync everywhere."""
    async with fake_server() as fake, session_for(fake) as session:
        for key in ("modify_image", "modifyImage", "modify_url"):
            fields = {"source_image": [IMG], "target_image": [IMG2], key: IMG}
            (job,) = await session.create("faceswap_image", fields)
            assert job.family == "faceswap_image"
        (job,) = await session.create("lipsync", {"video": MP4, "audio": MP3})
        assert job.family == "lip_sync"
        with pytest.raises(ValidationError, match="given twice"):
            await session.create("faceswap_image", {"modify_image": IMG, "modify_url": IMG})
    text = (
        f'{{"family": "faceswap_image", "sourceImage": "{IMG}", "target_image": ["{IMG2}"], '
        f'"modify_image": "{IMG}"}}\n{{"family": "lipsync", "video": "{MP4}", "audio": "{MP3}"}}\n'
    )
    rows = parse_manifest(text, format="jsonl").rows
    assert rows[0].fields["modify_url"] == IMG and rows[1].family == "lip_sync"


def test_manifest_reports_every_problem_of_every_row() -> None:
    """Each row's every bad, unknown and missing field is reported in one error."""
    text = (
        '{"family": "talking_photo", "photo": "ftp://x", "audio": "nope", "bogus": 1}\n'
        '{"family": "faceswap_image", "sourceImage": "https://a.com/x.jpg"}\n'
    )
    with pytest.raises(Exception) as exc:
        parse_manifest(text, source="m", format="jsonl")
    found = {(p.line, p.field) for p in exc.value.problems}  # type: ignore[attr-defined]
    assert {(1, "bogus"), (1, "talking_photo_url"), (1, "audio_url")} <= found
    assert {(2, "target_image"), (2, "modify_url")} <= found


# -- honest output ------------------------------------------------------------------------------


def test_progress_counts_this_runs_work_only() -> None:
    """Skipped rows are no throughput; incomplete rows are not 'done'; no ETA once ended."""
    resumed = BatchProgress(total=100, done=60, skipped=60, pending=40, elapsed=1.0)
    assert "- rows/s, ETA ?" in progress_line(resumed, 0.01)
    stopped = BatchProgress(total=68, done=6, incomplete=62)
    line = progress_line(stopped, 2.0, ended=True)
    assert "6/68 done (9%)" in line and "3.0 rows/s" in line and line.endswith("ETA -")
    halfway = BatchProgress(total=10, done=5, skipped=1, pending=5)
    assert "2.0 rows/s, ETA 2s" in progress_line(halfway, 2.0)


def test_plain_lines_no_more_often_than_the_interval() -> None:
    """With --log-interval 60, a short run prints one final line, however often rows move."""
    stream = io.StringIO()
    display = PlainDisplay(stream, interval=60.0)
    with display:
        for done in range(10):
            display.update(BatchProgress(total=10, done=done, pending=10 - done))
        display.finish(BatchProgress(total=10, done=10), stopped=False)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and "10/10 done (100%)" in lines[0]


def test_signal_after_the_run_is_noted_not_fatal() -> None:
    """Once a run has ended a SIGTERM is only noted (the summary is printed, then exit 3)."""
    with _signals.handled():
        _signals.note_late()
        os.kill(os.getpid(), signal.SIGTERM)
        assert _signals.received()
    assert signal.getsignal(signal.SIGTERM) is not _signals._note
