"""Request validation: bad arguments raise ValidationError naming the field, before any send."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akool_async import FAMILIES, Session, SwapImage, ValidationError, VoiceOptions
from akool_async._akool.lip_sync import LipSyncRequest
from akool_async._akool.talking_photo import TalkingPhotoRequest
from akool_async._converter import build_request, request_body

from .helpers import IMG, IMG2, MINIMAL_FIELDS, MP3, MP4, pair

pytestmark = pytest.mark.anyio

Call = Callable[[Session], Awaitable[Any]]

#: (case id, call, field the error must name)
_I2V: dict[str, Any] = {**MINIMAL_FIELDS["image2video"]}

RESOURCE_CASES: list[tuple[str, Call, str]] = [
    (
        "tp-ftp-url",
        lambda s: s.talking_photo.create(talking_photo_url="ftp://x.io/a.jpg", audio_url=MP3),
        "talking_photo_url",
    ),
    (
        "tp-no-scheme",
        lambda s: s.talking_photo.create(talking_photo_url=IMG, audio_url="cdn.example.com/a"),
        "audio_url",
    ),
    (
        "tp-no-host",
        lambda s: s.talking_photo.create(talking_photo_url="https:///a.jpg", audio_url=MP3),
        "talking_photo_url",
    ),
    (
        "tp-space-in-url",
        lambda s: s.talking_photo.create(talking_photo_url=IMG + " x", audio_url=MP3),
        "talking_photo_url",
    ),
    (
        "tp-empty-url",
        lambda s: s.talking_photo.create(talking_photo_url="", audio_url=MP3),
        "talking_photo_url",
    ),
    (
        "tp-int-url",
        lambda s: s.talking_photo.create(talking_photo_url=5, audio_url=MP3),
        "talking_photo_url",
    ),
    (
        "tp-resolution-int",
        lambda s: s.talking_photo.create(talking_photo_url=IMG, audio_url=MP3, resolution=720),
        "resolution",
    ),
    (
        "tp-resolution-4k",
        lambda s: s.talking_photo.create(talking_photo_url=IMG, audio_url=MP3, resolution="4k"),
        "resolution",
    ),
    (
        "tp-empty-prompt",
        lambda s: s.talking_photo.create(talking_photo_url=IMG, audio_url=MP3, prompt="  "),
        "prompt",
    ),
    (
        "tp-bad-webhook",
        lambda s: s.talking_photo.create(
            talking_photo_url=IMG, audio_url=MP3, webhook_url="hooks.example.com"
        ),
        "webhook_url",
    ),
    (
        "tp-max-wait-zero",
        lambda s: s.talking_photo.create(talking_photo_url=IMG, audio_url=MP3, max_wait=0),
        "max_wait",
    ),
    (
        "lipsync-bad-video",
        lambda s: s.lip_sync.create(video_url="file:///tmp/a.mp4", audio_url=MP3),
        "video_url",
    ),
    (
        "vt-caption-type-5",
        lambda s: s.video_translation.create(url=MP4, language="ja", caption_type=5),
        "caption_type",
    ),
    (
        "vt-speaker-num-negative",
        lambda s: s.video_translation.create(url=MP4, language="ja", speaker_num=-1),
        "speaker_num",
    ),
    (
        "vt-speaker-num-bool",
        lambda s: s.video_translation.create(url=MP4, language="ja", speaker_num=True),
        "speaker_num",
    ),
    (
        "vt-lipsync-int",
        lambda s: s.video_translation.create(url=MP4, language="ja", lipsync=1),
        "lipsync",
    ),
    ("vt-empty-language", lambda s: s.video_translation.create(url=MP4, language=""), "language"),
    (
        "vt-empty-item",
        lambda s: s.video_translation.create(url=MP4, language="ja,,fr"),
        "language",
    ),
    (
        "vt-empty-list",
        lambda s: s.video_translation.create(url=MP4, language=[]),
        "language",
    ),
    (
        "vt-duplicate",
        lambda s: s.video_translation.create(url=MP4, language=["ja", "ja"]),
        "language",
    ),
    (
        "vt-not-a-code",
        lambda s: s.video_translation.create(url=MP4, language="ja;drop table"),
        "language",
    ),
    (
        "vt-two-sources",
        lambda s: s.video_translation.create(url=MP4, language="ja", source_language="en,fr"),
        "source_language",
    ),
    (
        "vt-bad-caption-url",
        lambda s: s.video_translation.create(url=MP4, language="ja", caption_url="x.srt"),
        "caption_url",
    ),
    ("ta-nothing-to-say", lambda s: s.talking_avatar.create(avatar_id="a"), "input_text"),
    (
        "ta-text-without-voice",
        lambda s: s.talking_avatar.create(avatar_id="a", input_text="hi"),
        "voice_id",
    ),
    (
        "ta-empty-avatar",
        lambda s: s.talking_avatar.create(avatar_id="", input_text="hi", voice_id="v"),
        "avatar_id",
    ),
    (
        "ta-bad-audio-url",
        lambda s: s.talking_avatar.create(avatar_id="a", audio_url="voice.mp3"),
        "audio_url",
    ),
    (
        "ta-bad-background",
        lambda s: s.talking_avatar.create(avatar_id="a", audio_url=MP3, background_url="red"),
        "background_url",
    ),
    (
        "fs-empty-source",
        lambda s: s.faceswap.image(source_image=[], target_image=[IMG2], modify_image=IMG),
        "source_image",
    ),
    (
        "fs-empty-target",
        lambda s: s.faceswap.video(source_image=[IMG], target_image=[], modify_video=MP4),
        "target_image",
    ),
    (
        "fs-string-not-list",
        lambda s: s.faceswap.v4(source_image=IMG, target_image=[IMG2]),
        "source_image",
    ),
    (
        "fs-bad-item",
        lambda s: s.faceswap.v4(source_image=[IMG], target_image=[IMG2, "nope"]),
        "target_image[1].path",
    ),
    (
        "fs-bad-modify",
        lambda s: s.faceswap.image(source_image=[IMG], target_image=[IMG2], modify_image=""),
        "modify_url",
    ),
    (
        "fs-face-enhance-int",
        lambda s: s.faceswap.v4(source_image=[IMG], target_image=[IMG2], face_enhance=1),
        "face_enhance",
    ),
    ("image-empty-prompt", lambda s: s.image.create(prompt=""), "prompt"),
    ("image-bad-scale", lambda s: s.image.create(prompt="x", scale="5:4"), "scale"),
    (
        "i2v-length-7",
        lambda s: s.image_to_video.create(**{**_I2V, "video_length": 7}),
        "video_length",
    ),
    (
        "i2v-resolution-720",
        lambda s: s.image_to_video.create(**{**_I2V, "resolution": "720"}),
        "resolution",
    ),
    (
        "i2v-audio-type-4",
        lambda s: s.image_to_video.create(**{**_I2V, "audio_type": 4}),
        "audio_type",
    ),
    (
        "i2v-custom-audio-without-url",
        lambda s: s.image_to_video.create(**{**_I2V, "audio_type": 2}),
        "audio_url",
    ),
    ("t2v-count-11", lambda s: s.text_to_video.create(prompt="x", count=11), "count"),
    ("t2v-long-prompt", lambda s: s.text_to_video.create(prompt="x" * 5001), "prompt"),
    ("t2v-count-0", lambda s: s.text_to_video.create(prompt="x", count=0), "count"),
    ("t2v-nul-prompt", lambda s: s.text_to_video.create(prompt="a\x00b"), "prompt"),
    ("tts-rate-number", lambda s: s.tts.create(input_text="x", voice_id="v", rate=1.0), "rate"),
    ("tts-rate-101", lambda s: s.tts.create(input_text="x", voice_id="v", rate="101%"), "rate"),
    (
        "tts-old-voice-code",
        lambda s: s.tts.create(input_text="x", voice_id="v", rate="100%", voice_code="v"),
        "voice_code",
    ),
    (
        "tts-old-speed",
        lambda s: s.tts.create(input_text="x", voice_id="v", rate="100%", speed=math.nan),
        "speed",
    ),
    (
        "tts-blank-voice",
        lambda s: s.tts.create(input_text="x", voice_id=" ", rate="1%"),
        "voice_id",
    ),
    (
        "voice-lab-speed",
        lambda s: s.voice_lab.tts(
            input_text="x", voice_id="v", voice_options=VoiceOptions(speed=1.3)
        ),
        "speed",
    ),
]


@pytest.mark.parametrize(
    ("call", "field"), [c[1:] for c in RESOURCE_CASES], ids=[c[0] for c in RESOURCE_CASES]
)
async def test_resource_arguments_validated_before_sending(call: Call, field: str) -> None:
    """A bad resource argument raises ValidationError naming it; nothing reaches the server."""
    async with pair() as (fake, session):
        with pytest.raises(ValidationError) as info:
            await call(session)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert isinstance(info.value, ValueError)
    assert fake.stats.total_requests() == 0


#: (case id, family, fields, field the error must name)
GENERIC_CASES: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "unknown-field",
        "talking_photo",
        {**MINIMAL_FIELDS["talking_photo"], "colour": "red"},
        "colour",
    ),
    # Aliases are accepted (as in manifests), but not together with the field they stand for.
    ("alias-and-field", "lip_sync", {**MINIMAL_FIELDS["lip_sync"], "video": MP4}, "video_url"),
    ("missing-required", "talking_photo", {"talking_photo_url": IMG}, "audio_url"),
    ("required-none", "tts", {"input_text": "x", "voice_id": None, "rate": "1%"}, "voice_id"),
    ("tts-old-name", "tts", {"input_text": "x", "voice_code": "v", "rate": "1%"}, "voice_code"),
    (
        "resolution-int",
        "talking_photo",
        {**MINIMAL_FIELDS["talking_photo"], "resolution": 720},
        "resolution",
    ),
    (
        "caption-5",
        "video_translation",
        {"url": MP4, "language": "ja", "caption_type": 5},
        "caption_type",
    ),
    (
        "speaker-neg",
        "video_translation",
        {"url": MP4, "language": "ja", "speaker_num": -1},
        "speaker_num",
    ),
    ("language-int", "video_translation", {"url": MP4, "language": 7}, "language"),
    ("ta-type-3", "talking_avatar", {"avatar_id": "a", "type": 3, "url": MP3}, "type"),
    ("ta-no-audio", "talking_avatar", {"avatar_id": "a"}, "input_text"),
    ("ta-width", "talking_avatar", {"avatar_id": "a", "audio_url": MP3, "width": 1280}, "width"),
    ("fs-empty", "faceswap_v4", {"source_image": [], "target_image": [IMG]}, "source_image"),
    ("fs-string", "faceswap_v4", {"source_image": IMG, "target_image": [IMG]}, "source_image"),
    (
        "fs-dict",
        "faceswap_v4",
        {"source_image": {"path": IMG}, "target_image": [IMG]},
        "source_image",
    ),
    (
        "fs-bad-path",
        "faceswap_image",
        {**MINIMAL_FIELDS["faceswap_image"], "target_image": ["x"]},
        "target_image[0].path",
    ),
    (
        "fs-extra-key",
        "faceswap_v4",
        {"source_image": [{"path": IMG, "x": 1}], "target_image": [IMG]},
        "source_image[0].x",
    ),
    (
        "fs-opts-int",
        "faceswap_v4",
        {"source_image": [{"path": IMG, "opts": 1}], "target_image": [IMG]},
        "source_image[0].opts",
    ),
    ("fs-item-int", "faceswap_v4", {"source_image": [IMG], "target_image": [3]}, "target_image[0]"),
    (
        "i2v-length-str",
        "image2video",
        {**MINIMAL_FIELDS["image2video"], "video_length": "5"},
        "video_length",
    ),
    ("tts-rate-float", "tts", {**MINIMAL_FIELDS["tts"], "rate": 1.0}, "rate"),
    ("tts-rate-bool", "tts", {**MINIMAL_FIELDS["tts"], "rate": True}, "rate"),
    (
        "voice-lab-options-nested",
        "voice_tts",
        {**MINIMAL_FIELDS["voice_tts"], "voice_options": {"stability": 2}},
        "voice_options.stability",
    ),
    (
        "i2v-batch-count-11",
        "image2video_batch",
        {**MINIMAL_FIELDS["image2video_batch"], "count": 11},
        "count",
    ),
    (
        "i2v-audio-type-3",
        "image2video_audio",
        {**MINIMAL_FIELDS["image2video_audio"], "audio_type": 3},
        "audio_type",
    ),
    ("image-prompt-int", "image", {"prompt": 5}, "prompt"),
]


@pytest.mark.parametrize(
    ("family", "fields", "field"),
    [c[1:] for c in GENERIC_CASES],
    ids=[c[0] for c in GENERIC_CASES],
)
async def test_generic_create_validated_before_sending(
    family: str, fields: dict[str, Any], field: str
) -> None:
    """session.create rejects unknown, missing and bad fields by name, sending nothing."""
    async with pair() as (fake, session):
        with pytest.raises(ValidationError) as info:
            await session.create(family, fields)
    assert info.value.field == field
    assert fake.stats.total_requests() == 0


async def test_generic_create_rejects_unknown_family_and_non_mapping() -> None:
    """An unknown family names `family`; fields that are not a mapping name `request`."""
    async with pair() as (fake, session):
        with pytest.raises(ValidationError) as info:
            await session.create("talking_potato", {})
        assert info.value.field == "family" and "talking_photo" in info.value.problem
        with pytest.raises(ValidationError) as info:
            await session.create("tts", [("input_text", "x")])  # type: ignore[arg-type]
        assert info.value.field == "request"
    assert fake.stats.total_requests() == 0


async def test_track_and_resume_validate() -> None:
    """track() needs a non-empty id and a known family; resume() needs a token we made."""
    async with pair() as (fake, session):
        with pytest.raises(ValidationError) as info:
            session.track("  ", family="tts")
        assert info.value.field == "job_id"
        with pytest.raises(ValidationError) as info:
            session.track("abc", family="nope")
        assert info.value.field == "family"
        for token, field in [
            ("not json", "token"),
            ('{"v": 99}', "token"),
            ('{"v": 1, "id": "a", "family": "tts"}', "token.provider"),
            (
                '{"v": 1, "id": "a", "family": "tts", "provider": "topview", "created": 1}',
                "token.provider",
            ),
        ]:
            with pytest.raises(ValidationError) as info:
                session.resume(token)
            assert info.value.field == field
    assert fake.stats.total_requests() == 0


def test_session_webhook_url_validated() -> None:
    """A bad session-wide webhook_url is refused at construction."""
    with pytest.raises(ValidationError) as info:
        Session(api_key="k", webhook_url="not a url")
    assert info.value.field == "webhook_url"


async def test_valid_edge_values_are_sent() -> None:
    """Boundary values that are valid pass and are sent as given ("720", 0, 4, 10, "0%")."""
    async with pair() as (fake, session):
        await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3, resolution="720")
        await session.video_translation.create(
            url=MP4, language="ja", caption_type=4, speaker_num=10, source_language="en"
        )
        await session.video_translation.create(url=MP4, language="fr", caption_type=0)
        await session.tts.create(input_text="x", voice_id="v", rate="0%")
        await session.text_to_video.create(prompt="x", count=10)
    bodies = fake.stats.create_bodies
    assert bodies[0]["resolution"] == "720"
    assert bodies[1]["caption_type"] == 4 and bodies[1]["speaker_num"] == 10
    assert bodies[2]["caption_type"] == 0
    assert bodies[3]["rate"] == "0%"
    assert bodies[4]["count"] == 10


def test_request_body_drops_none_and_renames() -> None:
    """request_body omits unset fields and uses each endpoint's spelling."""
    req = build_request(
        FAMILIES["faceswap_video"].request_type,
        {"source_image": [{"path": IMG, "opts": "1"}], "target_image": [IMG2], "modify_url": MP4},
    )
    assert request_body(FAMILIES["faceswap_video"], req) == {
        "sourceImage": [{"path": IMG, "opts": "1"}],
        "targetImage": [{"path": IMG2}],
        "modifyVideo": MP4,
    }
    assert isinstance(req.source_image[0], SwapImage)


# -- properties -------------------------------------------------------------------------------


def _is_http_url_with_host(text: str) -> bool:
    try:
        parts = urlsplit(text)
        _ = parts.port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


URL_TEXT = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda scheme, rest: scheme + rest,
        st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "http:", "//", " https://"]),
        st.text(max_size=30),
    ),
    st.from_regex(r"\Ahttps?://[a-z0-9.\-]{0,12}(:[0-9]{1,6})?(/[ -~]{0,12})?\Z"),
)


@settings(max_examples=400, deadline=None)
@given(URL_TEXT)
def test_url_fields_accept_only_http_urls_with_a_host(text: str) -> None:
    """Text passes a URL field only as a clean http(s) URL with a host; else ValidationError."""
    try:
        LipSyncRequest(video_url=text, audio_url=MP3)
    except ValidationError as exc:
        assert exc.field == "video_url"
        return
    assert _is_http_url_with_host(text)
    assert not any(c.isspace() or not c.isprintable() for c in text)


JSONISH = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.sampled_from([IMG, MP3, MP4, "720", "ja,fr", "16:9", "720p"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def family_fields(draw: st.DrawFn) -> tuple[str, dict[Any, Any]]:
    """A family and fields: its own names (some kept valid) mixed with arbitrary keys."""
    name = draw(st.sampled_from(sorted(FAMILIES)))
    known = [a.name for a in attrs.fields(FAMILIES[name].request_type)]
    fields: dict[Any, Any] = {}
    for key in draw(st.lists(st.sampled_from(known), unique=True)):
        if key in MINIMAL_FIELDS[name] and draw(st.booleans()):
            fields[key] = MINIMAL_FIELDS[name][key]
        else:
            fields[key] = draw(JSONISH)
    extra = draw(st.dictionaries(st.text(max_size=6) | st.integers(), JSONISH, max_size=2))
    fields.update(extra)
    return name, fields


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family_fields())
def test_build_request_raises_only_validation_error(case: tuple[str, dict[Any, Any]]) -> None:
    """build_request on arbitrary dicts succeeds or raises ValidationError naming a field."""
    name, fields = case
    fam = FAMILIES[name]
    try:
        req = build_request(fam.request_type, fields)
    except ValidationError as exc:
        known = {a.name for a in attrs.fields(fam.request_type)}
        named = {str(k) for k in fields} | {repr(k) for k in fields} | {"request"}
        assert exc.field
        assert exc.field in named or any(
            exc.field == n or exc.field.startswith((f"{n}.", f"{n}[")) for n in known
        )
        return
    assert isinstance(req, fam.request_type)
    body = request_body(fam, req)
    assert all(v is not None for v in body.values())


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["talking_photo_url", "audio_url", "prompt", "resolution"]), JSONISH
    )
)
def test_talking_photo_constructor_raises_only_validation_error(fields: dict[str, Any]) -> None:
    """A request class raises only ValidationError (or TypeError for a missing keyword)."""
    try:
        TalkingPhotoRequest(**fields)
    except (ValidationError, TypeError) as exc:
        if isinstance(exc, TypeError):
            assert not {"talking_photo_url", "audio_url"} <= fields.keys()
