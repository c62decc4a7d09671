"""Every code of Akool's error-code page (``ai-tools-suite/error-code.mdx``) maps to a typed error.

The table below is typed from the page (code and its meaning); the class is what the meaning is
for a caller. A code left to the bare :class:`APIError` would make a caller match on numbers.
"""

from __future__ import annotations

import pytest

from akool_async import (
    AccountBanned,
    APIError,
    AuthenticationError,
    GenerationUnavailable,
    InsufficientCredit,
    MediaRejected,
    NotFound,
    ParameterError,
    PermissionDenied,
    Throttled,
)
from akool_async._errors import error_for_code
from akool_async.testing._faults import API_MESSAGES

#: code -> (the page's meaning, the typed error it must raise).
PAGE_CODES: dict[int, tuple[str, type[APIError]]] = {
    1003: ("Parameter error", ParameterError),
    1004: ("Requires verification", PermissionDenied),
    1005: ("Frequent operation", Throttled),
    1006: ("Insufficient quota balance", InsufficientCredit),
    1007: ("Face count changes exceed", MediaRejected),
    1008: ("content not exist", NotFound),
    1009: ("permission denied", PermissionDenied),
    1010: ("This content cannot be operated", PermissionDenied),
    1011: ("This content has been operated", ParameterError),
    1013: ("Use audio in video", MediaRejected),
    1014: ("Resource does not exist", NotFound),
    1015: ("Video processing error", GenerationUnavailable),
    1016: ("Face swapping error", GenerationUnavailable),
    1017: ("Audio not created", NotFound),
    1101: ("Illegal token", AuthenticationError),
    1102: ("token cannot be empty", AuthenticationError),
    1103: ("Not paid or payment is overdue", InsufficientCredit),
    1104: ("Insufficient credit balance", InsufficientCredit),
    1105: ("avatar processing error", GenerationUnavailable),
    1108: ("image processing error", GenerationUnavailable),
    1109: ("account not exist", AuthenticationError),
    1110: ("audio processing error", GenerationUnavailable),
    1111: ("avatar callback processing error", GenerationUnavailable),
    1112: ("voice processing error", GenerationUnavailable),
    1200: ("Account blocked", AccountBanned),
    1201: ("create audio processing error", GenerationUnavailable),
    1202: ("Video lip sync same language out of range", MediaRejected),
    1203: ("Using Video and Audio", MediaRejected),
    1204: ("video duration exceed", MediaRejected),
    1205: ("create video processing error", GenerationUnavailable),
    1206: ("background change processing error", GenerationUnavailable),
    1207: ("video size exceed", MediaRejected),
    1208: ("video parsing error", MediaRejected),
    1209: ("The video encoding format is not supported", MediaRejected),
    1210: ("video fps exceed", MediaRejected),
    1211: ("Creating lip sync errors", GenerationUnavailable),
    1212: ("Sentiment analysis fails", GenerationUnavailable),
    1213: ("Requires subscription user to use", PermissionDenied),
    1214: ("liveAvatar in processing", Throttled),
    1215: ("liveAvatar processing is busy", Throttled),
    1216: ("liveAvatar session not exist", NotFound),
    1217: ("liveAvatar callback error", GenerationUnavailable),
    1218: ("liveAvatar processing error", GenerationUnavailable),
    1219: ("liveAvatar closed", NotFound),
    1220: ("liveAvatar upload avatar error", GenerationUnavailable),
    1221: ("Account not subscribed", PermissionDenied),
    1222: ("Resource already exist", ParameterError),
    1223: ("liveAvatar upload exceed", InsufficientCredit),
}


@pytest.mark.parametrize("code", sorted(PAGE_CODES))
def test_page_code_maps_to_its_typed_error(code: int) -> None:
    """Each documented code maps to the typed error its meaning calls for."""
    assert error_for_code(code) is PAGE_CODES[code][1]


@pytest.mark.parametrize("code", sorted(PAGE_CODES))
def test_only_busy_and_processing_codes_are_retryable(code: int) -> None:
    """Only "frequent / busy" and "processing error" codes say that trying later may help."""
    cls = PAGE_CODES[code][1]
    assert cls(code, "msg").retryable is (cls in (Throttled, GenerationUnavailable))


def test_an_undocumented_code_stays_a_plain_api_error() -> None:
    """A code the page does not list is an APIError carrying its code, no guessed subclass."""
    assert error_for_code(1999) is APIError


@pytest.mark.parametrize("code", sorted(PAGE_CODES))
def test_the_fake_server_knows_every_documented_code(code: int) -> None:
    """The fake answers every documented code with a message, as Akool does."""
    assert API_MESSAGES.get(code)
