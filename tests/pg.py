"""A throwaway PostgreSQL cluster for tests: ``initdb`` in a temp dir, one server per test session.

The system's PostgreSQL binaries are found under ``/usr/lib/postgresql/*/bin`` (Debian's layout)
or on ``PATH``. As root the cluster runs as the ``postgres`` system user (``initdb`` refuses root).
The server listens on a free loopback port and a unix socket in the temp dir, with ``fsync=off``
(the tests check the journal's logic, not the disk). ``AKOOL_TEST_POSTGRES_URL`` names an
existing database to use instead.

Where no PostgreSQL can be had the Postgres-backed tests skip, with the reason; under CI
(``CI=true``) they fail instead, so CI cannot pass without running them.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

_DB = "akool_test"
_schemas = itertools.count()


def _binary(name: str) -> str | None:
    """The newest ``/usr/lib/postgresql/N/bin/name``, else ``name`` on PATH."""
    found = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    found.sort(key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return found[-1] if found else shutil.which(name)


def _unavailable(reason: str) -> NoReturn:
    """Skip, or fail under CI, where CI must run the Postgres-backed tests."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the PostgreSQL tests: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start(initdb: str, pg_ctl: str, base: Path) -> tuple[str, list[str]]:
    """initdb and start a cluster in ``base``; returns its URL and the command prefix it runs as."""
    as_user: list[str] = []
    user = pwd.getpwuid(os.getuid()).pw_name
    if os.getuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            _unavailable("running as root and there is no 'postgres' system user to run initdb")
        runuser = shutil.which("runuser")
        if runuser is None:
            _unavailable("running as root and there is no runuser to drop privileges")
        as_user = [str(runuser), "-u", "postgres", "--"]
        user = "postgres"
        shutil.chown(base, "postgres")
    data, log = base / "data", base / "server.log"
    subprocess.run(
        [*as_user, initdb, "-D", str(data), "-A", "trust", "-U", user, "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
    )
    for _ in range(3):  # the free port may be taken between the probe and the bind
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off"
            " -c full_page_writes=off -c max_connections=50"
        )
        started = subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
            capture_output=True,
        )
        if started.returncode == 0:
            break
    else:
        pytest.fail(f"PostgreSQL did not start:\n{log.read_text()}", pytrace=False)
    import psycopg

    with psycopg.connect(f"postgresql://{user}@127.0.0.1:{port}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {_DB}")
    return f"postgresql://{user}@127.0.0.1:{port}/{_DB}", as_user


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a database on a throwaway PostgreSQL server, for the whole test session."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install -e '.[dev]')")
    if os.environ.get("AKOOL_TEST_POSTGRES_URL"):
        yield os.environ["AKOOL_TEST_POSTGRES_URL"]
        return
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        _unavailable("initdb/pg_ctl not found (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="akool-pg-"))
    as_user: list[str] = []
    try:
        began = time.perf_counter()
        url, as_user = _start(initdb, pg_ctl, base)
        print(f"\nthrowaway PostgreSQL up in {time.perf_counter() - began:.2f} s: {url}")
        yield url
    finally:
        if (base / "data" / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError):
                subprocess.run(
                    [*as_user, pg_ctl, "-D", str(base / "data"), "-m", "immediate", "-w", "stop"],
                    capture_output=True,
                    timeout=30,
                )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_schema(postgres_url: str) -> Iterator[str]:
    """A schema name no other test uses (the journal creates it); dropped after the test."""
    name = f"t{os.getpid()}_{next(_schemas)}"
    yield name
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
