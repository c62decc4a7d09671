"""``await result.download(...)`` / ``await job.download(...)``: one job's file, over loopback."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from akool_async import DownloadResult, ResponseTooLarge

from .helpers import IMG, MP3, pair

pytestmark = pytest.mark.anyio

FIELDS = {"talking_photo_url": IMG, "audio_url": MP3}


async def test_download_into_directory_names_the_file_after_the_job(tmp_path: Path) -> None:
    """A directory destination gets ``<job id><suffix>`` holding exactly the served bytes."""
    async with pair() as (fake, session):
        (job,) = await session.create("talking_photo", FIELDS)
        fake.complete(job.id)
        done = await job.download(tmp_path)
        assert isinstance(done, DownloadResult)
        assert done.path == (tmp_path / f"{job.id}.mp4").resolve()
        assert done.path.read_bytes() == fake.expected_bytes(job.id)
        assert done.sha256 == hashlib.sha256(fake.expected_bytes(job.id)).hexdigest()
        assert sorted(os.listdir(tmp_path)) == [f"{job.id}.mp4"]


async def test_download_to_file_path_and_stream(tmp_path: Path) -> None:
    """A file path gets that name; a file object receives the same bytes, and no temp is left."""
    async with pair() as (fake, session):
        (job,) = await session.create("talking_photo", FIELDS)
        fake.complete(job.id)
        result = await job
        target = tmp_path / "sub" / "clip.mp4"
        done = await result.download(target)
        assert done.path == target.resolve() and target.read_bytes() == fake.expected_bytes(job.id)
        sink = io.BytesIO()
        streamed = await result.download(sink)
        assert sink.getvalue() == fake.expected_bytes(job.id)
        assert streamed.size == len(sink.getvalue())


async def test_download_size_cap_leaves_nothing(tmp_path: Path) -> None:
    """A result over ``max_bytes`` raises ResponseTooLarge and leaves no file behind."""
    async with pair() as (fake, session):
        (job,) = await session.create("talking_photo", FIELDS)
        fake.complete(job.id)
        result = await job
        with pytest.raises(ResponseTooLarge):
            await result.download(tmp_path, max_bytes=10)
        sink = io.BytesIO()
        with pytest.raises(ResponseTooLarge):
            await result.download(sink, max_bytes=10)
    assert os.listdir(tmp_path) == [] and sink.getvalue() == b""
