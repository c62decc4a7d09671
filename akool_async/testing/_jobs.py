"""Server-side jobs: the family table and a lifecycle computed lazily from the clock.

A job stores when its queueing and processing end; its status at any instant follows from the
clock, so the server runs no task per job and 100,000 jobs cost a few tens of megabytes. Both
fakes (Akool and TopView) draw their jobs' timings through one :class:`Lifecycle`, which also
runs the account's plan: at most ``concurrency_cap`` jobs process at once, the rest wait in
status 1 in creation order (FIFO) until a slot frees.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import random
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from attrs import define, field, frozen

if TYPE_CHECKING:
    from ._config import FakeConfig

__all__ = [
    "FACESWAP_FAMILIES",
    "FAMILIES",
    "I2V_FAMILIES",
    "LANGUAGES",
    "VIDEO_FAMILIES",
    "FakeJob",
    "Family",
    "Lifecycle",
    "TimedJob",
    "Timing",
    "max_running",
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
_AUDIO_ERROR: Final = "create audio error, please try again later"
_IMAGE_ERROR: Final = "image generate error,please try again later"
_CHARACTER_SWAP_ERROR: Final = "Failed to process the video. Please check your input resources."

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
        Family("faceswap_plus", "faceswap", "png", 1015, _FACESWAP_ERROR, 1),
        Family("reage_image", "faceswap", "png", 1015, _FACESWAP_ERROR, 1),
        Family("reage_video", "faceswap", "mp4", 1015, _FACESWAP_ERROR, 2),
        Family("image", "image", "png", 1015, "Create image error, please try again later", 3),
        Family("image_button", "image", "png", 1108, _IMAGE_ERROR, 3),
        Family("image2video", "image2video", "mp4", 1015, _VIDEO_ERROR, 11),
        Family("image2video_audio", "image2video", "mp4", 1015, _VIDEO_ERROR, 11),
        Family("image2video_batch", "image2video", "mp4", 1015, _VIDEO_ERROR, 11),
        Family("text2video", "text2video", "mp4", 1015, _VIDEO_ERROR, 12),
        Family("tts", "audio", "mp3", 1201, _AUDIO_ERROR, 4),
        Family("voice_clone_v3", "audio", "mp3", 1201, _AUDIO_ERROR, 4),
        Family("voice_tts", "audio", "mp3", 1201, _AUDIO_ERROR, 4),
        Family("voice_clone", "audio", "mp3", 1201, _AUDIO_ERROR, 4),
        Family("voice_change", "audio", "mp3", 1201, _AUDIO_ERROR, 4),
        Family("moderation", "sentiment analysis", "txt", 1015, "content analysis failed", 1),
        Family("avatar_upload", "avatar upload", "mp4", 1109, "create avatar error", 1),
        Family("character_swap", "character swap", "mp4", 1015, _CHARACTER_SWAP_ERROR, 13),
        Family("head_swap_analysis", "headswap", "json", 2001, "no person detected", 0),
        Family("head_swap", "headswap", "mp4", 2001, "head swap generation failed", 0),
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
    {"talking_photo", "lip_sync", "video_translation", "talking_avatar", "character_swap"}
)
#: Families polled through ``faceswap/result/listbyids``.
FACESWAP_FAMILIES: Final = frozenset(
    {"faceswap_image", "faceswap_video", "faceswap_v4", "faceswap_plus"}
    | {"reage_image", "reage_video"}
)
#: Families polled through ``image2Video/resultsByIds``.
I2V_FAMILIES: Final = frozenset(
    {"image2video", "image2video_audio", "image2video_batch", "text2video"}
)


@define(slots=True, eq=False)
class TimedJob:
    """What both fakes' jobs share: the clock-driven lifecycle 1 -> 2 -> 3/4.

    Times are clock seconds (``Clock.now()``).
    """

    id: str
    family: str
    created_at: float
    #: When status 1 ends (queueing, including any wait for a plan slot).
    queue_end: float
    #: When status 2 ends.
    proc_end: float
    #: Whether the job ends in status 4 when processing ends.
    fails: bool
    #: Set by the fake's ``complete/fail/set_status``: overrides the clock-driven status.
    forced_status: int | None = field(default=None, kw_only=True)

    def status(self, now: float) -> int:
        """1 queueing, 2 processing, 3 completed, 4 failed, at clock time ``now``."""
        if self.forced_status is not None:
            return self.forced_status
        if now < self.queue_end:
            return 1
        if now < self.proc_end:
            return 2
        return 4 if self.fails else 3


@define(slots=True, eq=False)
class FakeJob(TimedJob):
    """One Akool job as the server sees it."""

    #: Video translation: the target language; else "".
    variant: str
    create_time_ms: int
    #: Seconds of media (``video_lock_duration``).
    media_duration: float
    error_code: int
    error_reason: str
    #: The create body (shared by the jobs of one create; never mutated).
    params: dict[str, Any]
    webhook_url: str | None = None
    forced_url: str | None = None
    #: Bit ``1 << status`` set once a webhook for that status went out.
    webhooks_sent: int = 0

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


#: The first bytes of a result file, per extension: what a real file of that type starts with.
_MAGIC: Final[dict[str, bytes]] = {
    "mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",
    "mov": b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00",
}


def result_bytes(job_id: str, size: int, ext: str = "") -> bytes:
    """The deterministic content of a job's result file (``size`` bytes).

    With ``ext`` (``"mp4"``, ``"png"``, ``"mp3"`` ...), it starts as a real file of that type does.
    """
    seed = hashlib.sha256(job_id.encode()).digest()
    block = seed * (_BLOCK // len(seed))
    if size <= _BLOCK:
        body = block[:size]
    else:
        whole, rest = divmod(size, _BLOCK)
        body = block * whole + block[:rest]
    magic = _MAGIC.get(ext.lower().lstrip("."), b"")[:size]
    return magic + body[len(magic) :]


def result_chunks(job_id: str, size: int, ext: str = "") -> list[tuple[bytes, int]]:
    """``(block, count)`` pieces that concatenate to :func:`result_bytes` (for streaming)."""
    seed = hashlib.sha256(job_id.encode()).digest()
    block = seed * (_BLOCK // len(seed))
    whole, rest = divmod(size, _BLOCK)
    pieces = [(block, whole)] if whole else []
    if rest:
        pieces.append((block[:rest], 1))
    magic = _MAGIC.get(ext.lower().lstrip("."), b"")
    if magic and pieces:
        first, count = pieces[0]
        head = [(magic[: len(first)] + first[len(magic) :], 1)]
        pieces = head + ([(first, count - 1)] if count > 1 else []) + pieces[1:]
    return pieces


@frozen(slots=True)
class Timing:
    """A new job's drawn timing (clock seconds)."""

    media: float
    queue_end: float
    proc_end: float
    fails: bool


def _draw(rng: random.Random, span: tuple[float, float], distribution: str) -> float:
    """One draw over ``span``: uniform, or log-normal with ``span`` as its 5-95 % interval."""
    low, high = span
    if distribution == "lognormal" and low > 0 and high > low:
        mid = 0.5 * (math.log(low) + math.log(high))
        sigma = (math.log(high) - math.log(low)) / (2.0 * 1.6448536269514722)
        return math.exp(rng.gauss(mid, sigma))
    return rng.uniform(low, high)


class _Plan:
    """One account's slots: a heap of the times the ``cap`` running slots free up."""

    __slots__ = ("free_at", "last_start")

    def __init__(self) -> None:
        self.free_at: list[float] = []
        self.last_start = -math.inf

    def start(self, ready: float, cap: int) -> float:
        """When a job ready at ``ready`` gets a slot (never before an earlier-created job)."""
        free_at = self.free_at
        while len(free_at) < cap:
            heapq.heappush(free_at, -math.inf)
        while len(free_at) > cap:
            heapq.heappop(free_at)  # a smaller plan: the slot freeing first goes away
        return max(ready, free_at[0], self.last_start)

    def take(self, start: float, end: float) -> None:
        heapq.heapreplace(self.free_at, end)
        self.last_start = start


class Lifecycle:
    """Draws every new job's timing from a :class:`FakeConfig` and runs each account's plan.

    Queue time, media length and processing time come from the config's ranges (``processing_time``
    when set, else media length x ``processing_factor`` +- ``processing_jitter``), uniform or
    log-normal (``duration_distribution``). With ``concurrency_cap`` set, a job also waits in
    status 1 until one of the account's ``cap`` slots is free, in creation order. A slot is held
    from the start of processing to its clock-driven end (a forced status does not free it).
    """

    __slots__ = ("_plans", "_rng")

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._plans: dict[str, _Plan] = {}

    def draw(self, config: FakeConfig, now: float, account: str = "") -> Timing:
        """The timing of a job created at ``now`` by ``account``."""
        rng = self._rng
        spread = config.duration_distribution
        media = rng.uniform(*config.media_duration)
        ready = now + _draw(rng, config.queue_time, spread)
        if config.processing_time is not None:
            processing = _draw(rng, config.processing_time, spread)
        else:
            jitter = config.processing_jitter
            processing = media * config.processing_factor * (1.0 + rng.uniform(-jitter, jitter))
        processing = max(0.0, processing)
        fails = config.failure_ratio > 0.0 and rng.random() < config.failure_ratio
        cap = config.concurrency_cap
        if cap is None:
            return Timing(media, ready, ready + processing, fails)
        plan = self._plans.get(account)
        if plan is None:
            plan = self._plans[account] = _Plan()
        start = plan.start(ready, cap)
        plan.take(start, start + processing)
        return Timing(media, start, start + processing, fails)


def max_running(jobs: Iterable[TimedJob]) -> int:
    """The most jobs of ``jobs`` ever processing (status 2) at one instant, by their clocks."""
    return _peak((job.queue_end, job.proc_end) for job in jobs)


def max_on_server(jobs: Iterable[TimedJob]) -> int:
    """The most jobs of ``jobs`` ever created and not yet ended (status 1 or 2) at one instant."""
    return _peak((job.created_at, job.proc_end) for job in jobs)


def _peak(spans: Iterable[tuple[float, float]]) -> int:
    events: list[tuple[float, int]] = []
    for start, end in spans:
        if end > start:
            events.append((start, 1))
            events.append((end, -1))
    events.sort()  # an end (-1) sorts before a start (+1) at the same instant
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak
