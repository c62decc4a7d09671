"""State of the fake TopView: its task table, tasks, uploads, counters, and sample media."""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from typing import Any, Final

from attrs import define, field

from ._jobs import TimedJob

__all__ = [
    "TOPVIEW_TASKS",
    "WORDS",
    "FakeFile",
    "TopViewCounters",
    "TopViewJob",
    "sample_media",
]


@define(slots=True, frozen=True)
class _Task:
    family: str
    prefix: str
    biz_type: str
    ext: str
    #: The query spellings served by default: ``.../query`` where TopView's own client and other
    #: callers agree on it; both where the evidence disagrees (the v1 endpoint pages say
    #: ``result``, the overview ``query``).
    queries: tuple[str, ...] = ("query",)


_BOTH: Final = ("result", "query")

#: family -> how it is served. Names match ``akool_async.topview``'s family table.
TOPVIEW_TASKS: Final[dict[str, _Task]] = {
    t.family: t
    for t in (
        _Task(
            "topview_product_replace",
            "/v1/product_avatar/task/image_replace",
            "PRODUCT_AVATAR_REPLACE_PRODUCT_IMAGE",
            "jpg",
            _BOTH,
        ),
        _Task(
            "topview_product_image2video",
            "/v1/product_avatar/task/image2Video",
            "PRODUCT_AVATAR_IMAGE2VIDEO",
            "mp4",
            _BOTH,
        ),
        _Task(
            "topview_product_image2video_v2",
            "/v2/product_avatar/task/image2Video",
            "PRODUCT_AVATAR_IMAGE2VIDEO",
            "mp4",
        ),
        _Task("topview_video_avatar", "/v1/video_avatar/task", "ZERO_SHOT_AVATAR", "mp4"),
        _Task(
            "topview_image2video",
            "/v1/common_task/image2video",
            "COMMON_TASK_IMAGE2VIDEO",
            "mp4",
            _BOTH,
        ),
        _Task(
            "topview_image2video_v2",
            "/v2/common_task/image2video/task",
            "COMMON_TASK_IMAGE2VIDEO",
            "mp4",
        ),
        _Task(
            "topview_text2video",
            "/v1/common_task/text2video/task",
            "COMMON_TASK_TEXT2VIDEO",
            "mp4",
        ),
        _Task(
            "topview_text2image",
            "/v1/common_task/text2image/task",
            "COMMON_TASK_TEXT2IMAGE",
            "png",
        ),
    )
}

#: The status words of TopView's own client (``init``, ``running``, ``success``, ``fail``).
WORDS: Final = {1: "init", 2: "running", 3: "success", 4: "fail"}


@define(slots=True, eq=False)
class TopViewJob(TimedJob):
    """One task as the fake sees it (statuses 1 init, 2 running, 3 success, 4 fail)."""

    params: dict[str, Any]
    count: int = 1
    error_msg: str = "Generation failed, please try again"
    notice_url: str | None = None
    #: Fault knob (``FakeTopView.complete(id, without_url=True)``): success with no result URL.
    without_url: bool = False
    #: Fault knob (``FakeTopView.complete(id, failed_items=n)``): the last n of several listed
    #: videos fail while the task succeeds (image to video v2 reports each video apart).
    failed_items: int = 0
    replace_keys: tuple[str, ...] = ()
    callbacks_sent: int = 0


@define(slots=True, eq=False)
class FakeFile:
    """One upload: issued by the credential endpoint, filled by the PUT."""

    file_id: str
    format: str
    signature: str
    data: bytes | None = None
    dims: tuple[int, int] | None = None


@define(slots=True)
class TopViewCounters:
    """TopView-only counters (the shared ones live in :class:`FakeStats`)."""

    credentials: int = 0
    storage_puts: int = 0
    #: PUTs to the storage URL that carried an Authorization or Topview-Uid header (a leak).
    storage_auth_leaks: int = 0
    checks: int = 0
    notice_checks: int = 0
    callbacks_sent: int = 0
    callbacks_failed: int = 0
    #: Answers the notice URLs gave: (HTTP status, body text).
    callback_answers: list[tuple[int, str]] = field(factory=list)
    submits_refused: Counter[str] = field(factory=Counter)


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def sample_media(fmt: str, *, width: int = 8, height: int = 8, size: int = 256) -> bytes:
    """A small file whose signature (and, for images, header size) is that of ``fmt``.

    Images are valid PNG, or headers of JPEG/BMP/WebP carrying ``width`` x ``height``; audio
    and video are a correct signature padded with zeros to ``size`` bytes.
    """
    fmt = fmt.lower()
    if fmt == "png":
        row = b"\x00" + b"\x00" * (width * 3)
        ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(row * height))
            + _png_chunk(b"IEND", b"")
        )
    if fmt in ("jpg", "jpeg"):
        app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
        return b"\xff\xd8" + app0 + sof + b"\xff\xd9"
    if fmt == "bmp":
        header = struct.pack("<2sIHHI", b"BM", 54, 0, 0, 54)
        info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 0, 0, 0, 0)
        return header + info
    if fmt == "webp":
        bits = (width - 1) | ((height - 1) << 14)
        payload = b"\x2f" + bits.to_bytes(4, "little")
        chunk = b"VP8L" + struct.pack("<I", len(payload)) + payload
        return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk
    heads = {
        "mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00",
        "wav": b"RIFF\x24\x00\x00\x00WAVEfmt ",
        "m4a": b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00",
        "mp4": b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00",
        "mov": b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00",
        "avi": b"RIFF\x24\x00\x00\x00AVI LIST",
    }
    head = heads.get(fmt)
    if head is None:
        raise ValueError(f"fmt: no sample for {fmt!r}")
    return head + b"\x00" * max(0, size - len(head))
