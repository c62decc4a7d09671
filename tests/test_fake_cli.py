"""The standalone fake server's command line: help, flags, banner, quiet client disconnects."""

from __future__ import annotations

import logging
import subprocess
import sys

import anyio
import pytest

from akool_async.testing import FakeConfig
from akool_async.testing.__main__ import build_parser, config_from_args

from .helpers import IMG, MP3, pair


def test_every_flag_has_help_and_both_usage_lines() -> None:
    """Each flag has a help text; the usage line names the command it was started as."""
    parser = build_parser()
    assert all(a.help for a in parser._actions), [a.dest for a in parser._actions if not a.help]
    assert parser.format_usage().startswith("usage: python -m akool_async.testing")
    named = build_parser("akool-async fake-server").format_usage()
    assert named.startswith("usage: akool-async fake-server")


def test_plan_cap_and_duration_spreads_are_flags() -> None:
    """--concurrency-cap, --processing-time, --processing-jitter and --distribution reach the
    config."""
    args = build_parser().parse_args(
        ["--concurrency-cap", "3", "--processing-time", "5", "9", "--processing-jitter", "0.1",
         "--distribution", "lognormal", "--credit", "50"]
    )  # fmt: skip
    config = config_from_args(args)
    assert isinstance(config, FakeConfig)
    assert config.concurrency_cap == 3 and config.processing_time == (5.0, 9.0)
    assert config.processing_jitter == 0.1 and config.duration_distribution == "lognormal"
    assert config.credit == 50.0


def test_banner_prints_key_and_a_ready_command() -> None:
    """After the listening line come the accepted API key and a command line using the URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "akool_async.testing", "--port", "0", "--api-key", "k-demo"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        assert first.startswith("akool-fake listening on http://")
        url = first.rpartition(" ")[2]
        assert "k-demo" in proc.stdout.readline()
        ready = proc.stdout.readline()
        assert "AKOOL_API_KEY=k-demo akool-async" in ready and f"--base-url {url}" in ready
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


@pytest.mark.anyio
async def test_client_disconnect_mid_file_logs_no_error(caplog: pytest.LogCaptureFixture) -> None:
    """A client that hangs up in the middle of a result file leaves no error in the log."""
    async with pair(FakeConfig(result_size=20_000_000, queue_time=(0, 0), seed=1)) as (fake, s):
        (job,) = await s.create("talking_photo", {"talking_photo_url": IMG, "audio_url": MP3})
        fake.complete(job.id)
        path = fake.result_url(job.id).split("/", 3)[3]
        host, port = fake.base_url.rsplit("//", 1)[1].split(":")
        for _ in range(3):
            stream = await anyio.connect_tcp(host, int(port))
            await stream.send(f"GET /{path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            await stream.receive(100)
            await stream.aclose()
        await anyio.sleep(0.2)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
