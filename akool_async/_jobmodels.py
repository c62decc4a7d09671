"""Provider-neutral job models: statuses, snapshots, results and events.

Every provider's parser produces these; the scheduler, :class:`~akool_async.Job` and the batch
wing read only them. Responses are parsed by hand on the polling hot path (tolerant of unknown
keys, keeping the raw dict).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from ._constants import MAX_DOWNLOAD_BYTES
from ._errors import ResultNotAFile

if TYPE_CHECKING:
    from ._download import DownloadResult
    from ._result_download import Destination

__all__ = [
    "AudioSplits",
    "JobEvent",
    "JobResult",
    "JobSnapshot",
    "JobStatus",
    "int_or_none",
    "parse_audio_splits",
    "positive_seconds",
    "result_missing",
    "slim_snapshot",
    "use_downloader",
]


class JobStatus(enum.IntEnum):
    """The four states of every job (each provider's statuses map onto them)."""

    QUEUEING = 1
    PROCESSING = 2
    COMPLETED = 3
    FAILED = 4

    @property
    def terminal(self) -> bool:
        """Whether the job can no longer change."""
        return self >= JobStatus.COMPLETED

    def __str__(self) -> str:
        # print(job.status) reads "completed"; the int value still compares and serialises.
        return self.name.lower()

    def __format__(self, spec: str) -> str:
        return format(int(self), spec) if spec else str(self)


@frozen(slots=True)
class JobSnapshot:
    """One status reading of a job, as the API gave it.

    Attributes:
        id: the job's ``_id``.
        status: the normalised status.
        result_url: the result file (video, image, audio) once completed, else None (always
            None for a family whose result is not a file).
        progress: 0-100 where the API reports it (video translation), else None.
        error_code: the API's error code for failed jobs, where given.
        error_reason: the API's error text for failed jobs, where given.
        media_duration: the media length the API reports (``video_lock_duration``), in seconds.
        raw: the status object exactly as received, unknown fields included.
        missing_result: set (to where the parser looked) when the API reported the job
            completed but gave no result URL; the snapshot then reads as failed.
        result_value: once completed, the result itself for a family whose result is not a
            file (``Family.result_is_file`` False): moderation's findings text, an analysis's
            objects; else None.
    """

    id: str
    status: JobStatus
    result_url: str | None = None
    progress: int | None = None
    error_code: int | None = None
    error_reason: str | None = None
    media_duration: float | None = None
    raw: Mapping[str, Any] = field(factory=dict, repr=False, eq=False)
    missing_result: str | None = None
    result_value: Any = field(default=None, repr=False)

    @property
    def has_result(self) -> bool:
        """Whether the snapshot carries a result: a file URL, or the result itself."""
        return self.result_url is not None or self.result_value is not None


@frozen(slots=True)
class AudioSplits:
    """Subtitle and caption-free files a video translation may return."""

    original_srt_url: str | None = None
    translated_srt_url: str | None = None
    no_caption_video_url: str | None = None


@frozen(slots=True)
class JobResult:
    """What ``await job`` returns for a completed job.

    Most families' result is a file at :attr:`url`; a few (moderation) answer the result
    itself, which :attr:`data` (and :attr:`text`) hold, and :attr:`is_file` is False.

    Attributes:
        id: the job's ``_id``.
        family: the job family's name, e.g. ``"talking_photo"``.
        url: the result file; valid 7 days after generation. Empty (``""``) where the result
            is not a file.
        snapshot: the final status reading (``snapshot.raw`` holds every field).
        audio_splits: subtitle files of a video translation, where given.
    """

    id: str
    family: str
    url: str
    snapshot: JobSnapshot = field(repr=False)
    audio_splits: AudioSplits | None = field(default=None, repr=False)

    @property
    def is_file(self) -> bool:
        """Whether the result is a file to download (at :attr:`url`), not the data itself."""
        return self.snapshot.result_value is None

    @property
    def data(self) -> Any:
        """The result itself where it is not a file (moderation's findings text, an analysis's
        objects, as the API gave them); None for a file result."""
        return self.snapshot.result_value

    @property
    def text(self) -> str | None:
        """:attr:`data` when it is text (moderation's findings), else None."""
        value = self.snapshot.result_value
        return value if isinstance(value, str) else None

    async def download(
        self,
        dest: Destination,
        *,
        max_bytes: int = MAX_DOWNLOAD_BYTES,
        retries: int = 3,
        idle_timeout: float = 300.0,
    ) -> DownloadResult:
        """Save the result file: into a directory (named after the job), to a file path, or
        into a binary file object. Atomic, size-capped, retried; sends no credentials.

        Args:
            dest: a directory, a file path, or a binary file object open for writing.
            max_bytes: largest file accepted (ResponseTooLarge beyond it).
            retries: retries of transient failures after the first attempt.
            idle_timeout: longest silence tolerated, in seconds.

        Raises:
            ResultNotAFile: the result is not a file (read :attr:`data`); nothing is fetched.
            ResponseTooLarge, HTTPStatusError, TransportError: the download failed (no partial
                file is left).
        """
        if not self.is_file:
            raise ResultNotAFile(self.id, self.family)
        if _downloader is None:  # pragma: no cover - the package's __init__ installs it
            raise RuntimeError("import akool_async to enable downloads")
        return await _downloader(
            self.url, self.id, dest, max_bytes=max_bytes, retries=retries, idle_timeout=idle_timeout
        )


@frozen(slots=True)
class JobEvent:
    """A de-duplicated status transition of a tracked job.

    ``previous`` is None for the first status the session learned.
    """

    job_id: str
    family: str
    status: JobStatus
    previous: JobStatus | None
    at: float
    snapshot: JobSnapshot | None = field(default=None, repr=False)


#: ``(url, job id, dest, max_bytes=, retries=, timeout=) -> DownloadResult``, installed by
#: ``_result_download`` (it sits on the downloader, which sits on modules importing this one).
_downloader: Callable[..., Awaitable[DownloadResult]] | None = None


def use_downloader(fn: Callable[..., Awaitable[DownloadResult]]) -> None:
    """Install what :meth:`JobResult.download` calls."""
    global _downloader
    _downloader = fn


# -- response helpers (hot path: no converter) ------------------------------------------------


def int_or_none(value: Any) -> int | None:
    """An integer from a JSON number or digit string, else None."""
    # Hot path (every poll reads two or three): the common answers first, by exact type.
    cls = type(value)
    if cls is int or value is None:
        return value  # type: ignore[no-any-return]
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        try:
            return int(value)
        except ValueError:  # "²" is a digit to isdigit(); 5,000 digits exceed int()'s limit
            return None
    return None


def positive_seconds(value: Any) -> float | None:
    """A finite, positive number of seconds, else None.

    JSON allows Infinity, NaN and integers too large for a float; none is a media length.
    """
    if value is None:
        return None
    if type(value) is float:
        return value if 0 < value < math.inf else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:
        return None
    return seconds if 0 < seconds < math.inf else None


def parse_audio_splits(raw: Mapping[str, Any]) -> AudioSplits | None:
    """Read ``audio_splits`` from a video-translation status object, if present."""
    splits = raw.get("audio_splits")
    if not isinstance(splits, Mapping):
        return None

    def s(key: str) -> str | None:
        v = splits.get(key)
        return v if isinstance(v, str) and v else None

    return AudioSplits(s("original_srt_url"), s("translated_srt_url"), s("no_caption_video_url"))


def result_missing(
    ident: str, raw: Mapping[str, Any], where: str, *, media_duration: float | None = None
) -> JobSnapshot:
    """A failed snapshot for an answer that says completed but holds no result URL at ``where``.

    Polling on would only wait for the deadline: the job ends now, with
    :class:`~akool_async.ResultMissing` carrying the answer.
    """
    return JobSnapshot(
        id=ident,
        status=JobStatus.FAILED,
        progress=100,
        error_reason=f"reported completed without a result URL at {where}",
        media_duration=media_duration,
        raw=raw,
        missing_result=where,
    )


#: The raw body of a snapshot that keeps none.
_NO_RAW: Mapping[str, Any] = MappingProxyType({})


def slim_snapshot(snap: JobSnapshot, previous: JobSnapshot | None = None) -> JobSnapshot:
    """The snapshot without its raw body (``previous`` itself when it reads the same)."""
    # Equality covers every field but the raw body: the same reading again builds nothing.
    if previous is not None and previous.raw is _NO_RAW and previous == snap:
        return previous
    return JobSnapshot(
        snap.id,
        snap.status,
        snap.result_url,
        snap.progress,
        snap.error_code,
        snap.error_reason,
        snap.media_duration,
        _NO_RAW,
    )
