"""The README's Python examples run clean under ``python -X dev -W error`` against the fake."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .helpers import standalone_fake_server

ROOT = Path(__file__).resolve().parent.parent

#: What each example needs around it to run: {block} is the example, indented to fit.
#: Example 1 and the fake-server example run as written (the first reaches the fake through
#: AKOOL_BASE_URL); the two fragments get a session and inputs.
_OPEN = "import anyio, akool_async\n\nasync def main() -> None:\n"
_WRAP = {
    "import anyio\nimport akool_async": "{block}",
    "jobs = [await session.lip_sync": _OPEN
    + '    async with akool_async.Session(api_key="...") as session:\n'
    + '        pairs = [("https://cdn.example.com/c.mp4", "https://cdn.example.com/v.mp3")] * 3\n'
    + "{block:8}\n\nanyio.run(main)\n",
    "async with session.batch(rows": _OPEN
    + "    import tempfile\n"
    + '    rows = [{"id": f"r{i}", "family": "tts", "input_text": "hi", "voice_id": "v",\n'
    + '             "rate": "100%"}\n'
    + "            for i in range(3)]\n"
    + '    async with akool_async.Session(api_key="...") as session:\n'
    + "        with tempfile.TemporaryDirectory() as tmp:\n"
    + "            os.chdir(tmp)\n"
    + "{block:12}\n\nimport os\nanyio.run(main)\n",
    "from akool_async import ScaledClock": _OPEN + "{block:4}\n\nanyio.run(main)\n",
}


def _blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return [part.split("```", 1)[0] for part in text.split("```python\n")[1:]]


def _script(block: str) -> str:
    for start, template in _WRAP.items():
        if block.startswith(start):
            for width in (4, 8, 12):
                template = template.replace(
                    f"{{block:{width}}}", textwrap.indent(block, " " * width)
                )
            return template.replace("{block}", block)
    raise AssertionError(f"a README example this test does not know how to run:\n{block}")


def test_every_readme_example_is_known() -> None:
    """Each Python block of the README is one this test runs (a new one must be added here)."""
    blocks = _blocks()
    assert len(blocks) == len(_WRAP)
    for block in blocks:
        compile(_script(block), "README.md", "exec")


@pytest.mark.parametrize("index", range(len(_WRAP)))
def test_readme_example_runs_clean_under_dev_mode(index: int) -> None:
    """The example exits 0 under -X dev -W error, talking to the fake over loopback."""
    script = _script(_blocks()[index])
    cmd = [sys.executable, "-m", "akool_async.testing", "--port", "0", "--speed", "2000"]
    with standalone_fake_server([*cmd, "--api-key", "...", "--api-key", "test-api-key"]) as url:
        env = {**os.environ, "AKOOL_BASE_URL": url}
        env.pop("AKOOL_API_KEY", None)
        proc = subprocess.run(
            [sys.executable, "-X", "dev", "-W", "error", "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Warning" not in proc.stderr, proc.stderr[-3000:]
