"""Where the batch runner puts result files, and the checks it makes on them."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Final

import anyio

from .._download import (
    MEDIA_KINDS,
    Downloader,
    MediaKind,
    expiry_warning,
    safe_filename,
    suffix_from_url,
)
from .._errors import AkoolError
from .journal import FileRecord, JournalRow, RowState
from .manifest import ManifestRow, result_stems
from .providers import known_families, result_is_file

if TYPE_CHECKING:
    from .storage import Storage

#: Journals a verified file: ``(job_id, path, size, sha256)``.
RecordDownload = Callable[[str, str, int, str], Awaitable[object]]

__all__ = [
    "MEDIA_SUFFIXES",
    "download_row",
    "files_intact",
    "remove_part_files",
    "result_name",
]

logger = logging.getLogger("akool_async.batch")

#: Suffixes taken from a result URL; anything else gets the family's default suffix.
MEDIA_SUFFIXES: Final = frozenset(
    {".mp4", ".mov", ".webm", ".png", ".jpg", ".jpeg", ".webp", ".gif", ".mp3", ".wav", ".m4a"}
)
# The downloader's part files: ``.<name>.part-<12 hex digits>``.
_PART_RE: Final = re.compile(r"\..+\.part-[0-9a-f]{12}")


def result_name(stem: str, url: str, family: str) -> str:
    """The file name of a result: the row's stem (see ``result_stems``) and a media suffix.

    Nothing of the URL but a known media suffix is used, and ``safe_filename`` makes sure the
    name cannot leave its directory.
    """
    default = known_families()[family].result_suffix
    suffix = suffix_from_url(url, default=default)
    return safe_filename(stem, suffix=suffix if suffix in MEDIA_SUFFIXES else default)


def files_intact_one(file: FileRecord) -> bool:
    """Whether a journaled file is still there with its size and sha256 (blocking: reads it).

    A file of the right size whose bytes changed (corrupted, overwritten) is not intact.
    """
    try:
        if os.stat(file.path).st_size != file.size:
            return False
        with open(file.path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest() == file.sha256
    except OSError:
        return False


def _intact(storage: Storage | None, file: FileRecord) -> bool:
    return files_intact_one(file) if storage is None else storage.intact([file])


def files_intact(row: JournalRow) -> bool:
    """Whether every file the journal lists for ``row`` is still there, unchanged (blocking)."""
    return all(files_intact_one(f) for f in row.files)


def media_kind(family: str) -> MediaKind | None:
    """The kind of media a family's results are (from its result suffix), if known."""
    fam = known_families().get(family)
    return MEDIA_KINDS.get(fam.result_suffix) if fam is not None else None


def remove_part_files(out_dir: Path, *, idle_for: float | None = None) -> None:
    """Remove the part files of downloads a killed run left behind (blocking).

    ``idle_for``: only those not written for that many seconds (other workers of a fleet may be
    writing theirs in the same directory).
    """
    try:
        entries = list(os.scandir(out_dir))
    except OSError:
        return
    for entry in entries:
        if _PART_RE.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                if idle_for is not None and time.time() - entry.stat().st_mtime < idle_for:
                    continue
                os.unlink(entry.path)
                logger.debug("removed a stale part file: %s", entry.name)


async def download_row(
    downloader: Downloader,
    record: RecordDownload,
    row: ManifestRow,
    journaled: JournalRow,
    *,
    now: float,
    warnings: list[str],
    storage: Storage | None = None,
) -> list[str]:
    """Download every completed job's result of a row (and any file lost since); journal each.

    A family whose result is not a file (moderation) has nothing to download.

    Args:
        downloader: bounds and retries the downloads.
        record: journals each verified file.
        row: the manifest row (its id and fields name the files).
        journaled: the row as journaled (its jobs, URLs and earlier files).
        now: wall seconds, for the expiry warning.
        warnings: gets a line per result close to its 7-day expiry.
        storage: where finished files go (default: they stay where the downloader put them).

    Returns:
        The problems met (one per failed download); empty when every file is in place.
    """
    problems: list[str] = []
    if not result_is_file(row.family):  # the journal holds the results themselves
        return problems
    stems = result_stems(row.row_id, row.family, row.fields)
    if len(stems) != len(journaled.jobs):  # the server started another number of jobs
        stems = [f"{row.row_id}.{job.job_id}" for job in journaled.jobs]

    async def one(stem: str, url: str, job_id: str, old: FileRecord | None) -> None:
        try:
            got = await downloader.download(
                url,
                result_name(stem, url, row.family),
                expected_sha256=old.sha256 if old is not None else None,
                expected_size=old.size if old is not None else None,
                media=media_kind(row.family),
            )
        except AkoolError as exc:
            logger.warning("row %s: download of job %s failed: %s", row.row_id, job_id, exc)
            problems.append(f"download of {job_id} failed: {exc}")
            return
        try:
            where = str(got.path) if storage is None else await storage.place(got.path)
        except (OSError, ValueError) as exc:
            logger.warning("row %s: storing the file of job %s failed: %s", row.row_id, job_id, exc)
            problems.append(f"storing the file of {job_id} failed: {exc}")
            return
        await record(job_id, where, got.size, got.sha256)

    async with anyio.create_task_group() as tg:
        for stem, job in zip(stems, journaled.jobs, strict=True):
            old = job.file
            if job.state is RowState.DOWNLOADED and old is not None:
                if await anyio.to_thread.run_sync(_intact, storage, old):
                    continue
                logger.warning(
                    "row %s: %s is missing or changed; downloading it again", row.row_id, old.path
                )
            elif job.state is not RowState.COMPLETED:
                continue
            if job.result_url is None:
                continue
            if job.completed_at is not None:
                warning = expiry_warning(job.completed_at, now)
                if warning is not None:
                    logger.warning("row %s, job %s: %s", row.row_id, job.job_id, warning)
                    warnings.append(f"{job.job_id}: {warning}")
            tg.start_soon(one, stem, job.result_url, job.job_id, old)
    return problems
