"""The fake's lists: avatars, voices v3 and v4, AI models, image-to-video effects.

Shapes follow the pages (``avatar.mdx``, ``audio.mdx``, ``voiceLab.mdx``, ``aimodel.mdx``,
``image2video.mdx``): the avatar list answers ``data`` as a list, page by page; the v4 voice list
answers ``data: {result, count, page, size}`` and requires ``type``; the model list requires
``types[]``. Ids in :data:`AVATAR_IDS` and :data:`VOICE_IDS` are the ones the fake knows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from .._faults import envelope_error
from .._http import ok
from ._common import FAKE_TEAM_ID, FAKE_UID, FakeArea

if TYPE_CHECKING:
    from .._server import FakeAkool

__all__ = ["AREA", "AVATAR_IDS", "VOICE_IDS"]

_CDN: Final = "https://d2qf6ukcym4kn9.cloudfront.net/fake"
_CREATED: Final = 1700788730000

_AVATAR_NAMES: Final = (
    "Yasmin in White shirt", "Tristan in Suit", "Mia at Desk", "Omar Outdoors", "Lena Studio",
    "Kenji Casual", "Amara Office", "Diego Podcast", "Sofia Newsroom", "Noah Classroom",
    "Priya Clinic", "Lucas Street", "Hana Cafe", "Ethan Gym", "Zara Stage",
    "Ivan Library", "Chloe Garden", "Mateo Kitchen", "Aisha Lobby", "Leo Workshop",
    "Nora Beach", "Samir Park", "Elena Gallery", "Tom Warehouse", "Yuki Station",
)  # fmt: skip


def _avatar(i: int, name: str, source: int) -> dict[str, Any]:
    slug = name.replace(" ", "_")
    image = f"{_CDN}/avatar/{slug}.png"
    return {
        "_id": f"655ffeada6976ea3170871{i:02x}",
        "disabled": False,
        "uid": 1 if source == 2 else FAKE_UID,
        "type": 1,
        "from": source,
        "status": 1,
        "sort": 100 - i,
        "create_time": _CREATED + i * 1000,
        "name": name,
        "avatar_id": f"{slug}_20231121" if source == 2 else f"my_avatar_{i}",
        "url": image,
        "modify_url": image,
        "gender": "female" if i % 2 == 0 else "male",
        "thumbnailUrl": f"{_CDN}/avatar/thumbnail/{slug}.png",
        "crop_arr": [],
    }


#: Akool's avatars (from 2), then two the account uploaded (from 3).
_AVATARS: Final = [_avatar(i, n, 2) for i, n in enumerate(_AVATAR_NAMES)] + [
    _avatar(100 + i, f"My avatar {i}", 3) for i in range(2)
]

_V3_VOICES: Final = [
    {
        "_id": f"65e980d7af040969db5be8{i:02x}",
        "create_time": 1687181385319 + i,
        "uid": 1 if source == 3 else FAKE_UID,
        "from": source,
        "voice_id": voice_id,
        "gender": gender,
        "accent": accent,
        "name": name,
        "description": description,
        "useCase": use,
        "type": 1,
        "preview": f"{_CDN}/voices/{voice_id}.mp3",
        "__v": 0,
    }
    for i, (voice_id, name, gender, accent, description, use, source) in enumerate(
        (
            ("piTKgcLEGmPE4e6mEKli", "Nicole", "Female", "american", "whisper", "audiobook", 3),
            ("LcfcDJNUP1GQjkzn1xUU", "Emily", "Female", "american", "calm", "meditation", 3),
            ("ErXwobaYiN019PkySvjV", "Antoni", "Male", "american", "well-rounded", "narration", 3),
            ("onwK4e9ZLuTAKqWW03F9", "Daniel", "Male", "british", "deep", "news", 3),
            ("my-clone-v3-0001", "My voice", "Male", "american", "clone", "general", 4),
        )
    )
]

_V4_NAMES: Final = (
    "Aria", "Roger", "Sarah", "Laura", "Charlie", "George", "Callum", "River", "Liam",
    "Charlotte", "Alice", "Matilda", "Will", "Jessica", "Eric", "Chris", "Brian", "Daniel",
    "Lily", "Bill", "Grace", "Harry", "Dorothy", "Josh", "Adam", "Sam", "Elli", "Nicole",
    "Glinda", "Freya", "Rachel", "Domi", "Dave", "Fin", "Antoni", "Thomas", "Emily", "Serena",
)  # fmt: skip
_LOCALES: Final = (("English", "en"), ("Spanish", "es"), ("Polish", "pl"), ("Japanese", "ja"))
_STYLES: Final = ("Calm", "Authoritative", "Friendly", "Energetic")


def _v4_voice(i: int, name: str, kind: int) -> dict[str, Any]:
    language, locale = _LOCALES[i % len(_LOCALES)]
    return {
        "_id": f"68676e544439e3b8e246a0{i:02x}",
        "uid": FAKE_UID,
        "team_id": FAKE_TEAM_ID,
        "voice_id": f"akool-v4-{name.lower()}-{i:03d}" if kind == 2 else f"clone-{i:03d}",
        "gender": "Female" if i % 2 else "Male",
        "language": language,
        "locale": locale,
        "name": name,
        "preview": f"{_CDN}/voices/v4/{i}.mp3",
        "text": f"This is {name}, a sample of this voice.",
        "duration": 9000 + 17 * i,
        "status": 3,
        "create_time": 1751608916162 + i,
        "style": [_STYLES[i % 4], _STYLES[(i + 1) % 4]],
        "scenario": ["Advertisement"] if i % 3 else ["Education"],
        "age": ["Middle"],
        "deduction_credit": 0,
        "webhookUrl": "",
        "voice_model_name": "Akool Multilingual 3" if i % 2 else "Akool Multilingual 2",
        "support_stream": i % 2 == 1,
    }


#: v4 list: Akool's voices (type 2) and two the account cloned (type 1).
_V4_VOICES: Final = {
    2: [_v4_voice(i, n, 2) for i, n in enumerate(_V4_NAMES)],
    1: [_v4_voice(200 + i, f"MyVoice{i}", 1) for i in range(2)],
}

#: Every avatar id and voice id the fake's lists hold.
AVATAR_IDS: Final = frozenset(a["avatar_id"] for a in _AVATARS)
VOICE_IDS: Final = frozenset(
    [v["voice_id"] for v in _V3_VOICES]
    + [v["voice_id"] for kind in _V4_VOICES.values() for v in kind]
)


def _resolutions(*values: str) -> list[dict[str, Any]]:
    sizes = {"480p": (854, 480, 3), "720p": (1280, 720, 5), "1080p": (1920, 1080, 10)}
    sizes["4k"] = (3840, 2160, 20)
    return [
        {"label": v, "value": v, "width": w, "height": h, "unit_credit": c}
        for v in values
        for w, h, c in (sizes[v],)
    ]


def _model(
    kind: int, value: str, label: str, provider: str, sort: int, res: tuple[str, ...]
) -> dict[str, Any]:
    return {
        "sort": sort,
        "group": provider,
        "provider": provider,
        "type": kind,
        "label": label,
        "value": value,
        "description": f"{label} by {provider}",
        "resolutionList": _resolutions(*res),
        "isPro": sort < 90,
        "generate_audio": None,
        "durationList": [5, 10],
        "requiresPay": False,
        "supportedLastFrame": provider != "akool",
        "supportedExtendPrompt": False,
        "maxImageCount": 1,
        "maxCount": 10,
    }


_MODELS: Final = {
    1501: [
        _model(1501, "AkoolImage2VideoFastV1", "Akool Image2Video Fast V1", "akool", 100,
               ("720p", "1080p", "4k")),
        _model(1501, "seedance-1-0-lite-i2v-250428", "Seedance Lite Image2Video", "seedance", 95,
               ("480p", "720p", "1080p")),
    ],
    1502: [
        _model(1502, "AkoolText2VideoV1", "Akool Text2Video V1", "akool", 100, ("720p", "1080p")),
        _model(1502, "MiniMax-Hailuo-02", "Hailuo 02", "minimax", 85, ("720p", "1080p")),
    ],
    2101: [
        _model(2101, "AkoolCharacterSwapV1", "Akool Character Swap", "akool", 100, ("720p",)),
    ],
}  # fmt: skip

_EFFECTS: Final = [
    {
        "_id": f"687632b95a0f52799eeed7{i:02x}",
        "create_time": 1752576694502,
        "logo": f"{_CDN}/effects/{name}.png",
        "name": name,
        "video_url": f"{_CDN}/effects/{name}.mp4",
        "effect_code": f"{name.lower()}_{89244231 + i}",
    }
    for i, name in enumerate(("Squish", "Cakeify", "Samurai", "Inflate", "Melt", "Crush"))
]


def _number(request: web.Request, name: str, default: int) -> int | None:
    raw = request.query.get(name, "")
    if raw == "":
        return default
    return int(raw) if raw.isdigit() and int(raw) >= 1 else None


def _page(request: web.Request, items: list[dict[str, Any]], default_size: int) -> Any:
    page, size = _number(request, "page", 1), _number(request, "size", default_size)
    if page is None or size is None:
        return None
    return items[(page - 1) * size : page * size]


async def _avatar_list(fake: FakeAkool, request: web.Request) -> web.Response:
    source = request.query.get("from", "")
    if source not in ("", "2", "3"):
        return envelope_error(1003, "from must be 2 or 3")
    kind = request.query.get("type", "")
    if kind not in ("", "1", "2"):
        return envelope_error(1003, "type must be 1 or 2")
    items = [
        a
        for a in _AVATARS
        if (not source or a["from"] == int(source)) and (not kind or a["type"] == int(kind))
    ]
    page = _page(request, items, 100)
    if page is None:
        return envelope_error(1003, "page and size must be positive integers")
    return ok(page)


async def _voice_list_v3(fake: FakeAkool, request: web.Request) -> web.Response:
    source = request.query.get("from", "")
    if source not in ("", "3", "4"):
        return envelope_error(1003, "from must be 3 or 4")
    return ok([v for v in _V3_VOICES if not source or v["from"] == int(source)])


def _matches(voice: dict[str, Any], request: web.Request) -> bool:
    q = request.query
    name = q.get("name", "").lower()
    if name and name not in voice["name"].lower():
        return False
    if "gender" in q and voice["gender"] not in q["gender"].split(","):
        return False
    for key in ("style", "age", "scenario"):
        if key in q and not set(q[key].split(",")) & set(voice[key]):
            return False
    stream = q.get("support_stream")
    return stream is None or voice["support_stream"] == (stream == "1")


async def _voice_list_v4(fake: FakeAkool, request: web.Request) -> web.Response:
    kind = request.query.get("type", "")
    if kind == "":
        return envelope_error(1003, "type is required")
    if kind not in ("1", "2"):
        return envelope_error(1003, "type must be 1 or 2")
    if request.query.get("support_stream", "1") not in ("1", "2"):
        return envelope_error(1003, "support_stream must be 1 or 2")
    items = [v for v in _V4_VOICES[int(kind)] if _matches(v, request)]
    page = _page(request, items, 10)
    if page is None:
        return envelope_error(1003, "page and size must be positive integers")
    size = _number(request, "size", 10)
    return ok({"result": page, "count": len(items), "page": _number(request, "page", 1),
               "size": size})  # fmt: skip


async def _model_list(fake: FakeAkool, request: web.Request) -> web.Response:
    types = request.query.getall("types[]", [])
    if not types:
        return envelope_error(1003, "types is required")
    out: list[dict[str, Any]] = []
    for kind in types:
        if not kind.isdigit() or int(kind) not in _MODELS:
            return envelope_error(1003, f"types: unsupported model type {kind!r}")
        out.extend(_MODELS[int(kind)])
    return ok(sorted(out, key=lambda m: -m["sort"]))


async def _effects(fake: FakeAkool, request: web.Request) -> web.Response:
    return ok({"result": _EFFECTS, "count": len(_EFFECTS)})


AREA: Final = FakeArea(
    creates={},
    answers={},
    routes=(
        ("GET", "/api/open/v3/avatar/list", _avatar_list),
        ("GET", "/api/open/v3/voice/list", _voice_list_v3),
        ("GET", "/api/open/v4/voice/list", _voice_list_v4),
        ("GET", "/api/open/v4/aigModel/list", _model_list),
        ("GET", "/api/open/v4/image2Video/effects", _effects),
    ),
)
