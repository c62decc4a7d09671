"""Moderation: Jarvis Moderator checks an image, a video, an audio or a text for content that
breaks policy (``content/analysis/sentiment``), polled at ``content/analysis/infobyid``.

A finished check has no result file: its ``result`` is the moderator's text and
``final_conclusion`` its verdict (``jarvis-moderator.mdx``). The family says so
(``result_is_file=False``): the job's :attr:`~akool_async.JobResult.text` holds the findings,
nothing is downloaded, and :class:`ModerationResult` reads both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from attrs import field, frozen

from .._errors import ValidationError
from .._family import StatusEndpoint
from .._job import Job
from .._jobmodels import JobResult
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import check_http_url, non_empty_text, one_of, optional_http_url, optional_text
from ._common import akool_family

__all__ = ["FAMILIES_PART", "Moderation", "ModerationRequest", "ModerationResult"]

#: ``type`` of the content: its name -> Akool's number.
CONTENT_TYPES: Final[Mapping[str, int]] = {"image": 1, "video": 2, "audio": 3, "text": 4}


def _content_type(value: Any) -> Any:
    return CONTENT_TYPES.get(value, value) if isinstance(value, str) else value


@frozen(slots=True, kw_only=True)
class ModerationRequest:
    """Body of ``content/analysis/sentiment``: ``content`` is a URL (image, video, audio) or a
    text or a text file's URL; ``content_type`` (sent as ``type``) 1 image, 2 video, 3 audio,
    4 text, or the name; ``language`` ISO-639-1; ``input`` what to look for, in words."""

    content: str = field(validator=non_empty_text)
    content_type: int = field(converter=_content_type, validator=one_of(1, 2, 3, 4))
    language: str | None = field(default=None, validator=optional_text)
    input: str | None = field(default=None, validator=optional_text)
    webhook_url: str | None = field(default=None, validator=optional_http_url)

    def __attrs_post_init__(self) -> None:
        if self.content_type is None:
            raise ValidationError("content_type", "is required (image, video, audio or text)")
        if self.content_type != 4:
            check_http_url("content", self.content)


FAMILIES_PART = (
    akool_family(
        "moderation",
        "/api/open/v3/content/analysis/sentiment",
        ModerationRequest,
        StatusEndpoint("/api/open/v3/content/analysis/infobyid", id_param="_id"),
        status_field="status",
        result_field="result",
        webhook_type="sentiment analysis",
        renames={"content_type": "type"},
        typical_duration=30.0,
        result_suffix=".txt",
        result_is_file=False,
    ),
)


@frozen(slots=True)
class ModerationResult:
    """A finished moderation check.

    Attributes:
        id: the job's ``_id``.
        conclusion: ``"Compliant"``, ``"Non-Compliant"`` or ``"Unknown"`` (None if not given).
        detail: the moderator's findings as text.
        raw: the final status object.
    """

    id: str
    conclusion: str | None
    detail: str
    raw: Mapping[str, Any] = field(factory=dict, repr=False, eq=False)

    @property
    def compliant(self) -> bool | None:
        """True for Compliant, False for Non-Compliant, None when the verdict is unknown."""
        return {"Compliant": True, "Non-Compliant": False}.get(self.conclusion or "")

    @classmethod
    def from_result(cls, result: JobResult) -> ModerationResult:
        """Read a moderation job's result (its ``text`` holds the findings)."""
        raw = result.snapshot.raw
        conclusion = raw.get("final_conclusion")
        detail = result.text
        if detail is None:
            found = raw.get("result")
            detail = found if isinstance(found, str) else ""
        return cls(
            id=result.id,
            conclusion=conclusion if isinstance(conclusion, str) and conclusion else None,
            detail=detail,
            raw=raw,
        )


class Moderation(Resource):
    """Jarvis Moderator: content checks (enterprise accounts)."""

    _family_name = "moderation"

    async def create(
        self,
        *,
        content: str,
        content_type: int | str,
        language: str | None = None,
        input: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Start a check of ``content`` (a URL, or a text when ``content_type`` is text/4).

        Args:
            content: the media URL, or the text (or a text file's URL) for type 4.
            content_type: 1 image, 2 video, 3 audio, 4 text, or one of those names.
            language: ISO-639-1 code of the speech or text (helps types 2-4).
            input: what to look for, in your words.
            webhook_url: where Akool posts status changes.
            max_wait: deadline for ``await job`` in seconds; None waits forever.
        """
        req = ModerationRequest(
            content=content,
            content_type=content_type,
            language=language,
            input=input,
            webhook_url=webhook_url,
        )
        return await self._create_one("moderation", req, max_wait)

    async def check(
        self,
        *,
        content: str,
        content_type: int | str,
        language: str | None = None,
        input: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> ModerationResult:
        """Start a check and wait for its verdict."""
        job = await self.create(
            content=content,
            content_type=content_type,
            language=language,
            input=input,
            max_wait=max_wait,
        )
        return ModerationResult.from_result(await job)
