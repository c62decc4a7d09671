"""No secret ever shows: after full runs with DEBUG logging (creates, polls, token refreshes,
webhooks, errors of every kind, lost creates, a journaled batch run), nothing a person or a log
shipper can see holds the API key, a bearer token or the client secret.

Every credential is a distinctive canary; the scan looks at captured log records (messages,
arguments, ``extra`` fields, exception info), at the reprs of the session, transport, auth, jobs,
results and errors, at every error's attributes and cause chain (recursively), and at the raw
bytes of the journal (SQLite file and WAL) and of the report files.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any

import aiohttp
import anyio
import pytest

from akool_async import (
    AkoolError,
    ConfigurationError,
    CreationUnknown,
    Job,
    JobFailed,
    JobNotFound,
    JobStopped,
    JobTimeout,
    RetryPolicy,
    ScaledClock,
    Session,
    WebhookVerifier,
)
from akool_async._auth import ApiKeyAuth, Secret, TokenAuth
from akool_async._base import BaseSession
from akool_async._scheduler import Scheduler
from akool_async._transport import Transport
from akool_async._webhooks import seal_event
from akool_async.testing import FakeAkool, FakeConfig

from .helpers import IMG, MP3, MP4, TALKING_PHOTO, serve_app

pytestmark = pytest.mark.anyio

API_KEY = "ak-CANARY-7d1f0c2b9e44-apikey"
WRONG_API_KEY = "ak-CANARY-0000wrong0000-apikey"
CLIENT_ID = "cid-canary-4242"
#: 32 UTF-8 bytes: also the AES-256 key of webhook payloads.
CLIENT_SECRET = "CANARYsecret0123456789abcdefWXYZ"
WRONG_SECRET = "CANARYwrong00123456789abcdefWXYZ"
#: Put into a webhook's decrypted payload only: it must never reach a log.
PLAINTEXT_CANARY = "PLAINTEXT-CANARY-3c1d"
SPEED = 1000.0
FAST = RetryPolicy(base=0.001, cap=0.01, max_retries=2)

# Objects holding credentials by design: only their repr is looked at, never their insides.
_OPAQUE = (
    BaseSession,
    Transport,
    ApiKeyAuth,
    TokenAuth,
    Scheduler,
    WebhookVerifier,
    aiohttp.ClientSession,
)
_SKIP = (ModuleType, FunctionType, BuiltinFunctionType, MethodType, type)


class Scanner:
    """Looks for the secrets in any text, bytes or (recursively) object graph."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self.secrets = {label: value for label, value in secrets.items() if value}
        self.hits: list[str] = []
        # id -> object: holding the object keeps its id from being reused by a new one.
        self._seen: dict[int, Any] = {}
        self.looked_at = 0

    def text(self, where: str, value: str | bytes) -> None:
        self.looked_at += 1
        for label, secret in self.secrets.items():
            needle: str | bytes = secret.encode() if isinstance(value, bytes) else secret
            if needle in value:  # type: ignore[operator]
                self.hits.append(f"{label} in {where}")

    def walk(self, where: str, obj: Any, depth: int = 0) -> None:
        if obj is None or isinstance(obj, bool | int | float):
            return
        if isinstance(obj, str | bytes):
            self.text(where, obj)
            return
        if isinstance(obj, bytearray | memoryview):
            self.text(where, bytes(obj))
            return
        if isinstance(obj, _SKIP) or id(obj) in self._seen or depth > 12:
            return
        self._seen[id(obj)] = obj
        self.text(f"repr({where})", repr(obj))
        if isinstance(obj, _OPAQUE):
            return
        if isinstance(obj, BaseException):
            self.text(f"str({where})", str(obj))
            self.walk(f"{where}.args", obj.args, depth + 1)
            self.walk(f"{where}.__cause__", obj.__cause__, depth + 1)
            self.walk(f"{where}.__context__", obj.__context__, depth + 1)
            self.walk(f"{where}.__notes__", getattr(obj, "__notes__", None), depth + 1)
            if isinstance(obj, BaseExceptionGroup):
                self.walk(f"{where}.exceptions", obj.exceptions, depth + 1)
        if isinstance(obj, Mapping):
            for key, value in list(obj.items()):
                self.walk(f"{where}[key]", key, depth + 1)
                self.walk(f"{where}[{key!r}]", value, depth + 1)
            return
        if isinstance(obj, list | tuple | set | frozenset):
            for i, item in enumerate(list(obj)):
                self.walk(f"{where}[{i}]", item, depth + 1)
            return
        for name, value in _attributes(obj):
            self.walk(f"{where}.{name}", value, depth + 1)

    def logs(self, records: Iterable[logging.LogRecord], text: str) -> None:
        self.text("caplog.text", text)
        for record in records:
            where = f"log[{record.name}:{record.getMessage()[:40]!r}]"
            self.text(where, record.getMessage())
            self.walk(where, vars(record))


def _attributes(obj: Any) -> list[tuple[str, Any]]:
    out: dict[str, Any] = {}
    for cls in type(obj).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in out and hasattr(obj, name):
                out[name] = getattr(obj, name)
    out.update(getattr(obj, "__dict__", {}))
    return list(out.items())


@asynccontextmanager
async def garbage_http_server() -> AsyncIterator[str]:
    """A TCP server answering every request with bytes that are not HTTP."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 999999 nope\r\n\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


def _config(**kw: Any) -> FakeConfig:
    return FakeConfig(
        api_keys={API_KEY},
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        queue_time=(0.5, 1.0),
        media_duration=(1.0, 2.0),
        processing_factor=2.0,
        processing_jitter=0.1,
        seed=99,
        **kw,
    )


def _record_tokens(fake: FakeAkool, issued: list[str]) -> None:
    """Remember every token the fake hands out (getToken calls ``issue_token``)."""
    original = fake.issue_token

    def issue() -> str:
        token = original()
        issued.append(token)
        return token

    fake.issue_token = issue  # type: ignore[method-assign]


async def _expect(errors: list[BaseException], call: Any) -> None:
    """Run ``call()``, which must raise a typed error; keep the error for the scan."""
    try:
        await call()
    except AkoolError as exc:
        errors.append(exc)
    else:
        raise AssertionError(f"{call} did not raise")


async def _exercise(
    session: Session, fake: FakeAkool, errors: list[BaseException], keep: list[Any]
) -> None:
    """Creates, polls and every kind of error, on one session."""
    create_path = TALKING_PHOTO

    async def create() -> Job:
        return await session.talking_photo.create(
            talking_photo_url=IMG, audio_url=MP3, prompt=f"p{time.perf_counter_ns()}"
        )

    # Jobs that complete, fail, time out, stop, go missing.
    jobs = [await create() for _ in range(3)]
    jobs += await session.video_translation.create(url=MP4, language="ja,fr")
    jobs.append(await session.faceswap.v4(source_image=[IMG], target_image=[IMG]))
    failing = await create()
    fake.fail(failing.id, 1015, "engine exploded")
    stuck = await session.talking_photo.create(
        talking_photo_url=IMG, audio_url=MP3, prompt="stuck", max_wait=5.0
    )
    fake.set_status(stuck.id, 2)
    stopped = await create()
    stopped.stop()
    missing = session.track("000000000000deadbeef0000", family="talking_photo", created_wall=1.0)
    for job in [*jobs, failing, stuck, stopped, missing]:
        keep.append(job)
        try:
            keep.append(await job)
        except (JobFailed, JobStopped, JobNotFound, JobTimeout) as exc:
            errors.append(exc)
    keep.append(await session.credit())
    keep.append(await session.languages())
    keep.append(await session.status(jobs[0].id, family="talking_photo"))
    keep.append(jobs[0].token())

    # API codes, gateway errors, broken bodies, resets, throttling, lost and slow creates.
    for kind in ("code_1003", "code_1006", "code_1009", "code_1015", "code_1200", "code_1202"):
        fake.faults.add(kind, endpoint=create_path)
        await _expect(errors, create)
    for kind in ("http_502", "http_429", "code_1005", "truncated_json", "reset"):
        fake.faults.add(kind, count=10, endpoint="quota")
        await _expect(errors, session.credit)
        fake.faults.clear()
    for kind in ("lost_create", "http_502", "truncated_json", "reset"):
        fake.faults.add(kind, endpoint=create_path)
        await _expect(errors, create)
    assert any(isinstance(e, CreationUnknown) for e in errors)
    await _expect(errors, lambda: session.status("nope", family="talking_photo"))
    await _expect(errors, lambda: session.talking_photo.create(talking_photo_url="x", audio_url=1))
    await _expect(errors, lambda: session.create("talking_photo", {"bogus": API_KEY}))


async def test_no_secret_in_logs_reprs_errors_after_full_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Full runs at DEBUG leave no key, token or secret in logs, reprs, errors or their causes."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="akool_async")
    issued: list[str] = []
    errors: list[BaseException] = []
    keep: list[Any] = []
    clock = ScaledClock(SPEED)
    async with FakeAkool(_config(), clock=clock) as fake:
        _record_tokens(fake, issued)
        common: dict[str, Any] = {"base_url": fake.base_url, "clock": clock, "retry": FAST}

        # 1. API key.
        async with Session(api_key=API_KEY, **common) as session:
            keep.append(session)
            await _exercise(session, fake, errors, keep)
            keep.extend([session.transport, session._auth])

        # 2. Client credentials: token fetched, revoked and refreshed, webhooks delivered.
        async with Session(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, webhook_backstop=1e6, **common
        ) as session:
            keep.append(session)
            async with serve_app(session.webhook_app()) as receiver:
                hook = f"{receiver}/akool/webhook"
                hooked = [
                    await session.talking_photo.create(
                        talking_photo_url=IMG, audio_url=MP3, prompt=str(i), webhook_url=hook
                    )
                    for i in range(3)
                ]
                with anyio.fail_after(10):
                    keep.extend(await session.gather(hooked))
                assert fake.stats.webhooks_sent >= 3
                fake.revoke_tokens()  # the next request answers 1101: refresh once
                await _exercise(session, fake, errors, keep)
                # Deliveries that are forged, replayed, or carry a plaintext canary.
                sealed = seal_event(
                    {
                        "_id": hooked[0].id,
                        "status": 3,
                        "type": "talking photo",
                        "url": IMG,
                        "note": PLAINTEXT_CANARY,
                    },
                    client_id=CLIENT_ID,
                    client_secret=CLIENT_SECRET,
                    timestamp_ms=int(clock.wall() * 1000),
                    nonce=7,
                )
                forged = {**sealed, "signature": "0" * 40}
                async with aiohttp.ClientSession() as http:
                    for body in (sealed, sealed, forged, {"junk": CLIENT_SECRET[:4]}):
                        async with http.post(hook, json=body) as resp:
                            keep.append(await resp.read())
            keep.append(session.webhook_verifier())
            keep.extend([session.transport, session._auth])
            assert session._auth.fetches >= 2, "the token was refreshed"

        # 3. Wrong credentials, and a getToken answer cut in half.
        async with Session(api_key=WRONG_API_KEY, **common) as session:
            await _expect(errors, session.credit)
        async with Session(client_id=CLIENT_ID, client_secret=WRONG_SECRET, **common) as session:
            await _expect(errors, session.credit)
        async with Session(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, **common) as session:
            fake.faults.add("truncated_json", count=10, endpoint="getToken")
            await _expect(errors, session.credit)
            fake.faults.clear()
            keep.append(await session.credit())
    assert len(issued) >= 3

    # 4. A server answering malformed HTTP (aiohttp's error for it carries our request headers).
    async with garbage_http_server() as url:
        token_creds = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        for creds in ({"api_key": API_KEY}, token_creds):
            async with Session(**creds, base_url=url, clock=clock, retry=FAST) as session:
                await _expect(errors, session.credit)
                await _expect(errors, session.languages)

    # Configuration mistakes quote no credential either.
    for kwargs in (
        {"api_key": API_KEY, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        {"api_key": API_KEY, "base_url": f"https://user:{API_KEY}@openapi.akool.com"},
        {"api_key": API_KEY, "base_url": f"https://user:{API_KEY}@openapi.akool.com:99999"},
        {"api_key": API_KEY, "base_url": f"ftp://user:{API_KEY}@openapi.akool.com"},
        {"api_key": API_KEY, "base_url": f"http://user:{API_KEY}@example.com"},
        {"client_secret": CLIENT_SECRET},
    ):
        try:
            Session(**kwargs)
        except ConfigurationError as exc:
            errors.append(exc)
        else:
            raise AssertionError(f"Session({kwargs}) accepted")

    kinds = {type(e).__name__ for e in errors}
    assert {
        "ParameterError",
        "InsufficientCredit",
        "PermissionDenied",
        "GenerationUnavailable",
        "AccountBanned",
        "MediaRejected",
        "ServerError",
        "RateLimited",
        "Throttled",
        "InvalidResponse",
        "ConnectError",
        "CreationUnknown",
        "NotFound",
        "JobFailed",
        "JobNotFound",
        "JobStopped",
        "JobTimeout",
        "ValidationError",
        "AuthenticationError",
        "ConfigurationError",
        "TransportError",
    } <= kinds, kinds

    scanner = Scanner(
        {
            "api key": API_KEY,
            "wrong api key": WRONG_API_KEY,
            "client secret": CLIENT_SECRET,
            "wrong client secret": WRONG_SECRET,
            **{f"token {i}": token for i, token in enumerate(issued)},
        }
    )
    scanner.walk("errors", errors)
    scanner.walk("objects", keep)
    scanner.logs(caplog.records, caplog.text)
    assert not scanner.hits, "\n".join(sorted(set(scanner.hits)))
    assert PLAINTEXT_CANARY not in caplog.text
    assert any(r.levelno == logging.DEBUG and r.name == "akool_async" for r in caplog.records)
    assert scanner.looked_at > 1000


def test_scanner_finds_planted_secrets() -> None:
    """The scanner finds secrets hidden in a cause, a log extra's bytes, or a masked slot."""
    scanner = Scanner({"key": API_KEY})
    try:
        try:
            raise ValueError({"headers": {"x-api-key": API_KEY}})
        except ValueError as inner:
            raise AkoolError("outer") from inner
    except AkoolError as exc:
        scanner.walk("exc", exc)
    assert scanner.hits
    scanner.hits.clear()
    record = logging.LogRecord("akool_async", logging.DEBUG, __file__, 1, "m", None, None)
    record.endpoint = ["x", API_KEY.encode()]
    scanner.logs([record], "")
    assert scanner.hits
    scanner.hits.clear()
    scanner.walk("slots", [Secret(API_KEY)])  # repr hides it; the slot does not
    assert scanner.hits == ["key in slots[0]._value"]


async def test_no_secret_in_batch_journal_report_and_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """A batch and its CLI resume leave no token or secret in journal, WAL, report or logs."""
    from akool_async._batch import run_batch, validate_rows
    from akool_async.cli._display import make_display
    from akool_async.cli._run import BatchOptions, execute, open_journal

    caplog.set_level(logging.DEBUG)
    issued: list[str] = []
    clock = ScaledClock(SPEED)
    rows = [
        {
            "id": f"row-{i}",
            "family": "talking_photo",
            "talking_photo_url": f"{IMG}?{i}",
            "audio_url": MP3,
        }
        for i in range(12)
    ]
    out = tmp_path / "out"
    snapshots: dict[str, bytes] = {}

    def snapshot(tag: str) -> None:
        for path in out.rglob("*"):
            if path.is_file():
                snapshots[f"{tag}:{path.name}"] = path.read_bytes()

    async with FakeAkool(_config(failure_ratio=0.2, result_size=256), clock=clock) as fake:
        _record_tokens(fake, issued)
        fake.faults.add("lost_create", count=2, endpoint=TALKING_PHOTO)
        async with Session(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            base_url=fake.base_url,
            clock=clock,
            retry=FAST,
        ) as session:
            outcomes = []
            revoked: list[int] = []

            def progress(p: Any) -> None:
                if p.created >= 3 and not revoked:
                    revoked.append(p.created)
                    fake.revoke_tokens()  # the next requests answer 1101: refresh

            async with run_batch(
                session, rows, out_dir=out, concurrency=3, on_progress=progress
            ) as batch:
                async for outcome in batch:
                    outcomes.append(outcome)
                    snapshot(f"live{len(outcomes)}")
            # The command line resumes the same journal and writes its report.
            manifest = validate_rows(rows)
            journal = open_journal(out / ".akool-journal.sqlite", manifest, clock)
            try:
                options = BatchOptions(out_dir=out, report_path=out / "report.json", concurrency=3)
                code, report = await execute(
                    session, manifest, journal, options, make_display("none")
                )
            finally:
                journal.close()
    snapshot("closed")
    printed = capsys.readouterr()
    assert len(outcomes) == len(rows)
    assert code == 1 and report["counts"]["unknown"] == 2  # the lost creates
    assert len(issued) >= 2
    assert any(name.endswith("-wal") for name in snapshots), "the live WAL was scanned"
    assert any(name.endswith(".sqlite") for name in snapshots)
    assert any(name.endswith("report.json") for name in snapshots)
    scanner = Scanner(
        {
            "client secret": CLIENT_SECRET,
            **{f"token {i}": token for i, token in enumerate(issued)},
        }
    )
    for name, data in snapshots.items():
        scanner.text(name, data)
    scanner.walk("outcomes", outcomes)
    scanner.walk("report", report)
    scanner.text("stdout", printed.out)
    scanner.text("stderr", printed.err)
    scanner.logs(caplog.records, caplog.text)
    assert not scanner.hits, "\n".join(sorted(set(scanner.hits)))
