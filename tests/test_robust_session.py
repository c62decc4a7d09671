"""The session survives every way an app uses jobs and streams (over loopback, fake server)."""

from __future__ import annotations

import math
import traceback
from typing import Any

import anyio
import pytest

from akool_async import (
    AuthenticationError,
    ConnectError,
    CreationUnknown,
    EventsLagged,
    InvalidWebhook,
    JobFailed,
    JobStatus,
    JobTimeout,
    NotFound,
    ScaledClock,
    Session,
    ValidationError,
    WebhookVerifier,
)

from .helpers import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    MINIMAL_FIELDS,
    fake_server,
    fast_config,
    pair,
    session_for,
)

pytestmark = pytest.mark.anyio

TTS = MINIMAL_FIELDS["tts"]


async def _tts_jobs(session: Session, n: int, **kwargs: Any) -> list[Any]:
    return [(await session.create("tts", TTS, **kwargs))[0] for _ in range(n)]


def _alive(session: Session) -> bool:
    """The scheduler task still runs."""
    return not session._stopped.is_set()


def _rendered(exc: BaseException) -> str:
    """``exc`` rendered as Sentry or ``pytest -l`` would: every frame with its locals."""
    # The first frame is the test's own (pytest.raises caught it there): only the library's.
    tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
    te = traceback.TracebackException(type(exc), exc, tb, capture_locals=True, compact=False)
    return "".join(te.format())


# -- 1, 2: gather and as_completed left early ----------------------------------------------------


async def test_gather_raising_a_failure_leaves_the_session_polling() -> None:
    """gather raises the first JobFailed; the other jobs still finish and aclose is clean."""
    async with fake_server(fast_config(queue_time=(500.0, 600.0))) as fake:
        session = session_for(fake)
        async with session:
            jobs = await _tts_jobs(session, 4)
            fake.fail(jobs[0].id)
            for job in jobs[1:]:
                fake.complete(job.id)
            with pytest.raises(JobFailed):
                await session.gather(jobs)
            results = await session.gather(jobs[1:])
            assert all(r.url for r in results)
            assert _alive(session)
            again = await _tts_jobs(session, 1)
            fake.complete(again[0].id)
            assert (await again[0]).url
        assert session.transport._http is None or session.transport._http.closed


async def test_gather_return_exceptions_lists_failures_in_order() -> None:
    """return_exceptions=True returns the failure in the failed job's place, results elsewhere."""
    async with pair(fast_config(queue_time=(500.0, 600.0))) as (fake, session):
        jobs = await _tts_jobs(session, 3)
        fake.fail(jobs[1].id)
        fake.complete(jobs[0].id)
        fake.complete(jobs[2].id)
        out = await session.gather(jobs, return_exceptions=True)
        assert isinstance(out[1], JobFailed)
        assert not isinstance(out[0], BaseException) and not isinstance(out[2], BaseException)
        assert _alive(session)


async def test_breaking_out_of_as_completed_leaves_the_session_polling() -> None:
    """A break after the first job leaves the rest tracked; they finish and the session lives."""
    async with pair() as (_fake, session):
        jobs = await _tts_jobs(session, 5)
        async for first in session.as_completed(jobs):
            assert first.done()
            break
        for job in jobs:
            await job
        assert _alive(session)


async def test_cancelling_the_task_in_as_completed_leaves_the_session_polling() -> None:
    """Cancelling a task iterating as_completed cancels only that task."""
    async with pair(fast_config(queue_time=(2.0, 3.0))) as (_fake, session):
        jobs = await _tts_jobs(session, 3)

        async def iterate() -> None:
            async for _ in session.as_completed(jobs):
                await anyio.sleep_forever()

        async with anyio.create_task_group() as tg:
            tg.start_soon(iterate)
            await anyio.sleep(0.001)
            tg.cancel_scope.cancel()
        results = await session.gather(jobs)
        assert len(results) == 3 and _alive(session)


# -- 3: events --------------------------------------------------------------------------------


async def test_unread_event_stream_stalls_no_deadline() -> None:
    """With a never-read 1-slot stream, jobs finish and every 2 s deadline fires on time."""
    async with pair(fast_config(queue_time=(500.0, 600.0))) as (fake, session):
        stream = session.events(max_buffer=1)
        stuck = await _tts_jobs(session, 10, max_wait=2.0)
        busy = await _tts_jobs(session, 10)
        for job in busy:
            fake.complete(job.id)
        out = await session.gather(stuck + busy, return_exceptions=True)
        assert all(isinstance(r, JobTimeout) for r in out[:10])
        assert not any(isinstance(r, BaseException) for r in out[10:])
        for job in stuck:
            assert job.deadline is not None
            assert job.exception() is not None
        with pytest.raises(EventsLagged) as lagged:
            await stream.receive()
        assert lagged.value.missed >= 5
        await stream.aclose()


async def test_each_subscriber_has_its_own_buffer_and_learns_its_loss() -> None:
    """A reader gets every transition in order while a never-read stream lags and says so."""
    async with pair() as (_fake, session):
        reader, idle = session.events(), session.events(max_buffer=2)
        jobs = await _tts_jobs(session, 6)
        await session.gather(jobs)
        seen: list[Any] = []
        with anyio.move_on_after(0.05):
            async for event in reader:
                seen.append(event)
        completed = {e.job_id for e in seen if e.status == JobStatus.COMPLETED}
        assert completed == {j.id for j in jobs}
        with pytest.raises(EventsLagged) as lagged:
            await idle.receive()
        assert lagged.value.missed == idle.lost == len(seen) - 2
        assert [await idle.receive(), await idle.receive()] == seen[-2:]


async def test_event_stream_max_buffer_is_validated() -> None:
    """max_buffer must be an int >= 1 (ValidationError naming it)."""
    async with pair() as (_fake, session):
        for bad in (0, -1, True, 1.5):
            with pytest.raises(ValidationError, match="max_buffer"):
                session.events(max_buffer=bad)  # type: ignore[arg-type]


# -- 4: secrets in traceback locals --------------------------------------------------------------


async def test_api_key_never_shows_in_traceback_locals() -> None:
    """An auth error from a real request, rendered with locals, does not hold the API key."""
    key = "sk-live-do-not-show-0123456789"
    async with fake_server() as fake, session_for(fake, api_key=key) as session:
        with pytest.raises(AuthenticationError) as info:
            await session.create("tts", TTS)
    text = _rendered(info.value)
    assert "x-api-key" in text and "***" in text
    assert key not in text


async def test_token_and_client_secret_never_show_in_traceback_locals() -> None:
    """Errors on bearer requests and on getToken, rendered with locals, hold no credential."""
    async with fake_server() as fake:
        async with session_for(fake, client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as s:
            with pytest.raises(NotFound) as info:
                await s.status("no-such-job", family="tts")
            secrets = s._auth.secrets()
        text = _rendered(info.value)
        assert "Authorization" in text
        assert all(secret not in text for secret in secrets)
        wrong = "wrong-secret-0123456789abcdef012"
        async with session_for(fake, client_id=CLIENT_ID, client_secret=wrong) as s:
            with pytest.raises(AuthenticationError) as info:
                await s.create("tts", TTS)
        assert wrong not in _rendered(info.value)


async def test_connection_errors_keep_no_credentials_in_their_causes() -> None:
    """A refused connection's error (cause included), rendered with locals, holds no key."""
    async with fake_server() as fake:
        base = fake.base_url
    async with Session(api_key=API_KEY + "-zz", base_url=base, retry=None) as session:
        with pytest.raises(ConnectError) as info:
            await session.status("x", family="tts")
    assert API_KEY + "-zz" not in _rendered(info.value)


def test_webhook_secret_never_shows_in_traceback_locals() -> None:
    """A forged delivery's InvalidWebhook, rendered with locals, does not hold the secret."""
    verifier = WebhookVerifier(CLIENT_ID, CLIENT_SECRET, tolerance=None)
    forged = {"signature": "0" * 40, "dataEncrypt": "QUJD" * 8, "timestamp": 1, "nonce": "1"}
    with pytest.raises(InvalidWebhook) as info:
        verifier.unwrap(forged)
    assert CLIENT_SECRET not in _rendered(info.value)


# -- 5, 6: max_wait and the answered create --------------------------------------------------------


@pytest.mark.parametrize("bad", [10**400, 1e19, math.inf, math.nan, 0, -1, 31 * 86400, True, "5"])
async def test_bad_max_wait_fails_before_sending(bad: Any) -> None:
    """A per-create max_wait that is not a sane positive number is refused; nothing is sent."""
    async with pair() as (fake, session):
        with pytest.raises(ValidationError, match="max_wait") as info:
            await session.tts.create(input_text="hi", voice_id="v", rate="100%", max_wait=bad)
        assert info.value.field == "max_wait"
        assert fake.stats.creates == 0


@pytest.mark.parametrize("bad", ["5", True, 10**400, math.inf, 0])
def test_bad_session_max_wait_is_a_validation_error(bad: Any) -> None:
    """Session(max_wait=...) is checked at construction, naming the field."""
    with pytest.raises(ValidationError) as info:
        Session(api_key=API_KEY, max_wait=bad)
    assert info.value.field == "max_wait"


class _BrokenAdopt(Session):
    """A session whose own code fails after Akool answered a create."""

    def _created(self, fam: Any, envelope: Any, request: Any) -> Any:
        created = super()._created(fam, envelope, request)
        self.answered = created.job_ids
        raise RuntimeError("bug while reading the answer")


async def test_an_answered_create_is_never_lost_to_our_own_bug() -> None:
    """If our code fails after the answer, the caller gets CreationUnknown naming the job id."""
    async with fake_server() as fake:
        session = _BrokenAdopt(api_key=API_KEY, base_url=fake.base_url, clock=fake.clock)
        async with session:
            with pytest.raises(CreationUnknown) as info:
                await session.create("tts", TTS)
            assert info.value.job_ids == tuple(session.answered) != ()
            assert set(info.value.job_ids) <= set(fake.jobs)
            job = session.track(info.value.job_ids[0], family="tts")
            assert (await job).url


async def test_aclose_from_a_nested_task_group_is_clean() -> None:
    """aclose() inside a nested task group of the entering task raises nothing, leaks nothing."""
    async with fake_server() as fake:
        session = session_for(fake)
        async with session:
            job = (await session.create("tts", TTS))[0]
            async with anyio.create_task_group() as tg:
                tg.start_soon(anyio.sleep, 0)
                await session.aclose()
            assert job.done()
        assert not _alive(session)
        assert session.transport._http is None or session.transport._http.closed


async def test_aclose_from_another_task_is_clean() -> None:
    """aclose() from a child task stops the session; __aexit__ then ends it quietly."""
    async with fake_server() as fake:
        session = session_for(fake)
        async with session, anyio.create_task_group() as tg:
            tg.start_soon(session.aclose)
        assert not _alive(session)


# -- 7: status and retryable ---------------------------------------------------------------------


async def test_status_prints_its_name_and_try_later_failures_are_retryable() -> None:
    """print(job.status) shows "completed"; 1015/1201/1205/1211 failures are retryable."""
    async with pair(fast_config(queue_time=(500.0, 600.0))) as (fake, session):
        jobs = await _tts_jobs(session, 6)
        fake.complete(jobs[0].id)
        for job, code in zip(jobs[1:], (1015, 1201, 1205, 1211, 1202), strict=True):
            fake.fail(job.id, code=code)
        out = await session.gather(jobs, return_exceptions=True)
        assert str(jobs[0].status) == "completed" and f"{jobs[0].status}" == "completed"
        assert jobs[0].status == 3 and f"{jobs[0].status:d}" == "3"
        assert [e.retryable for e in out[1:] if isinstance(e, JobFailed)] == [
            True,
            True,
            True,
            True,
            False,
        ]


# -- 9: short-lived tokens ------------------------------------------------------------------------


async def test_short_lived_tokens_survive_rate_waits() -> None:
    """Tokens living 3 s, creates waiting longer for the budget: no AuthenticationError."""
    # A slower clock than usual: a loopback round trip must stay well inside a token's life.
    clock = ScaledClock(speed=5.0)
    async with fake_server(fast_config(token_ttl=3.0), clock=clock) as fake:
        session = session_for(
            fake, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, rate=10.0, burst=1.0
        )
        async with session:
            with anyio.fail_after(30):
                async with anyio.create_task_group() as tg:
                    for _ in range(60):
                        tg.start_soon(session.create, "tts", TTS)
        assert fake.stats.creates == 60
        # A getToken per expired token (one every ~3 clock seconds), not one per request.
        assert fake.stats.token_requests <= 10


def test_session_arguments_never_show_in_traceback_locals() -> None:
    """A Session refused at construction, rendered with locals, does not hold its API key."""
    key = "sk-construct-0123456789abcdef"
    with pytest.raises(Exception) as info:
        Session(api_key=key, base_url="ftp://example.com")
    assert key not in _rendered(info.value)


async def test_a_raising_done_callback_does_not_stop_polling(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A done-callback that raises is logged; the scheduler goes on with the other jobs."""
    async with pair() as (_fake, session):
        jobs = await _tts_jobs(session, 3)
        jobs[0].add_done_callback(lambda job: 1 / 0)
        results = await session.gather(jobs)
        assert len(results) == 3 and _alive(session)
        assert any("done-callback" in r.getMessage() for r in caplog.records)


async def test_a_raising_callback_added_after_the_end_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A done-callback added to a finished job runs at once; if it raises, that is only logged."""
    async with pair() as (_fake, session):
        (job,) = await _tts_jobs(session, 1)
        await job
        job.add_done_callback(lambda job: 1 / 0)
        assert _alive(session)
        assert any("done-callback" in r.getMessage() for r in caplog.records)
