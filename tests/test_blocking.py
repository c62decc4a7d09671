"""``BlockingSession``: the async session's API without an event loop, over loopback."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from anyio.from_thread import start_blocking_portal

from akool_async import BlockingJob, BlockingSession, JobFailed, ScaledClock, ValidationError
from akool_async.testing import FakeAkool

from .helpers import API_KEY, FAST_RETRY, IMG, IMG2, MP3, SPEED, fast_config


@pytest.fixture
def fake() -> Iterator[FakeAkool]:
    """A fake Akool running in its own event loop thread."""
    with start_blocking_portal() as portal:
        server = FakeAkool(fast_config(), clock=ScaledClock(speed=SPEED))
        with portal.wrap_async_context_manager(server):
            yield server


def blocking(fake: FakeAkool) -> BlockingSession:
    """A blocking session on ``fake``."""
    return BlockingSession(
        api_key=API_KEY, base_url=fake.base_url, clock=fake.clock, retry=FAST_RETRY
    )


def test_resource_create_wait_download(fake: FakeAkool, tmp_path: Path) -> None:
    """``session.talking_photo.create`` returns a blocking job; ``wait`` and ``download`` block."""
    with blocking(fake) as session:
        job = session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
        assert isinstance(job, BlockingJob)
        result = job.wait()
        assert result.id == job.id and result.url == fake.result_url(job.id)
        done = job.download(tmp_path)
        assert done.path.read_bytes() == fake.expected_bytes(job.id)
        sink = io.BytesIO()
        assert session.credit().credit > 0
        job.download(sink)
        assert sink.getvalue() == fake.expected_bytes(job.id)


def test_same_names_same_errors(fake: FakeAkool) -> None:
    """Untyped ``create`` and ``gather`` work on blocking jobs; errors are the async ones."""
    with blocking(fake) as session:
        jobs = session.create("talking_photo", {"talking_photo_url": IMG2, "audio_url": MP3})
        assert [r.id for r in session.gather(jobs)] == [j.id for j in jobs]
        with pytest.raises(ValidationError):
            session.talking_photo.create(talking_photo_url="not a url", audio_url=MP3)
        (bad,) = session.create("talking_photo", {"talking_photo_url": IMG, "audio_url": MP3})
        fake.fail(bad.id)
        with pytest.raises(JobFailed):
            bad.wait()
        quick = session.with_options(max_wait=5.0)
        assert quick.max_wait == 5.0 and session.max_wait != 5.0
        (viewed,) = quick.create("talking_photo", {"talking_photo_url": IMG, "audio_url": MP3})
        assert isinstance(viewed, BlockingJob)
        assert viewed.deadline - viewed.created_at == pytest.approx(5.0)
