"""The fake's uploads: credential -> PUT to a pre-signed storage URL -> check; notice URLs."""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Final

from aiohttp import web

from ...topview._media import FORMATS, image_size
from .._http import is_http_url
from .._topview_state import FakeFile
from ._common import IMAGES, envelope, error

if TYPE_CHECKING:
    from ._server import FakeTopView

__all__ = [
    "CHECK_PATH",
    "CREDENTIAL_PATH",
    "NOTICE_PATHS",
    "STORAGE_PREFIX",
    "check",
    "credential",
    "notice_check",
    "storage_put",
]

CREDENTIAL_PATH: Final = "/v1/upload/credential"
CHECK_PATH: Final = "/v1/upload/check"
NOTICE_PATHS: Final = ("/notice/notice_url/check", "/v1/notice/notice_url/check")
STORAGE_PREFIX: Final = "/_storage/"


async def credential(fake: FakeTopView, request: web.Request) -> web.Response:
    """``GET /v1/upload/credential?format=``: a fileId and its pre-signed upload URL."""
    fmt = request.query.get("format", "").strip().lower()
    if not fmt:
        return error("4003", "format cannot be null")
    if fmt not in FORMATS:
        return error("4000", f"format {fmt} is not supported")
    fake.counters.credentials += 1
    file_id = fake.new_id()
    signature = secrets.token_hex(16)
    fake.files[file_id] = FakeFile(file_id, fmt, signature)
    url = f"{fake.base(request)}{STORAGE_PREFIX}{file_id}?X-Amz-Signature={signature}"
    return envelope({"fileId": file_id, "uploadUrl": url, "format": fmt})


async def storage_put(fake: FakeTopView, request: web.Request) -> web.Response:
    """``PUT /_storage/{fileId}?X-Amz-Signature=``: the upload itself (no TopView headers)."""
    fake.counters.storage_puts += 1
    if "Authorization" in request.headers or "Topview-Uid" in request.headers:
        fake.counters.storage_auth_leaks += 1
    found = fake.files.get(request.match_info["file_id"])
    signature = request.query.get("X-Amz-Signature", "")
    if found is None or not secrets.compare_digest(signature, found.signature or "-"):
        return web.Response(status=403, text="<Error><Code>SignatureDoesNotMatch</Code></Error>")
    data = await request.read()
    if len(data) > fake.max_upload_bytes:
        return web.Response(status=400, text="<Error><Code>EntityTooLarge</Code></Error>")
    if fake.lose_uploads:
        return web.Response(status=200)
    found.data = data
    found.dims = image_size(data) if found.format in IMAGES else None
    return web.Response(status=200)


async def check(fake: FakeTopView, request: web.Request) -> web.Response:
    """``GET /v1/upload/check?fileId=``: whether the upload arrived."""
    fake.counters.checks += 1
    found = fake.files.get(request.query.get("fileId", "").strip())
    if found is None:
        return error("4004")
    return envelope(found.data is not None)


async def notice_check(fake: FakeTopView, request: web.Request) -> web.Response:
    """``POST .../notice_url/check``: register a callback URL."""
    fake.counters.notice_checks += 1
    try:
        body = await request.json(loads=json.loads)
    except (ValueError, UnicodeDecodeError):
        return error("4001")
    url = body.get("noticeUrl") if isinstance(body, dict) else None
    if not is_http_url(url):
        return error("4000", "noticeUrl must be an http(s) url")
    assert isinstance(url, str)
    fake.notice_urls.add(url)
    return envelope(True)
