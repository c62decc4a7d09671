"""Video translation: a video dubbed into one or more languages (``createbytranslate``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from attrs import Attribute, field, frozen

from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import fail, http_url, int_range, optional_bool, optional_http_url
from ._common import akool_family

__all__ = ["FAMILIES_PART", "VideoTranslation", "VideoTranslationRequest"]


def _language_codes(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        fail(attribute, f"must be a string of language codes, got {type(value).__name__}")
    assert isinstance(value, str)
    codes = [c.strip() for c in value.split(",")]
    if not value.strip() or any(not c for c in codes):
        fail(attribute, "must list one or more language codes, comma-separated")
    for c in codes:
        if not (1 <= len(c) <= 16) or not all(ch.isalnum() or ch in "-_" for ch in c):
            fail(attribute, f"{c!r} is not a language code")
    if len(set(codes)) != len(codes):
        fail(attribute, "lists a language twice")


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
            fail(attribute, "must be a single language code")


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


FAMILIES_PART = (
    akool_family(
        "video_translation",
        "/api/open/v3/content/video/createbytranslate",
        VideoTranslationRequest,
        webhook_type="video translate",
        created_ids="all_results",
        typical_duration=180.0,
    ),
)


class VideoTranslation(Resource):
    """Translate a video into one or more languages (one job per language)."""

    _family_name = "video_translation"

    async def create(
        self,
        *,
        url: str,
        language: str | Sequence[str],
        source_language: str | None = None,
        lipsync: bool | None = None,
        speaker_num: int | None = None,
        remove_bgm: bool | None = None,
        caption_type: int | None = None,
        caption_url: str | None = None,
        studio_voice: bool | None = None,
        dynamic_duration: bool | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> list[Job]:
        """Create a translation; returns one job per target language, in request order.

        Args:
            language: ``"ja"``, ``"ja,fr"`` or ``["ja", "fr"]``.
            caption_type: 0-4.
            speaker_num: 0-10 (0 = detect).
        """
        req = VideoTranslationRequest(
            url=url,
            language=language,
            source_language=source_language,
            lipsync=lipsync,
            speaker_num=speaker_num,
            remove_bgm=remove_bgm,
            caption_type=caption_type,
            caption_url=caption_url,
            studio_voice=studio_voice,
            dynamic_duration=dynamic_duration,
            webhook_url=webhook_url,
        )
        return await self._create_all("video_translation", req, max_wait)
