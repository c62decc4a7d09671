"""The lists over loopback against the fake: paging, owners, filters, validation, online check."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import anyio
import anyio.to_thread
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akool_async import ValidationError, parse_manifest
from akool_async._akool.lists import AkoolLists
from akool_async._batch.online_check import check_manifest_online, referenced_ids
from akool_async.cli import main
from akool_async.testing._akool.lists import AVATAR_IDS, VOICE_IDS

from .helpers import API_KEY, pair, session_for

pytestmark = pytest.mark.anyio

AVATARS = "GET /api/open/v3/avatar/list"
VOICES_V4 = "GET /api/open/v4/voice/list"


async def test_avatars_page_through_every_avatar() -> None:
    """Paging by 10 yields every avatar once, in ceil(n/10) requests (plus none beyond)."""
    async with pair() as (fake, session):
        ids = [a.avatar_id async for a in session.avatars(page_size=10)]
    assert sorted(ids) == sorted(AVATAR_IDS) and len(ids) == len(set(ids))
    assert fake.stats.requests[AVATARS] == -(-len(AVATAR_IDS) // 10)


async def test_avatar_owner_filters_by_from() -> None:
    """owner="mine" yields only the account's avatars (from 3)."""
    async with pair() as (_fake, session):
        mine = [a async for a in session.avatars(owner="mine")]
    assert mine and all(a.source == 3 for a in mine)


async def test_avatar_type_filters_talking_from_streaming() -> None:
    """type=1 yields the fake's talking avatars; type=2 (streaming) none of them."""
    async with pair() as (_fake, session):
        talking = [a async for a in session.avatars(type=1)]
        streaming = [a async for a in session.avatars(type=2)]
    assert sorted(a.avatar_id for a in talking) == sorted(AVATAR_IDS)
    assert streaming == []


async def test_fake_refuses_an_avatar_type_outside_the_page() -> None:
    """The fake answers type=3 with 1003 naming type, as it does for from."""
    async with pair() as (fake, _session), aiohttp.ClientSession() as http:
        url = f"{fake.base_url}/api/open/v3/avatar/list"
        async with http.get(url, params={"type": "3"}, headers={"x-api-key": API_KEY}) as r:
            answer = await r.json()
    assert answer["code"] == 1003 and "type" in answer["msg"]


async def test_voices_v4_page_by_count_over_both_types() -> None:
    """v4 voices page by data.count through clones and Akool's voices, each once."""
    async with pair() as (fake, session):
        voices = [v async for v in session.voices(page_size=7)]
        v3 = [v async for v in session.voices(version=3)]
    ids = [v.voice_id for v in voices]
    assert len(ids) == len(set(ids)) and {v.source for v in voices} == {1, 2}
    assert set(ids) | {v.voice_id for v in v3} == VOICE_IDS
    assert all(v.version == 3 for v in v3)
    assert fake.stats.requests[VOICES_V4] == 1 + -(-(len(ids) - 2) // 7)


async def test_voice_filters_reach_the_fake() -> None:
    """A gender filter yields only voices of that gender."""
    async with pair() as (_fake, session):
        voices = [v async for v in session.voices(owner="akool", gender=["Female"])]
    assert voices and all(v.gender == "Female" for v in voices)


async def test_models_and_effects() -> None:
    """AI models come per type (deduplicated), effects in one answer."""
    async with pair() as (fake, session):
        models = [m async for m in session.ai_models(types=[1501, 1502, 1501])]
        effects = [e async for e in session.image_to_video_effects()]
        languages = await session.languages()
    assert {m.type for m in models} == {1501, 1502}
    assert fake.stats.requests["GET /api/open/v4/aigModel/list"] == 2
    assert effects and all(e.effect_code for e in effects)
    # The fake's af-ZA needs a voice id (translation's partial-failure case); the rest do not.
    assert {lang.lang_code for lang in languages if lang.need_voice_id} == {"af-ZA"}
    assert all(lang.need_voice_id is not None for lang in languages)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.avatars(page_size=0), "page_size"),
        (lambda s: s.avatars(owner="them"), "owner"),
        (lambda s: s.avatars(type=3), "type"),
        (lambda s: s.voices(version=5), "version"),
        (lambda s: s.voices(version=3, gender=["Male"]), "version"),
        (lambda s: s.voices(style=["a,b"]), "style"),
        (lambda s: s.ai_models(types=[]), "types"),
        (lambda s: s.ai_models(types=[9999]), "types"),
    ],
)
async def test_bad_arguments_fail_before_any_request(call: object, field: str) -> None:
    """A bad list argument raises ValidationError naming it, and nothing is sent."""
    async with pair() as (fake, session):
        with pytest.raises(ValidationError) as info:
            call(session)  # type: ignore[operator]
        assert info.value.field == field
        assert fake.stats.total_requests() == 0


def test_referenced_ids_reach_nested_fields() -> None:
    """voice_id and avatar_id are found at the top and inside nested fields."""
    fields = {
        "avatar_id": "a1",
        "voice_id": "v1",
        "voices_map": {"ja": {"voice_id": "v2"}},
        "elements": [{"type": "audio", "voice_id": "v3"}],
    }
    assert referenced_ids(fields) == [
        ("avatar_id", "a1"),
        ("voice_id", "v1"),
        ("voice_id", "v2"),
        ("voice_id", "v3"),
    ]


def _rows(avatar: str, voice: str) -> list[dict[str, object]]:
    return [
        {"id": "ok", "family": "talking_avatar", "avatar_id": sorted(AVATAR_IDS)[0],
         "input_text": "hi", "voice_id": sorted(VOICE_IDS)[0]},
        {"id": "bad", "family": "talking_avatar", "avatar_id": avatar, "input_text": "hi",
         "voice_id": voice},
        {"id": "photo", "family": "talking_photo", "talking_photo_url": "https://x.example/a.jpg",
         "audio_url": "https://x.example/a.mp3"},
    ]  # fmt: skip


async def test_online_check_reports_unknown_ids_by_line() -> None:
    """Unknown avatar and voice ids are reported with their line; nothing is created."""
    text = "\n".join(json.dumps(r) for r in _rows("no_such_avatar", "no-such-voice")) + "\n"
    manifest = parse_manifest(text, source="m.jsonl")
    async with pair() as (fake, _session):
        problems = await check_manifest_online(manifest, [session_for(fake)])
        assert fake.stats.creates == 0
    assert [(p.line, p.field) for p in problems] == [(2, "avatar_id"), (2, "voice_id")]
    assert "no_such_avatar" in str(problems[0]) and "m.jsonl:2" in str(problems[0])


async def test_online_check_passes_known_ids() -> None:
    """A manifest naming only listed ids has no online problems."""
    good = sorted(AVATAR_IDS)[1], sorted(VOICE_IDS)[1]
    text = "\n".join(json.dumps(r) for r in _rows(*good)) + "\n"
    async with pair() as (fake, _session):
        problems = await check_manifest_online(
            parse_manifest(text, source="m.jsonl"), [session_for(fake)]
        )
    assert problems == []


async def test_cli_check_online_exit_2_naming_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``batch M --check --online`` exits 2 and prints each unknown id's line."""
    monkeypatch.setenv("AKOOL_API_KEY", API_KEY)
    path = tmp_path / "m.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in _rows("ghost", "ghost-voice")) + "\n")
    async with pair() as (fake, _session):
        args = ["batch", str(path), "--check", "--online", "--base-url", fake.base_url]
        code = await anyio.to_thread.run_sync(main, args)
        assert fake.stats.creates == 0
    err = capsys.readouterr().err
    assert code == 2
    assert "m.jsonl:2: avatar_id: unknown avatar id 'ghost'" in err
    assert "m.jsonl:2: voice_id: unknown voice id 'ghost-voice'" in err


class _PagedTransport:
    """Serves ``n`` avatars page by page, as ``avatar/list`` does; counts requests."""

    def __init__(self, n: int, with_count: bool) -> None:
        self.items = [{"avatar_id": f"a{i}"} for i in range(n)]
        self.with_count = with_count
        self.requests = 0

    async def request(self, method: str, path: str, *, params: dict[str, str]) -> dict[str, object]:
        self.requests += 1
        page, size = int(params["page"]), int(params["size"])
        chunk = self.items[(page - 1) * size : page * size]
        data: object = {"result": chunk, "count": len(self.items)} if self.with_count else chunk
        return {"code": 1000, "data": data}


class _StubLists(AkoolLists):
    def __init__(self, transport: _PagedTransport) -> None:
        self.transport = transport

    def _check_open(self) -> None:
        pass


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 60), st.integers(1, 25), st.booleans())
def test_paging_yields_every_item_once(n: int, size: int, with_count: bool) -> None:
    """Any list length and page size: every item once, in order, in at most n // size + 1 pages."""
    transport = _PagedTransport(n, with_count)

    async def collect() -> list[str]:
        lists = _StubLists(transport)
        return [a.avatar_id async for a in lists.avatars(page_size=size)]  # type: ignore[misc]

    assert anyio.run(collect) == [f"a{i}" for i in range(n)]
    assert transport.requests <= n // size + 1
