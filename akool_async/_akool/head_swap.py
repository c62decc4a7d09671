"""Head swap, in two stages (``head-swap/*.mdx``).

1. Person analysis: ``headswap/analyze`` ``{video_url, type: "head"}``, polled at
   ``headswap/analyze/detail?_id=``; once completed, ``analysis_result.media`` lists the people
   found in the video, each with a zero-based ``obj_id`` and a preview image. Its result is data,
   not a file: :class:`HeadSwapAnalysis` reads it from the job's result.
2. The task: ``headswap/task/create`` ``{video_url (the same string), mappings: 1-5 {obj_id,
   img_url}, model_name, resolution, ...}``, polled at ``headswap/task/detail?_id=`` (``status``
   / ``video_url``).

:meth:`HeadSwap.swap` runs both: it analyses the video, gives the people found the reference
faces in order, and creates the task.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, TypedDict, Unpack

import attrs
from attrs import Attribute, field, frozen

from .._converter import join_path, register_structure_hook, register_structure_hook_func
from .._errors import AkoolError, CreationUnknown, ValidationError
from .._family import StatusEndpoint
from .._job import Job
from .._jobmodels import JobResult, int_or_none
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import (
    check_http_url,
    fail,
    http_url,
    one_of,
    optional_bool,
    optional_http_url,
    optional_text,
)
from ._common import akool_family

__all__ = [
    "FAMILIES_PART",
    "DetectedPerson",
    "HeadMapping",
    "HeadSwap",
    "HeadSwapAnalysis",
    "HeadSwapAnalysisRequest",
    "HeadSwapIncomplete",
    "HeadSwapOptions",
    "HeadSwapRequest",
    "HeadSwapVideoInfo",
    "head_mappings",
]

log = logging.getLogger("akool_async")

#: A task replaces at most this many people (``create.mdx``).
MAX_MAPPINGS: Final = 5
MODEL_NAMES: Final = ("akool-premium",)
RESOLUTIONS: Final = ("480p", "720p")
ANALYSIS_STATUS: Final = StatusEndpoint("/api/open/v4/headswap/analyze/detail", id_param="_id")
TASK_STATUS: Final = StatusEndpoint("/api/open/v4/headswap/task/detail", id_param="_id")


def _obj_id(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        fail(attribute, f"must be an integer (an obj_id from the analysis), got {value!r}")
    assert isinstance(value, int)
    if value < 0:
        fail(attribute, f"must be 0 or more, got {value}")


@frozen(slots=True, kw_only=True)
class HeadMapping:
    """One person of the analysed video (``obj_id`` from the analysis) and the reference face
    (``img_url``, one image) to give them."""

    obj_id: int = field(validator=_obj_id)
    img_url: str = field(validator=http_url)


def _mapping_list(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple) or not value:
        fail(attribute, f"must list 1 to {MAX_MAPPINGS} HeadMapping")
    assert isinstance(value, tuple)
    if len(value) > MAX_MAPPINGS:
        fail(attribute, f"takes at most {MAX_MAPPINGS} people per task, got {len(value)}")
    seen: set[int] = set()
    for i, item in enumerate(value):
        if not isinstance(item, HeadMapping):
            fail(attribute, f"item {i} must be a HeadMapping")
        if item.obj_id in seen:
            raise ValidationError(f"mappings[{i}].obj_id", f"{item.obj_id} is mapped twice")
        seen.add(item.obj_id)


def _as_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@frozen(slots=True, kw_only=True)
class HeadSwapAnalysisRequest:
    """Body of ``headswap/analyze``: the source video (``type`` is always ``"head"``)."""

    video_url: str = field(validator=http_url)
    type: str = field(default="head", validator=one_of("head"))

    def __attrs_post_init__(self) -> None:
        if self.type is None:
            raise ValidationError("type", 'is required ("head")')


@frozen(slots=True, kw_only=True)
class HeadSwapRequest:
    """Body of ``headswap/task/create``: ``video_url`` exactly as analysed, 1-5 ``mappings``
    (each ``obj_id`` once), ``model_name`` (``akool-premium``), ``resolution`` 480p or 720p.

    In a manifest, ``mappings`` is a JSON array of ``{obj_id, img_url}``, a JSON object
    ``{"0": url}``, or ``obj_id=img_url`` items (in CSV: ``0=https://a.jpg|1=https://b.jpg``).
    """

    video_url: str = field(validator=http_url)
    mappings: tuple[HeadMapping, ...] = field(converter=_as_tuple, validator=_mapping_list)
    model_name: str = field(default="akool-premium", validator=one_of(*MODEL_NAMES))
    resolution: str = field(default="720p", validator=one_of(*RESOLUTIONS))
    template_id: str | None = field(default=None, validator=optional_text)
    keep_original_sound: bool | None = field(default=None, validator=optional_bool)
    webhook_url: str | None = field(default=None, validator=optional_http_url)

    def __attrs_post_init__(self) -> None:
        for name in ("model_name", "resolution"):
            if getattr(self, name) is None:
                raise ValidationError(name, "is required")


FAMILIES_PART = (
    akool_family(
        "head_swap_analysis",
        "/api/open/v4/headswap/analyze",
        HeadSwapAnalysisRequest,
        ANALYSIS_STATUS,
        status_field="status",
        result_field="analysis_result",
        webhook_key="",
        webhook_type="headswap",
        typical_duration=30.0,
        result_suffix=".json",
        result_is_file=False,
    ),
    akool_family(
        "head_swap",
        "/api/open/v4/headswap/task/create",
        HeadSwapRequest,
        TASK_STATUS,
        status_field="status",
        result_field="video_url",
        webhook_type="headswap",
        typical_duration=180.0,
    ),
)


# -- mappings from untyped values (manifest rows, keyword arguments) -----------------------------


def _structure_mapping(value: Any, _type: Any) -> HeadMapping:
    if isinstance(value, HeadMapping):
        return value
    if isinstance(value, str):
        ident, sep, url = value.partition("=")
        if not sep or not ident.strip().isdecimal():
            raise ValidationError("", f"must be obj_id=img_url, got {value!r}")
        return HeadMapping(obj_id=int(ident), img_url=url.strip())
    if isinstance(value, Mapping):
        extra = sorted(str(k) for k in value if k not in ("obj_id", "img_url"))
        if extra:
            raise ValidationError(extra[0], "unknown field")
        for key in ("obj_id", "img_url"):
            if value.get(key) is None:
                raise ValidationError(key, "is required")
        return HeadMapping(obj_id=value["obj_id"], img_url=value["img_url"])
    raise ValidationError("", f"must be {{obj_id, img_url}}, got {type(value).__name__}")


def _structure_mappings(value: Any, _type: Any) -> tuple[HeadMapping, ...]:
    if isinstance(value, Mapping) and not ({"obj_id", "img_url"} & set(value)):
        # {obj_id: img_url}; JSON spells the keys as text.
        items: Iterable[Any] = [
            {"obj_id": int(k) if isinstance(k, str) and k.isdecimal() else k, "img_url": v}
            for k, v in value.items()
        ]
    elif isinstance(value, str | Mapping):
        items = [value]
    elif isinstance(value, bytes) or not isinstance(value, Iterable):
        shown = type(value).__name__
        raise ValidationError("", f"must be a list of {{obj_id, img_url}}, got {shown}")
    else:
        items = value
    out = []
    for i, item in enumerate(items):
        try:
            out.append(_structure_mapping(item, None))
        except ValidationError as exc:
            raise ValidationError(join_path(f"[{i}]", exc.field), exc.problem) from None
    return tuple(out)


register_structure_hook(HeadMapping, _structure_mapping)
register_structure_hook_func(lambda t: t == tuple[HeadMapping, ...], _structure_mappings)


def head_mappings(value: Any) -> tuple[HeadMapping, ...]:
    """``mappings`` as given to a method (HeadMapping, ``{obj_id, img_url}``, ``"0=url"``, or
    ``{obj_id: img_url}``) as HeadMapping; errors name ``mappings[i]``."""
    try:
        return _structure_mappings(value, None)
    except ValidationError as exc:
        raise ValidationError(join_path("mappings", exc.field), exc.problem) from None


# -- the analysis, read from its result ----------------------------------------------------------


@frozen(slots=True)
class DetectedPerson:
    """One person the analysis found: ``obj_id`` (use it in a mapping) and a preview image."""

    obj_id: int
    img_url: str | None = None
    media_type: str | None = None


@frozen(slots=True)
class HeadSwapVideoInfo:
    """The source video's frame size, rate and length, as the analysis reports them."""

    width: int | None = None
    height: int | None = None
    fps: float | None = None
    frame_count: int | None = None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@frozen(slots=True)
class HeadSwapAnalysis:
    """A finished person analysis.

    Attributes:
        id: the analysis job's ``_id``.
        video_url: the analysed video (create the task with this exact string).
        persons: the people found (``analysis_result.media``), by ``obj_id``.
        detected_objects: the count Akool reports, where given (it may differ from
            ``len(persons)``: the page's own example says 3 beside one entry).
        video_info: the source video's metadata, where given.
        raw: the final status object.
    """

    id: str
    video_url: str | None
    persons: tuple[DetectedPerson, ...]
    detected_objects: int | None = None
    video_info: HeadSwapVideoInfo | None = None
    raw: Mapping[str, Any] = field(factory=dict, repr=False, eq=False)

    @classmethod
    def from_result(cls, result: JobResult) -> HeadSwapAnalysis:
        """Read a ``head_swap_analysis`` job's result (the status object it ended with)."""
        raw = result.snapshot.raw
        found = raw.get("analysis_result")
        analysis: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        media = analysis.get("media")
        persons: dict[int, DetectedPerson] = {}
        for item in media if isinstance(media, list) else []:
            if not isinstance(item, Mapping):
                continue
            ident = item.get("obj_id")
            if isinstance(ident, bool) or not isinstance(ident, int) or ident < 0:
                continue
            preview, kind = _text(item.get("img_url")), _text(item.get("media_type"))
            persons.setdefault(ident, DetectedPerson(ident, preview, kind))
        info = analysis.get("video_info")
        video_info = None
        if isinstance(info, Mapping):
            video_info = HeadSwapVideoInfo(
                width=int_or_none(info.get("width")),
                height=int_or_none(info.get("height")),
                fps=_number(info.get("fps")),
                frame_count=int_or_none(info.get("frame_count")),
            )
        return cls(
            id=result.id,
            video_url=_text(raw.get("video_url")),
            persons=tuple(persons[k] for k in sorted(persons)),
            detected_objects=int_or_none(analysis.get("detected_objects")),
            video_info=video_info,
            raw=raw,
        )

    def mappings(self, heads: Sequence[str]) -> tuple[HeadMapping, ...]:
        """The people found, in ``obj_id`` order, paired with ``heads`` (reference face URLs).

        People beyond ``len(heads)`` keep their own heads.

        Raises:
            HeadSwapIncomplete: fewer people were found than ``heads`` has images.
        """
        if len(self.persons) < len(heads):
            raise HeadSwapIncomplete(
                self,
                f"the analysis found {len(self.persons)} person(s) but {len(heads)} head "
                "image(s) were given; no task was created",
            )
        return tuple(
            HeadMapping(obj_id=p.obj_id, img_url=url)
            for p, url in zip(self.persons, heads, strict=False)
        )


class HeadSwapIncomplete(AkoolError):
    """A head swap stopped after its analysis, before its task was created.

    The analysis exists (and may be billed); nothing of the task was lost: either it was not
    sent, or ``task_error`` says what its create raised (a :class:`CreationUnknown` there carries
    the ids the answer named, also in ``job_ids``).

    Attributes:
        analysis_id: the ``head_swap_analysis`` job's id.
        analysis: what the analysis found.
        task_error: what the task's create raised, or None if it was not sent.
        job_ids: ids of task jobs an unreadable create answer named (usually empty).
    """

    def __init__(
        self, analysis: HeadSwapAnalysis, reason: str, task_error: BaseException | None = None
    ) -> None:
        self.analysis = analysis
        self.analysis_id = analysis.id
        self.task_error = task_error
        self.job_ids = task_error.job_ids if isinstance(task_error, CreationUnknown) else ()
        super().__init__(f"head swap stopped after analysis {analysis.id}: {reason}")


def _head_images(heads: Sequence[str]) -> tuple[str, ...]:
    if isinstance(heads, str) or not isinstance(heads, Sequence) or not heads:
        raise ValidationError("heads", f"must list 1 to {MAX_MAPPINGS} reference face URLs")
    if len(heads) > MAX_MAPPINGS:
        raise ValidationError("heads", f"takes at most {MAX_MAPPINGS} faces, got {len(heads)}")
    for i, url in enumerate(heads):
        check_http_url(f"heads[{i}]", url)
    return tuple(heads)


class HeadSwapOptions(TypedDict, total=False):
    """The task's options beside its video and mappings (see :meth:`HeadSwap.create`)."""

    model_name: str
    resolution: str
    template_id: str | None
    keep_original_sound: bool | None
    webhook_url: str | None


class HeadSwap(Resource):
    """Head swap: analyse a video's people, then give them new heads."""

    _family_name = "head_swap"

    async def analyze(self, *, video_url: str, max_wait: MaxWait = NOT_GIVEN) -> Job:
        """Start the person analysis of ``video_url`` (3-20 s); its result reads as
        :meth:`HeadSwapAnalysis.from_result`."""
        req = HeadSwapAnalysisRequest(video_url=video_url)
        return await self._create_one("head_swap_analysis", req, max_wait)

    async def create(
        self,
        *,
        video_url: str,
        mappings: Sequence[HeadMapping | Mapping[str, Any] | str] | Mapping[int, str],
        model_name: str = "akool-premium",
        resolution: str = "720p",
        template_id: str | None = None,
        keep_original_sound: bool | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Create the head-swap task: ``video_url`` exactly as analysed; ``mappings`` pairs 1-5
        ``obj_id`` of its analysis with reference face URLs (HeadMapping, ``{obj_id, img_url}``,
        or ``{obj_id: img_url}``)."""
        req = HeadSwapRequest(
            video_url=video_url,
            mappings=head_mappings(mappings),
            model_name=model_name,
            resolution=resolution,
            template_id=template_id,
            keep_original_sound=keep_original_sound,
            webhook_url=webhook_url,
        )
        return await self._create_one("head_swap", req, max_wait)

    async def swap(
        self,
        *,
        video_url: str,
        heads: Sequence[str],
        max_wait: MaxWait = NOT_GIVEN,
        **options: Unpack[HeadSwapOptions],
    ) -> Job:
        """Analyse ``video_url``, give the people found (in ``obj_id`` order) the faces of
        ``heads`` (1-5 URLs), and create the task; returns the task's job.

        ``options`` are the task's, as :meth:`create` takes them. Every argument is checked
        before the analysis is created. ``max_wait`` applies to the analysis and to the task,
        each.

        Raises:
            HeadSwapIncomplete: the analysis found fewer people than ``heads`` has images, or
                the task's create failed; it names the analysis.
            JobFailed, JobTimeout: the analysis failed or did not finish in time (naming it).
        """
        images = _head_images(heads)
        placeholder = tuple(HeadMapping(obj_id=i, img_url=u) for i, u in enumerate(images))
        planned = HeadSwapRequest(video_url=video_url, mappings=placeholder, **options)
        analysis_job = await self.analyze(video_url=video_url, max_wait=max_wait)
        log.info("head swap: analysis %s created", analysis_job.id)
        analysis = HeadSwapAnalysis.from_result(await analysis_job)
        request = attrs.evolve(planned, mappings=analysis.mappings(images))
        try:
            return await self._create_one("head_swap", request, max_wait)
        except Exception as exc:
            raise HeadSwapIncomplete(
                analysis, f"the task's create raised {type(exc).__name__}: {exc}", exc
            ) from exc
