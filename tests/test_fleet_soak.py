"""Three ``akool-async batch`` workers on one 600-row manifest and one PostgreSQL journal, against
the standalone fake server; one worker is SIGKILLed at a random point, then another.

What must hold: no create is sent twice; no row is lost (every row is done, or *unknown* because
a kill caught its create in flight, and every job the server made is journaled or belongs to an
unknown row); every result file is present once, complete, with nothing else left behind; and
``--max-running`` is never exceeded (the journal, whose writes are serialised, counts a job from
its create intent until its end is journaled, which is never earlier than the server's).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from akool_async._batch import RowState
from akool_async._batch.journal.postgres import PostgresJournal
from akool_async._batch.slots import slot_usage
from akool_async.testing._jobs import result_bytes

from .helpers import fake_server_stats, standalone_fake_server

pytestmark = pytest.mark.soak

API_KEY = "ak-CANARY-fleet-7d1e"
SPEED = "100"
ROWS = 600
RESULT_SIZE = 4_000
MAX_RUNNING = 24
PLAN_CAP = 16
LEASE = "1.5"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_manifest(path: Path) -> list[str]:
    lines = []
    for i in range(ROWS):
        photo = f"https://cdn.example.com/fleet/row{i:03d}.jpg"
        lines.append(json.dumps({"id": f"r{i:03d}", "family": "talking_photo", "photo": photo,
                                 "audio": "https://cdn.example.com/a.mp3"}))  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [f"r{i:03d}" for i in range(ROWS)]


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("AKOOL_")}
    out["AKOOL_API_KEY"] = API_KEY
    return out


def wait_creates(base_url: str, threshold: int, deadline: float = 60.0) -> None:
    end = time.monotonic() + deadline
    while fake_server_stats(base_url)["creates"] < threshold:
        assert time.monotonic() < end, f"never reached {threshold} creates"
        time.sleep(0.01)


@pytest.mark.parametrize("seed", [29])
def test_three_workers_two_killed(
    tmp_path: Path, postgres_url: str, pg_schema: str, seed: int
) -> None:
    """SIGKILL two of three workers mid-run: no duplicate, no lost row, files once, cap held."""
    rng = random.Random(seed)
    manifest = tmp_path / "manifest.jsonl"
    row_ids = write_manifest(manifest)
    out = tmp_path / "out"
    url = f"{postgres_url}#{pg_schema}"
    fake_cmd = [
        sys.executable, "-m", "akool_async.testing", "--port", "0", "--seed", str(seed),
        "--speed", SPEED, "--queue-time", "1", "3", "--media-duration", "1", "3",
        "--processing-factor", "2", "--result-size", str(RESULT_SIZE), "--api-key", API_KEY,
        # Some create answers are held back: kills land between intent and answer.
        "--fault-slow", "0.3", "--fault-scope", "create", "--slow-delay", "0.02",
    ]  # fmt: skip
    with standalone_fake_server(fake_cmd) as base_url:
        # The account's plan: 16 jobs process at once, the rest queue (FIFO) in status 1.
        request = urllib.request.Request(
            f"{base_url}/_fake/config",
            data=json.dumps({"concurrency_cap": PLAN_CAP}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert json.load(answer)["concurrency_cap"] == PLAN_CAP

        def worker(n: int) -> subprocess.Popen[str]:
            cmd = [
                sys.executable, "-m", "akool_async.cli", "batch", str(manifest), "--out", str(out),
                "--journal", url, "--report", str(tmp_path / f"report{n}.json"),
                "--base-url", base_url, "--clock-speed", SPEED, "--concurrency", "12",
                "--max-running", str(MAX_RUNNING), "--lease", LEASE, "--progress", "none",
            ]  # fmt: skip
            return subprocess.Popen(
                cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )

        procs = [worker(n) for n in range(3)]
        first, second = rng.sample(range(3), 2)
        wait_creates(base_url, rng.randint(30, 250))
        procs[first].send_signal(signal.SIGKILL)
        wait_creates(base_url, rng.randint(300, 450))
        procs[second].send_signal(signal.SIGKILL)
        survivor = procs[3 - first - second]
        try:
            _, err = survivor.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            with PostgresJournal.open(url) as j:
                print("journal at the timeout:", j.counts(), j.workers(), j.holdings())
            survivor.kill()
            print("survivor stderr:", survivor.communicate()[1][-4000:])
            raise
        for p in procs:
            p.communicate(timeout=10)
        assert API_KEY not in err
        assert survivor.returncode in (0, 1), err
        server = fake_server_stats(base_url, detail=True)

    with PostgresJournal.open(url) as journal:
        rows = {r.row_id: r for r in journal.rows()}
        events = journal.events()
        workers = journal.workers()
    assert len(workers) == 3 and sum(w.stopped is not None for w in workers) == 1

    # No duplicate create; every job the server made is journaled, or its row is unknown.
    assert server["duplicate_creates"] == 0
    created = [re.search(r"row(\d{3})", json.dumps(b)) for b in server["create_bodies"]]
    created_rows = [f"r{m.group(1)}" for m in created if m is not None]
    assert len(created_rows) == len(set(created_rows)) == server["creates"]
    unknown = {r for r, row in rows.items() if row.state is RowState.UNKNOWN}
    assert set(row_ids) - unknown <= set(created_rows)
    assert len(unknown) <= 2 * 12, unknown  # at most the creates in flight at the two kills

    # No lost row: every row is downloaded or unknown.
    assert set(rows) == set(row_ids)
    assert {row.state for r, row in rows.items() if r not in unknown} == {RowState.DOWNLOADED}

    # Every file once on disk, complete, nothing else left.
    names = set()
    for row in rows.values():
        for job in row.jobs:
            if row.state is RowState.UNKNOWN:
                continue
            assert job.file is not None
            path = Path(job.file.path)
            data = path.read_bytes()
            expected = result_bytes(job.job_id, RESULT_SIZE, path.suffix)
            assert hashlib.sha256(data).hexdigest() == sha256_hex(expected) == job.file.sha256
            names.add(path.name)
    # Beside the results, only the marker saying which journal owns the directory.
    assert names == {p.name for p in out.iterdir()} - {".akool-owner.json"}

    # --max-running held at all times (journal order: every create intent is counted under the
    # journal's write lock).
    usage = slot_usage(events, MAX_RUNNING)
    assert usage.max_running <= MAX_RUNNING
    # ... and as the server counts it, by its own clock.
    assert 0 < server["max_on_server"] <= MAX_RUNNING
    assert server["max_running"] <= PLAN_CAP
    print(f"seed {seed}: {len(unknown)} unknown, peak {usage.max_running} jobs on the server")
