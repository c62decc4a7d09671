"""Local checks of files before they are uploaded: format, size, and image dimensions.

Everything here is pure and reads only the first bytes of a file: the container signature says
which format it is (so ``photo.png`` that is really a JPEG is caught before any request), and the
header of an image says its width and height (so a mask whose size differs from its image is
refused before the submit that would fail on it).
"""

from __future__ import annotations

import struct
from typing import Final, Literal

from .._mediatype import sniff_format

__all__ = [
    "FORMATS",
    "MAX_UPLOAD_BYTES",
    "MediaKind",
    "image_size",
    "kind_of",
    "normalise_format",
    "same_format",
    "sniff_format",
]

MediaKind = Literal["image", "audio", "video"]

#: Every format ``/v1/upload/credential`` accepts, with its kind.
FORMATS: Final[dict[str, MediaKind]] = {
    "png": "image",
    "jpg": "image",
    "jpeg": "image",
    "bmp": "image",
    "webp": "image",
    "mp3": "audio",
    "wav": "audio",
    "m4a": "audio",
    "mp4": "video",
    "avi": "video",
    "mov": "video",
}

#: Largest upload per kind (bytes). TopView publishes no limit; these keep a typo (uploading a
#: whole disk image) from running for an hour. Override with ``TopViewSession(max_upload_bytes=)``.
MAX_UPLOAD_BYTES: Final[dict[MediaKind, int]] = {
    "image": 20 * 1024 * 1024,
    "audio": 100 * 1024 * 1024,
    "video": 1024 * 1024 * 1024,
}

#: Formats that share a container signature (the sniffer cannot tell them apart).
_SAME: Final[dict[str, frozenset[str]]] = {
    "jpg": frozenset({"jpg", "jpeg"}),
    "jpeg": frozenset({"jpg", "jpeg"}),
    # ISO base media: an .m4a, .mp4 or .mov differ only by their brand, which tools set loosely.
    "mp4": frozenset({"mp4", "m4a", "mov"}),
    "m4a": frozenset({"mp4", "m4a", "mov"}),
    "mov": frozenset({"mp4", "m4a", "mov"}),
}


def normalise_format(value: str) -> str | None:
    """``".JPG"`` -> ``"jpg"``; None if it is not an accepted format."""
    fmt = value.strip().lower().lstrip(".")
    return fmt if fmt in FORMATS else None


def kind_of(fmt: str) -> MediaKind:
    """The kind of an accepted format."""
    return FORMATS[fmt]


def same_format(declared: str, sniffed: str) -> bool:
    """Whether content sniffed as ``sniffed`` may be uploaded as ``declared``."""
    return sniffed in _SAME.get(declared, frozenset({declared}))


def image_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a PNG, JPEG, BMP or WebP header; None if it cannot be read."""
    try:
        fmt = sniff_format(data[:32])
        if fmt == "png":
            return _png(data)
        if fmt == "jpg":
            return _jpeg(data)
        if fmt == "bmp":
            return _bmp(data)
        if fmt == "webp":
            return _webp(data)
    except (struct.error, IndexError, ValueError):
        return None
    return None


def _positive(w: int, h: int) -> tuple[int, int] | None:
    return (w, h) if w > 0 and h > 0 else None


def _png(data: bytes) -> tuple[int, int] | None:
    if data[12:16] != b"IHDR":
        return None
    w, h = struct.unpack(">II", data[16:24])
    return _positive(w, h)


def _bmp(data: bytes) -> tuple[int, int] | None:
    header = struct.unpack("<I", data[14:18])[0]
    if header == 12:  # OS/2 BITMAPCOREHEADER: 16-bit sizes
        w, h = struct.unpack("<HH", data[18:22])
        return _positive(w, h)
    w, h = struct.unpack("<ii", data[18:26])
    return _positive(w, abs(h))  # a negative height means top-down rows


def _webp(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 ":
        if data[23:26] != b"\x9d\x01\x2a":
            return None
        w, h = struct.unpack("<HH", data[26:30])
        return _positive(w & 0x3FFF, h & 0x3FFF)
    if chunk == b"VP8L":
        if data[20] != 0x2F:
            return None
        bits = int.from_bytes(data[21:25], "little")
        return _positive((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X":
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return _positive(w, h)
    return None


# Start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) do not.
_SOF: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(data: bytes) -> tuple[int, int] | None:
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if length < 2:
            return None
        if marker in _SOF:
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return _positive(w, h)
        if marker == 0xD9:  # end of image before any frame
            return None
        i += 2 + length
    return None
