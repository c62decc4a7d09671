"""What TopView's areas share: file references, request bodies, status mapping, typed results.

The request classes (each in its area's module) are attrs classes validated on construction (a
bad argument fails before any request is sent, naming the field in the SDK's snake_case). The JSON
body uses TopView's camelCase names (``productImageFileId``, ``voiceSpeed``, ``noticeUrl``), made
by :func:`request_body`.

File fields take a fileId string or the :class:`UploadedFile` an upload returned; given uploaded
images, a mask whose width and height differ from its image's is refused here, as the docs
require ("productMaskFileId must be consistent with the size of productImageFileId").
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Final

import attrs
from attrs import Attribute, field, frozen

from .._errors import InvalidResponse, ValidationError
from .._jobmodels import JobResult, JobSnapshot, JobStatus, result_missing
from .._validators import fail, float_range

__all__ = [
    "AUDIO",
    "VIDEO",
    "VOICE_SPEED",
    "FileRef",
    "GeneratedMedia",
    "MediaTaskResult",
    "ProductReplaceResult",
    "ReplacedImage",
    "TopViewResult",
    "UploadedFile",
    "as_tuple",
    "build_request",
    "camel",
    "check_mask",
    "file_ref",
    "file_refs",
    "image_file",
    "json_names",
    "kind_file",
    "map_status",
    "optional_file_ref",
    "optional_file_refs",
    "parse_result",
    "parse_status",
    "request_body",
    "wire_name",
]


@frozen(slots=True)
class UploadedFile:
    """A file uploaded to TopView: pass it (or its ``file_id``) to a request's ``*_file_id`` field.

    Attributes:
        file_id: the ``fileId`` the upload credential named.
        format: the upload format (``"png"``, ``"mp4"`` ...).
        size: bytes uploaded.
        width, height: pixel dimensions of an image, where its header could be read.
    """

    file_id: str
    format: str
    size: int
    width: int | None = None
    height: int | None = None

    @property
    def dimensions(self) -> tuple[int, int] | None:
        """``(width, height)`` of an image, None if unknown."""
        if self.width is None or self.height is None:
            return None
        return (self.width, self.height)


FileRef = str | UploadedFile

# -- validators ----------------------------------------------------------------------------------


def file_ref(_inst: object, attribute: Attribute[Any], value: object) -> None:
    """Validator: a fileId string or an :class:`UploadedFile`."""
    if isinstance(value, UploadedFile):
        return
    if not isinstance(value, str):
        fail(attribute, f"must be a fileId string or an UploadedFile, got {type(value).__name__}")
    assert isinstance(value, str)
    if not value.strip():
        fail(attribute, "must not be empty")
    if any(c in value for c in "\x00\r\n\t /?#&"):
        fail(attribute, "is not a fileId")


def optional_file_ref(inst: object, attribute: Attribute[Any], value: object) -> None:
    """Validator: None or a file reference."""
    if value is not None:
        file_ref(inst, attribute, value)


def as_tuple(value: object) -> object:
    """Converter: a list of file references as a tuple (anything else is left to validate)."""
    return tuple(value) if isinstance(value, list) else value


def optional_file_refs(min_items: int) -> Any:
    """Validator factory: None or a tuple of at least ``min_items`` file references."""

    def check(inst: object, attribute: Attribute[Any], value: object) -> None:
        if value is None:
            return
        if not isinstance(value, tuple):
            fail(
                attribute, f"must be a list of fileIds or UploadedFiles, got {type(value).__name__}"
            )
        assert isinstance(value, tuple)
        if len(value) < min_items:
            fail(attribute, f"must list at least {min_items} files; got {len(value)}")
        for item in value:
            file_ref(inst, attribute, item)
            image_file(attribute.name, item)

    return check


def image_file(name: str, value: FileRef | None) -> None:
    """Refuse an upload that is not an image, naming ``name``."""
    if isinstance(value, UploadedFile) and value.format not in (
        "png",
        "jpg",
        "jpeg",
        "bmp",
        "webp",
    ):
        raise ValidationError(name, f"must be an image, got a {value.format} upload")


def kind_file(name: str, value: FileRef | None, formats: frozenset[str], what: str) -> None:
    """Refuse an upload whose format is not in ``formats``, naming ``name``."""
    if isinstance(value, UploadedFile) and value.format not in formats:
        raise ValidationError(name, f"must be {what}, got a {value.format} upload")


#: Upload formats an audio or a video field accepts.
AUDIO: Final = frozenset({"mp3", "wav", "m4a"})
VIDEO: Final = frozenset({"mp4", "avi", "mov"})
#: TopView's voice speed range (``voiceSpeed``), with text to speech.
VOICE_SPEED: Final = float_range(0.8, 1.2)


def check_mask(
    mask_name: str, mask: FileRef | None, image_name: str, image: FileRef | None
) -> None:
    """Refuse a mask whose size differs from its image's (when both sizes are known).

    Raises:
        ValidationError: naming the mask field.
    """
    if mask is None:
        return
    if image is None:
        raise ValidationError(mask_name, f"needs {image_name}: a mask is drawn over an image")
    if isinstance(mask, UploadedFile) and isinstance(image, UploadedFile):
        m, i = mask.dimensions, image.dimensions
        if m is not None and i is not None and m != i:
            raise ValidationError(
                mask_name,
                f"is {m[0]}x{m[1]} but {image_name} is {i[0]}x{i[1]}; "
                "a mask must have the size of its image",
            )


# -- building and serialising requests -----------------------------------------------------------

_CAMEL = re.compile(r"_([a-z0-9])")


def camel(name: str) -> str:
    """``product_image_file_id`` -> ``productImageFileId``; ``webhook_url`` -> ``noticeUrl``."""
    if name == "webhook_url":
        return "noticeUrl"
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def wire_name(cls: type[Any], name: str) -> str:
    """The JSON name of ``cls``'s field ``name``: the class's ``WIRE_NAMES`` entry, else camelCase.

    A request class lists in ``WIRE_NAMES`` the fields whose TopView spelling is not plain
    camelCase (``image2video_prompt`` -> ``image2VideoPrompt``, video avatar's ``mode`` ->
    ``modeType``, text to image's ``generating_count`` -> ``generateCount``).
    """
    names: Mapping[str, str] = getattr(cls, "WIRE_NAMES", {})
    return names.get(name) or camel(name)


def json_names(cls: type[Any], name: str) -> tuple[str, ...]:
    """The JSON spellings a manifest may use for ``name``: TopView's, and plain camelCase."""
    wire = wire_name(cls, name)
    plain = camel(name)
    return (wire,) if wire == plain else (wire, plain)


def request_body(request: Any) -> dict[str, Any]:
    """The JSON body of a request: None dropped, uploads replaced by their fileId."""
    out: dict[str, Any] = {}
    cls = type(request)
    for a in attrs.fields(cls):
        value = getattr(request, a.name)
        if value is None:
            continue
        if isinstance(value, UploadedFile):
            value = value.file_id
        elif isinstance(value, tuple):  # a list of files (``reference_image_file_ids``)
            value = [v.file_id if isinstance(v, UploadedFile) else v for v in value]
        out[wire_name(cls, a.name)] = value
    return out


def file_refs(request: Any) -> dict[str, FileRef]:
    """The request's file fields that are set: SDK name -> fileId or UploadedFile."""
    return {
        a.name: getattr(request, a.name)
        for a in attrs.fields(type(request))
        if a.name.endswith("_file_id") and getattr(request, a.name) is not None
    }


def build_request(cls: type[Any], fields: Mapping[str, Any]) -> Any:
    """Validate untyped fields (a manifest row) into a TopView request object.

    Accepts the SDK's snake_case names and, for convenience, TopView's JSON ones.

    Raises:
        ValidationError: naming the first unknown, missing or bad field; nothing was sent.
    """
    if not isinstance(fields, Mapping):
        raise ValidationError("request", f"must be a mapping, got {type(fields).__name__}")
    names = {a.name: a for a in attrs.fields(cls)}
    by_camel = {spelling: n for n in names for spelling in json_names(cls, n)}
    kwargs: dict[str, Any] = {}
    for key, value in fields.items():
        name = key if key in names else by_camel.get(str(key))
        if name is None:
            raise ValidationError(
                str(key), f"unknown field; expected one of {', '.join(sorted(names))}"
            )
        if name in kwargs:
            raise ValidationError(name, "given twice (snake_case and camelCase)")
        kwargs[name] = value
    for name, a in names.items():
        if a.default is attrs.NOTHING and kwargs.get(name) is None:
            raise ValidationError(name, "is required")
    # None means "not given" in a manifest row: let the default apply.
    kwargs = {k: v for k, v in kwargs.items() if v is not None or names[k].default is None}
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a wrong keyword shape; validators raise ValidationError
        raise ValidationError("request", str(exc)) from None


# -- statuses ------------------------------------------------------------------------------------

#: TopView's status words (lower-cased) -> the SDK's four states. ``success`` and ``fail`` are
#: documented; the others are spellings seen across TopView's endpoints and their docs.
STATUS_WORDS: Final[dict[str, JobStatus]] = {
    "init": JobStatus.QUEUEING,
    "initial": JobStatus.QUEUEING,
    "created": JobStatus.QUEUEING,
    "submitted": JobStatus.QUEUEING,
    "pending": JobStatus.QUEUEING,
    "waiting": JobStatus.QUEUEING,
    "wait": JobStatus.QUEUEING,
    "queued": JobStatus.QUEUEING,
    "queue": JobStatus.QUEUEING,
    "queuing": JobStatus.QUEUEING,
    "queueing": JobStatus.QUEUEING,
    "running": JobStatus.PROCESSING,
    "processing": JobStatus.PROCESSING,
    "in_progress": JobStatus.PROCESSING,
    "in-progress": JobStatus.PROCESSING,
    "inprogress": JobStatus.PROCESSING,
    "doing": JobStatus.PROCESSING,
    "generating": JobStatus.PROCESSING,
    "success": JobStatus.COMPLETED,
    "succeeded": JobStatus.COMPLETED,
    "succeed": JobStatus.COMPLETED,
    "completed": JobStatus.COMPLETED,
    "complete": JobStatus.COMPLETED,
    "finished": JobStatus.COMPLETED,
    "finish": JobStatus.COMPLETED,
    "done": JobStatus.COMPLETED,
    "fail": JobStatus.FAILED,
    "failed": JobStatus.FAILED,
    "failure": JobStatus.FAILED,
    "error": JobStatus.FAILED,
    "cancelled": JobStatus.FAILED,
    "canceled": JobStatus.FAILED,
    "timeout": JobStatus.FAILED,
}


def map_status(value: object) -> JobStatus | None:
    """A TopView status word as a :class:`JobStatus`; None if unknown."""
    if not isinstance(value, str):
        return None
    return STATUS_WORDS.get(value.strip().lower())


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _item_failed(item: Mapping[str, Any]) -> bool:
    """Whether one listed result says it failed (a task may succeed with some items failed)."""
    return map_status(item.get("status")) is JobStatus.FAILED


def _item_url(item: Mapping[str, Any]) -> str | None:
    """The URL of one listed result: a flat field, or image to video's ``originVideo.filePath``."""
    if _item_failed(item):
        return None
    for key in _ITEM_URLS:
        url = _str(item.get(key))
        if url is not None:
            return url
    origin = item.get("originVideo")
    return _str(origin.get("filePath")) if isinstance(origin, Mapping) else None


def _urls_in(items: object) -> list[str]:
    out: list[str] = []
    if isinstance(items, list):
        for item in items:
            if isinstance(item, str) and item:
                out.append(item)
            elif isinstance(item, Mapping):
                url = _item_url(item)
                if url is not None:
                    out.append(url)
    return out


#: Where each family's query answer holds its results: single-URL fields, then lists of objects.
#: ``outputVideoUrl`` is where video avatar's answer puts its video (every public caller reads it).
_URL_FIELDS: Final = (
    "finishedVideoUrl",
    "outputVideoUrl",
    "videoUrl",
    "imageUrl",
    "url",
    "resultUrl",
)
_LIST_FIELDS: Final = (
    "productReplaceResult",
    "videos",
    "videoList",
    "images",
    "imageList",
    "results",
    "resultList",
    "previewVideos",
    "exportVideos",
)
_ITEM_URLS: Final = ("url", "videoUrl", "imageUrl", "finishedVideoUrl", "fileUrl", "filePath")
#: Where a completed answer was searched, for the error when none holds a URL.
_SEARCHED: Final = (
    f"result.{{{', '.join(_URL_FIELDS)}}} or an item of result.{{{', '.join(_LIST_FIELDS)}}}"
)


def result_urls(result: Mapping[str, Any]) -> list[str]:
    """Every result URL of a query answer, main one first."""
    urls: list[str] = []
    for key in _URL_FIELDS:
        url = _str(result.get(key))
        if url is not None and url not in urls:
            urls.append(url)
    for key in _LIST_FIELDS:
        for url in _urls_in(result.get(key)):
            if url not in urls:
                urls.append(url)
    return urls


def parse_status(result: Mapping[str, Any], job_id: str, endpoint: str) -> JobSnapshot:
    """A snapshot from a query answer's ``result`` object.

    The status is read from ``status`` or ``taskStatus`` (the replace-image query spells it so).
    A success without any result URL reads as failed (``missing_result`` set): polling on would
    only reach the deadline.

    Raises:
        InvalidResponse: no status, or one this SDK does not know (the poll is retried).
    """
    raw = result.get("status")
    if raw is None:
        raw = result.get("taskStatus")
    status = map_status(raw)
    if status is None:
        raise InvalidResponse(f"unknown TopView task status {raw!r}", endpoint=endpoint)
    urls = result_urls(result) if status is JobStatus.COMPLETED else []
    if status is JobStatus.COMPLETED and not urls:
        return result_missing(job_id, result, _SEARCHED)
    reason = _str(result.get("errorMsg")) or _str(result.get("errorMessage"))
    progress = result.get("progress")
    return JobSnapshot(
        id=job_id,
        status=status,
        result_url=urls[0] if urls else None,
        progress=progress if isinstance(progress, int) and not isinstance(progress, bool) else None,
        error_reason=reason if status is JobStatus.FAILED else None,
        raw=result,
    )


# -- typed results -------------------------------------------------------------------------------


@frozen(slots=True)
class ReplacedImage:
    """One image of a replace-product task: pass ``key`` to Product Avatar - Image2Video."""

    key: str
    url: str
    face_existence: bool | None = None


@frozen(slots=True)
class ProductReplaceResult:
    """The result of Product Avatar - Replace Product Image.

    Attributes:
        task_id: the task.
        images: ``productReplaceResult[]`` in order.
        raw: the query answer's ``result`` object.
    """

    task_id: str
    images: tuple[ReplacedImage, ...]
    raw: Mapping[str, Any] = field(factory=dict, repr=False, eq=False)

    @property
    def keys(self) -> list[str]:
        """Every ``productReplaceResult[].key``."""
        return [i.key for i in self.images]

    @property
    def first(self) -> ReplacedImage:
        """The first image (a task yields at least one)."""
        return self.images[0]


@frozen(slots=True)
class GeneratedMedia:
    """One video or image a task produced."""

    url: str
    cover_url: str | None = None
    duration: float | None = None


@frozen(slots=True)
class MediaTaskResult:
    """The result of a video or image task (every family but replace-product).

    Attributes:
        task_id: the task.
        kind: ``"video"`` or ``"image"``.
        media: every file produced (``generating_count`` of them), main one first.
        raw: the query answer's ``result`` object.
        cost_credit: the credits the task cost (``costCredit``), where the answer gives it.
        failed: the ``errorMsg`` of each listed item that failed while the task succeeded
            (image to video v2 reports each of its ``generating_count`` videos apart).
    """

    task_id: str
    kind: str
    media: tuple[GeneratedMedia, ...]
    raw: Mapping[str, Any] = field(factory=dict, repr=False, eq=False)
    cost_credit: float | None = None
    failed: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        """The main file's URL."""
        return self.media[0].url


TopViewResult = ProductReplaceResult | MediaTaskResult


def _number(value: object) -> float | None:
    if isinstance(value, str):  # ``"costCredit": "10.00"`` is seen too
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def parse_result(result: JobResult) -> TopViewResult:
    """The typed result of a finished TopView job (``await job`` gives the untyped one).

    Raises:
        InvalidResponse: a replace-product answer without ``productReplaceResult`` keys.
    """
    raw = result.snapshot.raw
    if result.family == "topview_product_replace":
        images = []
        for item in raw.get("productReplaceResult") or ():
            if not isinstance(item, Mapping):
                continue
            key, url = _str(item.get("key")), _str(item.get("url"))
            if key is None or url is None:
                continue
            face = item.get("faceExistence")
            images.append(ReplacedImage(key, url, face if isinstance(face, bool) else None))
        if not images:
            raise InvalidResponse("replace-product result has no productReplaceResult[].key")
        return ProductReplaceResult(result.id, tuple(images), raw)
    kind = "image" if result.family == "topview_text2image" else "video"
    media: list[GeneratedMedia] = []
    failed: list[str] = []
    seen: set[str] = set()
    for key in _LIST_FIELDS:
        items = raw.get(key)
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, Mapping):
                continue
            if _item_failed(item):
                failed.append(_str(item.get("errorMsg")) or "failed")
                continue
            url = _item_url(item)
            if url is None or url in seen:
                continue
            seen.add(url)
            duration = _number(item.get("videoDuration", item.get("duration")))
            media.append(GeneratedMedia(url, _str(item.get("coverUrl")), duration))
    main = next((m for m in media if m.url == result.url), None)
    if main is None:
        main = GeneratedMedia(result.url, _str(raw.get("coverUrl")))
    else:
        media.remove(main)
    media.insert(0, main)
    cost = _number(raw.get("costCredit"))
    return MediaTaskResult(result.id, kind, tuple(media), raw, cost, tuple(failed))
