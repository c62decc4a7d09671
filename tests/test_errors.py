"""The error hierarchy and the mapping of every API code, as a table and over HTTP."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from aiohttp import web

import akool_async
from akool_async import (
    AccountBanned,
    AkoolError,
    APIError,
    AuthenticationError,
    ConfigurationError,
    CreationUnknown,
    GenerationUnavailable,
    HTTPStatusError,
    InsufficientCredit,
    InvalidResponse,
    JobFailed,
    JobNotFound,
    JobSnapshot,
    JobStatus,
    JobTimeout,
    MediaRejected,
    NotFound,
    ParameterError,
    PermissionDenied,
    RateLimited,
    RequestTimeout,
    RetryPolicy,
    ServerError,
    Session,
    SessionClosed,
    Throttled,
    ValidationError,
    _errors,
)
from akool_async._errors import error_for_code
from akool_async.testing._faults import API_MESSAGES

from .helpers import API_KEY, QUOTA, pair, serve_app

pytestmark = pytest.mark.anyio

#: The error-code table of API.md, transcribed: code -> (class, retry?).
API_CODES: dict[int, tuple[type[APIError], bool]] = {
    1003: (ParameterError, False),
    1005: (Throttled, True),
    1006: (InsufficientCredit, False),
    1104: (InsufficientCredit, False),
    1008: (NotFound, False),
    1009: (PermissionDenied, False),
    1015: (GenerationUnavailable, True),
    1101: (AuthenticationError, False),
    1102: (AuthenticationError, False),
    1200: (AccountBanned, False),
    1201: (GenerationUnavailable, True),
    1202: (MediaRejected, False),
    1203: (MediaRejected, False),
    1204: (MediaRejected, False),
    1205: (GenerationUnavailable, True),
    1207: (MediaRejected, False),
    1209: (MediaRejected, False),
    1210: (MediaRejected, False),
    1211: (GenerationUnavailable, True),
}


def _exception_classes() -> list[type[AkoolError]]:
    return [
        obj
        for _, obj in inspect.getmembers(_errors, inspect.isclass)
        if issubclass(obj, AkoolError) and obj.__module__ == _errors.__name__
    ]


# -- the table --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(API_CODES))
def test_error_for_code_covers_api_table(code: int) -> None:
    """Every code of API.md maps to its typed error with the documented retry advice."""
    cls, retry = API_CODES[code]
    assert error_for_code(code) is cls
    exc = error_for_code(code)(code, "msg")
    assert exc.retryable is retry


@pytest.mark.parametrize("code", [0, 999, 1001, 1012, 1100, 1224, 9999, "1003", "oops"])
def test_unknown_codes_are_plain_api_error(code: int | str) -> None:
    """Codes outside the table (and string look-alikes) map to APIError itself."""
    assert error_for_code(code) is APIError


def test_custom_code_table() -> None:
    """A provider table replaces the default one entirely."""
    table: dict[int | str, type[APIError]] = {"4001": ParameterError}
    assert error_for_code("4001", table) is ParameterError
    assert error_for_code(1003, table) is APIError


def test_api_error_attributes() -> None:
    """An APIError carries code, message, http_status, endpoint and the raw body."""
    body = {"code": 1009, "msg": "no", "extra": 1}
    exc = PermissionDenied(1009, "no", http_status=200, endpoint="GET /x", body=body)
    assert (exc.code, exc.message, exc.http_status, exc.endpoint) == (1009, "no", 200, "GET /x")
    assert exc.body == body
    assert str(exc) == "[1009] no (GET /x)"
    assert APIError(5, "m").body == {} and str(APIError(5, "m")) == "[5] m"


@pytest.mark.parametrize(
    ("status", "retryable"), [(500, True), (502, True), (429, True), (408, True), (404, False)]
)
def test_http_status_error_retryable_by_status(status: int, retryable: bool) -> None:
    """HTTP errors are retryable for 5xx, 408 and 429 only; the body is capped at 2 KiB."""
    exc = HTTPStatusError(status, endpoint="GET /x", body=b"x" * 5000, retry_after=2.0)
    assert exc.retryable is retryable
    assert len(exc.body) == 2048 and exc.retry_after == 2.0 and exc.http_status == status


def test_hierarchy_and_standard_bases() -> None:
    """Every SDK exception is an AkoolError; the standard bases match their meaning."""
    classes = _exception_classes()
    assert len(classes) >= 25
    for cls in classes:
        assert issubclass(cls, AkoolError)
        assert getattr(akool_async, cls.__name__) is cls
    for cls in (ConfigurationError, ValidationError, ParameterError, MediaRejected):
        assert issubclass(cls, ValueError)
    for cls in (RequestTimeout, JobTimeout):
        assert issubclass(cls, TimeoutError)
    assert issubclass(SessionClosed, RuntimeError)
    assert issubclass(JobNotFound, NotFound) and issubclass(NotFound, APIError)
    assert issubclass(ServerError, HTTPStatusError) and issubclass(RateLimited, HTTPStatusError)


def test_docstring_tree_names_every_exception() -> None:
    """The module docstring's hierarchy lists every exception class."""
    doc = _errors.__doc__ or ""
    for cls in _exception_classes():
        assert cls.__name__ in doc


def test_job_errors_describe_the_job() -> None:
    """JobFailed/JobTimeout/CreationUnknown carry what a caller needs to act on them."""
    snap = JobSnapshot("j1", JobStatus.FAILED, error_code=1015, error_reason="busy")
    failed = JobFailed(snap, "tts")
    assert (failed.job_id, failed.family, failed.error_code, failed.error_reason) == (
        "j1",
        "tts",
        1015,
        "busy",
    )
    assert "[1015] busy" in str(failed)
    timeout = JobTimeout("j2", "image", JobSnapshot("j2", JobStatus.PROCESSING))
    assert "processing" in str(timeout) and isinstance(timeout, TimeoutError)
    assert "unknown" in str(JobTimeout("j3", "image", None))
    body = {"prompt": "x"}
    unknown = CreationUnknown(endpoint="POST /c", request=body, cause="reset")
    body["prompt"] = "changed"
    assert unknown.request == {"prompt": "x"}  # a copy
    assert "not retried" in str(unknown) and unknown.cause == "reset"


# -- over HTTP --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(API_CODES))
async def test_every_code_over_http(code: int) -> None:
    """An API code answered over HTTP raises its typed error with every attribute filled in."""
    cls, retry = API_CODES[code]
    retries = RetryPolicy(max_retries=2, base=0.001, cap=0.01)
    async with pair(retry=retries) as (fake, session):
        fake.faults.add(f"code_{code}", count=3, endpoint=QUOTA)
        with pytest.raises(APIError) as info:
            await session.credit()
    exc = info.value
    assert type(exc) is cls
    assert exc.code == code
    assert exc.message == API_MESSAGES[code]
    assert exc.http_status == 200
    assert exc.endpoint == f"GET {QUOTA}"
    assert exc.body == {"code": code, "msg": API_MESSAGES[code]}
    assert exc.retryable is retry
    # Only the throttling code is sent again; the rest are final.
    assert fake.stats.requests[f"GET {QUOTA}"] == (3 if code == 1005 else 1)


@pytest.mark.parametrize("code", [4242, 1012, 99999])
async def test_unknown_code_over_http_is_plain_api_error(code: int) -> None:
    """An unknown code over HTTP raises APIError itself, carrying the code."""
    async with pair() as (fake, session):
        fake.faults.add(f"code_{code}", endpoint=QUOTA)
        with pytest.raises(APIError) as info:
            await session.credit()
    assert type(info.value) is APIError
    assert info.value.code == code
    assert not info.value.retryable


ODD_ANSWERS: list[tuple[str, int, bytes, type[AkoolError]]] = [
    ("not-json", 200, b"<html>hello</html>", InvalidResponse),
    ("no-code", 200, b'{"msg": "ok"}', InvalidResponse),
    ("list", 200, b"[1, 2]", InvalidResponse),
    ("bool-code", 200, b'{"code": true, "msg": "x"}', InvalidResponse),
    ("float-code", 200, b'{"code": 1.5, "msg": "x"}', InvalidResponse),
    ("html-404", 404, b"<html>404</html>", HTTPStatusError),
    ("html-503", 503, b"<html>busy</html>", ServerError),
    ("json-500", 500, b'{"code": 1000, "data": {"credit": 1}}', ServerError),
    ("bad-msg", 200, b'{"code": 1003, "msg": 42}', ParameterError),
]


@pytest.mark.parametrize(
    ("status", "body", "error"), [c[1:] for c in ODD_ANSWERS], ids=[c[0] for c in ODD_ANSWERS]
)
async def test_odd_answers_map_to_typed_errors(
    status: int, body: bytes, error: type[AkoolError]
) -> None:
    """Odd bodies and statuses become the SDK's typed errors, never a KeyError or JSON error."""
    calls: list[int] = []

    async def answer(request: web.Request) -> web.Response:
        calls.append(1)
        return web.Response(body=body, status=status, content_type="application/json")

    app = web.Application()
    app.router.add_get(QUOTA, answer)
    retry = RetryPolicy(max_retries=1, base=0.001, cap=0.01)
    async with serve_app(app) as base, Session(api_key=API_KEY, base_url=base, retry=retry) as s:
        with pytest.raises(error) as info:
            await s.credit()
    exc: Any = info.value
    assert type(exc) is error
    assert exc.endpoint == f"GET {QUOTA}"
    if isinstance(exc, APIError):
        assert exc.message == ""
    # Retried only when a retry could help (a 404 or an API code cannot).
    assert len(calls) == (2 if error in (InvalidResponse, ServerError) else 1)
