"""Server-side jobs: the family table and a lifecycle computed lazily from the clock.

A job stores when its queueing and processing end; its status at any instant follows from the
clock, so the server runs no task per job and 100,000 jobs cost a few tens of megabytes.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

from attrs import define, frozen

__all__ = [
    "FACESWAP_FAMILIES",
    "FAMILIES",
    "I2V_FAMILIES",
    "LANGUAGES",
    "VIDEO_FAMILIES",
    "FakeJob",
    "Family",
    "result_bytes",
    "result_chunks",
]


@frozen(slots=True)
class Family:
    """A kind of job: how Akool names it in webhooks and what its result file is.

    Names match the SDK's family table (``akool_async._families``).
    """

    name: str
    #: ``type`` of the webhook plaintext.
    webhook_type: str
    #: Result file extension.
    ext: str
    #: Code and reason a failed job of this family reports.
    error_code: int
    error_reason: str
    #: ``type`` number in the family's JSON bodies (seed pages: 5 talking photo, 9 lip sync);
    #: ``faceswap_type`` for face swap.
    type_number: int


_VIDEO_ERROR: Final = "Create video error, please try again later"
_FACESWAP_ERROR: Final = "Face swap failed: no face detected"

FAMILIES: Final[dict[str, Family]] = {
    f.name: f
    for f in (
        Family("talking_photo", "talking photo", "mp4", 1015, _VIDEO_ERROR, 5),
        Family("lip_sync", "lipsync", "mp4", 1211, "Create Lip Sync Error, try again later", 9),
        Family("video_translation", "video translate", "mp4", 1205, _VIDEO_ERROR, 8),
        Family("talking_avatar", "avatar", "mp4", 1015, _VIDEO_ERROR, 10),
        Family("faceswap_image", "faceswap", "png", 1015, _FACESWAP_ERROR, 1),
        Family("faceswap_video", "faceswap", "mp4", 1015, _FACESWAP_ERROR, 2),
        Family("faceswap_v4", "faceswap", "png", 1015, _FACESWAP_ERROR, 1),
        Family("image", "image", "png", 1015, "Create image error, please try again later", 3),
        Family("image2video", "image2video", "mp4", 1015, _VIDEO_ERROR, 11),
        Family("text2video", "text2video", "mp4", 1015, _VIDEO_ERROR, 12),
        Family("tts", "audio", "mp3", 1201, "create audio error, please try again later", 4),
    )
}

#: ``GET /api/open/v3/language/list``: code -> name.
LANGUAGES: Final[dict[str, str]] = {
    "en": "English",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "ru": "Russian",
    "ar": "Arabic",
    "hi": "Hindi",
    "nl": "Dutch",
    "tr": "Turkish",
    "af-ZA": "Afrikaans (South Africa)",
}

#: Families polled through ``content/video/infobymodelid``.
VIDEO_FAMILIES: Final = frozenset(
    {"talking_photo", "lip_sync", "video_translation", "talking_avatar"}
)
#: Families polled through ``faceswap/result/listbyids``.
FACESWAP_FAMILIES: Final = frozenset({"faceswap_image", "faceswap_video", "faceswap_v4"})
#: Families polled through ``image2Video/resultsByIds``.
I2V_FAMILIES: Final = frozenset({"image2video", "text2video"})


@define(slots=True, eq=False)
class FakeJob:
    """One job as the server sees it. Times are clock seconds (``Clock.now()``)."""

    id: str
    family: str
    #: Video translation: the target language; else "".
    variant: str
    created_at: float
    create_time_ms: int
    queue_end: float
    proc_end: float
    #: Seconds of media (``video_lock_duration``).
    media_duration: float
    #: Whether the job ends in status 4 when processing ends.
    fails: bool
    error_code: int
    error_reason: str
    #: The create body (shared by the jobs of one create; never mutated).
    params: dict[str, Any]
    webhook_url: str | None = None
    #: Set by ``FakeAkool.complete/fail/set_status``: overrides the clock-driven status.
    forced_status: int | None = None
    forced_url: str | None = None
    #: Bit ``1 << status`` set once a webhook for that status went out.
    webhooks_sent: int = 0

    def status(self, now: float) -> int:
        """1 queueing, 2 processing, 3 completed, 4 failed, at clock time ``now``."""
        if self.forced_status is not None:
            return self.forced_status
        if now < self.queue_end:
            return 1
        if now < self.proc_end:
            return 2
        return 4 if self.fails else 3

    def progress(self, now: float, status: int) -> int:
        """0-100 as video translation reports it."""
        if status == 3:
            return 100
        if status == 1:
            return 0
        span = self.proc_end - self.queue_end
        if span <= 0:
            return 99
        return max(0, min(99, int((now - self.queue_end) / span * 100)))

    @property
    def ext(self) -> str:
        """Result file extension."""
        return FAMILIES[self.family].ext

    @property
    def file_name(self) -> str:
        """Name of the result file under ``/files/``."""
        return f"{self.id}.{self.ext}"


_BLOCK = 64 * 1024


def result_bytes(job_id: str, size: int) -> bytes:
    """The deterministic content of a job's result file (``size`` bytes)."""
    seed = hashlib.sha256(job_id.encode()).digest()
    block = seed * (_BLOCK // len(seed))
    if size <= _BLOCK:
        return block[:size]
    whole, rest = divmod(size, _BLOCK)
    return block * whole + block[:rest]


def result_chunks(job_id: str, size: int) -> list[tuple[bytes, int]]:
    """``(block, count)`` pieces that concatenate to :func:`result_bytes` (for streaming)."""
    seed = hashlib.sha256(job_id.encode()).digest()
    block = seed * (_BLOCK // len(seed))
    whole, rest = divmod(size, _BLOCK)
    pieces = [(block, whole)] if whole else []
    if rest:
        pieces.append((block[:rest], 1))
    return pieces
