"""The README's promises about itself: two commands first, and CI runs the test command."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands() -> None:
    """The first code block holds exactly two commands: the demo, then the tests."""
    commands = _commands()
    assert len(commands) == 2
    assert commands[0].endswith("akool-async demo")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    """.ci/run contains the README's test command, character for character."""
    ci = (ROOT / ".ci" / "run").read_text()
    assert _commands()[1] in ci.splitlines()


def test_every_guarantee_points_at_an_existing_test() -> None:
    """Each ``tests/file.py::test_name`` the README cites exists in that file."""
    import re

    text = (ROOT / "README.md").read_text()
    cited = set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", text))
    assert len(cited) >= 20
    for path, name in cited:
        source = (ROOT / path).read_text()
        assert re.search(rf"^(async )?def {name}\(", source, re.M), f"{path}::{name} is missing"
