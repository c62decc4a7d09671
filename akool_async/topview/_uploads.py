"""Uploads: credential -> PUT to the pre-signed URL -> check, giving a fileId.

1. ``GET /v1/upload/credential?format=png`` answers ``{fileId, uploadUrl}``;
2. the bytes are PUT to ``uploadUrl`` (a pre-signed storage URL: it gets **no** auth headers,
   is never logged, and the PUT is retried on connection errors and 5xx since a PUT is idempotent);
3. ``GET /v1/upload/check?fileId=`` confirms the file arrived.

Before anything is sent the file is checked locally: a format TopView accepts, a size within the
limit of its kind, content whose signature matches the declared format and, for a mask, the
width and height of the image it masks.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import AsyncGenerator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import aiohttp
import anyio

from .._backoff import retry_delay
from .._errors import InvalidResponse, ValidationError
from ._errors import UploadFailed
from ._media import (
    FORMATS,
    MAX_UPLOAD_BYTES,
    MediaKind,
    image_size,
    kind_of,
    normalise_format,
    same_format,
    sniff_format,
)
from ._models import UploadedFile

if TYPE_CHECKING:
    from ._session import TopViewSession

__all__ = ["CHECK_PATH", "CREDENTIAL_PATH", "UploadSource", "upload_file"]

log = logging.getLogger("akool_async")

CREDENTIAL_PATH: Final = "/v1/upload/credential"
CHECK_PATH: Final = "/v1/upload/check"

UploadSource = bytes | bytearray | memoryview | str | os.PathLike[str]

_CHUNK: Final = 1024 * 1024
#: Bytes read to sniff the format; images are read whole (they are small) for their size.
_HEAD: Final = 64
_CONTENT_TYPES: Final = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "bmp": "image/bmp",
    "webp": "image/webp",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "m4a": "audio/mp4",
    "mp4": "video/mp4",
    "avi": "video/x-msvideo",
    "mov": "video/quicktime",
}
#: ``/v1/upload/check`` answers tried before giving up on a file that has not arrived yet.
_CHECK_ATTEMPTS: Final = 4


class _Prepared:
    """A validated upload: where the bytes come from, and what they are."""

    __slots__ = ("data", "dims", "fmt", "path", "size")

    def __init__(
        self,
        fmt: str,
        size: int,
        dims: tuple[int, int] | None,
        data: bytes | None,
        path: Path | None,
    ) -> None:
        self.fmt = fmt
        self.size = size
        self.dims = dims
        self.data = data
        self.path = path


async def _prepare(
    source: UploadSource,
    fmt: str | None,
    *,
    limits: Mapping[MediaKind, int],
    sniff: bool,
) -> _Prepared:
    path: Path | None = None
    data: bytes | None = None
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
    else:
        raise ValidationError("source", f"must be bytes or a path, got {type(source).__name__}")
    if fmt is None:
        if path is None:
            raise ValidationError("format", "is required when uploading bytes")
        fmt = path.suffix
    declared = normalise_format(fmt)
    if declared is None:
        raise ValidationError(
            "format", f"{fmt!r} is not accepted; use one of {', '.join(sorted(FORMATS))}"
        )
    kind = kind_of(declared)
    if path is not None:
        apath = anyio.Path(path)
        if not await apath.is_file():
            raise ValidationError("source", f"{path} is not a file")
        size = (await apath.stat()).st_size
        if size and size <= limits[kind] and kind == "image":
            data = await apath.read_bytes()
            size = len(data)
            head = data[:_HEAD]
        elif size:
            async with await anyio.open_file(path, "rb") as f:
                head = await f.read(_HEAD)
        else:
            head = b""
    else:
        assert data is not None
        size = len(data)
        head = data[:_HEAD]
    if size == 0:
        raise ValidationError("source", "is empty")
    if size > limits[kind]:
        raise ValidationError(
            "source", f"is {size} bytes; a {kind} upload may be at most {limits[kind]} bytes"
        )
    if sniff:
        found = sniff_format(head)
        if found is None or not same_format(declared, found):
            seen = "unrecognised content" if found is None else f"{found} content"
            raise ValidationError("format", f"declared {declared} but the file has {seen}")
    dims = image_size(data) if kind == "image" and data is not None else None
    return _Prepared(declared, size, dims, data if path is None or kind == "image" else None, path)


def _read_at(path: Path, offset: int) -> bytes:
    with path.open("rb") as f:
        f.seek(offset)
        return f.read(_CHUNK)


async def _file_chunks(path: Path, size: int) -> AsyncGenerator[bytes, None]:
    # Each chunk opens, reads and closes the file in a worker thread: no handle outlives a
    # chunk, however the HTTP client stops iterating (end of body, error, cancellation).
    offset = 0
    while offset < size:
        chunk = await anyio.to_thread.run_sync(_read_at, path, offset)
        if not chunk:
            return
        offset += len(chunk)
        yield chunk


async def _put(session: TopViewSession, url: str, prep: _Prepared, file_id: str) -> None:
    transport = session.transport
    retry = transport.retry
    headers = {
        "Content-Type": _CONTENT_TYPES[prep.fmt],
        "Content-Length": str(prep.size),
    }
    # The total timeout of API calls would cut off a large video; bound each read instead.
    timeout = aiohttp.ClientTimeout(
        total=None, sock_connect=min(session.timeout, 10.0), sock_read=session.timeout
    )
    attempt = 0
    while True:
        chunks: AsyncGenerator[bytes, None] | None = None
        body: bytes | AsyncGenerator[bytes, None]
        if prep.data is not None:
            body = prep.data
        else:
            assert prep.path is not None
            body = chunks = _file_chunks(prep.path, prep.size)
        failure: str
        try:
            async with transport.http.put(
                url, data=body, headers=headers, timeout=timeout, allow_redirects=False
            ) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    return
                failure = f"storage answered HTTP {resp.status}"
                if resp.status < 500 and resp.status not in (408, 429):
                    raise UploadFailed(f"upload refused: {failure}", file_id=file_id)
        except aiohttp.ClientConnectorError:
            failure = "cannot connect to the upload URL"
        except (aiohttp.ClientError, TimeoutError) as exc:
            failure = f"upload interrupted ({type(exc).__name__})"
        finally:
            if chunks is not None:
                # aiohttp stops reading at Content-Length: close the file now, not at GC.
                await chunks.aclose()
        if attempt >= retry.max_retries:
            raise UploadFailed(failure, file_id=file_id)
        delay = retry_delay(attempt, base=retry.base, cap=retry.cap, rng=retry.rng)
        log.debug("retrying upload PUT in %.2fs after %s", delay, failure)
        await session.clock.sleep(delay)
        attempt += 1


def _usable_upload_url(url: str, *, allow_insecure_http: bool) -> bool:
    """A pre-signed URL: https (http only on loopback, or when allowed), with a host.

    Its query string is the signature, so it is kept whole and never logged.
    """
    if any(c.isspace() or not c.isprintable() for c in url):
        return False
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port out of range raises ValueError
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        return False
    if parts.scheme == "http" and not allow_insecure_http:
        host = parts.hostname
        try:
            return host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
    return True


def _confirmed(result: Any, file_id: str) -> bool | None:
    """Read a check answer: True arrived, False not (yet), None unreadable.

    The docs show no example; accepted shapes are ``true``, the fileId itself, or an object with
    a boolean (``exist``/``exists``/``uploaded``/``success``/``valid``) or a ``status`` word.
    """
    if isinstance(result, bool):
        return result
    if isinstance(result, str):
        return result == file_id or result.lower() in ("success", "true", "ok", "uploaded")
    if isinstance(result, Mapping):
        for key in ("exist", "exists", "uploaded", "success", "valid", "result"):
            value = result.get(key)
            if isinstance(value, bool):
                return value
        status = result.get("status")
        if isinstance(status, str):
            return status.lower() in ("success", "uploaded", "done", "completed", "finish")
        if isinstance(status, bool):
            return status
    return None


async def upload_file(
    session: TopViewSession,
    source: UploadSource,
    *,
    format: str | None = None,
    mask_of: UploadedFile | None = None,
    sniff: bool = True,
    limits: Mapping[MediaKind, int] = MAX_UPLOAD_BYTES,
    allow_insecure_http: bool = False,
) -> UploadedFile:
    """Upload one file; see the module docstring. Used by :meth:`TopViewSession.upload`."""
    prep = await _prepare(source, format, limits=limits, sniff=sniff)
    if mask_of is not None:
        if kind_of(prep.fmt) != "image":
            raise ValidationError("source", "a mask must be an image")
        if (
            mask_of.dimensions is not None
            and prep.dims is not None
            and mask_of.dimensions != prep.dims
        ):
            w, h = prep.dims
            iw, ih = mask_of.dimensions
            raise ValidationError(
                "mask", f"is {w}x{h} but its image is {iw}x{ih}; a mask must have its image's size"
            )
    transport = session.transport
    cred = await transport.request("GET", CREDENTIAL_PATH, params={"format": prep.fmt}, kind="safe")
    result = cred.get("result")
    file_id = result.get("fileId") if isinstance(result, Mapping) else None
    url = result.get("uploadUrl") if isinstance(result, Mapping) else None
    endpoint = f"GET {CREDENTIAL_PATH}"
    if not isinstance(file_id, str) or not file_id or not isinstance(url, str) or not url:
        raise InvalidResponse("upload credential without fileId and uploadUrl", endpoint=endpoint)
    if not _usable_upload_url(url, allow_insecure_http=allow_insecure_http):
        raise InvalidResponse("upload credential with an unusable uploadUrl", endpoint=endpoint)
    log.debug("uploading %d bytes of %s", prep.size, prep.fmt, extra={"file_id": file_id})
    await _put(session, url, prep, file_id)
    for attempt in range(_CHECK_ATTEMPTS):
        answer = await transport.request("GET", CHECK_PATH, params={"fileId": file_id}, kind="safe")
        confirmed = _confirmed(answer.get("result"), file_id)
        if confirmed is None:
            raise InvalidResponse("upload check answer unreadable", endpoint=f"GET {CHECK_PATH}")
        if confirmed:
            if prep.dims is None:
                return UploadedFile(file_id, prep.fmt, prep.size)
            return UploadedFile(file_id, prep.fmt, prep.size, prep.dims[0], prep.dims[1])
        if attempt + 1 < _CHECK_ATTEMPTS:
            await session.clock.sleep(0.5 * 2**attempt)
    raise UploadFailed("upload not confirmed by /v1/upload/check", file_id=file_id)
