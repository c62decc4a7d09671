"""Video translation: a video dubbed into one or more languages (``createbytranslate``).

Several languages answer ``all_results`` beside ``data``: one whole envelope per language. An
entry whose code is not 1000 is a language that failed while the others were created (and
billed): the create returns the jobs that exist and reports the failed languages typed
(:class:`TranslationJobs`); only when every language failed does it raise
(:class:`TranslationFailed`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from attrs import Attribute, field, frozen

from .._converter import register_structure_hook
from .._created_jobs import CreateAnswer, CreatedJobs
from .._errors import APIError, InvalidResponse, ValidationError
from .._family import Family
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import (
    fail,
    http_url,
    int_range,
    one_of,
    optional_bool,
    optional_http_url,
)
from ._common import akool_family, snapshot_of

__all__ = [
    "FAMILIES_PART",
    "FailedLanguage",
    "StudioVoice",
    "TranslationFailed",
    "TranslationJobs",
    "VideoTranslation",
    "VideoTranslationRequest",
    "translation_answer",
]

#: The translation styles ``studio_voice.style`` accepts (``openapi/video-translation.yaml``).
STUDIO_STYLES: Final = (
    "affectionate",
    "angry",
    "calm",
    "cheerful",
    "depressed",
    "disgruntled",
    "embarrassed",
    "empathetic",
    "excited",
    "fearful",
    "friendly",
    "unfriendly",
    "sad",
    "serious",
    "relaxed",
    "professional",
)


def _words(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, tuple) or not all(isinstance(w, str) and w.strip() for w in value):
        fail(attribute, "must be a list of non-blank words")


def _word_map(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k.strip() and isinstance(v, str) for k, v in value.items()
    ):
        fail(attribute, "must map words to words (text to text)")


def _tuple_of_words(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(value)
    return value


def _dict_of_words(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value


@frozen(slots=True, kw_only=True)
class StudioVoice:
    """``studio_voice``: words left untranslated, fixed translations, pronunciations, a style."""

    no_translate_words: tuple[str, ...] = field(
        default=(), converter=_tuple_of_words, validator=_words
    )
    fixed_words: Mapping[str, str] = field(
        factory=dict, converter=_dict_of_words, validator=_word_map
    )
    pronounced_words: Mapping[str, str] = field(
        factory=dict, converter=_dict_of_words, validator=_word_map
    )
    style: str = field(default="professional", validator=one_of(*STUDIO_STYLES))


def _structure_studio_voice(value: Any, _type: Any) -> StudioVoice:
    if isinstance(value, StudioVoice):
        return value
    if not isinstance(value, Mapping):
        raise ValidationError("", f"must be an object, got {type(value).__name__}")
    known = {"no_translate_words", "fixed_words", "pronounced_words", "style"}
    extra = sorted(str(k) for k in value if k not in known)
    if extra:
        raise ValidationError(extra[0], "unknown field")
    return StudioVoice(**value)


def _voices_map(value: Any) -> Any:
    """``{"ja": "VOICE"}`` (or the body's own ``{"ja": {"voice_id": "VOICE"}}``) as sent."""
    if not isinstance(value, Mapping):
        return value
    out: dict[Any, Any] = {}
    for lang, voice in value.items():
        if isinstance(voice, Mapping) and set(voice) == {"voice_id"}:
            voice = voice["voice_id"]
        out[lang] = {"voice_id": voice} if isinstance(voice, str) else voice
    return out


def _check_voices_map(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        fail(attribute, "must map language codes to voice ids")
    assert isinstance(value, Mapping)
    for lang, voice in value.items():
        if not isinstance(lang, str) or not lang.strip():
            fail(attribute, "keys must be language codes")
        if not isinstance(voice, Mapping) or not isinstance(voice.get("voice_id"), str):
            raise ValidationError(f"voices_map.{lang}", "must be a voice id (text)")


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


def _optional_studio_voice(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, StudioVoice):
        fail(attribute, "must be a StudioVoice (no_translate_words, fixed_words, ... style)")


register_structure_hook(StudioVoice, _structure_studio_voice)


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
    studio_voice: StudioVoice | None = field(default=None, validator=_optional_studio_voice)
    voices_map: Mapping[str, Any] | None = field(
        default=None, converter=_voices_map, validator=_check_voices_map
    )
    dynamic_duration: bool | None = field(default=None, validator=optional_bool)
    webhook_url: str | None = field(default=None, validator=optional_http_url)

    def __attrs_post_init__(self) -> None:
        for lang in self.voices_map or {}:
            if lang not in self.languages:
                raise ValidationError(f"voices_map.{lang}", "is not one of the target languages")

    @property
    def languages(self) -> list[str]:
        """The target languages, in request order."""
        return [c.strip() for c in self.language.split(",")]


@frozen(slots=True)
class FailedLanguage:
    """A target language Akool refused while the request's other languages were created.

    Attributes:
        language: its code (from the answer, else the requested language no entry accounts
            for; None if it cannot be told).
        code: the entry's code (not 1000).
        message: the entry's ``msg``.
    """

    language: str | None
    code: int | str
    message: str


class TranslationJobs(CreatedJobs[FailedLanguage]):
    """The jobs a translation created, in request order (a list of :class:`~akool_async.Job`),
    and :attr:`failed`: the languages Akool refused while creating the others."""

    __slots__ = ("_labels", "languages")

    def __init__(
        self,
        jobs: Sequence[Job] = (),
        failed: Sequence[FailedLanguage] = (),
        languages: Sequence[str] = (),
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self._labels = dict(labels or {})
        rank = {code: i for i, code in enumerate(languages)}
        # ``failed``: the languages that were not created, with Akool's code and message.
        super().__init__(
            sorted(jobs, key=lambda j: rank.get(self._labels.get(j.id, ""), len(rank))), failed
        )
        #: The target languages requested, in request order.
        self.languages: tuple[str, ...] = tuple(languages)

    def by_language(self) -> list[tuple[str, Job | FailedLanguage]]:
        """Each requested language with its job or its failure, in request order (a part whose
        language the answer does not name comes last, under its job id or its position)."""
        parts: dict[str, Job | FailedLanguage] = {}
        for job in self:
            parts[self._labels.get(job.id) or job.id] = job
        for failure in self.failed:
            parts[failure.language or f"#{len(parts)}"] = failure
        rank = {code: i for i, code in enumerate(self.languages)}
        return sorted(parts.items(), key=lambda item: rank.get(item[0], len(rank)))


class TranslationFailed(APIError):
    """Every language of a translation failed (nothing was created).

    Attributes:
        failed: each language with its code and message; ``code``/``message`` are the first's.
    """

    def __init__(
        self, failed: Sequence[FailedLanguage], *, endpoint: str, body: Mapping[str, Any]
    ) -> None:
        self.failed = tuple(failed)
        first = self.failed[0]
        shown = ", ".join(f"{f.language or '?'}: [{f.code}] {f.message}" for f in self.failed)
        super().__init__(
            first.code, f"every language failed ({shown})", endpoint=endpoint, body=body
        )


def translation_answer(
    fam: Family, envelope: Mapping[str, Any], languages: Sequence[str]
) -> CreateAnswer:
    """A translation's create answer read: one job per created language (``all_results``, else
    ``data``), the failed languages (``languages``, the requested ones, name the entries that
    do not say theirs), and when no language was created, a :class:`TranslationFailed` to
    raise.

    Raises:
        InvalidResponse: when ``all_results`` is not a list of objects.
    """
    endpoint = f"POST {fam.create_path}"
    results = envelope.get("all_results")
    if results is None:  # one language: ``data`` is its job
        data = envelope.get("data")
        if not (isinstance(data, Mapping) and isinstance(data.get("_id"), str)):
            return CreateAnswer()
        results = [{"code": 1000, "data": data}]
    if not isinstance(results, list):
        raise InvalidResponse("all_results is not a list", endpoint=endpoint)
    created: list[Mapping[str, Any]] = []
    refused: list[tuple[str | None, int | str, str]] = []
    for entry in results:
        if not isinstance(entry, Mapping):
            raise InvalidResponse("an all_results entry is not an object", endpoint=endpoint)
        code = entry.get("code")
        data = entry.get("data")
        lang = data.get("language") if isinstance(data, Mapping) else None
        lang = lang if isinstance(lang, str) and lang else None
        if code == 1000 and isinstance(data, Mapping) and isinstance(data.get("_id"), str):
            if data["_id"] and all(data["_id"] != c["_id"] for c in created):
                created.append(data)
        else:
            msg = entry.get("msg")
            shown = code if isinstance(code, int | str) and not isinstance(code, bool) else "?"
            refused.append((lang, shown, msg if isinstance(msg, str) else ""))
    named = {lang for lang, _, _ in refused if lang} | {str(d.get("language")) for d in created}
    unnamed = iter([c for c in languages if c not in named])
    failed = [FailedLanguage(lang or next(unnamed, None), code, msg) for lang, code, msg in refused]
    labels = {
        obj["_id"]: obj["language"] for obj in created if isinstance(obj.get("language"), str)
    }
    refusal = None
    if not created and failed:
        refusal = TranslationFailed(failed, endpoint=endpoint, body=envelope)
    return CreateAnswer(
        [(obj["_id"], snapshot_of(fam, obj)) for obj in created],
        failed,
        refusal,
        labels,
        lambda jobs, answer: TranslationJobs(jobs, answer.failed, languages, answer.labels),
    )


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
        studio_voice: StudioVoice | None = None,
        voices_map: Mapping[str, str] | None = None,
        dynamic_duration: bool | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> TranslationJobs:
        """Create a translation: one job per target language that Akool created.

        Args:
            language: ``"ja"``, ``"ja,fr"`` or ``["ja", "fr"]``.
            source_language: the video's language; ``"DEFAULT"`` detects it.
            caption_type: 0 none, 1 original, 2 target, 3 translate and replace, 4 translated.
            speaker_num: 0-10 (0 = detect).
            studio_voice: untranslated words, fixed translations, pronunciations, style.
            voices_map: language -> voice id (needed where the language list says
                ``need_voice_id``).

        Returns:
            The jobs created; ``.failed`` lists the languages Akool refused (code, message).

        Raises:
            TranslationFailed: every language failed; nothing was created.
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
            voices_map=voices_map,
            dynamic_duration=dynamic_duration,
            webhook_url=webhook_url,
        )
        jobs = await self._create_all("video_translation", req, max_wait)
        return jobs if isinstance(jobs, TranslationJobs) else TranslationJobs(jobs)
