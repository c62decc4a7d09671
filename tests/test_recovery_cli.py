"""``akool-async batch`` recovery paths as a person meets them: real subprocesses against the
standalone fake server over loopback HTTP (issue: retry, change, share and fail without paying
twice)."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from akool_async._batch import DEFAULT_JOURNAL_NAME
from akool_async.cli import (
    EXIT_AUTH,
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_JOURNAL,
    EXIT_LOCKED,
    EXIT_OK,
)

from .helpers import MP3, fake_server_stats, standalone_fake_server

KEY = "sk-recovery-0123456789"
SPEED = "1000"
#: Jobs may wait longer than the slow fake takes (the default is 3600 clock s: 3.6 real s).
LONG_WAIT = ("--max-wait", "1000000")
_FAST = ["--queue-time", "0.5", "1", "--media-duration", "1", "2", "--processing-factor", "2"]


def fake_cmd(*extra: str) -> list[str]:
    """The standalone fake server, on a fast clock, accepting ``KEY``."""
    return [
        sys.executable, "-m", "akool_async.testing", "--port", "0", "--speed", SPEED,
        "--api-key", KEY, "--seed", "7", "--result-size", "2048", *extra,
    ]  # fmt: skip


@pytest.fixture
def fake() -> Iterator[str]:
    """A fast standalone fake; yields its base URL."""
    with standalone_fake_server(fake_cmd(*_FAST)) as url:
        yield url


@pytest.fixture
def slow_fake() -> Iterator[str]:
    """A standalone fake whose jobs queue for 8-9 real seconds (runs are stopped before)."""
    with standalone_fake_server(fake_cmd("--queue-time", "8000", "9000")) as url:
        yield url


def env(**extra: str) -> dict[str, str]:
    """The subprocess environment: credentials from the environment only."""
    out = {k: v for k, v in os.environ.items() if not k.startswith(("AKOOL_", "TOPVIEW_"))}
    out["AKOOL_API_KEY"] = KEY
    out.update(extra)
    return out


def manifest(path: Path, n: int, *, start: int = 0, prefix: str = "r") -> Path:
    """A CSV manifest of talking-photo rows ``prefix<start>`` ... (appends if it exists)."""
    new = not path.exists()
    with path.open("a", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        if new:
            writer.writerow(["id", "family", "photo", "audio"])
        for i in range(start, start + n):
            writer.writerow(
                [f"{prefix}{i}", "talking_photo", f"https://cdn.example.com/{i}.jpg", MP3]
            )
    return path


def cmd(man: Path, out: Path, base_url: str, *extra: str) -> list[str]:
    """``python -m akool_async.cli batch`` against the fake."""
    return [
        sys.executable, "-m", "akool_async.cli", "batch", str(man), "--out", str(out),
        "--base-url", base_url, "--clock-speed", SPEED, "--progress", "plain", *extra,
    ]  # fmt: skip


def run(args: list[str], **env_extra: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI to its end."""
    return subprocess.run(args, env=env(**env_extra), capture_output=True, text=True, timeout=60)


def creates(base_url: str) -> int:
    """Create requests the fake has answered with a job."""
    return int(fake_server_stats(base_url)["creates"])


def post(base_url: str, path: str, body: dict[str, Any]) -> None:
    """POST a control request to the fake."""
    req = urllib.request.Request(
        base_url + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=5):
        pass


def report(out: Path) -> dict[str, Any]:
    """The run's report.json."""
    data: dict[str, Any] = json.loads((out / "report.json").read_text("utf-8"))
    return data


def wait_for(predicate: Any, timeout: float = 20.0) -> None:
    """Poll ``predicate`` until true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    """No Python traceback reached the person."""
    assert "Traceback" not in proc.stderr and "ExceptionGroup" not in proc.stderr, proc.stderr


# -- one journal, one writer -----------------------------------------------------------------------


def test_second_run_on_a_journal_is_refused_naming_the_first(
    tmp_path: Path, slow_fake: str
) -> None:
    """A second run on a journal in use exits 6 naming the first's pid; status still reads it."""
    man = manifest(tmp_path / "m.csv", 4)
    out = tmp_path / "out"
    first = subprocess.Popen(
        cmd(man, out, slow_fake, *LONG_WAIT),
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(lambda: creates(slow_fake) >= 1)
        second = run(cmd(man, out, slow_fake, "--retry-unknown"))
        assert second.returncode == EXIT_LOCKED
        assert f"pid {first.pid}" in second.stderr and "in use" in second.stderr
        status = run([sys.executable, "-m", "akool_async.cli", "status", "--journal",
                      str(out / DEFAULT_JOURNAL_NAME)])  # fmt: skip
        assert status.returncode == EXIT_OK
        assert f"pid {first.pid}" in json.loads(status.stdout)["writer"]
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=30)
    assert creates(slow_fake) <= 4  # nothing was created twice


def test_lock_left_by_a_dead_run_is_taken_over(tmp_path: Path, fake: str) -> None:
    """A lock file a killed run left behind does not block the next run."""
    man = manifest(tmp_path / "m.csv", 2)
    out = tmp_path / "out"
    out.mkdir()
    (out / (DEFAULT_JOURNAL_NAME + ".lock")).write_text('{"pid": 999999, "host": "gone"}')
    proc = run(cmd(man, out, fake))
    assert proc.returncode == EXIT_OK, proc.stderr


# -- a manifest grows; changed rows --------------------------------------------------------------


def test_manifest_grows_and_changed_rows(tmp_path: Path, fake: str) -> None:
    """Appended rows are created, finished ones are not; a changed row is refused by name
    unless --changed-rows says keep or recreate."""
    man = manifest(tmp_path / "m.csv", 3)
    out = tmp_path / "out"
    assert run(cmd(man, out, fake)).returncode == EXIT_OK
    manifest(man, 2, start=3)
    grown = run(cmd(man, out, fake))
    assert grown.returncode == EXIT_OK, grown.stderr
    assert creates(fake) == 5 and report(out)["counts"]["done"] == 5

    text = man.read_text().replace("https://cdn.example.com/1.jpg", "https://cdn.example.com/x.jpg")
    man.write_text(text)
    refused = run(cmd(man, out, fake))
    assert refused.returncode == EXIT_BAD_INPUT
    assert "r1: fields talking_photo_url differ" in refused.stderr
    assert "--changed-rows" in refused.stderr and "=True" not in refused.stderr
    assert creates(fake) == 5
    assert run(cmd(man, out, fake, "--changed-rows=keep")).returncode == EXIT_OK
    assert creates(fake) == 5
    assert run(cmd(man, out, fake, "--changed-rows=recreate")).returncode == EXIT_OK
    assert creates(fake) == 6


# -- failed rows ---------------------------------------------------------------------------------


def test_retry_failed_creates_retryable_failures_again(tmp_path: Path) -> None:
    """Rows failed with 'try again later' are listed as retryable; --retry-failed creates them."""
    with standalone_fake_server(fake_cmd(*_FAST, "--failure-ratio", "1")) as url:
        man = manifest(tmp_path / "m.csv", 3)
        out = tmp_path / "out"
        first = run(cmd(man, out, url))
        assert first.returncode == EXIT_FAILED
        assert sorted(report(out)["retryable_rows"]) == ["r0", "r1", "r2"]
        assert "3 failed row(s) are retryable" in first.stdout and "--retry-failed" in first.stdout
        post(url, "/_fake/config", {"failure_ratio": 0.0})
        assert run(cmd(man, out, url)).returncode == EXIT_FAILED  # not without the flag
        assert creates(url) == 3
        again = run(cmd(man, out, url, "--retry-failed"))
        assert again.returncode == EXIT_OK, again.stdout
        assert creates(url) == 6 and report(out)["retried_failed"] == ["r0", "r1", "r2"]


# -- the journal and the output directory --------------------------------------------------------


def test_journal_deleted_mid_run_stops_with_exit_5(tmp_path: Path, slow_fake: str) -> None:
    """Deleting the journal during a run stops it with exit 5 and a clear error, not 'done'."""
    man = manifest(tmp_path / "m.csv", 4)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        cmd(man, out, slow_fake, "--concurrency", "4", *LONG_WAIT),
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: creates(slow_fake) >= 4)
    os.unlink(out / DEFAULT_JOURNAL_NAME)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == EXIT_JOURNAL, stderr
    assert "deleted or replaced" in stdout + stderr and "akool-async batch: 4 rows" in stdout
    assert "Traceback" not in stderr and report(out)["exit_code"] == EXIT_JOURNAL


def test_two_manifests_cannot_share_an_output_directory(tmp_path: Path, fake: str) -> None:
    """A second manifest with its own journal is refused in an output directory that holds the
    first's results (exit 2, naming the journal that owns it); the first's files are intact."""
    out = tmp_path / "out"
    a = manifest(tmp_path / "a.csv", 2)
    b = tmp_path / "b.jsonl"
    b.write_text('{"family": "tts", "text": "hi", "voice": "v1", "rate": "100%"}\n')
    assert run(cmd(a, out, fake, "--journal", str(tmp_path / "a.sqlite"))).returncode == EXIT_OK
    before = {p.name: p.read_bytes() for p in out.glob("r*")}
    proc = run(cmd(b, out, fake, "--journal", str(tmp_path / "b.sqlite")))
    assert proc.returncode == EXIT_BAD_INPUT
    assert str(tmp_path / "a.sqlite") in proc.stderr
    assert {p.name: p.read_bytes() for p in out.glob("r*")} == before


def test_corrupt_journal_rows_exit_2(tmp_path: Path, fake: str) -> None:
    """A journal row with an unknown state or a request that is not JSON: exit 2, a message."""
    man = manifest(tmp_path / "m.csv", 2)
    for n, sql in enumerate(
        ("UPDATE rows SET state='bogus' WHERE row_id='r0'", "UPDATE rows SET request='{not'")
    ):
        out = tmp_path / f"out{n}"
        assert run(cmd(man, out, fake)).returncode == EXIT_OK
        with sqlite3.connect(out / DEFAULT_JOURNAL_NAME) as conn:
            conn.execute(sql)
        proc = run(cmd(man, out, fake))
        assert proc.returncode == EXIT_BAD_INPUT
        assert "r0" in proc.stderr
        no_traceback(proc)


# -- credentials ---------------------------------------------------------------------------------


def test_bad_key_stops_at_the_first_answer_exit_4(tmp_path: Path, fake: str) -> None:
    """A wrong AKOOL_API_KEY: one create is sent, exit 4, the message names the variable, and
    the display does not claim the rows finished."""
    man = manifest(tmp_path / "m.csv", 7)
    proc = run(cmd(man, tmp_path / "out", fake, "--concurrency", "8"), AKOOL_API_KEY="sk-wrong")
    assert proc.returncode == EXIT_AUTH
    assert "AKOOL_API_KEY" in proc.stderr and "sk-wrong" not in proc.stderr + proc.stdout
    stats = fake_server_stats(fake)
    sent = sum(n for k, n in stats["requests"].items() if "createbytalkingphoto" in k)
    assert sent == 1
    assert "100%" not in proc.stderr and "Run the same command again" not in proc.stdout


def test_missing_key_names_the_environment_variable(tmp_path: Path, fake: str) -> None:
    """No credentials at all: exit 2 naming AKOOL_API_KEY, no Python keyword advice."""
    man = manifest(tmp_path / "m.csv", 1)
    proc = run(cmd(man, tmp_path / "out", fake), AKOOL_API_KEY="")
    assert proc.returncode == EXIT_BAD_INPUT
    assert "AKOOL_API_KEY" in proc.stderr and "api_key=" not in proc.stderr


# -- signals and big lines -----------------------------------------------------------------------


def test_sigterm_before_the_run_exits_3(tmp_path: Path, fake: str) -> None:
    """SIGTERM while the manifest is still being read (a FIFO nobody writes yet): exit 3."""
    fifo = tmp_path / "m.jsonl"
    os.mkfifo(fifo)
    proc = subprocess.Popen(
        cmd(fifo, tmp_path / "out", fake), env=env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    with open(fifo, "w"):  # returns once the command opened it for reading
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == EXIT_INTERRUPTED, stderr
    assert "Traceback" not in stderr


def test_huge_manifest_line_fails_check_without_reading_it_whole(tmp_path: Path) -> None:
    """A 64 MB line fails --check (exit 2, citing the line) with far less memory than its size."""
    small, man = tmp_path / "s.jsonl", tmp_path / "m.jsonl"
    row = '{"id": "a", "family": "tts", "text": "hi", "voice": "v1", "rate": "100%"}\n'
    small.write_text(row)
    with man.open("w") as f:
        f.write(row)
        for _ in range(64):
            f.write('{"id": "b", "family": "tts", "text": "' if _ == 0 else "x" * (1 << 20))
        f.write('"}\n')
    code = (
        "import resource, sys; from akool_async.cli import main; rc = main(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(rc)"
    )
    base = run([sys.executable, "-c", code, "batch", str(small), "--check"])
    proc = run([sys.executable, "-c", code, "batch", str(man), "--check"])
    assert base.returncode == EXIT_OK and proc.returncode == EXIT_BAD_INPUT
    assert "m.jsonl:2: line longer than 1048576 bytes" in proc.stderr
    peak = int(proc.stderr.strip().splitlines()[-1]) - int(base.stderr.strip().splitlines()[-1])
    assert peak < 16 * 1024  # KiB: a few MiB more than a one-row manifest, not the line's 63
