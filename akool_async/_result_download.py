"""One job's result saved to disk or streamed to a file object (``await result.download(...)``).

Built on :class:`~akool_async._download.Downloader`, so a single download has the batch's
guarantees: a part file renamed into place only once complete, the size cap, retries of transient
failures, and a fresh HTTP session that carries no credentials to the result host.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

import aiohttp
import anyio.to_thread

from ._clock import Clock
from ._constants import MAX_DOWNLOAD_BYTES
from ._download import Downloader, DownloadResult, safe_filename, suffix_from_url
from ._errors import ValidationError
from ._jobmodels import use_downloader

__all__ = ["Destination", "download_result"]

#: Where a result goes: a directory (the file is named after the job), a file path, or a binary
#: file object opened for writing.
Destination = str | os.PathLike[str] | IO[bytes]


def _target(dest: str | os.PathLike[str], job_id: str, url: str) -> tuple[Path, str]:
    """``(directory, file name)`` for a path: an existing directory or a path ending in a
    separator names a directory; anything else names the file itself."""
    text = os.fspath(dest)
    path = Path(text)
    if path.is_dir() or text.endswith(("/", os.sep)):
        return path, safe_filename(job_id, suffix=suffix_from_url(url))
    if not path.name:
        raise ValidationError("dest", f"names no file: {text!r}")
    return path.parent, path.name


async def download_result(
    url: str,
    job_id: str,
    dest: Destination,
    *,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
    retries: int = 3,
    idle_timeout: float = 300.0,
    clock: Clock | None = None,
) -> DownloadResult:
    """Download ``url`` to ``dest`` (see :data:`Destination`).

    A file object receives the bytes only once the whole file was downloaded and checked (it
    goes through a temporary file first), so a failed download writes nothing into it.

    Raises:
        ValidationError: ``dest`` names no file.
        ResponseTooLarge, DownloadMismatch, HTTPStatusError, TransportError: as
            :meth:`Downloader.download`.
    """
    limits: dict[str, Any] = {
        "max_bytes": max_bytes,
        "retries": retries,
        "timeout": idle_timeout,
        "clock": clock,
    }
    # A session of its own: no API key, token or cookie of the API session can reach the host.
    async with aiohttp.ClientSession() as http:
        if isinstance(dest, str | os.PathLike):
            out_dir, name = _target(dest, job_id, url)
            return await Downloader(http, out_dir, **limits).download(url, name)
        with tempfile.TemporaryDirectory(prefix="akool-dl-") as tmp:
            name = safe_filename(job_id, suffix=suffix_from_url(url))
            done = await Downloader(http, Path(tmp), **limits).download(url, name)
            await anyio.to_thread.run_sync(_copy_into, done.path, dest)
    where = getattr(dest, "name", None)
    return DownloadResult(
        url, Path(where if isinstance(where, str) else "<stream>"), done.size, done.sha256, False
    )


def _copy_into(path: Path, stream: IO[bytes]) -> None:
    with open(path, "rb") as f:
        shutil.copyfileobj(f, stream, 1 << 16)
    stream.flush()


use_downloader(download_result)
