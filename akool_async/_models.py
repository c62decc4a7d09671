"""Typed models: job statuses, snapshots, results, events and request bodies.

Responses are parsed by hand on the polling hot path (tolerant of unknown keys, keeping the raw
dict); request bodies are attrs classes validated on construction, so a bad argument fails before
any request is sent and the error names the field.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from attrs import Attribute, field, frozen

from ._errors import ValidationError

__all__ = [
    "AudioSplits",
    "Credit",
    "FaceSwapRequest",
    "FaceSwapV3Request",
    "ImageRequest",
    "ImageToVideoRequest",
    "JobEvent",
    "JobResult",
    "JobSnapshot",
    "JobStatus",
    "Language",
    "LipSyncRequest",
    "SwapImage",
    "TalkingAvatarRequest",
    "TalkingPhotoRequest",
    "TextToVideoRequest",
    "TtsRequest",
    "VideoTranslationRequest",
]


class JobStatus(enum.IntEnum):
    """The four states of every Akool job."""

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
        result_url: the result (video, image, audio) once completed, else None.
        progress: 0-100 where the API reports it (video translation), else None.
        error_code: the API's error code for failed jobs, where given.
        error_reason: the API's error text for failed jobs, where given.
        media_duration: the media length the API reports (``video_lock_duration``), in seconds.
        raw: the status object exactly as received, unknown fields included.
    """

    id: str
    status: JobStatus
    result_url: str | None = None
    progress: int | None = None
    error_code: int | None = None
    error_reason: str | None = None
    media_duration: float | None = None
    raw: Mapping[str, Any] = field(factory=dict, repr=False, eq=False)


@frozen(slots=True)
class AudioSplits:
    """Subtitle and caption-free files a video translation may return."""

    original_srt_url: str | None = None
    translated_srt_url: str | None = None
    no_caption_video_url: str | None = None


@frozen(slots=True)
class JobResult:
    """What ``await job`` returns for a completed job.

    Attributes:
        id: the job's ``_id``.
        family: the job family's name, e.g. ``"talking_photo"``.
        url: the result file; valid 7 days after generation.
        snapshot: the final status reading (``snapshot.raw`` holds every field).
        audio_splits: subtitle files of a video translation, where given.
    """

    id: str
    family: str
    url: str
    snapshot: JobSnapshot = field(repr=False)
    audio_splits: AudioSplits | None = field(default=None, repr=False)


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


@frozen(slots=True)
class Language:
    """One entry of the language list."""

    lang_code: str
    lang_name: str
    url: str | None = None


@frozen(slots=True)
class Credit:
    """The account's credit balance."""

    credit: float
    raw: Mapping[str, Any] = field(factory=dict, repr=False, eq=False)


# -- response parsing (hot path: no converter) -------------------------------------------------


def _int_or_none(value: Any) -> int | None:
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


def _positive_seconds(value: Any) -> float | None:
    """A finite, positive number of seconds, else None.

    JSON allows Infinity, NaN and integers too large for a float; none is a media length.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:
        return None
    return seconds if 0 < seconds < math.inf else None


def parse_snapshot(
    data: Mapping[str, Any], *, status_field: str, result_field: str, job_id: str | None = None
) -> JobSnapshot:
    """Build a snapshot from one status object.

    Raises:
        ValueError: when the object has no usable id or its status is not 1-4.
    """
    ident = job_id if job_id is not None else data.get("_id")
    if not isinstance(ident, str) or not ident:
        raise ValueError("status object has no _id")
    raw_status = _int_or_none(data.get(status_field))
    if raw_status is None or not 1 <= raw_status <= 4:
        raise ValueError(f"{status_field} is {data.get(status_field)!r}, expected 1-4")
    status = JobStatus(raw_status)
    url = data.get(result_field)
    result_url = url if isinstance(url, str) and url else None
    reason = data.get("error_reason", data.get("error_msg"))
    media = data.get("video_lock_duration")
    return JobSnapshot(
        id=ident,
        status=status,
        result_url=result_url,
        progress=_int_or_none(data.get("progress")),
        error_code=_int_or_none(data.get("error_code")),
        error_reason=reason if isinstance(reason, str) and reason else None,
        media_duration=_positive_seconds(media),
        raw=data,
    )


def parse_audio_splits(raw: Mapping[str, Any]) -> AudioSplits | None:
    """Read ``audio_splits`` from a video-translation status object, if present."""
    splits = raw.get("audio_splits")
    if not isinstance(splits, Mapping):
        return None

    def s(key: str) -> str | None:
        v = splits.get(key)
        return v if isinstance(v, str) and v else None

    return AudioSplits(s("original_srt_url"), s("translated_srt_url"), s("no_caption_video_url"))


# -- request validation ------------------------------------------------------------------------


def _fail(attribute: Attribute[Any], problem: str) -> None:
    raise ValidationError(attribute.alias or attribute.name, problem)


def http_url(_inst: object, attribute: Attribute[Any], value: object) -> None:
    """Validator: a non-empty http(s) URL with a host."""
    if not isinstance(value, str):
        _fail(attribute, f"must be a URL string, got {type(value).__name__}")
    assert isinstance(value, str)
    if not value.strip():
        _fail(attribute, "must not be empty")
    try:
        parts = urlsplit(value)
        _ = parts.port  # a port out of range raises ValueError
    except ValueError:
        _fail(attribute, "is not a valid URL")
        return
    if parts.scheme not in ("http", "https") or not parts.hostname:
        _fail(attribute, "must be an http(s) URL with a host")
    # urlsplit quietly strips leading control characters and drops tabs and newlines, so a
    # URL that parses can still carry them: refuse any whitespace or unprintable character.
    if any(c.isspace() or not c.isprintable() for c in value):
        _fail(attribute, "must not contain whitespace or control characters")


def optional_http_url(inst: object, attribute: Attribute[Any], value: object) -> None:
    """Validator: None or an http(s) URL."""
    if value is not None:
        http_url(inst, attribute, value)


def non_empty_text(_inst: object, attribute: Attribute[Any], value: object) -> None:
    """Validator: a non-blank string."""
    if not isinstance(value, str):
        _fail(attribute, f"must be a string, got {type(value).__name__}")
    assert isinstance(value, str)
    if not value.strip():
        _fail(attribute, "must not be empty")
    if "\x00" in value:
        _fail(attribute, "must not contain NUL")


def _optional_text(inst: object, attribute: Attribute[Any], value: object) -> None:
    if value is not None:
        non_empty_text(inst, attribute, value)


def one_of(*choices: object) -> Any:
    """Validator factory: None or one of ``choices`` (type-exact, so "720" is not 720)."""

    def check(_inst: object, attribute: Attribute[Any], value: object) -> None:
        if value is None:
            return
        if not any(type(value) is type(c) and value == c for c in choices):
            _fail(attribute, f"must be one of {', '.join(repr(c) for c in choices)}; got {value!r}")

    return check


def int_range(lo: int, hi: int) -> Any:
    """Validator factory: None or an int (not bool) in [lo, hi]."""

    def check(_inst: object, attribute: Attribute[Any], value: object) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(attribute, f"must be an integer, got {type(value).__name__}")
        assert isinstance(value, int)
        if not lo <= value <= hi:
            _fail(attribute, f"must be between {lo} and {hi}; got {value}")

    return check


def float_range(lo: float, hi: float) -> Any:
    """Validator factory: None or a finite number in [lo, hi]."""

    def check(_inst: object, attribute: Attribute[Any], value: object) -> None:
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int | float):
            _fail(attribute, f"must be a number, got {type(value).__name__}")
        assert isinstance(value, int | float)
        if not math.isfinite(value) or not lo <= value <= hi:
            _fail(attribute, f"must be between {lo} and {hi}; got {value}")

    return check


def optional_bool(_inst: object, attribute: Attribute[Any], value: object) -> None:
    """Validator: None or a bool."""
    if value is not None and not isinstance(value, bool):
        _fail(attribute, f"must be true or false, got {type(value).__name__}")


def _language_codes(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        _fail(attribute, f"must be a string of language codes, got {type(value).__name__}")
    assert isinstance(value, str)
    codes = [c.strip() for c in value.split(",")]
    if not value.strip() or any(not c for c in codes):
        _fail(attribute, "must list one or more language codes, comma-separated")
    for c in codes:
        if not (1 <= len(c) <= 16) or not all(ch.isalnum() or ch in "-_" for ch in c):
            _fail(attribute, f"{c!r} is not a language code")
    if len(set(codes)) != len(codes):
        _fail(attribute, "lists a language twice")


def _join_languages(value: Any) -> Any:
    """Accept ``["ja", "fr"]`` as well as ``"ja,fr"``."""
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    return value


def _optional_language(inst: object, attribute: Attribute[Any], value: object) -> None:
    if value is not None:
        _language_codes(inst, attribute, value)
        assert isinstance(value, str)
        if "," in value:
            _fail(attribute, "must be a single language code")


def _swap_images(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple | list) or not value:
        _fail(attribute, "must be a non-empty list of images")
    assert isinstance(value, tuple | list)
    for i, item in enumerate(value):
        if not isinstance(item, SwapImage):
            _fail(attribute, f"item {i} must be a SwapImage")


# Each request class is the JSON body of one create endpoint. ``webhook_url`` is renamed to the
# endpoint's spelling by the converter (``webhookUrl`` or ``webhookurl``).


@frozen(slots=True, kw_only=True)
class TalkingPhotoRequest:
    """Body of ``createbytalkingphoto``."""

    talking_photo_url: str = field(validator=http_url)
    audio_url: str = field(validator=http_url)
    prompt: str | None = field(default=None, validator=_optional_text)
    resolution: str | None = field(default=None, validator=one_of("720", "1080"))
    webhook_url: str | None = field(default=None, validator=optional_http_url)


@frozen(slots=True, kw_only=True)
class LipSyncRequest:
    """Body of ``lipsync``."""

    video_url: str = field(validator=http_url)
    audio_url: str = field(validator=http_url)
    webhook_url: str | None = field(default=None, validator=optional_http_url)


@frozen(slots=True, kw_only=True)
class VideoTranslationRequest:
    """Body of ``createbytranslate``. Several languages ("ja,fr") create one job each."""

    url: str = field(validator=http_url)
    language: str = field(converter=_join_languages, validator=_language_codes)
    source_language: str | None = field(default=None, validator=_optional_language)
    lipsync: bool | None = field(default=None, validator=optional_bool)
    speaker_num: int | None = field(default=None, validator=int_range(0, 10))
    remove_bgm: bool | None = field(default=None, validator=optional_bool)
    caption_type: int | None = field(default=None, validator=int_range(0, 4))
    caption_url: str | None = field(default=None, validator=optional_http_url)
    studio_voice: bool | None = field(default=None, validator=optional_bool)
    dynamic_duration: bool | None = field(default=None, validator=optional_bool)
    webhook_url: str | None = field(default=None, validator=optional_http_url)

    @property
    def languages(self) -> list[str]:
        """The target languages, in request order."""
        return [c.strip() for c in self.language.split(",")]


@frozen(slots=True, kw_only=True)
class TalkingAvatarRequest:
    """Body of ``talkingavatar/create``: type 1 speaks ``input_text``, type 2 plays ``url``."""

    avatar_id: str = field(validator=non_empty_text)
    type: int = field(default=1, validator=one_of(1, 2))
    input_text: str | None = field(default=None, validator=_optional_text)
    voice_id: str | None = field(default=None, validator=_optional_text)
    url: str | None = field(default=None, validator=optional_http_url)
    width: int | None = field(default=None, validator=int_range(64, 4096))
    height: int | None = field(default=None, validator=int_range(64, 4096))
    background_url: str | None = field(default=None, validator=optional_http_url)
    webhook_url: str | None = field(default=None, validator=optional_http_url)

    def __attrs_post_init__(self) -> None:
        if self.type == 1:
            if self.input_text is None:
                raise ValidationError("input_text", "is required when type is 1 (text)")
            if self.voice_id is None:
                raise ValidationError("voice_id", "is required when type is 1 (text)")
        elif self.url is None:
            raise ValidationError("url", "is required when type is 2 (audio)")


@frozen(slots=True, kw_only=True)
class SwapImage:
    """One face for face swap: an image URL and, for v3, the face landmarks (``opts``)."""

    path: str = field(validator=http_url)
    opts: str | None = field(default=None, validator=_optional_text)


@frozen(slots=True, kw_only=True)
class FaceSwapRequest:
    """Body of the face-swap endpoints (v3 specifyimage/specifyvideo, v4 faceswapByImage).

    ``modify_url`` is the image or video the faces are swapped into (v3); v4 takes only
    ``source_image`` and ``target_image``.
    """

    source_image: tuple[SwapImage, ...] = field(validator=_swap_images)
    target_image: tuple[SwapImage, ...] = field(validator=_swap_images)
    modify_url: str | None = field(default=None, validator=optional_http_url)
    face_enhance: bool | None = field(default=None, validator=optional_bool)
    webhook_url: str | None = field(default=None, validator=optional_http_url)


@frozen(slots=True, kw_only=True)
class FaceSwapV3Request(FaceSwapRequest):
    """Body of the v3 face-swap endpoints: ``modify_url`` (the image or video) is required."""

    modify_url: str = field(validator=http_url)


_SCALES = ("1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3")


@frozen(slots=True, kw_only=True)
class ImageRequest:
    """Body of ``image/createbyprompt``."""

    prompt: str = field(validator=non_empty_text)
    scale: str | None = field(default=None, validator=one_of(*_SCALES))
    source_image: str | None = field(default=None, validator=optional_http_url)
    webhook_url: str | None = field(default=None, validator=optional_http_url)


@frozen(slots=True, kw_only=True)
class ImageToVideoRequest:
    """Body of ``image2Video/createBySourcePrompt``."""

    image_url: str = field(validator=http_url)
    prompt: str = field(validator=non_empty_text)
    negative_prompt: str | None = field(default=None, validator=_optional_text)
    resolution: str | None = field(default=None, validator=one_of("720p", "1080p"))
    video_length: int | None = field(default=None, validator=one_of(5, 10))
    webhook_url: str | None = field(default=None, validator=optional_http_url)


@frozen(slots=True, kw_only=True)
class TextToVideoRequest:
    """Body of ``text2Video/createByPrompt/batch``; ``count`` videos, one job each."""

    prompt: str = field(validator=non_empty_text)
    resolution: str | None = field(default=None, validator=one_of("720p", "1080p"))
    video_length: int | None = field(default=None, validator=one_of(5, 10))
    count: int | None = field(default=None, validator=int_range(1, 4))
    webhook_url: str | None = field(default=None, validator=optional_http_url)


@frozen(slots=True, kw_only=True)
class TtsRequest:
    """Body of ``audio/create`` (v3 text to speech)."""

    input_text: str = field(validator=non_empty_text)
    voice_code: str = field(validator=non_empty_text)
    speed: float | None = field(default=None, validator=float_range(0.5, 2.0))
    webhook_url: str | None = field(default=None, validator=optional_http_url)
