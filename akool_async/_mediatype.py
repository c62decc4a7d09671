"""What a downloaded result must look like: its media kind, and the signatures of its formats.

An error page, a login page or an empty body answered with 200 for a result URL must never be
saved as the result: the downloader checks the first bytes against the formats of the kind of
media expected (:func:`check_media`).
"""

from __future__ import annotations

from typing import Final, Literal

from ._errors import InvalidResponse

__all__ = [
    "MEDIA_KINDS",
    "TEXT_TYPES",
    "MediaKind",
    "NotMedia",
    "check_media",
    "media_format",
    "sniff_format",
]


class NotMedia(InvalidResponse):
    """The body is not the media file expected (an error page, an empty body, another type).

    Retried (a CDN may answer an error page for a moment); the file is never saved.
    """


#: What a result is: the formats its bytes may have are in ``_KIND_FORMATS``.
MediaKind = Literal["video", "image", "audio"]

#: The media kind of each result suffix.
MEDIA_KINDS: Final[dict[str, MediaKind]] = {
    ".mp4": "video",
    ".mov": "video",
    ".webm": "video",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".webp": "image",
    ".gif": "image",
    ".mp3": "audio",
    ".wav": "audio",
    ".m4a": "audio",
}
_KIND_FORMATS: Final[dict[MediaKind, frozenset[str]]] = {
    "video": frozenset({"mp4", "mov", "webm", "avi", "ogg"}),
    "image": frozenset({"png", "jpg", "webp", "gif", "bmp"}),
    "audio": frozenset({"mp3", "wav", "m4a", "mp4", "ogg", "flac"}),
}
# Content types no media file is served with: an error or login page answered 200.
TEXT_TYPES: Final = frozenset(
    {"application/json", "application/xml", "application/xhtml+xml", "application/problem+json"}
)


def sniff_format(head: bytes) -> str | None:
    """The format the first bytes of a file announce, or None if unrecognised."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"BM") and len(head) >= 26:
        return "bmp"
    if head[:4] == b"RIFF" and len(head) >= 12:
        tag = head[8:12]
        if tag == b"WEBP":
            return "webp"
        if tag == b"WAVE":
            return "wav"
        if tag == b"AVI ":
            return "avi"
        return None
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if len(head) >= 12 and head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free"):
        if head[4:8] == b"ftyp":
            brand = head[8:12]
            if brand.startswith(b"M4A") or brand.startswith(b"M4B"):
                return "m4a"
            if brand == b"qt  ":
                return "mov"
            return "mp4"
        return "mov"
    return None


def media_format(head: bytes) -> str | None:
    """The media format the first bytes of a file announce (:func:`sniff_format`'s, and
    ``"webm"``, ``"gif"``, ``"ogg"``, ``"flac"``), or None when they announce none (text, an
    HTML page, nothing)."""
    found = sniff_format(head)
    if found is not None:
        return found
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"fLaC"):
        return "flac"
    return None


def check_media(kind: MediaKind, head: bytes, size: int, endpoint: str) -> None:
    """Raise NotMedia unless the body looks like a ``kind`` file."""
    if size == 0:
        raise NotMedia(f"empty body where a {kind} file was expected", endpoint=endpoint)
    found = media_format(head)
    if found not in _KIND_FORMATS[kind]:
        what = found or ("text: " + repr(head[:24].decode("latin-1")) if head else "nothing")
        raise NotMedia(
            f"not a {kind} file (its first bytes are {what}); not saved", endpoint=endpoint
        )
