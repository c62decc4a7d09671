"""The one-off commands over loopback: a command per family, credit, languages, status --wait."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import anyio.to_thread
import pytest

import akool_async
from akool_async import FAMILIES
from akool_async.cli import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, build_parser, main
from akool_async.cli._families import command_name
from akool_async.testing import FakeAkool
from akool_async.testing._akool.moderation import FLAGGED_WORD

from .helpers import API_KEY, IMG, IMG2, MP3, SPEED, fake_server, fast_config, session_for

pytestmark = pytest.mark.anyio


async def run_main(*args: str) -> int:
    """``akool-async ARGS`` in a worker thread (it runs its own event loop)."""
    return await anyio.to_thread.run_sync(main, list(args))


def conn(fake: FakeAkool) -> list[str]:
    """The connection flags for ``fake``."""
    return ["--base-url", fake.base_url, "--clock-speed", str(SPEED)]


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AKOOL_API_KEY", API_KEY)


async def test_family_command_several_inputs_wait_download_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two ``--photo`` flags make two jobs; ``--out`` saves both; stdout is one JSON document."""
    out = tmp_path / "out"
    async with fake_server() as fake:
        code = await run_main(
            "talking-photo", "--photo", IMG, "--photo", IMG2, "--audio", MP3,
            "--out", str(out), "--json", *conn(fake),
        )  # fmt: skip
        doc = json.loads(capsys.readouterr().out)
        assert code == EXIT_OK and doc["ok"] is True
        assert [j["state"] for j in doc["jobs"]] == ["completed", "completed"]
        for job in doc["jobs"]:
            assert await anyio.Path(job["file"]).read_bytes() == fake.expected_bytes(job["id"])
        assert fake.stats.creates == 2


async def test_family_command_without_wait_prints_the_created_jobs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without ``--wait`` the command creates the job and prints its id at once."""
    async with fake_server() as fake:
        code = await run_main(
            "tts", "--text", "hello", "--voice", "en-1", "--rate", "100%", "--json", *conn(fake)
        )
        doc = json.loads(capsys.readouterr().out)
        assert code == EXIT_OK
        (job,) = doc["jobs"]
        assert job["id"] in fake.jobs and job["family"] == "tts"


async def test_family_command_bad_input_sends_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    """A bad value or mismatched repeat counts exit 2 naming the field, before any request."""
    async with fake_server() as fake:
        bad = await run_main("talking-photo", "--photo", "a.jpg", "--audio", MP3, *conn(fake))
        err = capsys.readouterr().err
        assert bad == EXIT_BAD_INPUT and "talking_photo_url" in err
        uneven = await run_main(
            "lip-sync", "--video", IMG, "--video", IMG2, "--video", IMG,
            "--audio", MP3, "--audio", MP3, *conn(fake),
        )  # fmt: skip
        assert uneven == EXIT_BAD_INPUT and "audio_url" in capsys.readouterr().err
        assert fake.stats.creates == 0


async def test_family_command_failed_job_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    """A job that fails makes the command exit 1, and its line says failed."""
    async with fake_server(fast_config(failure_ratio=1.0)) as fake:
        code = await run_main("image", "--prompt", "a fox", "--wait", "--json", *conn(fake))
        doc = json.loads(capsys.readouterr().out)
        assert code == EXIT_FAILED and doc["ok"] is False
        assert doc["jobs"][0]["state"] == "failed"


def test_every_family_has_a_command() -> None:
    """Each family of the table gets its command, so a new family needs no CLI change."""
    choices = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in FAMILIES:
        assert command_name(name) in choices


async def test_credit_and_languages_json(capsys: pytest.CaptureFixture[str]) -> None:
    """``credit --json`` and ``languages --json`` print one JSON document each."""
    async with fake_server() as fake:
        assert await run_main("credit", "--json", "--base-url", fake.base_url) == EXIT_OK
        assert isinstance(json.loads(capsys.readouterr().out)["credit"], float)
        assert await run_main("languages", "--json", "--base-url", fake.base_url) == EXIT_OK
        langs = json.loads(capsys.readouterr().out)["languages"]
        assert any(x["lang_code"] == "ja" for x in langs)


async def test_status_wait_download(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``status ID --download DIR --json`` tracks the job to its end and saves its result."""
    async with fake_server() as fake, session_for(fake) as session:
        (job,) = await session.create("talking_photo", {"talking_photo_url": IMG, "audio_url": MP3})
        args = ["status", job.id, "--family", "talking_photo", "--download", str(tmp_path)]
        code = await run_main(*args, "--json", *conn(fake))
        doc = json.loads(capsys.readouterr().out)
        assert code == EXIT_OK and doc["jobs"][0]["state"] == "completed"
        assert await anyio.Path(doc["jobs"][0]["file"]).read_bytes() == fake.expected_bytes(job.id)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """``--version`` prints the package's one version string."""
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"akool-async {akool_async.__version__}"


async def test_voices_avatars_models_json(capsys: pytest.CaptureFixture[str]) -> None:
    """``voices``, ``avatars`` and ``models`` with ``--json`` print one document of the lists."""
    async with fake_server() as fake:
        base = ["--base-url", fake.base_url]
        for command, key, field in (
            (["voices"], "voices", "voice_id"),
            (["voices", "--api-version", "3"], "voices", "voice_id"),
            (["avatars", "--owner", "akool"], "avatars", "avatar_id"),
            (["models", "--type", "1501", "--type", "1502"], "models", "value"),
        ):
            assert await run_main(*command, "--json", *base) == EXIT_OK, command
            items = json.loads(capsys.readouterr().out)[key]
            assert items and all(item[field] for item in items), command
            assert all("raw" not in item for item in items)
        assert await run_main("voices", *base) == EXIT_OK
        assert capsys.readouterr().out.strip()


async def test_moderation_command_prints_its_result_and_saves_no_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``moderation ... --out DIR --json``: exit 0, the findings in the JSON, nothing written
    into DIR and no file fetched (the result is not a file)."""
    out = tmp_path / "out"
    flagged = f"https://cdn.example.com/{FLAGGED_WORD}.jpg"
    async with fake_server() as fake:
        code = await run_main(
            "moderation", "--content", flagged, "--content-type", "1", "--out", str(out),
            "--json", *conn(fake),
        )  # fmt: skip
        assert not fake.stats.downloads
    (line,) = json.loads(capsys.readouterr().out)["jobs"]
    assert code == EXIT_OK and line["state"] == "completed" and "file" not in line
    assert line["result_url"] is None and "Non-Compliant" in line["result"]
    assert [p async for p in anyio.Path(out).iterdir()] == []
