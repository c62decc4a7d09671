"""``akool-async``: batch exit codes, reports, resume after SIGKILL and SIGINT, demo, status."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest

from akool_async._batch import (
    DEFAULT_JOURNAL_NAME,
    BatchOutcome,
    BatchProgress,
    Journal,
    OutcomeState,
    RowState,
    load_manifest,
)
from akool_async.cli import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    build_parser,
    main,
)
from akool_async.cli._display import RichDisplay
from akool_async.cli._report import print_summary
from akool_async.testing._akool.moderation import FLAGGED_WORD

from .helpers import (
    API_KEY,
    IMG,
    MP3,
    SPEED,
    fake_server,
    fake_server_stats,
    fast_config,
    session_for,
    standalone_fake_server,
)

#: A key that must never show up in any output, report or journal.
SECRET_KEY = "sk-very-secret-0123456789"
PROGRESS_LINE = re.compile(
    r"^\[\s*\S+\] \d+/\d+ done \(\d+%\): created \d+, queueing \d+, processing \d+, "
    r"downloading \d+, failed \d+, unknown \d+, incomplete \d+ \| .+, ETA \S+$"
)


@pytest.fixture(autouse=True)
def _cli_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Credentials only from the environment; the CLI's log handler removed afterwards."""
    for name in ("AKOOL_API_KEY", "AKOOL_CLIENT_ID", "AKOOL_CLIENT_SECRET", "AKOOL_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    yield
    logger = logging.getLogger("akool_async")
    for handler in list(logger.handlers):
        if handler.get_name() == "akool-async-cli":
            logger.removeHandler(handler)
    logger.setLevel(logging.NOTSET)


def write_manifest(path: Path, n: int, *, prefix: str = "row") -> Path:
    """A CSV manifest of ``n`` talking-photo rows with distinct bodies."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "family", "photo", "audio"])
        for i in range(n):
            writer.writerow(
                [f"{prefix}-{i}", "talking_photo", f"https://cdn.example.com/{prefix}{i}.jpg", MP3]
            )
    return path


def read_report(out: Path) -> dict[str, Any]:
    """The report a batch wrote into ``out``."""
    data: dict[str, Any] = json.loads((out / "report.json").read_text("utf-8"))
    return data


def check_files(report: dict[str, Any], out: Path) -> None:
    """Every reported file is in ``out`` with its reported size; the journal is there too."""
    for row in report["rows"]:
        (file,) = row["files"]
        assert Path(file["path"]).parent == out.resolve() and len(file["sha256"]) == 64
        assert file["size"] == os.stat(file["path"]).st_size
    assert os.path.isfile(out / DEFAULT_JOURNAL_NAME)


# -- in-process: the command runs in a worker thread, the fake server in the test's loop ---------


async def run_main(*args: str) -> int:
    """``akool-async ARGS`` in a worker thread (it runs its own event loop)."""
    return await anyio.to_thread.run_sync(main, list(args))


@pytest.mark.anyio
async def test_batch_all_done_exit_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every row done: exit 0, files in DIR, report.json with one entry per row."""
    monkeypatch.setenv("AKOOL_API_KEY", API_KEY)
    manifest = write_manifest(tmp_path / "m.csv", 6)
    out = tmp_path / "out"
    async with fake_server() as fake:
        code = await run_main(
            "batch", str(manifest), "--out", str(out), "--base-url", fake.base_url,
            "--clock-speed", str(SPEED), "--concurrency", "3",
        )  # fmt: skip
        assert fake.stats.creates == 6
    assert code == EXIT_OK
    report = read_report(out)
    assert report["counts"] == {
        "total": 6, "done": 6, "failed": 0, "unknown": 0, "incomplete": 0,
    }  # fmt: skip
    assert report["exit_code"] == 0 and not report["interrupted"]
    assert [r["id"] for r in report["rows"]] == [f"row-{i}" for i in range(6)]
    check_files(report, out)
    stdout = capsys.readouterr().out
    assert "akool-async batch: 6 rows" in stdout and f"report: {out / 'report.json'}" in stdout


@pytest.mark.anyio
async def test_batch_failures_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Failed jobs: exit 1; the summary and the report name the failed rows and why."""
    monkeypatch.setenv("AKOOL_API_KEY", API_KEY)
    manifest = write_manifest(tmp_path / "m.csv", 3)
    out = tmp_path / "out"
    async with fake_server(fast_config(failure_ratio=1.0)) as fake:
        code = await run_main(
            "batch", str(manifest), "--out", str(out), "--base-url", fake.base_url,
            "--clock-speed", str(SPEED), "--report", str(tmp_path / "r.json"),
        )  # fmt: skip
    assert code == EXIT_FAILED
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    assert report["counts"]["failed"] == 3 and report["exit_code"] == 1
    assert all("[1015]" in row["error"] for row in report["rows"])
    captured = capsys.readouterr()
    assert "failed: row-0 (talking_photo):" in captured.err
    assert re.search(r"^  failed +row-0  talking_photo  ", captured.out, re.M)


@pytest.mark.anyio
async def test_unknown_rows_listed_then_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A row killed between intent and answer is listed, not re-created; --retry-unknown does."""
    monkeypatch.setenv("AKOOL_API_KEY", API_KEY)
    path = write_manifest(tmp_path / "m.csv", 3)
    out = tmp_path / "out"
    manifest = load_manifest(path)
    out.mkdir()
    with Journal.open(out / DEFAULT_JOURNAL_NAME, manifest_digest=manifest.digest) as journal:
        journal.add_rows([(r.row_id, r.family, dict(r.fields)) for r in manifest.rows])
        journal.begin_create("row-1")  # SIGKILL here: the create may or may not have been sent
    base = ["batch", str(path), "--out", str(out), "--clock-speed", str(SPEED)]
    async with fake_server() as fake:
        code = await run_main(*base, "--base-url", fake.base_url)
        assert code == EXIT_FAILED and fake.stats.creates == 2
        report = read_report(out)
        assert report["unknown_rows"] == ["row-1"] and report["counts"]["done"] == 2
        captured = capsys.readouterr()
        assert "--retry-unknown" in captured.out and "billed twice" in captured.out
        assert re.search(r"^  unknown +row-1 ", captured.out, re.M)
        assert "row-1" in captured.err  # the warning lists it up front

        code = await run_main(*base, "--base-url", fake.base_url)
        assert code == EXIT_FAILED and fake.stats.creates == 2

        code = await run_main(*base, "--base-url", fake.base_url, "--retry-unknown")
        assert code == EXIT_OK and fake.stats.creates == 3
        report = read_report(out)
        assert report["counts"]["done"] == 3 and report["retried_unknown"] == ["row-1"]


def test_bad_manifest_exit_2_with_line_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad manifest: exit 2 before anything else, every problem cited as file:line."""
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "id,family,talking_photo_url,audio_url\n"
        f"a,talking_photo,{IMG},{MP3}\n"
        f"a,talking_photo,{IMG},{MP3}\n"
        f"c,talking_photo,{IMG},not-a-url\n",
        "utf-8",
    )
    code = main(["batch", str(manifest), "--out", str(tmp_path / "out")])
    assert code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "2 problem(s)" in err and "nothing was sent" in err
    assert "manifest.csv:3: id: duplicate id 'a': already used on line 2" in err
    assert "manifest.csv:4: audio_url: must be an http(s) URL with a host" in err
    assert not (tmp_path / "out").exists()


def test_check_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--check validates and sends nothing (no credentials needed)."""
    manifest = write_manifest(tmp_path / "m.csv", 4)
    assert main(["batch", str(manifest), "--check"]) == EXIT_OK
    assert "4 rows OK" in capsys.readouterr().out


def test_missing_credentials_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No AKOOL_API_KEY (nor client id/secret): exit 2 with a hint, nothing written."""
    manifest = write_manifest(tmp_path / "m.csv", 1)
    code = main(["batch", str(manifest), "--out", str(tmp_path / "out")])
    assert code == EXIT_BAD_INPUT
    assert "AKOOL_API_KEY" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_changed_row_is_refused_naming_it_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A journaled row whose fields changed is refused (exit 2), named, with the CLI's flags."""
    monkeypatch.setenv("AKOOL_API_KEY", API_KEY)
    journal = tmp_path / "j.sqlite"
    with Journal.open(journal) as j:
        j.add_rows([("row-0", "talking_photo", {"talking_photo_url": IMG, "audio_url": MP3})])
    manifest = write_manifest(tmp_path / "m.csv", 1)
    code = main(["batch", str(manifest), "--out", str(tmp_path), "--journal", str(journal)])
    assert code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "row-0: fields talking_photo_url differ" in err and "--changed-rows=recreate" in err
    assert "allow_manifest_change" not in err and "=True" not in err


@pytest.mark.parametrize(
    "args",
    [
        ["batch", "m.csv", "--out", "o", "--concurrency", "0"],
        ["batch", "m.csv", "--out", "o", "--max-wait", "-5"],
        ["batch", "m.csv", "--out", "o", "--api-key", "x"],
        ["batch"],
        ["nope"],
    ],
)
def test_bad_arguments_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Bad arguments exit 2; there is no way to pass a key on the command line."""
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == EXIT_BAD_INPUT
    capsys.readouterr()


def test_help_documents_manifest_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    """``batch --help`` explains the manifest, resume, --retry-unknown and the exit codes."""
    with pytest.raises(SystemExit) as exc:
        main(["batch", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    needles = ("exit codes:", "0  every row done", "3  interrupted", "4  the credentials")
    for needle in (*needles, "5  the journal", "6  the journal is in use", "--retry-unknown"):
        assert needle in text
    for needle in ("--retry-failed", "--changed-rows", "line-N", "photo"):
        assert needle in text
    assert "--api-key" not in text
    assert "fake-server" in build_parser().format_help()


@pytest.mark.anyio
async def test_status_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``status ID --family F`` prints the job as JSON; unknown job 1, unknown family 2."""
    monkeypatch.setenv("AKOOL_API_KEY", API_KEY)
    async with fake_server() as fake, session_for(fake) as session:
        (job,) = await session.create("talking_photo", {"talking_photo_url": IMG, "audio_url": MP3})
        fake.complete(job.id)
        base = ["--base-url", fake.base_url]
        assert await run_main("status", job.id, "--family", "talking_photo", *base) == EXIT_OK
        shown = json.loads(capsys.readouterr().out)
        assert shown["id"] == job.id and shown["status"] == "completed"
        assert shown["result_url"] == fake.result_url(job.id)
        missing = await run_main("status", "0" * 24, "--family", "talking_photo", *base)
        assert missing == EXIT_FAILED
        assert await run_main("status", job.id, "--family", "nope", *base) == EXIT_BAD_INPUT
        capsys.readouterr()


@pytest.mark.anyio
async def test_demo_small(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo runs end to end with no credentials, compares its status requests with a fixed
    loop's, exits as its report says, and a second run reuses (cleans) the same folder."""
    out = tmp_path / "demo"
    code = await run_main(
        "demo", "--jobs", "12", "--speed", "400", "--out", str(out), "--progress", "plain"
    )
    report = read_report(out)
    assert report["exit_code"] == code  # the process and its report agree
    assert report["counts"]["total"] == 12
    assert report["counts"]["done"] + report["counts"]["failed"] == 12
    assert (out / "demo-manifest.csv").is_file()
    captured = capsys.readouterr()
    assert "demo: 12 talking-photo jobs" in captured.err
    assert "akool-async batch: 12 rows" in captured.out
    assert "a loop polling each job every 5 s would have sent" in captured.err
    assert str(out.resolve()) in captured.err
    # Reusing the folder: the earlier run's files are cleaned away first.
    (out / "stale.txt").write_text("old")
    again = await run_main("demo", "--jobs", "2", "--speed", "400", "--out", str(out))
    assert again == read_report(out)["exit_code"] and read_report(out)["counts"]["total"] == 2
    assert not (out / "stale.txt").exists()
    # A folder that is not a demo's is refused, untouched.
    other = tmp_path / "mine"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    assert await run_main("demo", "--jobs", "2", "--out", str(other)) == EXIT_BAD_INPUT
    assert (other / "keep.txt").read_text() == "mine"
    capsys.readouterr()


# -- subprocesses: a standalone fake server, a batch killed and resumed ---------------------------

_FAKE_ARGS = [
    "--speed", "50", "--queue-time", "2", "6", "--media-duration", "2", "5",
    "--processing-factor", "2", "--result-size", "2048", "--api-key", SECRET_KEY,
    # Every create answer is held back 50 ms: a kill often lands between intent and answer.
    "--fault-slow", "1", "--fault-scope", "create", "--slow-delay", "0.05",
]  # fmt: skip


@pytest.fixture
def standalone_fake() -> Iterator[str]:
    """``akool-async fake-server`` in a subprocess; yields its base URL."""
    with standalone_fake_server(
        [sys.executable, "-m", "akool_async.cli", "fake-server", "--port", "0", *_FAKE_ARGS]
    ) as base_url:
        yield base_url


def fake_stats(base_url: str) -> dict[str, Any]:
    """``GET /_fake/stats``."""
    return fake_server_stats(base_url)


def batch_cmd(manifest: Path, out: Path, base_url: str, *extra: str) -> list[str]:
    """The batch command line against the standalone fake server."""
    return [
        sys.executable, "-m", "akool_async.cli", "batch", str(manifest), "--out", str(out),
        "--base-url", base_url, "--clock-speed", "50", "--concurrency", "5",
        "--log-interval", "0.5", *extra,
    ]  # fmt: skip


def cli_env() -> dict[str, str]:
    """The environment of a batch subprocess: the key comes from AKOOL_API_KEY only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AKOOL_")}
    env["AKOOL_API_KEY"] = SECRET_KEY
    return env


def start_and_wait(cmd: list[str], base_url: str, creates: int) -> subprocess.Popen[str]:
    """Start a batch; return once the server has seen ``creates`` creates."""
    proc = subprocess.Popen(
        cmd, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while fake_stats(base_url)["creates"] < creates:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the batch did not start creating"
        time.sleep(0.01)
    return proc


def rows_by_state(journal_path: Path) -> dict[RowState, set[str]]:
    """Journal rows grouped by state (read-only look at a journal)."""
    out: dict[RowState, set[str]] = {}
    with Journal.open(journal_path) as journal:
        for row in journal.rows():
            out.setdefault(row.state, set()).add(row.row_id)
    return out


def assert_quiet_about_secrets(*texts: str) -> None:
    """Nothing printed or written holds the API key."""
    for text in texts:
        assert SECRET_KEY not in text


def assert_plain_progress(stderr: str) -> None:
    """Non-TTY output: plain progress lines, no terminal escapes."""
    assert "\x1b[" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("[")]
    assert lines and all(PROGRESS_LINE.match(line) for line in lines), stderr


def test_sigkill_then_resume(tmp_path: Path, standalone_fake: str) -> None:
    """SIGKILL mid-run, run again: no duplicate create, no lost job, every row finished."""
    rows = 30
    manifest = write_manifest(tmp_path / "m.csv", rows, prefix="kill")
    out = tmp_path / "out"
    cmd = batch_cmd(manifest, out, standalone_fake)
    proc = start_and_wait(cmd, standalone_fake, creates=8)
    proc.kill()
    proc.communicate()
    journal_path = out / DEFAULT_JOURNAL_NAME
    at_kill = rows_by_state(journal_path)
    creating = at_kill.get(RowState.CREATING, set())
    assert fake_stats(standalone_fake)["creates"] < rows  # killed mid-run indeed
    time.sleep(0.2)  # the server answers the creates it already had

    second = subprocess.run(cmd, env=cli_env(), capture_output=True, text=True, timeout=60)
    stats = fake_stats(standalone_fake)
    assert stats["duplicate_creates"] == 0
    report = read_report(out)
    assert set(report["unknown_rows"]) == creating
    assert report["counts"]["done"] == rows - len(creating)
    assert second.returncode == (EXIT_OK if not creating else EXIT_FAILED), second.stderr
    # No lost job: every job the server made is journaled, or its row is listed as unknown.
    with Journal.open(journal_path) as journal:
        journaled = sum(len(r.jobs) for r in journal.rows())
    assert journaled == rows - len(creating)
    assert journaled <= stats["jobs_created"] <= journaled + len(creating)
    for row in report["rows"]:
        if row["state"] == "done":
            (file,) = row["files"]
            assert file["size"] == 2048 and Path(file["path"]).is_file()
    assert not [p for p in os.listdir(out) if ".part-" in p]
    assert_plain_progress(second.stderr)
    assert_quiet_about_secrets(
        second.stdout, second.stderr, (out / "report.json").read_text("utf-8"),
        journal_path.read_bytes().decode("latin-1"),
    )  # fmt: skip

    if creating:
        # Asked explicitly: the unknown rows are created again (and may be paid twice).
        third = subprocess.run(
            [*cmd, "--retry-unknown"], env=cli_env(), capture_output=True, text=True, timeout=60
        )
        assert third.returncode == EXIT_OK, third.stderr
        assert read_report(out)["counts"]["done"] == rows
        assert fake_stats(standalone_fake)["duplicate_creates"] <= len(creating)
        assert "billed twice" in third.stderr


def test_sigint_stops_cleanly_exit_3(tmp_path: Path, standalone_fake: str) -> None:
    """Ctrl-C: creates in flight are journaled, exit 3; the next run finishes the batch."""
    rows = 30
    manifest = write_manifest(tmp_path / "m.csv", rows, prefix="int")
    out = tmp_path / "out"
    cmd = batch_cmd(manifest, out, standalone_fake)
    proc = start_and_wait(cmd, standalone_fake, creates=6)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == EXIT_INTERRUPTED, stderr
    assert "interrupted" in stderr and "(interrupted)" in stdout
    states = rows_by_state(out / DEFAULT_JOURNAL_NAME)
    assert RowState.CREATING not in states and RowState.UNKNOWN not in states
    report = read_report(out)
    assert report["interrupted"] and report["exit_code"] == EXIT_INTERRUPTED
    assert "Run the same command again to resume" in stdout
    assert_plain_progress(stderr)

    again = subprocess.run(cmd, env=cli_env(), capture_output=True, text=True, timeout=60)
    assert again.returncode == EXIT_OK, again.stderr
    stats = fake_stats(standalone_fake)
    assert stats["creates"] == rows and stats["duplicate_creates"] == 0
    assert read_report(out)["counts"]["done"] == rows
    assert_quiet_about_secrets(stdout, stderr, again.stdout, again.stderr)


@pytest.mark.anyio
async def test_webhook_url_sent_with_every_create(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--webhook-url reaches Akool as webhookUrl; the command still polls to the end."""
    monkeypatch.setenv("AKOOL_API_KEY", API_KEY)
    manifest = write_manifest(tmp_path / "m.csv", 2)
    hook = "http://127.0.0.1:9/akool/webhook"
    async with fake_server() as fake:
        code = await run_main(
            "batch", str(manifest), "--out", str(tmp_path / "out"), "--base-url", fake.base_url,
            "--clock-speed", str(SPEED), "--webhook-url", hook,
        )  # fmt: skip
        assert code == EXIT_OK
        assert [b["webhookUrl"] for b in fake.stats.create_bodies] == [hook, hook]
    capsys.readouterr()


def test_summary_is_plain_text_without_terminal_escapes() -> None:
    """Errors from the server cannot send escape sequences to the terminal."""
    report = {
        "counts": {"total": 1, "done": 0, "failed": 1, "unknown": 0, "incomplete": 0},
        "elapsed_seconds": 1.0,
        "interrupted": False,
        "error": None,
        "rows": [
            {"id": "a", "family": "tts", "state": "failed", "error": "bad\x1b[2J\x07 news"},
        ],
    }
    stream = io.StringIO()
    print_summary(report, Path("r.json"), stream=stream)
    text = stream.getvalue()
    assert "\x1b" not in text and "\x07" not in text
    assert "failed     a  tts  bad?[2J? news" in text and "report: r.json" in text


def test_rich_display_prints_ids_literally() -> None:
    """Rich output treats row ids and errors as text, not markup."""
    from rich.console import Console

    buffer = io.StringIO()
    display = RichDisplay(console=Console(file=buffer, force_terminal=True, width=200))
    with display:
        display.update(BatchProgress(total=2, pending=1, failed=1, created=1))
        display.outcome(
            BatchOutcome("[bold]x", "tts", OutcomeState.FAILED, error="[red]boom\x1b[2J")
        )
        display.message("hello [b]")
    text = buffer.getvalue()
    assert "[bold]x (tts): [red]boom?[2J" in text and "hello [b]" in text


@pytest.mark.anyio
async def test_batch_counts_moderation_rows_done_with_their_verdicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Moderation rows (no result file): exit 0, counted done, each row's verdict in the
    report's ``results``, no URL, no file, nothing downloaded."""
    monkeypatch.setenv("AKOOL_API_KEY", API_KEY)
    manifest = tmp_path / "m.csv"
    flagged = f"https://cdn.example.com/{FLAGGED_WORD}.jpg"
    with manifest.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "family", "content", "type"])
        writer.writerows([["clean", "moderation", IMG, 1], ["flagged", "moderation", flagged, 1]])
    out = tmp_path / "out"
    async with fake_server() as fake:
        code = await run_main(
            "batch", str(manifest), "--out", str(out), "--base-url", fake.base_url,
            "--clock-speed", str(SPEED),
        )  # fmt: skip
        assert not fake.stats.downloads
    report = read_report(out)
    assert code == EXIT_OK and report["counts"]["done"] == 2 and report["counts"]["failed"] == 0
    rows = {r["id"]: r for r in report["rows"]}
    assert rows["flagged"]["urls"] == [] and rows["flagged"]["files"] == []
    assert "Non-Compliant" in rows["flagged"]["results"][0]
    assert "Result: Compliant" in rows["clean"]["results"][0]
