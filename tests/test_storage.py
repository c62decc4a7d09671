"""Batch results to object storage: an S3-compatible server on loopback (moto) and fsspec's memory
filesystem; every object complete, checked on resume, replaced when corrupt."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from akool_async import ValidationError
from akool_async._batch import OutcomeState, run_batch
from akool_async._batch.storage import FsspecStorage
from akool_async.cli import EXIT_BAD_INPUT, main
from akool_async.testing import FakeAkool

from .helpers import IMG, MP3, pair
from .test_batch import photo_rows

pytestmark = pytest.mark.anyio

moto_server = pytest.importorskip("moto.server")
s3fs = pytest.importorskip("s3fs")

BUCKET = "results"
#: Per test session: the staging directory of a URL is claimed by its journal.
RUN = uuid.uuid4().hex[:8]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 with one bucket; fake credentials in the environment."""
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.delenv("AWS_SESSION_TOKEN", raising=False)
        env.delenv("AWS_PROFILE", raising=False)
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("AWS_ENDPOINT_URL", endpoint)
        s3fs.S3FileSystem.clear_instance_cache()
        s3fs.S3FileSystem().mkdir(BUCKET)
        try:
            yield endpoint
        finally:
            s3fs.S3FileSystem.clear_instance_cache()
            server.stop()


async def collect(session: Any, out: str, journal: Path) -> dict[str, Any]:
    """Run a batch to ``out``; outcomes by row id."""
    async with run_batch(session, photo_rows(3), out_dir=out, journal=journal) as batch:
        return {o.row_id: o async for o in batch}


def objects(fs: Any, prefix: str) -> dict[str, bytes]:
    """Every object under ``prefix`` (hidden names included), by base name."""
    fs.invalidate_cache()
    return {key.rsplit("/", 1)[-1]: fs.cat_file(key) for key in fs.find(prefix, withdirs=False)}


def expected(fake: FakeAkool, outcomes: dict[str, Any]) -> dict[str, bytes]:
    """Base name -> bytes of every result the outcomes list."""
    return {
        f.path.rsplit("/", 1)[-1]: fake.expected_bytes(f.job_id)
        for o in outcomes.values()
        for f in o.files
    }


async def test_batch_to_s3_objects_complete_and_resumed(s3_endpoint: str, tmp_path: Path) -> None:
    """Every result is one complete object under the prefix; a re-run downloads nothing."""
    fs = s3fs.S3FileSystem()
    url = f"s3://{BUCKET}/night-1-{RUN}"
    async with pair() as (fake, session):
        outcomes = await collect(session, url, tmp_path / "j.sqlite")
        assert {o.state for o in outcomes.values()} == {OutcomeState.DONE}
        assert all(f.path.startswith(url + "/") for o in outcomes.values() for f in o.files)
        assert objects(fs, f"{BUCKET}/night-1-{RUN}") == expected(fake, outcomes)
        downloads = sum(fake.stats.downloads.values())
        again = await collect(session, url, tmp_path / "j.sqlite")
        assert all(o.resumed and o.state is OutcomeState.DONE for o in again.values())
        assert sum(fake.stats.downloads.values()) == downloads


async def test_resume_trusts_etag_of_our_single_put(
    s3_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An object we put whole is checked from its ETag and metadata, never read back."""
    url = f"s3://{BUCKET}/night-3-{RUN}"
    async with pair() as (_, session):
        outcomes = await collect(session, url, tmp_path / "j.sqlite")
    storage = FsspecStorage(url)
    monkeypatch.setattr(storage._fs, "open", None)  # any read back would fail
    assert storage.intact(f for o in outcomes.values() for f in o.files)


async def test_corrupt_object_replaced(s3_endpoint: str, tmp_path: Path) -> None:
    """An object whose bytes changed (same size) is downloaded again and put back whole."""
    fs = s3fs.S3FileSystem()
    url = f"s3://{BUCKET}/night-2-{RUN}"
    async with pair() as (fake, session):
        outcomes = await collect(session, url, tmp_path / "j.sqlite")
        victim = outcomes["r1"].files[0]
        fs.pipe_file(victim.path, b"\0" * victim.size)
        downloads = sum(fake.stats.downloads.values())
        await collect(session, url, tmp_path / "j.sqlite")
        assert sum(fake.stats.downloads.values()) == downloads + 1
        assert objects(fs, f"{BUCKET}/night-2-{RUN}") == expected(fake, outcomes)


async def test_non_s3_filesystem_moves_into_place(tmp_path: Path) -> None:
    """On a filesystem without atomic PUT (fsspec memory://) files land whole, no temp names."""
    import fsspec

    fs = fsspec.filesystem("memory")
    url = f"memory://akool-results/{RUN}"
    async with pair() as (fake, session):
        outcomes = await collect(session, url, tmp_path / "j.sqlite")
        assert {o.state for o in outcomes.values()} == {OutcomeState.DONE}
        assert objects(fs, f"/akool-results/{RUN}") == expected(fake, outcomes)


async def test_url_out_dir_needs_a_journal() -> None:
    """A URL out_dir without a journal fails as the run starts, before any request."""
    async with pair() as (fake, session):
        with pytest.raises(ValidationError, match="journal"):
            async with run_batch(session, photo_rows(1), out_dir="memory://x") as batch:
                [o async for o in batch]
        assert fake.stats.total_requests() == 0


def test_cli_url_out_needs_journal_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--out URL`` without ``--journal``/``--report``: exit 2 naming them, nothing sent."""
    monkeypatch.setenv("AKOOL_API_KEY", "k")
    manifest = tmp_path / "m.csv"
    manifest.write_text(f"id,family,talking_photo_url,audio_url\na,talking_photo,{IMG},{MP3}\n")
    code = main(["batch", str(manifest), "--out", "s3://bucket/p", "--journal", "j.sqlite"])
    assert code == EXIT_BAD_INPUT
    assert "--journal and --report are required" in capsys.readouterr().err
