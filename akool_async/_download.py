"""Result downloads: streamed, verified and atomically renamed, before Akool's 7-day expiry.

A download streams into ``DIR/.<name>.part-<random>``, hashing as it goes, then fsyncs and
``os.replace``-s the file onto its final name: the final name only ever holds a complete file. Any
failure or cancellation removes the part file. Names come from :func:`safe_filename`, and the
downloader checks again that each final path resolves inside its directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import random
import re
import secrets
import stat
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import aiohttp
import anyio
import anyio.to_thread
from attrs import frozen
from yarl import URL

from ._backoff import retry_delay
from ._clock import Clock, SystemClock
from ._constants import DEFAULT_RETRY_BASE, DEFAULT_RETRY_CAP, MAX_DOWNLOAD_BYTES, RESULT_TTL
from ._errors import (
    AkoolError,
    ConfigurationError,
    ConnectError,
    HTTPStatusError,
    InvalidResponse,
    RateLimited,
    RequestTimeout,
    ResponseTooLarge,
    ServerError,
    TransportError,
    ValidationError,
)
from ._mediatype import MEDIA_KINDS, TEXT_TYPES, MediaKind, NotMedia, check_media, media_format
from ._transport import _parse_retry_after

__all__ = [
    "MEDIA_KINDS",
    "DownloadMismatch",
    "DownloadResult",
    "Downloader",
    "MediaKind",
    "NotMedia",
    "StorageError",
    "expiry_warning",
    "media_format",
    "safe_filename",
    "suffix_from_url",
]

logger = logging.getLogger("akool_async")

#: Longest name :func:`safe_filename` returns, in UTF-8 bytes (file systems allow 255).
MAX_FILENAME_BYTES: Final = 120
# Longest name the downloader accepts: its part file adds 20 bytes and must stay under 255.
_MAX_NAME_BYTES: Final = 200

_SUFFIX_RE: Final = re.compile(r"\.[A-Za-z0-9]{1,7}")
_SHA256_RE: Final = re.compile(r"[0-9a-f]{64}")
# Separators everywhere, plus the characters Windows refuses in a name.
_FORBIDDEN_CHARS: Final = frozenset('/\\:*?"<>|')
_WINDOWS_RESERVED: Final = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3"}
)


class DownloadMismatch(InvalidResponse):
    """The downloaded file is not the one expected (size or sha256). Not retried."""

    retryable = False


class StorageError(AkoolError):
    """The file could not be written (disk full, permissions ...). Not retried."""

    retryable = False


@frozen(slots=True)
class DownloadResult:
    """A result file on disk."""

    url: str
    path: Path
    size: int
    sha256: str
    #: The file was already there and verified; nothing was downloaded.
    skipped: bool


# -- names -------------------------------------------------------------------------------------


def safe_filename(stem: str, *, suffix: str = "") -> str:
    """A file name built from untrusted text that cannot leave its directory.

    Path separators, NUL, control and other invisible characters, and characters Windows forbids
    become ``_``; runs of dots collapse to one; leading and trailing dots and spaces go; Windows
    device names (``CON``, ``com1.txt`` ...) get a ``_`` prefix; the result is capped at
    :data:`MAX_FILENAME_BYTES` UTF-8 bytes. When any of this changed the stem, ``~`` and 8 hex
    digits of its sha256 are appended so that different stems still give different names (two
    rows ``a/b`` and ``a_b`` must not overwrite each other's file). Deterministic.

    Args:
        stem: any text (a manifest row id, a job id ...).
        suffix: ``""`` or a dot and 1-7 ASCII letters or digits, e.g. from :func:`suffix_from_url`.

    Returns:
        A non-empty name without separators that does not start with a dot.

    Raises:
        ValueError: ``suffix`` is not of that form.
    """
    if suffix and not _SUFFIX_RE.fullmatch(suffix):
        raise ValueError(f"suffix: must be a dot and 1-7 ASCII letters or digits, got {suffix!r}")
    cleaned = "".join(
        "_"
        # Control, format, surrogate, private, unassigned; separators other than the plain space.
        if ch in _FORBIDDEN_CHARS or (unicodedata.category(ch)[0] in "CZ" and ch != " ")
        else ch
        for ch in unicodedata.normalize("NFC", stem)
    )
    cleaned = re.sub(r"\.{2,}", ".", cleaned).strip(" .")
    if cleaned.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_RESERVED:
        cleaned = "_" + cleaned
    budget = MAX_FILENAME_BYTES - len(suffix)
    encoded = cleaned.encode("utf-8")
    tag = ""
    if cleaned != stem or len(encoded) > budget:
        tag = "~" + hashlib.sha256(stem.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        # Cut at a byte budget, dropping a character split in two.
        cleaned = encoded[: budget - len(tag)].decode("utf-8", "ignore")
    return (cleaned or "_") + tag + suffix


def suffix_from_url(url: str, default: str = ".bin") -> str:
    """The file extension of a URL's path (``".mp4"``), lower-cased, or ``default``.

    Only a dot and 1-7 ASCII letters or digits are accepted; anything else gives ``default``.
    """
    try:
        path = urlsplit(url).path
    except ValueError:
        return default
    _, dot, ext = path.rpartition("/")[2].rpartition(".")
    return f".{ext.lower()}" if dot and _SUFFIX_RE.fullmatch(f".{ext}") else default


def expiry_warning(
    completed_at_wall: float,
    now_wall: float,
    *,
    ttl: float = RESULT_TTL,
    margin: float = 24 * 3600,
) -> str | None:
    """A warning when a result is within ``margin`` of its expiry (or past it), else None.

    Args:
        completed_at_wall: when the job completed (Unix seconds).
        now_wall: now (Unix seconds).
        ttl: how long Akool keeps results.
        margin: how early to warn.
    """
    expires = completed_at_wall + ttl
    left = expires - now_wall
    if left > margin:
        return None
    at = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%d %H:%M UTC")
    if left <= 0:
        return f"result expired {-left / 3600:.1f} h ago ({at}); it may no longer be downloadable"
    return f"result expires in {left / 3600:.1f} h ({at}); download it now"


# -- files -------------------------------------------------------------------------------------


class _PartFile:
    """The temporary file a download streams into. Blocking: call through a worker thread."""

    __slots__ = ("_fd", "committed", "final", "head", "path", "sha", "size")

    def __init__(self, final: Path) -> None:
        self.final = final
        self.path = final.with_name(f".{final.name}.part-{secrets.token_hex(6)}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        self._fd = os.open(self.path, flags | getattr(os, "O_NOFOLLOW", 0), 0o666)
        self.sha = hashlib.sha256()
        self.size = 0
        self.committed = False
        #: The first bytes written (what the file says it is).
        self.head = b""

    def write(self, data: bytes) -> None:
        if len(self.head) < 32:
            self.head += data[: 32 - len(self.head)]
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        self.sha.update(data)
        self.size += len(data)

    def commit(self) -> None:
        """Make the bytes durable, then give them the final name in one step."""
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = -1
        os.replace(self.path, self.final)
        self.committed = True
        _fsync_dir(self.final.parent)  # make the rename itself survive a power loss

    def discard(self) -> None:
        """Close and remove the part file (fast enough to run in a cancelled task)."""
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1
        if not self.committed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # Windows cannot open a directory; its rename is durable enough
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _verify_existing(
    path: Path, expected_size: int | None, expected_sha256: str | None
) -> tuple[int, str] | None:
    """``(size, sha256)`` of the file at ``path`` if it matches what is expected, else None."""
    if expected_size is None and expected_sha256 is None:
        return None
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    if expected_size is not None and st.st_size != expected_size:
        return None
    with open(path, "rb") as f:
        sha = hashlib.file_digest(f, "sha256").hexdigest()
    if expected_sha256 is not None and sha != expected_sha256:
        return None
    return st.st_size, sha


# -- the downloader ----------------------------------------------------------------------------


class Downloader:
    """Downloads result files into one directory, a few at a time.

    The caller owns ``session``. ``timeout`` is the longest silence tolerated (to connect, or
    between two reads) in clock seconds, not a total deadline: a 2 GB file on a slow link may
    rightly take longer than any fixed total.

    Retried (``retries`` more times, capped exponential backoff with full jitter, slept on the
    clock): connection errors, timeouts, truncated bodies, HTTP 5xx, 408 and 429 (honouring
    ``Retry-After`` up to a minute). Not retried: other 4xx, oversize, a file that does not match
    the expected size or sha256.
    """

    __slots__ = (
        "_chunk_size",
        "_clock",
        "_limiter",
        "_max_bytes",
        "_out_dir",
        "_retries",
        "_rng",
        "_session",
        "_timeout",
    )

    def __init__(
        self,
        session: aiohttp.ClientSession,
        out_dir: Path,
        *,
        concurrency: int = 4,
        max_bytes: int = MAX_DOWNLOAD_BYTES,
        retries: int = 3,
        timeout: float = 300.0,
        clock: Clock | None = None,
        chunk_size: int = 1 << 16,
    ) -> None:
        """Configure the downloader.

        Args:
            session: the aiohttp session to download with (not closed here).
            out_dir: where files go; created on first use.
            concurrency: downloads in flight at once.
            max_bytes: largest file accepted.
            retries: retries after the first attempt.
            timeout: longest silence tolerated, in clock seconds.
            clock: clock for backoff sleeps and timeouts (default: real time).
            chunk_size: read size while streaming.

        Raises:
            ConfigurationError: an argument is out of range.
        """
        for arg, value, low in (
            ("concurrency", concurrency, 1),
            ("max_bytes", max_bytes, 0),
            ("retries", retries, 0),
            ("chunk_size", chunk_size, 1),
        ):
            if value < low:
                raise ConfigurationError(f"{arg}: must be >= {low}, got {value!r}")
        if not timeout > 0:
            raise ConfigurationError(f"timeout: must be > 0, got {timeout!r}")
        self._session = session
        self._out_dir = Path(out_dir)
        self._limiter = anyio.CapacityLimiter(concurrency)
        self._max_bytes = max_bytes
        self._retries = retries
        self._timeout = timeout
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._chunk_size = chunk_size
        self._rng = random.Random()

    @property
    def out_dir(self) -> Path:
        """The directory files are written to."""
        return self._out_dir

    async def download(
        self,
        url: str,
        name: str,
        *,
        expected_sha256: str | None = None,
        expected_size: int | None = None,
        media: MediaKind | None = None,
    ) -> DownloadResult:
        """Download ``url`` to ``out_dir / name``, replacing any file there only once complete.

        A body is complete only when its length is known (``Content-Length``, or a chunked body
        that ended properly) and reached: a body ended by the connection closing could be cut.
        With ``media``, the body must also be such a file (not served as text, starting with
        that media's signature, not empty): an error page answered 200 is never saved.

        Skipping: when ``expected_sha256`` and/or ``expected_size`` is given and the file already
        there matches every one given, nothing is downloaded (``skipped=True``). With neither,
        the file is always downloaded again (a bare size from a HEAD request would not prove the
        content). A downloaded file must match what is given too.

        Args:
            url: the result URL.
            name: the final file name, e.g. from :func:`safe_filename`.
            expected_sha256: the file's known sha256 (hex), e.g. from the journal.
            expected_size: the file's known size in bytes.
            media: what kind of media the file must be (``"video"``, ``"image"``, ``"audio"``).

        Returns:
            Where the file is, its size and sha256.

        Raises:
            ValidationError: ``name`` is not a plain file name inside ``out_dir``, or
                ``expected_sha256`` is not a sha256.
            ResponseTooLarge: the file exceeds ``max_bytes``.
            DownloadMismatch: the file does not match ``expected_size`` / ``expected_sha256``.
            NotMedia: the body is not a ``media`` file (after retries).
            StorageError: the file cannot be written (e.g. the disk is full).
            HTTPStatusError: an HTTP error (after retries for 5xx/408/429).
            TransportError: connection errors, timeouts, truncated bodies, after retries.
        """
        if expected_sha256 is not None:
            expected_sha256 = expected_sha256.lower()
            if not _SHA256_RE.fullmatch(expected_sha256):
                raise ValidationError("expected_sha256", "must be 64 hex digits")
        if expected_size is not None and expected_size < 0:
            raise ValidationError("expected_size", f"must be >= 0, got {expected_size}")
        endpoint = "GET " + _public_url(url)
        try:
            final = await anyio.to_thread.run_sync(self._final_path, name)
        except OSError as exc:
            raise _storage_error(exc, name, endpoint) from exc
        attempt = 0
        while True:
            try:
                async with self._limiter:
                    if attempt == 0:
                        try:
                            found = await anyio.to_thread.run_sync(
                                _verify_existing, final, expected_size, expected_sha256
                            )
                        except OSError as exc:
                            raise _storage_error(exc, name, endpoint) from exc
                        if found is not None:
                            return DownloadResult(url, final, found[0], found[1], skipped=True)
                    return await self._fetch(
                        url, final, endpoint, expected_size, expected_sha256, media
                    )
            except AkoolError as exc:
                if not exc.retryable or attempt >= self._retries:
                    raise
                delay = retry_delay(
                    attempt,
                    base=DEFAULT_RETRY_BASE,
                    cap=DEFAULT_RETRY_CAP,
                    rng=self._rng,
                    retry_after=exc.retry_after if isinstance(exc, HTTPStatusError) else None,
                )
                logger.info(
                    "download failed, retrying",
                    extra={
                        "endpoint": endpoint,
                        "attempt": attempt + 1,
                        "delay": delay,
                        "error": type(exc).__name__,
                    },
                )
            attempt += 1
            await self._clock.sleep(delay)

    def _final_path(self, name: str) -> Path:
        """Validate ``name``, create ``out_dir``, and resolve the final path (blocking)."""
        if (
            not name
            or name.startswith(".")
            or any(ch in name for ch in "/\\\0")
            or any(unicodedata.category(ch) == "Cc" for ch in name)
            or len(name.encode("utf-8", "surrogatepass")) > _MAX_NAME_BYTES
        ):
            raise ValidationError(
                "name", f"must be a plain file name (see safe_filename): {name!r}"
            )
        self._out_dir.mkdir(parents=True, exist_ok=True)
        out_dir = self._out_dir.resolve()
        # Defence in depth: a symlink planted under the final name must not lead elsewhere.
        final = (out_dir / name).resolve()
        if final.parent != out_dir:
            raise ValidationError("name", f"resolves outside {out_dir}: {name!r}")
        return final

    async def _fetch(
        self,
        url: str,
        final: Path,
        endpoint: str,
        expected_size: int | None,
        expected_sha256: str | None,
        media: MediaKind | None,
    ) -> DownloadResult:
        silence = self._clock.to_real(self._timeout)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=silence, sock_read=silence)
        part: _PartFile | None = None
        try:
            async with self._session.get(
                url, timeout=timeout, headers={"Accept-Encoding": "identity"}
            ) as resp:
                if resp.status >= 300:
                    raise _status_error(resp, endpoint, await resp.content.read(2048))
                # With a Content-Encoding the length counts encoded bytes, not the file's.
                encoded = resp.headers.get("Content-Encoding", "identity").lower() != "identity"
                length = None if encoded else resp.content_length
                if length is not None and length > self._max_bytes:
                    raise ResponseTooLarge(
                        f"Content-Length {length} exceeds max_bytes {self._max_bytes}",
                        endpoint=endpoint,
                    )
                chunked = "chunked" in resp.headers.get("Transfer-Encoding", "").lower()
                if length is None and not chunked and not encoded:
                    raise InvalidResponse(
                        "no Content-Length: a connection cut short could not be told from the "
                        "end of the file",
                        endpoint=endpoint,
                    )
                if media is not None:
                    mime = resp.headers.get("Content-Type", "").partition(";")[0].strip().lower()
                    if mime.startswith("text/") or mime in TEXT_TYPES:
                        raise NotMedia(
                            f"served as {mime}, not as a {media} file; not saved", endpoint=endpoint
                        )
                if length is not None and expected_size is not None and length != expected_size:
                    raise DownloadMismatch(
                        f"Content-Length {length} but {expected_size} bytes expected",
                        endpoint=endpoint,
                    )
                part = await anyio.to_thread.run_sync(_PartFile, final)
                async for chunk in resp.content.iter_chunked(self._chunk_size):
                    if part.size + len(chunk) > self._max_bytes:
                        raise ResponseTooLarge(
                            f"body exceeds max_bytes {self._max_bytes}", endpoint=endpoint
                        )
                    await anyio.to_thread.run_sync(part.write, chunk)
            if length is not None and part.size != length:
                raise InvalidResponse(
                    f"received {part.size} bytes, Content-Length said {length}", endpoint=endpoint
                )
            if media is not None:
                check_media(media, part.head, part.size, endpoint)
            sha256 = part.sha.hexdigest()
            if expected_size is not None and part.size != expected_size:
                raise DownloadMismatch(
                    f"received {part.size} bytes, {expected_size} expected", endpoint=endpoint
                )
            if expected_sha256 is not None and sha256 != expected_sha256:
                raise DownloadMismatch(
                    f"sha256 {sha256} but {expected_sha256} expected", endpoint=endpoint
                )
            await anyio.to_thread.run_sync(part.commit)
            return DownloadResult(url, final, part.size, sha256, skipped=False)
        except AkoolError:
            raise
        except TimeoutError as exc:  # before ClientError: aiohttp's timeouts are both
            raise RequestTimeout("download timed out", endpoint=endpoint) from exc
        except aiohttp.InvalidURL as exc:
            raise ValidationError("url", f"invalid URL: {_public_url(url)}") from exc
        except aiohttp.ClientPayloadError as exc:
            raise InvalidResponse(f"body cut short: {exc}", endpoint=endpoint) from exc
        except aiohttp.ClientConnectionError as exc:
            raise ConnectError(f"connection failed: {exc}", endpoint=endpoint) from exc
        except OSError as exc:  # writing the file: a full disk, permissions
            raise _storage_error(exc, final.name, endpoint) from exc
        except aiohttp.ClientError as exc:
            # The type only: some aiohttp messages quote the full (signed) URL.
            raise TransportError(
                f"download failed: {type(exc).__name__}", endpoint=endpoint
            ) from exc
        finally:
            # Synchronous on purpose: it must run even in a cancelled task, and is fast.
            if part is not None:
                part.discard()


def _storage_error(exc: OSError, name: str, endpoint: str) -> StorageError:
    return StorageError(f"cannot write {name}: {exc.strerror or exc}; {endpoint}")


def _public_url(url: str) -> str:
    """The URL without credentials, query or fragment (signed URLs carry signatures there)."""
    try:
        return str(URL(url).with_user(None).with_query(None).with_fragment(None))
    except (ValueError, TypeError):
        return "<invalid url>"


def _status_error(resp: aiohttp.ClientResponse, endpoint: str, body: bytes) -> HTTPStatusError:
    status = resp.status
    cls = ServerError if status >= 500 else RateLimited if status == 429 else HTTPStatusError
    retry_after = _parse_retry_after(resp.headers.get("Retry-After"))
    return cls(status, endpoint=endpoint, body=body, retry_after=retry_after)
