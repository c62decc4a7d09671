"""Crash and resume: ``akool-async batch`` in a subprocess against a standalone fake server in
another, killed with SIGKILL at random points (while creating, while polling, while
downloading; once or twice), then run again to the end.

What must hold, for every seed:

* no create is ever sent twice (``duplicate_creates() == 0``), and every job the server made is
  journaled, or belongs to a row the report lists as *unknown*;
* the unknown rows are exactly those whose create was in flight at a kill (intent journaled, no
  answer): they are never re-created automatically; every other row is done;
* each result file is on disk exactly once, under its final name, complete (right size and
  sha256), and nothing else is left in the output directory (no part files);
* "downloaded once": a file the journal recorded as downloaded before a kill is never fetched
  again; a transfer is repeated only if a kill caught it started but not yet journaled (in
  flight, or written and awaiting its journal entry), and then once per such kill;
* the journal (database and WAL, as the kill left them), the report and the output never hold
  the API key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from akool_async._batch import DEFAULT_JOURNAL_NAME, Journal, RowState
from akool_async._batch.claims import OWNER_FILE
from akool_async.testing._jobs import result_bytes

from .helpers import fake_server_stats, standalone_fake_server

API_KEY = "ak-CANARY-crash-3f9a7c1e5d"
SPEED = "50"
RESULT_SIZE = 1_500_000
ROWS = 32
DOWNLOAD_CONCURRENCY = 4
#: The kills of each seed: the phase each one waits for.
SCENARIOS: dict[int, list[str]] = {
    101: ["create"],
    202: ["download"],
    303: ["create", "download"],
    404: ["poll", "download"],
}


# -- processes ----------------------------------------------------------------------------------


@contextlib.contextmanager
def fake_server(seed: int) -> Iterator[str]:
    """``python -m akool_async.testing`` in a subprocess; yields its base URL."""
    cmd = [
        sys.executable, "-m", "akool_async.testing", "--port", "0", "--seed", str(seed),
        "--speed", SPEED, "--queue-time", "1", "3", "--media-duration", "1", "3",
        "--processing-factor", "2", "--result-size", str(RESULT_SIZE), "--api-key", API_KEY,
        # Half the create answers are held back 40 ms: kills land between intent and answer.
        "--fault-slow", "0.5", "--fault-scope", "create", "--slow-delay", "0.04",
    ]  # fmt: skip
    with standalone_fake_server(cmd) as base_url:
        yield base_url


def stats(base_url: str) -> dict[str, Any]:
    """The fake's counters, per job and with every create body."""
    return fake_server_stats(base_url, detail=True)


def batch_cmd(manifest: Path, out: Path, base_url: str) -> list[str]:
    return [
        sys.executable, "-m", "akool_async.cli", "batch", str(manifest), "--out", str(out),
        "--base-url", base_url, "--clock-speed", SPEED, "--concurrency", "6",
        "--download-concurrency", str(DOWNLOAD_CONCURRENCY), "--progress", "none",
    ]  # fmt: skip


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("AKOOL_")}
    out["AKOOL_API_KEY"] = API_KEY
    return out


def write_manifest(path: Path, seed: int) -> dict[str, int]:
    """A JSONL manifest of mixed families (a translation row makes two jobs); every body is
    unique and names its row (``row07``). Returns row id -> jobs it creates."""
    shared = f"https://cdn.example.com/crash{seed}"
    lines, jobs = [], {}
    for i in range(ROWS):
        row_id = f"r{i:02d}"
        own = f"{shared}/row{i:02d}"
        fields: dict[str, Any] = [
            {"family": "talking_photo", "photo": f"{own}.jpg", "audio": f"{shared}/a.mp3"},
            {"family": "faceswap_v4", "source_image": [f"{own}.jpg"],
             "target_image": [f"{shared}/t.jpg"]},
            {"family": "video_translation", "url": f"{own}.mp4", "language": "ja,fr"},
            {"family": "image", "prompt": f"a fox, crash{seed} row{i:02d}"},
        ][i % 4]  # fmt: skip
        lines.append(json.dumps({"id": row_id, **fields}))
        jobs[row_id] = 2 if fields["family"] == "video_translation" else 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return jobs


def row_of_body(body: dict[str, Any]) -> str:
    """Which row a create body (as the server saw it) came from."""
    (number,) = set(re.findall(r"row(\d\d)", json.dumps(body)))
    return f"r{number}"


def wait_for(base_url: str, proc: subprocess.Popen[str], phase: str, threshold: int) -> bool:
    """Wait until the run reaches ``threshold`` creates, status polls or downloads.

    Returns False if the run ended first (then there is nothing to kill).
    """
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        s = stats(base_url)
        if phase == "create" and s["creates"] >= threshold:
            return True
        if phase == "poll" and s["polls"] >= threshold:
            return True
        if phase == "download" and s["downloads"] >= threshold:
            return True
        time.sleep(0.005)
    raise AssertionError(f"the run never reached {phase} >= {threshold}")


def journal_state(path: Path) -> tuple[set[str], dict[str, str]]:
    """Rows in CREATING, and job id -> sha256 of the files journaled as downloaded."""
    creating: set[str] = set()
    files: dict[str, str] = {}
    with Journal.open(path) as journal:
        for row in journal.rows():
            if row.state is RowState.CREATING:
                creating.add(row.row_id)
            for job in row.jobs:
                if job.file is not None:
                    files[job.job_id] = job.file.sha256
    return creating, files


# -- the test -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", sorted(SCENARIOS))
def test_sigkill_at_random_points_then_resume(tmp_path: Path, seed: int) -> None:
    """SIGKILL anywhere, resume: no duplicate, no lost job, each file once and whole, no secret."""
    rng = random.Random(seed)
    manifest = tmp_path / "manifest.jsonl"
    jobs_per_row = write_manifest(manifest, seed)
    out = tmp_path / "out"
    journal_path = out / DEFAULT_JOURNAL_NAME
    killed_creating: set[str] = set()
    frozen_downloads: dict[str, int] = {}
    interrupted: dict[str, int] = {}
    kills = 0
    raw_after_kill: dict[str, bytes] = {}
    with fake_server(seed) as base_url:
        cmd = batch_cmd(manifest, out, base_url)
        for phase in SCENARIOS[seed]:
            before = stats(base_url)
            threshold = {
                "create": before["creates"] + rng.randint(1, ROWS // 2),
                "poll": before["polls"] + rng.randint(1, 30),
                "download": before["downloads"] + rng.randint(1, 16),
            }[phase]
            proc = subprocess.Popen(
                cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            reached = wait_for(base_url, proc, phase, threshold)
            if reached:
                time.sleep(rng.uniform(0.0, 0.05))
                proc.send_signal(signal.SIGKILL)
                kills += 1
            _, err = proc.communicate(timeout=30)
            assert API_KEY not in err
            # Let the server finish what it already received (creates answered to nobody).
            time.sleep(0.1)
            # What the kill left on disk: the journal must make sense of it.
            for path in out.iterdir():
                if path.name.startswith(DEFAULT_JOURNAL_NAME):
                    raw_after_kill[f"{len(raw_after_kill)}:{path.name}"] = path.read_bytes()
            creating, files = journal_state(journal_path)
            killed_creating |= creating
            fetched = stats(base_url)["downloads_by_job"]
            for job_id in files:
                frozen_downloads.setdefault(job_id, fetched.get(job_id, 0))
            # Transfers started and not journaled: a kill may make each happen once more.
            for job_id in set(fetched) - set(files):
                interrupted[job_id] = interrupted.get(job_id, 0) + 1
            print(
                f"seed {seed}: kill in {phase} (reached={reached}): {len(creating)} creating, "
                f"{len(files)} files journaled, {len(set(fetched) - set(files))} transfers "
                "not journaled"
            )

        final = subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=60)
        server = stats(base_url)
    assert kills >= 1, "no kill landed mid-run"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))

    # Outcome of every row: done, or unknown because a kill caught its create in flight.
    states = {row["id"]: row["state"] for row in report["rows"]}
    assert set(states) == set(jobs_per_row)
    unknown = {r for r, s in states.items() if s == "unknown"}
    assert unknown == killed_creating, (unknown, killed_creating)
    assert all(s == "done" for r, s in states.items() if r not in unknown), states
    assert final.returncode == (0 if not unknown else 1), final.stderr

    # No duplicate create; every server job is journaled or of an unknown row.
    assert server["duplicate_creates"] == 0
    created_rows = [row_of_body(body) for body in server["create_bodies"]]
    assert len(created_rows) == len(set(created_rows))
    assert set(created_rows) >= set(jobs_per_row) - unknown
    assert set(created_rows) <= set(jobs_per_row)
    with Journal.open(journal_path) as journal:
        journaled = {job.job_id: row.row_id for row in journal.rows() for job in row.jobs}
    expected_jobs = sum(jobs_per_row[r] for r in set(created_rows))
    assert server["jobs_created"] == expected_jobs
    assert len(journaled) == sum(jobs_per_row[r] for r in jobs_per_row if r not in unknown)

    # Every result file once on disk, complete, and nothing else left behind.
    on_disk: set[str] = set()
    for row in report["rows"]:
        if row["state"] != "done":
            continue
        assert len(row["files"]) == jobs_per_row[row["id"]]
        for file in row["files"]:
            path = Path(file["path"])
            assert path.parent == out.resolve()
            data = path.read_bytes()
            expected = result_bytes(file["job_id"], RESULT_SIZE, path.suffix)
            assert len(data) == RESULT_SIZE == file["size"]
            assert hashlib.sha256(data).hexdigest() == hashlib.sha256(expected).hexdigest()
            assert file["sha256"] == hashlib.sha256(expected).hexdigest()
            on_disk.add(path.name)
    leftovers = {p.name for p in out.iterdir()} - on_disk
    leftovers -= {DEFAULT_JOURNAL_NAME, DEFAULT_JOURNAL_NAME + ".lock", OWNER_FILE, "report.json"}
    assert leftovers == set(), leftovers

    # Downloaded once: a file journaled before a kill is never fetched again; a transfer is
    # repeated only if a kill caught it unjournaled, once per such kill.
    downloads = server["downloads_by_job"]
    assert set(downloads) == set(journaled)
    for job_id, count in frozen_downloads.items():
        assert downloads[job_id] == count, job_id
    for job_id, count in downloads.items():
        assert count <= 1 + interrupted.get(job_id, 0), (job_id, count)
    repeated = sum(n - 1 for n in downloads.values())
    print(f"seed {seed}: {kills} kills, unknown {sorted(unknown)}, repeated transfers {repeated}")

    # No secret in what the kills left, nor in the final journal, report and output.
    assert any(name.endswith("-wal") for name in raw_after_kill), "a live WAL was scanned"
    texts = [final.stdout.encode(), final.stderr.encode(), *raw_after_kill.values()]
    texts += [p.read_bytes() for p in out.iterdir() if p.is_file() and p.suffix != ".mp4"]
    assert all(API_KEY.encode() not in t for t in texts)
