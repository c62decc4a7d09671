"""Pure logic of the TopView support: error table, statuses, bodies, validation, media parsing."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from akool_async import (
    APIError,
    AuthenticationError,
    GenerationUnavailable,
    InsufficientCredit,
    InvalidResponse,
    JobResult,
    JobStatus,
    NotFound,
    ParameterError,
    PermissionDenied,
    Throttled,
    ValidationError,
)
from akool_async._errors import error_for_code
from akool_async.testing._topview import sample_media
from akool_async.topview import (
    TOPVIEW,
    TOPVIEW_CODES,
    TOPVIEW_FAMILIES,
    ImageToVideoRequest,
    MediaTaskResult,
    ProductImageToVideoRequest,
    ProductReplaceRequest,
    ProductReplaceResult,
    SecurityRejected,
    ServerBusy,
    TaskInProgress,
    TextToImageRequest,
    TextToVideoRequest,
    TopViewAuth,
    TopViewServerError,
    UploadedFile,
    VideoAvatarRequest,
    image_size,
    map_status,
    parse_callback,
    parse_result,
)
from akool_async.topview._families import alternate_query_path, family_for_biz_type
from akool_async.topview._media import sniff_format
from akool_async.topview._models import build_request, parse_status, request_body
from akool_async.topview._uploads import _confirmed, _usable_upload_url

#: Every code of seed 002 and the class it must raise.
SEED_002: dict[str, type[APIError]] = {
    "4000": ParameterError,
    "4001": ParameterError,
    "4002": AuthenticationError,
    "4003": ParameterError,
    "4004": NotFound,
    "4005": ParameterError,
    "4006": PermissionDenied,
    "4007": TaskInProgress,
    "4100": InsufficientCredit,
    "5000": TopViewServerError,
    "5001": TopViewServerError,
    "5003": ServerBusy,
    "5004": TopViewServerError,
    "5005": TopViewServerError,
    "6001": SecurityRejected,
}

IMG_A = UploadedFile("img-a", "png", 100, 64, 48)
MASK_OK = UploadedFile("mask-ok", "png", 80, 64, 48)
MASK_BAD = UploadedFile("mask-bad", "png", 80, 32, 48)


@pytest.mark.parametrize(("code", "cls"), sorted(SEED_002.items()))
def test_every_seed_code_maps_to_its_class(code: str, cls: type[APIError]) -> None:
    """Each seed-002 code, as a string or an integer, maps to the expected exception class."""
    assert error_for_code(code, TOPVIEW_CODES) is cls
    assert error_for_code(int(code), TOPVIEW_CODES) is cls


def test_only_4007_and_5003_are_refusals() -> None:
    """4007 and 5003 mean 'refused, send again'; no other code is retried on submit."""
    refused = {str(c) for c in TOPVIEW.refused}
    assert refused == {"4007", "5003"}
    assert {str(c) for c in TOPVIEW.throttle} == {"5003"}
    assert issubclass(TaskInProgress, Throttled) and issubclass(ServerBusy, Throttled)
    assert issubclass(TopViewServerError, GenerationUnavailable)
    assert error_for_code("4242", TOPVIEW_CODES) is APIError


def test_success_code_accepts_string_and_number() -> None:
    """The envelope's success code matches "200" and 200, and nothing else."""
    ok = TOPVIEW.success
    assert ok == "200" and "200" == ok and ok == 200 and 200 == ok  # noqa: SIM300  # both sides
    assert ok != "4000" and ok != 4000 and ok != True  # noqa: E712  # bool is not a code


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("waiting", JobStatus.QUEUEING),
        ("QUEUED", JobStatus.QUEUEING),
        ("init", JobStatus.QUEUEING),
        ("running", JobStatus.PROCESSING),
        ("processing", JobStatus.PROCESSING),
        ("success", JobStatus.COMPLETED),
        ("fail", JobStatus.FAILED),
        ("failed", JobStatus.FAILED),
    ],
)
def test_status_words_map_onto_job_status(word: str, status: JobStatus) -> None:
    """TopView status words map onto the four job states, case-insensitively."""
    assert map_status(word) is status


def test_unknown_status_is_an_invalid_response() -> None:
    """An unknown status word raises InvalidResponse so the scheduler polls again."""
    with pytest.raises(InvalidResponse):
        parse_status({"taskId": "t", "status": "teleporting"}, "t", "GET /q")
    with pytest.raises(InvalidResponse):
        parse_status({"taskId": "t"}, "t", "GET /q")


def test_replace_query_reads_task_status_and_keys() -> None:
    """The seed's replace-image answer (``taskStatus``) parses into a typed, chainable result."""
    raw = {
        "taskId": "176bd1a50ba8437db36af5eb8fd9e5ca",
        "taskStatus": "success",
        "productReplaceResult": [
            {"key": "21f48762080b42f1b718ad722f92c", "url": "https://aigc.example/r.jpg"}
        ],
    }
    snap = parse_status(raw, raw["taskId"], "GET /q")
    assert snap.status is JobStatus.COMPLETED and snap.result_url == "https://aigc.example/r.jpg"
    typed = parse_result(JobResult(snap.id, "topview_product_replace", snap.result_url, snap))
    assert isinstance(typed, ProductReplaceResult)
    assert typed.keys == ["21f48762080b42f1b718ad722f92c"]
    req = ProductImageToVideoRequest(product_replace_result_key=typed.first.key)
    assert request_body(req)["productReplaceResultKey"] == "21f48762080b42f1b718ad722f92c"


def test_failed_query_keeps_error_message() -> None:
    """A failed task's errorMsg becomes the snapshot's error_reason."""
    snap = parse_status({"status": "fail", "errorMsg": "no face"}, "t", "GET /q")
    assert snap.status is JobStatus.FAILED and snap.error_reason == "no face"


def test_media_result_lists_every_generated_file() -> None:
    """A multi-video answer yields every video, the main one first."""
    raw: dict[str, Any] = {
        "status": "success",
        "videos": [{"videoUrl": "https://x/a.mp4"}, {"videoUrl": "https://x/b.mp4"}],
    }
    snap = parse_status(raw, "t", "GET /q")
    typed = parse_result(JobResult("t", "topview_image2video", snap.result_url or "", snap))
    assert isinstance(typed, MediaTaskResult)
    assert [m.url for m in typed.media] == ["https://x/a.mp4", "https://x/b.mp4"]
    assert typed.url == "https://x/a.mp4" and typed.kind == "video"


def test_body_is_camel_case_with_notice_url() -> None:
    """Bodies use TopView's JSON names (``image2VideoPrompt``), noticeUrl, and uploads' fileIds."""
    req = ProductImageToVideoRequest(
        product_replace_result_key="k",
        tts_text="hello",
        voice_speed=1.1,
        image2video_prompt="wave",
        webhook_url="https://hooks.example/tv",
    )
    assert request_body(req) == {
        "productReplaceResultKey": "k",
        "mode": "lite",
        "image2VideoPrompt": "wave",
        "ttsText": "hello",
        "voiceSpeed": 1.1,
        "noticeUrl": "https://hooks.example/tv",
    }
    body = request_body(ImageToVideoRequest(image_file_id=IMG_A, generating_count=2))
    assert body == {"imageFileId": "img-a", "duration": 5, "mode": "lite", "generatingCount": 2}


@given(st.floats(min_value=0.8, max_value=1.2))
def test_voice_speed_inside_range_is_accepted(speed: float) -> None:
    """Any voiceSpeed within [0.8, 1.2] is accepted."""
    req = VideoAvatarRequest(
        avatar_source_from=1,
        audio_source_from=1,
        ai_avatar_id="a",
        tts_text="hi",
        voice_speed=speed,
    )
    assert req.voice_speed == speed


@given(
    st.one_of(st.floats(max_value=0.7999999), st.floats(min_value=1.2000001), st.just(float("nan")))
)
def test_voice_speed_outside_range_is_refused(speed: float) -> None:
    """A voiceSpeed outside [0.8, 1.2] (or NaN) raises ValidationError naming the field."""
    with pytest.raises(ValidationError) as info:
        ProductImageToVideoRequest(product_replace_result_key="k", tts_text="x", voice_speed=speed)
    assert info.value.field == "voice_speed"


def test_mask_must_match_its_image_size() -> None:
    """A mask whose size differs from its image's is refused; a matching one is accepted."""
    ProductReplaceRequest(product_image_file_id=IMG_A, avatar_id="a", product_mask_file_id=MASK_OK)
    with pytest.raises(ValidationError) as info:
        ProductReplaceRequest(
            product_image_file_id=IMG_A, avatar_id="a", product_mask_file_id=MASK_BAD
        )
    assert info.value.field == "product_mask_file_id"
    with pytest.raises(ValidationError) as info:
        ProductReplaceRequest(
            product_image_file_id="p", avatar_id="a", template_mask_file_id=MASK_OK
        )
    assert info.value.field == "template_mask_file_id"


def test_request_rules_name_the_field() -> None:
    """Cross-field rules of the requests raise ValidationError naming the field."""
    cases: list[tuple[type[Any], dict[str, Any], str]] = [
        (ProductReplaceRequest, {"product_image_file_id": "p"}, "avatar_id"),
        (VideoAvatarRequest, {"avatar_source_from": 0, "audio_source_from": 1}, "video_file_id"),
        (
            VideoAvatarRequest,
            {"avatar_source_from": 2, "audio_source_from": 1, "ai_avatar_id": "a", "tts_text": "t"},
            "voiceover_id",
        ),
        (ImageToVideoRequest, {"image_file_id": "i", "duration": 7}, "duration"),
        (ImageToVideoRequest, {"image_file_id": "i", "generating_count": 5}, "generating_count"),
        (TextToImageRequest, {"prompt": "  ", "model": "m", "aspect_ratio": "1:1"}, "prompt"),
        (TextToImageRequest, {"prompt": "p", "model": "m", "aspect_ratio": "wide"}, "aspect_ratio"),
        (
            TextToImageRequest,
            {"prompt": "p", "model": "m", "aspect_ratio": "1:1", "resolution": "8K"},
            "resolution",
        ),
        (TextToVideoRequest, {"prompt": "p", "model": "m", "resolution": "1080"}, "resolution"),
        (TextToVideoRequest, {"prompt": "p", "model": "m", "duration": 17}, "duration"),
        (TextToVideoRequest, {"prompt": "p", "model": " "}, "model"),
        (
            VideoAvatarRequest,
            {"avatar_source_from": 3, "audio_source_from": 1, "tts_text": "t", "voiceover_id": "v"},
            "image_file_id",
        ),
        (
            VideoAvatarRequest,
            {"avatar_source_from": 1, "audio_source_from": 1, "ai_avatar_id": "a", "tts_text": "t"}
            | {"mode": 3},
            "mode",
        ),
        (ImageToVideoRequest, {"image_file_id": UploadedFile("v", "mp4", 9)}, "image_file_id"),
    ]
    for cls, fields, name in cases:
        with pytest.raises(ValidationError) as info:
            cls(**fields)
        assert info.value.field == name, (cls, fields)


def test_build_request_takes_snake_or_camel_names() -> None:
    """Manifest rows may use snake_case or camelCase; unknown and missing fields are named."""
    row = {"prompt": "cat", "model": "Nano Banana 2", "aspectRatio": "1:1"}
    a = build_request(TextToImageRequest, {**row, "generateCount": 2})
    b = build_request(TextToImageRequest, {**row, "generating_count": 2})
    c = build_request(TextToImageRequest, {**row, "generatingCount": 2})
    assert a == b == c
    with pytest.raises(ValidationError) as info:
        build_request(TextToImageRequest, {**row, "colour": "red"})
    assert info.value.field == "colour"
    with pytest.raises(ValidationError) as info:
        build_request(TextToImageRequest, {})
    assert info.value.field == "prompt"


def test_families_are_prefixed_and_know_their_biz_type() -> None:
    """Every family is ``topview_``-prefixed, polled by taskId, and named by its bizType."""
    assert set(TOPVIEW_FAMILIES) == {
        "topview_product_replace",
        "topview_product_image2video",
        "topview_product_image2video_v2",
        "topview_video_avatar",
        "topview_image2video",
        "topview_image2video_v2",
        "topview_text2video",
        "topview_text2image",
    }
    for fam in TOPVIEW_FAMILIES.values():
        assert fam.status.id_param == "taskId" and not fam.status.batch
        # A v2 family shares its v1 family's bizType, which names the v1 family.
        v1 = TOPVIEW_FAMILIES[fam.name.removesuffix("_v2")]
        assert family_for_biz_type(fam.webhook_type) is v1
    assert alternate_query_path("/v1/x/result") == "/v1/x/query"
    assert alternate_query_path("/v1/x/query") == "/v1/x/result"


def test_auth_never_shows_the_key() -> None:
    """The bearer auth's repr hides the key."""
    auth = TopViewAuth("sk-secret-123")
    assert "sk-secret-123" not in repr(auth) and auth.secrets() == ["sk-secret-123"]


@pytest.mark.anyio
async def test_auth_headers_are_ready_without_an_await() -> None:
    """The bearer headers read at once are the ones ``headers`` gives (no await per request)."""
    auth = TopViewAuth("sk-secret-123")

    async def never(_body: Any) -> Any:
        raise AssertionError("a bearer key fetches nothing")

    assert auth.current() is await auth.headers(never)
    assert auth.current() == {"Authorization": "Bearer sk-secret-123"}


@pytest.mark.parametrize("fmt", ["png", "jpg", "bmp", "webp"])
def test_image_size_reads_each_image_header(fmt: str) -> None:
    """Width and height come out of PNG, JPEG, BMP and WebP headers."""
    data = sample_media(fmt, width=321, height=123)
    assert image_size(data) == (321, 123)
    assert sniff_format(data[:64]) == fmt


@given(st.binary(max_size=256))
def test_media_parsers_never_raise(data: bytes) -> None:
    """Arbitrary bytes never crash the format sniffer or the image-size parser."""
    sniff_format(data)
    size = image_size(data)
    assert size is None or (size[0] > 0 and size[1] > 0)


def test_callback_parsing() -> None:
    """Callback bodies parse; one without taskId is a URL check; a bad taskId is refused."""
    cb = parse_callback(
        b'{"uuid":"u1","bizType":"COMMON_TASK_TEXT2IMAGE","taskId":"t1","status":"success",'
        b'"errorMsg":null,"result":{}}'
    )
    assert cb is not None and cb.family == "topview_text2image"
    assert cb.status is JobStatus.COMPLETED and cb.uuid == "u1"
    assert parse_callback(b"{}") is None
    from akool_async import InvalidWebhook

    with pytest.raises(InvalidWebhook):
        parse_callback(b'{"taskId": 5}')
    with pytest.raises(InvalidWebhook):
        parse_callback(b"[1]")


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://bucket.s3.amazonaws.com/k?X-Amz-Signature=abc&X-Amz-Expires=60", True),
        ("http://127.0.0.1:9000/_storage/f?sig=1", True),
        ("http://bucket.example.com/k?sig=1", False),
        ("ftp://bucket.example.com/k", False),
        ("https://user:pw@bucket.example.com/k", False),
        ("https://bucket.example.com/k\n?x=1", False),
    ],
)
def test_upload_url_must_be_safe(url: str, ok: bool) -> None:
    """Pre-signed URLs keep their query; plain http only on loopback; no credentials."""
    assert _usable_upload_url(url, allow_insecure_http=False) is ok


def test_upload_check_answers_in_every_documented_shape() -> None:
    """The check's answer is read as a bool, the fileId, or an object with a flag or status."""
    assert _confirmed(True, "f") is True and _confirmed(False, "f") is False
    assert _confirmed("f", "f") is True
    assert _confirmed({"exist": True}, "f") is True
    assert _confirmed({"status": "success"}, "f") is True
    assert _confirmed({"status": "pending"}, "f") is False
    assert _confirmed(None, "f") is None and _confirmed({"size": 3}, "f") is None


def test_topview_all_matches_its_public_names() -> None:
    """``akool_async.topview.__all__`` is unique, exists, and lists every public class/function."""
    import inspect

    import akool_async.topview as tv

    names = tv.__all__
    assert len(names) == len(set(names))
    assert all(hasattr(tv, n) for n in names)
    public = {
        n
        for n, v in vars(tv).items()
        if not n.startswith("_") and (inspect.isclass(v) or inspect.isfunction(v))
    }
    assert public <= set(names)
