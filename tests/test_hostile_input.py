"""Hostile input, both ways.

From the caller: hypothesis garbage (wrong types, None, nesting, huge and unicode strings, control
characters, unknown names) for every public create method, ``session.create``, manifest rows and
manifest text raises ValidationError/ManifestError (TypeError only where Python's own call
binding rejects the keywords) and sends nothing.

From the server: a hostile aiohttp app on 127.0.0.1 answers with wrong types, missing fields,
non-JSON, wrong content types, huge and deeply nested bodies, NaN/Infinity, statuses outside 1-4,
unknown codes, malformed HTTP. Direct calls raise AkoolError subclasses only; the scheduler never
crashes and never hangs (every job ends in a typed error by its deadline, and polling still works
afterwards).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akool_async import (
    FAMILIES,
    AkoolError,
    CreationUnknown,
    Job,
    JobResult,
    JobTimeout,
    RetryPolicy,
    ScaledClock,
    Session,
    SwapImage,
    ValidationError,
)
from akool_async._batch import ManifestError, parse_manifest, validate_rows
from akool_async._job import decode_token
from akool_async.testing import FakeAkool

from .helpers import API_KEY, IMG, MINIMAL_FIELDS, MP3, MP4, fast_config, serve_app

SPEED = 1000.0
FAST = RetryPolicy(base=0.001, cap=0.01, max_retries=1)

# -- garbage ------------------------------------------------------------------------------------

HUGE = "x" * 1_000_000
TRICKY: list[Any] = [
    "",
    " ",
    "\x00",
    "\r\n",
    "http://",
    "https://",
    "https://exa mple.com/a.jpg",
    "https://example.com/\x00.jpg",
    "\thttps://example.com/a.jpg",
    "https://example.com/a.jpg\n",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "//example.com/a.jpg",
    "https://[::1/a",
    "https://example.com:99999/a",
    "https://user:pw@example.com/a.jpg",
    "ja,,fr",
    "ja,ja",
    "\u202eevil",
    "\ud800",
    "😀" * 500,
    "https://example.com/" + "a" * 300_000,
    HUGE,
    math.nan,
    math.inf,
    -math.inf,
    -0.0,
    2**70,
    -(2**70),
    b"https://example.com/a.jpg",
    bytearray(b"x"),
    object(),
    SwapImage(path=IMG),
    [SwapImage(path=IMG), None],
    {"path": IMG, "opts": 1},
    [[IMG]],
    {IMG},
    (IMG,),
    range(3),
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text()
    | st.text(st.characters(codec="utf-8", categories=["Cc", "Cf", "Zl", "Zp", "Co"]))
    | st.binary(max_size=8)
    | st.sampled_from(TRICKY)
)
HASHABLE = st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.binary(max_size=4)
NUMBERS = st.none() | st.booleans() | st.integers() | st.floats()
GARBAGE = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        | st.tuples(inner, inner)
    ),
    max_leaves=6,
)

#: Plausible valid values, by parameter name: garbage is mixed with them so that validation is
#: exercised past its first field.
VALID: dict[str, list[Any]] = {
    "talking_photo_url": [IMG],
    "audio_url": [MP3],
    "video_url": [MP4],
    "url": [MP4],
    "modify_image": [IMG],
    "modify_video": [MP4],
    "image_url": [IMG],
    "background_url": [IMG],
    "caption_url": ["https://cdn.example.com/c.srt"],
    "source_image": [[IMG], [SwapImage(path=IMG, opts="1,2")]],
    "target_image": [["https://cdn.example.com/t.jpg"]],
    "language": ["ja", "ja,fr", ["ja", "fr"]],
    "source_language": ["en"],
    "prompt": ["a red fox"],
    "negative_prompt": ["blur"],
    "avatar_id": ["dvp_Tristan"],
    "input_text": ["hello"],
    "voice_id": ["v1"],
    "rate": ["100%"],
    "audio_type": [3],
    "voice_url": [MP3],
    "source_voice_file": [MP3],
    "pre_video_id": ["6891a07f5d612f78c9204f1c"],
    "voice_options": [None],
    "resolution": ["720", "1080", "720p"],
    "scale": ["1:1"],
    "video_length": [5],
    "count": [1, 2],
    "speed": [1.0],
    "width": [512],
    "height": [512],
    "speaker_num": [0],
    "caption_type": [1],
    "lipsync": [True],
    "remove_bgm": [False],
    "studio_voice": [True],
    "dynamic_duration": [False],
    "face_enhance": [True],
    "source_url": [IMG],
    "target_url": [MP4],
    "single_face_mode": [True],
    "model_style": ["realistic"],
    "model_name": ["akool_faceswap_image_hq"],
    "face_mapping": [
        [{"source_face_info": {"face_url": IMG}, "target_face_info": {"bbox": [1, 2, 3, 4]}}]
    ],
    "face_reage": [-30, 10],
    "image_id": ["65d3206b83ccf5ab7d46cdc6"],
    "button": ["U1", "V4"],
    "index": [1, 4],
    "content": [IMG, "some text"],
    "content_type": [1, "text"],
    "input": ["insults"],
    "webhook_url": ["https://hooks.example.com/akool"],
    "max_wait": [5.0, None],
}

Method = Callable[..., Awaitable[Any]]


def _methods(session: Session) -> dict[str, Method]:
    """Every public create method of a session."""
    return {
        "talking_photo.create": session.talking_photo.create,
        "lip_sync.create": session.lip_sync.create,
        "video_translation.create": session.video_translation.create,
        "talking_avatar.create": session.talking_avatar.create,
        "faceswap.image": session.faceswap.image,
        "faceswap.video": session.faceswap.video,
        "faceswap.v4": session.faceswap.v4,
        "faceswap.plus": session.faceswap.plus,
        "reage.image": session.reage.image,
        "reage.video": session.reage.video,
        "image.create": session.image.create,
        "image.button": session.image.button,
        "image.upscale": session.image.upscale,
        "image.variation": session.image.variation,
        "moderation.create": session.moderation.create,
        "image_to_video.create": session.image_to_video.create,
        "text_to_video.create": session.text_to_video.create,
        "tts.create": session.tts.create,
        "tts.clone": session.tts.clone,
        "image_to_video.create_batch": session.image_to_video.create_batch,
        "image_to_video.update_audio": session.image_to_video.update_audio,
        "voice_lab.tts": session.voice_lab.tts,
        "voice_lab.clone": session.voice_lab.clone,
        "voice_lab.change": session.voice_lab.change,
    }


_SIGNATURES = {
    name: inspect.signature(method) for name, method in _methods(Session(api_key=API_KEY)).items()
}


@st.composite
def method_call(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A create method and keyword arguments: each parameter left out, valid, or garbage;
    sometimes an unknown keyword."""
    name = draw(st.sampled_from(sorted(_SIGNATURES)))
    kwargs: dict[str, Any] = {}
    for param in _SIGNATURES[name].parameters:
        choice = draw(st.sampled_from(["omit", "valid", "valid", "garbage"]))
        if choice == "valid" and param in VALID:
            kwargs[param] = draw(st.sampled_from(VALID[param]))
        elif choice == "garbage":
            kwargs[param] = draw(GARBAGE | NUMBERS) if param == "max_wait" else draw(GARBAGE)
    if draw(st.integers(0, 9)) == 0:
        kwargs[draw(st.sampled_from(["colour", "webhookUrl", "api_key", "_id"]))] = draw(GARBAGE)
    return name, kwargs


def _binds(name: str, kwargs: dict[str, Any]) -> bool:
    try:
        _SIGNATURES[name].bind(**kwargs)
    except TypeError:
        return False
    return True


@asynccontextmanager
async def _fake_pair() -> AsyncIterator[tuple[FakeAkool, Session]]:
    clock = ScaledClock(SPEED)
    async with (
        FakeAkool(fast_config(), clock=clock) as fake,
        Session(api_key=API_KEY, base_url=fake.base_url, clock=clock, retry=FAST) as session,
    ):
        yield fake, session


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(calls=st.lists(method_call(), min_size=1, max_size=10))
def test_create_methods_reject_garbage_before_sending(
    calls: list[tuple[str, dict[str, Any]]],
) -> None:
    """Garbage to any create method: ValidationError (or binding TypeError), nothing sent."""

    async def main() -> None:
        async with _fake_pair() as (fake, session):
            methods = _methods(session)
            for name, kwargs in calls:
                before = fake.stats.total_requests()
                try:
                    result = await methods[name](**kwargs)
                except ValidationError as exc:
                    assert exc.field, exc
                    assert fake.stats.total_requests() == before, (name, kwargs)
                except TypeError:
                    assert not _binds(name, kwargs), (name, kwargs)
                    assert fake.stats.total_requests() == before
                else:
                    assert _binds(name, kwargs)
                    assert fake.stats.total_requests() == before + 1
                    for job in result if isinstance(result, list) else [result]:
                        assert isinstance(job, Job)
                        job.stop()

    anyio.run(main)


FAMILY_NAMES = sorted(FAMILIES)
V3_FACESWAP = ("faceswap_image", "faceswap_video")


@st.composite
def generic_fields(draw: st.DrawFn) -> tuple[Any, Any]:
    """``session.create`` arguments: a family (sometimes garbage) and fields (sometimes not a
    mapping), built from the family's own field names, valid values and garbage."""
    family = draw(st.sampled_from(FAMILY_NAMES) | GARBAGE)
    if draw(st.integers(0, 9)) == 0:
        return family, draw(GARBAGE)
    known = MINIMAL_FIELDS.get(family, {}) if isinstance(family, str) else {}
    fields: dict[Any, Any] = {}
    for key, value in known.items():
        choice = draw(st.sampled_from(["omit", "valid", "valid", "garbage"]))
        if choice == "valid":
            fields[key] = value
        elif choice == "garbage":
            fields[key] = draw(GARBAGE)
    fields.update(draw(st.dictionaries(st.text(max_size=8) | st.integers(), GARBAGE, max_size=2)))
    return family, fields


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(calls=st.lists(generic_fields(), min_size=1, max_size=10))
def test_generic_create_rejects_garbage_before_sending(calls: list[tuple[Any, Any]]) -> None:
    """session.create with garbage raises only ValidationError and sends nothing."""

    async def main() -> None:
        async with _fake_pair() as (fake, session):
            for family, fields in calls:
                before = fake.stats.total_requests()
                try:
                    jobs = await session.create(family, fields)
                except ValidationError:
                    assert fake.stats.total_requests() == before
                else:
                    assert fake.stats.total_requests() == before + 1
                    for job in jobs:
                        job.stop()

    anyio.run(main)


@pytest.mark.anyio
@pytest.mark.parametrize("family", V3_FACESWAP)
async def test_v3_faceswap_without_modify_url_is_validation_error(family: str) -> None:
    """A v3 face swap without modify_url is a ValidationError naming it; nothing is sent."""
    async with _fake_pair() as (fake, session):
        with pytest.raises(ValidationError) as info:
            await session.create(family, {"source_image": [IMG], "target_image": [IMG]})
    assert info.value.field == "modify_url"
    assert fake.stats.total_requests() == 0


@st.composite
def manifest_row(draw: st.DrawFn) -> Any:
    """A manifest row as Python gives it: a mapping of garbage around a family's fields, or
    not a mapping at all."""
    if draw(st.integers(0, 14)) == 0:
        return draw(GARBAGE)
    family = draw(st.sampled_from([*FAMILY_NAMES, "lipsync", "translate"]) | GARBAGE)
    row: dict[Any, Any] = {}
    if draw(st.booleans()):
        row["family"] = family
    if draw(st.booleans()):
        row["id"] = draw(st.text(max_size=12) | GARBAGE)
    base = MINIMAL_FIELDS.get(family, {}) if isinstance(family, str) else {}
    for key, value in base.items():
        if draw(st.integers(0, 3)):
            row[key] = value if draw(st.booleans()) else draw(GARBAGE)
    row.update(draw(st.dictionaries(HASHABLE, GARBAGE, max_size=2)))
    if family in V3_FACESWAP and row.get("modify_url") is None:
        row["modify_url"] = IMG  # the known bug pinned above
    return row


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=st.lists(manifest_row(), max_size=6))
def test_manifest_rows_reject_garbage_before_sending(rows: list[Any]) -> None:
    """Garbage manifest rows raise only ManifestError; run_batch refuses them, sending nothing."""
    from akool_async._batch import run_batch

    try:
        manifest = validate_rows(rows)
    except ManifestError as exc:
        assert exc.problems
        assert all(p.line >= 0 for p in exc.problems)
        manifest = None
    if manifest is not None:
        for row in manifest.rows:
            assert row.family in FAMILIES

    async def main() -> None:
        async with _fake_pair() as (fake, session):
            try:
                runner = run_batch(session, rows, out_dir="/nonexistent/never-written")
            except (ManifestError, ValidationError):
                assert manifest is None
            else:
                assert manifest is not None
                assert len(runner.manifest.rows) == len(manifest.rows)
            assert fake.stats.total_requests() == 0

    anyio.run(main)


MANIFEST_TEXT = st.one_of(
    st.text(),
    st.lists(
        st.text(st.characters(exclude_characters="\n"), max_size=40) | st.sampled_from(TRICKY[:22]),
        max_size=6,
    ).map(lambda lines: "id,family,talking_photo_url,audio_url,source_image\n" + "\n".join(lines)),
    st.lists(st.from_type(dict) | GARBAGE, max_size=4).map(
        lambda items: "\n".join(repr(i) for i in items)
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=MANIFEST_TEXT, fmt=st.sampled_from([None, "csv", "jsonl"]))
def test_manifest_text_garbage_raises_manifest_error_only(text: str, fmt: Any) -> None:
    """parse_manifest on any text returns a manifest or raises ManifestError, nothing else."""
    try:
        manifest = parse_manifest(text, format=fmt)
    except ManifestError as exc:
        assert exc.problems
        return
    assert manifest.rows


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "text",
    [
        '{"id": "a", "family": "image", "prompt": ' + DEEP + "}",
        "id,family,source_image,target_image\na,faceswap_v4," + "[" * 60_000 + "]" * 60_000 + ",x",
    ],
    ids=["jsonl-line", "csv-list-cell"],
)
def test_deeply_nested_manifest_raises_manifest_error(text: str) -> None:
    """A manifest line nested 100,000 deep is a ManifestError, not a RecursionError."""
    with pytest.raises(ManifestError):
        parse_manifest(text)


def test_deeply_nested_job_token_raises_validation_error() -> None:
    """A job token nested 100,000 deep is a ValidationError, not a RecursionError."""
    with pytest.raises(ValidationError):
        decode_token(DEEP)


def test_deeply_nested_topview_callback_is_invalid_webhook() -> None:
    """A TopView callback body nested 100,000 deep is an InvalidWebhook."""
    from akool_async import InvalidWebhook
    from akool_async.topview import parse_callback

    with pytest.raises(InvalidWebhook):
        parse_callback(DEEP)


@pytest.mark.anyio
@pytest.mark.parametrize("max_wait", ["10", [1], {"s": 1}])
async def test_max_wait_of_wrong_type_is_validation_error(max_wait: Any) -> None:
    """max_wait of a wrong type is a ValidationError naming max_wait; nothing is sent."""
    async with _fake_pair() as (fake, session):
        with pytest.raises(ValidationError) as info:
            await session.talking_photo.create(
                talking_photo_url=IMG, audio_url=MP3, max_wait=max_wait
            )
    assert info.value.field == "max_wait"
    assert fake.stats.total_requests() == 0


@pytest.mark.anyio
@pytest.mark.parametrize("language", [[None], ["ja", 1], b"ja", (["ja"],)])
async def test_translation_language_sequence_of_non_strings_is_validation_error(
    language: Any,
) -> None:
    """A language list of non-strings is a ValidationError naming language; nothing sent."""
    async with _fake_pair() as (fake, session):
        with pytest.raises(ValidationError) as info:
            await session.video_translation.create(url=MP4, language=language)
    assert info.value.field == "language"
    assert fake.stats.total_requests() == 0


# -- a hostile server ---------------------------------------------------------------------------

Answer = tuple[int, dict[str, str], bytes]
GOOD_VIDEO = b'{"code":1000,"msg":"OK","data":{"_id":"good","video_status":3,"video":"https://cdn.example.com/v.mp4"}}'
GOOD_CREATE = b'{"code":1000,"msg":"OK","data":{"_id":"created-1","video_status":1}}'
JSON = {"Content-Type": "application/json"}


def _json(body: str | bytes, status: int = 200, **headers: str) -> Answer:
    return status, {**JSON, **headers}, body.encode() if isinstance(body, str) else body


def _status_body(fields: str) -> str:
    return '{"code":1000,"msg":"OK","data":{%s}}' % fields  # noqa: UP031  # braces in JSON


#: Answers given to every request (create, status, credit, getToken ...), by name.
HOSTILE: dict[str, Answer] = {
    "not-json": (200, {"Content-Type": "text/html"}, b"<html>oops</html>"),
    "empty-body": _json(b""),
    "text-plain-json": (200, {"Content-Type": "text/plain"}, GOOD_VIDEO),
    "json-list": _json("[1,2,3]"),
    "json-string": _json('"code"'),
    "json-null": _json("null"),
    "json-number": _json("1000"),
    "code-missing": _json('{"msg":"OK","data":{"_id":"a","video_status":3}}'),
    "code-string": _json('{"code":"1000","data":{"_id":"a","video_status":3}}'),
    "code-bool": _json('{"code":true,"data":{}}'),
    "code-float": _json('{"code":1000.5,"data":{}}'),
    "code-null": _json('{"code":null}'),
    "code-object": _json('{"code":{"a":1},"msg":"x"}'),
    "code-list": _json('{"code":[1000]}'),
    "code-unknown": _json('{"code":31337,"msg":"what"}'),
    "code-negative": _json('{"code":-1,"msg":["not","a","string"]}'),
    "code-huge": _json('{"code":' + "9" * 400 + ',"msg":"x"}'),
    "data-missing": _json('{"code":1000,"msg":"OK"}'),
    "data-null": _json('{"code":1000,"data":null}'),
    "data-list": _json('{"code":1000,"data":[{"_id":5},"x",null]}'),
    "data-string": _json('{"code":1000,"data":"done"}'),
    "data-number": _json('{"code":1000,"data":3}'),
    "id-int": _json(_status_body('"_id":123,"video_status":3,"video":"https://x.y/v.mp4"')),
    "id-empty": _json(_status_body('"_id":"","video_status":1')),
    "status-zero": _json(_status_body('"_id":"a","video_status":0')),
    "status-five": _json(_status_body('"_id":"a","video_status":5')),
    "status-negative": _json(_status_body('"_id":"a","video_status":-3')),
    "status-text": _json(_status_body('"_id":"a","video_status":"done"')),
    "status-float": _json(_status_body('"_id":"a","video_status":2.5')),
    "status-null": _json(_status_body('"_id":"a","video_status":null')),
    "status-object": _json(_status_body('"_id":"a","video_status":{"v":3}')),
    "status-huge": _json(_status_body('"_id":"a","video_status":' + "3" * 400)),
    "status-too-many-digits": _json(_status_body('"_id":"a","video_status":' + "3" * 5000)),
    "nan-infinity": _json(
        _status_body(
            '"_id":"a","video_status":NaN,"progress":Infinity,'
            '"video_lock_duration":-Infinity,"error_code":NaN'
        )
    ),
    "completed-infinite-media": _json(
        _status_body(
            '"_id":"a","video_status":3,"video":"https://x.y/v.mp4","video_lock_duration":Infinity,'
            '"progress":NaN,"error_code":1e999'
        )
    ),
    "completed-media-huge-int": _json(
        _status_body(
            '"_id":"a","video_status":3,"video":"https://x.y/v.mp4","video_lock_duration":'
            + "7" * 400
        )
    ),
    "completed-progress-too-many-digits": _json(
        _status_body('"_id":"a","video_status":3,"video":"https://x.y/v.mp4","progress":"%s"')
        % ("1" * 5000)
    ),
    "completed-error-code-superscript": _json(
        _status_body('"_id":"a","video_status":3,"video":"https://x.y/v.mp4","error_code":"\u00b2"')
    ),
    "completed-url-not-string": _json(_status_body('"_id":"a","video_status":3,"video":["u"]')),
    "failed-garbage-reason": _json(
        _status_body('"_id":"a","video_status":4,"error_reason":{"x":1},"error_code":"x"')
    ),
    "batch-result-object": _json('{"code":1000,"data":{"result":{"_id":"a"}}}'),
    "batch-result-garbage": _json(
        '{"code":1000,"data":{"result":[1,"x",null,[],{"_id":5},{"_id":"a","faceswap_status":"x"},'
        '{"_id":"a","status":99}]}}'
    ),
    # Under the session's 100 kB cap, far deeper than the interpreter's recursion limit.
    "deep-nesting": _json('{"code":1000,"data":' + "[" * 20_000 + "]" * 20_000 + "}"),
    "deep-nesting-data": _json(
        '{"code":1000,"data":{"_id":"a","video_status":1,"x":' + "[" * 900 + "]" * 900 + "}}"
    ),
    "huge-body": _json('{"code":1000,"data":{"_id":"a","pad":"' + "a" * 300_000 + '"}}'),
    "invalid-utf8": _json(b'{"code":1000,"data":{"_id":"\xff\xfe","video_status":3}}'),
    "http-204": (204, {}, b""),
    "http-302-no-location": (302, {}, b""),
    "http-404-html": (404, {"Content-Type": "text/html"}, b"<h1>404</h1>"),
    "http-418-envelope": _json('{"code":1000,"data":{"_id":"a","video_status":3}}', status=418),
    "http-500-envelope": _json('{"code":1000,"data":{"_id":"a","video_status":3}}', status=500),
    "http-429-bad-retry-after": _json("{}", status=429, **{"Retry-After": "soon"}),
    "http-429-infinite-retry-after": _json("{}", status=429, **{"Retry-After": "1e400"}),
    "http-429-nan-retry-after": _json("{}", status=429, **{"Retry-After": "nan"}),
    "http-503-negative-retry-after": _json("{}", status=503, **{"Retry-After": "-5"}),
}

#: Families whose status is read by single-id GET, batch GET and batch POST.
TRACKED_FAMILIES = ["talking_photo", "image", "tts", "faceswap_v4", "image2video"]


class HostileServer:
    """Answers every request with ``answer`` (switchable at runtime)."""

    def __init__(self) -> None:
        self.answer: Answer = HOSTILE["not-json"]
        self.requests = 0
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._handle)

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        await request.read()
        status, headers, body = self.answer
        return web.Response(status=status, headers=headers, body=body)


@asynccontextmanager
async def _hostile_session(server: HostileServer) -> AsyncIterator[Session]:
    async with (
        serve_app(server.app) as url,
        Session(
            api_key=API_KEY,
            base_url=url,
            clock=ScaledClock(SPEED),
            retry=FAST,
            max_response_bytes=100_000,
            timeout=5.0,
        ) as session,
    ):
        yield session


async def _direct_calls(session: Session) -> list[BaseException | object]:
    """Every kind of direct call once; each returns a value or raises (kept)."""
    calls: list[Callable[[], Awaitable[Any]]] = [
        session.credit,
        session.languages,
        lambda: session.status("a", family="talking_photo"),
        lambda: session.status("a", family="faceswap_v4"),
        lambda: session.status("a", family="image2video"),
        lambda: session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3),
        lambda: session.video_translation.create(url=MP4, language="ja,fr"),
        lambda: session.text_to_video.create(prompt="x", count=2),
    ]
    out: list[BaseException | object] = []
    for call in calls:
        try:
            out.append(await call())
        except Exception as exc:
            out.append(exc)
    return out


async def _tracked_outcomes(session: Session, *, max_wait: float) -> list[BaseException | object]:
    jobs = [
        session.track(f"job-{family}-{i}", family=family, max_wait=max_wait)
        for family in TRACKED_FAMILIES
        for i in range(2)
    ]
    return await session.gather(jobs, return_exceptions=True)


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_hostile_answers_raise_typed_errors_and_never_hang(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A hostile answer gives typed errors only, jobs end by their deadline, polling recovers."""
    caplog.set_level(logging.WARNING, logger="akool_async")
    server = HostileServer()
    server.answer = HOSTILE[name]
    async with _hostile_session(server) as session:
        with anyio.fail_after(15):
            direct = await _direct_calls(session)
            tracked = await _tracked_outcomes(session, max_wait=30.0)
            server.answer = _json(GOOD_VIDEO)
            # A fresh id: a hostile create answer may have started tracking "good" already
            # (as another family), and track() would hand back that job.
            recovered = await session.track("recovered", family="talking_photo", max_wait=30.0)
    for outcome in direct + tracked:
        if isinstance(outcome, BaseException):
            assert isinstance(outcome, AkoolError), repr(outcome)
    for job_outcome in tracked:
        assert isinstance(job_outcome, AkoolError | JobResult), repr(job_outcome)
    assert isinstance(recovered, JobResult)
    assert server.requests > 0
    unexpected = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert unexpected == [], [r.getMessage() for r in unexpected]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "junk",
    [
        '"progress":"\u00b2"',
        '"progress":"%s"' % ("9" * 5000),  # too many digits for int()
        '"error_code":"%s"' % ("1" * 5000),
        '"video_lock_duration":Infinity',
        '"video_lock_duration":NaN',
        '"video_lock_duration":%s' % ("7" * 400),  # too large for a float
        '"progress":NaN,"error_code":-Infinity',
    ],
    ids=[
        "progress-superscript",
        "progress-5000-digits",
        "error-code-5000-digits",
        "media-infinity",
        "media-nan",
        "media-400-digits",
        "nan-and-infinity",
    ],
)
async def test_junk_optional_fields_never_hide_a_result(junk: str) -> None:
    """Junk optional numbers (NaN, Infinity, huge) are dropped; the result still reads completed."""
    server = HostileServer()
    fields = '"_id":"a","video_status":3,"video":"https://x.y/v.mp4",' + junk
    server.answer = _json(_status_body(fields))
    async with _hostile_session(server) as session:
        with anyio.fail_after(5):
            snap = await session.status("a", family="talking_photo")
            result = await session.track("a", family="talking_photo", max_wait=30.0)
    assert snap.status == 3 and snap.result_url == "https://x.y/v.mp4"
    assert snap.media_duration is None or math.isfinite(snap.media_duration)
    assert snap.progress is None or isinstance(snap.progress, int)
    assert isinstance(result, JobResult)


@pytest.mark.anyio
async def test_credit_too_large_for_a_float_is_invalid_response() -> None:
    """A credit balance of 400 digits is an InvalidResponse (typed), not an OverflowError."""
    server = HostileServer()
    server.answer = _json('{"code":1000,"data":{"credit":%s}}' % ("9" * 400))
    async with _hostile_session(server) as session:
        with anyio.fail_after(5), pytest.raises(AkoolError):
            await session.credit()


@pytest.mark.anyio
async def test_create_answers_without_usable_id_are_creation_unknown() -> None:
    """A success answer to a create without a string _id is CreationUnknown, never retried."""
    server = HostileServer()
    async with _hostile_session(server) as session:
        for name in ("id-int", "id-empty", "data-null", "data-string", "data-list", "data-missing"):
            server.answer = HOSTILE[name]
            before = server.requests
            with anyio.fail_after(5), pytest.raises(CreationUnknown):
                await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
            assert server.requests == before + 1, name
        assert session.scheduler.jobs == {}


# -- fuzzed answers ------------------------------------------------------------------------------

STATUS_KEYS = [
    "_id",
    "video_status",
    "faceswap_status",
    "status",
    "image_status",
    "video",
    "url",
    "video_url",
    "image",
    "progress",
    "error_code",
    "error_reason",
    "video_lock_duration",
    "result",
    "all_results",
    "audio_splits",
]
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["a", "good", "job-talking_photo-0", "https://x.y/v.mp4", 1, 2, 3, 4, "3"])
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(STATUS_KEYS) | st.text(max_size=4), inner, max_size=5)
    ),
    max_leaves=12,
)
ENVELOPES = st.fixed_dictionaries(
    {},
    optional={
        "code": st.sampled_from([1000, 1000, 1000, 1003, 1005, 1008, 1101, 9999, "1000"])
        | JSON_SCALARS,
        "msg": JSON_SCALARS,
        "data": JSON_VALUES,
    },
)


def _dumps(value: Any) -> bytes:
    import json

    return json.dumps(value, allow_nan=True).encode()


FUZZED_ANSWERS = st.one_of(
    st.tuples(
        st.sampled_from([200, 200, 200, 201, 400, 429, 500, 503]),
        st.sampled_from([JSON, {"Content-Type": "text/plain"}]),
        ENVELOPES.map(_dumps),
    ),
    st.tuples(st.just(200), st.just(JSON), st.binary(max_size=64)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(answers=st.lists(FUZZED_ANSWERS, min_size=1, max_size=4))
def test_fuzzed_answers_raise_typed_errors_and_never_hang(answers: list[Answer]) -> None:
    """Random envelopes and bytes: only AkoolError subclasses; every job ends by its deadline."""

    async def main() -> None:
        loop_errors: list[dict[str, Any]] = []
        asyncio.get_running_loop().set_exception_handler(lambda _l, c: loop_errors.append(c))
        server = HostileServer()
        async with _hostile_session(server) as session:
            for answer in answers:
                server.answer = answer
                with anyio.fail_after(10):
                    outcomes = await _direct_calls(session)
                    outcomes += await _tracked_outcomes(session, max_wait=20.0)
                for outcome in outcomes:
                    if isinstance(outcome, BaseException):
                        assert isinstance(outcome, AkoolError), repr(outcome)
                    elif isinstance(outcome, list):
                        assert all(isinstance(j, Job) for j in outcome)
                        for job in outcome:
                            job.stop()
        assert loop_errors == []

    anyio.run(main)


# -- malformed HTTP -----------------------------------------------------------------------------

RAW_ANSWERS = {
    "not-http": b"garbage\r\n\r\n",
    "binary": b"\x00\x01\x02\xff\r\n\r\n",
    "bad-status": b"HTTP/1.1 99999 X\r\n\r\n",
    "bad-length": b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n{}",
    "two-lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{}",
    "huge-header": b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70_000 + b"\r\n\r\n",
    "bad-chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "bad-gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nabcd",
    "short-body": b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{}",
    "closed": b"",
}


@asynccontextmanager
async def raw_server(answer: bytes) -> AsyncIterator[str]:
    """A TCP server that answers every request with ``answer`` and closes."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(RAW_ANSWERS))
async def test_malformed_http_raises_typed_errors(name: str) -> None:
    """Malformed HTTP gives typed errors that keep no aiohttp error (it holds our headers)."""
    async with (
        raw_server(RAW_ANSWERS[name]) as url,
        Session(
            api_key=API_KEY, base_url=url, clock=ScaledClock(SPEED), retry=FAST, timeout=5.0
        ) as session,
    ):
        with anyio.fail_after(10):
            direct = await _direct_calls(session)
            tracked = await _tracked_outcomes(session, max_wait=20.0)
    for outcome in direct:
        assert isinstance(outcome, AkoolError), repr(outcome)
    assert isinstance(direct[5], CreationUnknown)
    assert all(isinstance(o, JobTimeout) for o in tracked), tracked
    for outcome in direct:
        assert isinstance(outcome, BaseException)
        chain: list[BaseException] = []
        link: BaseException | None = outcome
        while link is not None and len(chain) < 10:
            chain.append(link)
            link = link.__cause__ or link.__context__
        assert not any(hasattr(e, "request_info") for e in chain), chain
