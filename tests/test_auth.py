"""Authentication over loopback HTTP: API key, bearer tokens, single-flight refresh, secrets."""

from __future__ import annotations

import pickle

import anyio
import pytest
from aiohttp import web

from akool_async import (
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    InvalidResponse,
    RetryPolicy,
    Session,
)
from akool_async._auth import ApiKeyAuth, Secret, TokenAuth
from akool_async._constants import MAX_AUTH_REFRESHES

from .helpers import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    IMG,
    MP3,
    QUOTA,
    TALKING_PHOTO,
    TOKEN,
    fake_server,
    fast_config,
    pair,
    serve_app,
    session_for,
)

pytestmark = pytest.mark.anyio

CREDS = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
QUOTA_KEY = f"GET {QUOTA}"
ENV_VARS = ("AKOOL_API_KEY", "AKOOL_CLIENT_ID", "AKOOL_CLIENT_SECRET", "AKOOL_BASE_URL")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's real Akool credentials."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


# -- API key ----------------------------------------------------------------------------------


async def test_api_key_sent_on_every_request() -> None:
    """With an API key every request carries x-api-key only; no getToken is sent."""
    async with pair() as (fake, session):
        job = await session.tts.create(input_text="hi", voice_id="v", rate="100%")
        await job
        await session.credit()
        await session.languages()
    seen = fake.stats.auth_headers_seen
    assert set(seen) == {"x-api-key"}
    assert seen["x-api-key"] == fake.stats.total_requests()
    assert fake.stats.token_requests == 0


async def test_wrong_api_key_is_authentication_error() -> None:
    """A rejected API key raises AuthenticationError (1101) at once: it cannot be refreshed."""
    async with pair(api_key="wrong-key") as (fake, session):
        with pytest.raises(AuthenticationError) as info:
            await session.credit()
    assert info.value.code == 1101
    assert fake.stats.requests[QUOTA_KEY] == 1
    assert fake.stats.token_requests == 0
    assert "wrong-key" not in str(info.value) and "wrong-key" not in repr(info.value.body)


async def test_failed_polls_with_rejected_key_fail_jobs() -> None:
    """If the key is revoked mid-job, the job fails with AuthenticationError (not a hang)."""
    async with pair() as (fake, session):
        job = await session.tts.create(input_text="hi", voice_id="v", rate="100%")
        fake.config.api_keys.clear()
        with anyio.fail_after(5), pytest.raises(AuthenticationError):
            await job


# -- bearer tokens ----------------------------------------------------------------------------


async def test_client_credentials_fetch_token_then_bearer() -> None:
    """client_id/client_secret fetch one token, then every request carries only the bearer."""
    async with pair(**CREDS) as (fake, session):
        job = await session.lip_sync.create(video_url=IMG, audio_url=MP3)
        await job
        await session.credit()
    stats = fake.stats
    assert stats.token_requests == 1
    assert set(stats.auth_headers_seen) == {"bearer"}
    assert stats.auth_headers_seen["bearer"] == stats.total_requests() - 1  # getToken: no auth


async def test_token_expiry_refreshes_once() -> None:
    """An expired token (1101) is refreshed with one getToken and the request then succeeds."""
    async with pair(fast_config(token_ttl=100.0), **CREDS) as (fake, session):
        await session.credit()
        await fake.clock.sleep(120.0)
        credit = await session.credit()
    assert credit.credit == fake.config.credit
    assert fake.stats.token_requests == 2
    assert fake.stats.requests[QUOTA_KEY] == 3  # ok, 1101, ok


async def test_each_rejected_token_is_refreshed_a_bounded_number_of_times() -> None:
    """Each newly rejected token earns one refresh, up to MAX_AUTH_REFRESHES: no endless loop."""
    async with pair(**CREDS) as (fake, session):
        await session.credit()
        fake.faults.add("code_1101", count=10, endpoint=QUOTA)
        with pytest.raises(AuthenticationError):
            await session.credit()
    assert fake.stats.token_requests == 1 + MAX_AUTH_REFRESHES
    assert fake.stats.requests[QUOTA_KEY] == 2 + MAX_AUTH_REFRESHES


async def test_create_with_expired_token_is_refreshed_and_sent_again() -> None:
    """A create answered 1101 was not processed: refresh once, send again, one job."""
    async with pair(**CREDS) as (fake, session):
        await session.credit()
        fake.revoke_tokens()
        job = await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
        await job
    assert fake.stats.token_requests == 2
    assert fake.stats.requests[f"POST {TALKING_PHOTO}"] == 2
    assert fake.stats.creates == 1 and fake.stats.jobs_created == 1


async def test_first_token_fetch_is_single_flight() -> None:
    """100 concurrent first requests share one getToken."""
    async with (
        pair(rate=None, max_connections=100, **CREDS) as (fake, session),
        anyio.create_task_group() as tg,
    ):
        for _ in range(100):
            tg.start_soon(session.credit)
    assert fake.stats.token_requests == 1
    assert fake.stats.requests[QUOTA_KEY] == 100


async def test_refresh_is_single_flight() -> None:
    """100 concurrent requests that all see 1101 cause exactly one extra getToken."""
    config = fast_config()
    config.faults.slow_delay = 0.15
    async with pair(config, rate=None, max_connections=100, **CREDS) as (fake, session):
        await session.credit()
        fake.revoke_tokens()
        # Hold the 100 stale requests at the server until all are sent: every one sees 1101.
        fake.faults.add("slow", count=100, endpoint=QUOTA)
        results = []

        async def call() -> None:
            results.append(await session.credit())

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for _ in range(100):
                    tg.start_soon(call)
    assert len(results) == 100
    assert fake.stats.token_requests == 2
    assert fake.stats.requests[QUOTA_KEY] == 1 + 100 + 100  # first, 100 rejected, 100 retried


async def test_wrong_client_secret_fetches_token_once() -> None:
    """Rejected client credentials raise AuthenticationError after a single getToken."""
    async with pair(client_id=CLIENT_ID, client_secret="wrong-secret") as (fake, session):
        with pytest.raises(AuthenticationError) as info:
            await session.credit()
    assert info.value.endpoint == f"POST {TOKEN}"
    assert fake.stats.token_requests == 1
    assert fake.stats.requests[QUOTA_KEY] == 0
    assert "wrong-secret" not in str(info.value) and "wrong-secret" not in repr(info.value.body)


async def test_concurrent_requests_share_a_failed_token_fetch() -> None:
    """Concurrent requests waiting on a getToken that fails get its error, not 50 more tries."""
    async with pair(
        client_id=CLIENT_ID, client_secret="wrong-secret", rate=None, max_connections=50
    ) as (fake, session):
        errors: list[BaseException] = []

        async def call() -> None:
            try:
                await session.credit()
            except AuthenticationError as exc:
                errors.append(exc)

        async with anyio.create_task_group() as tg:
            for _ in range(50):
                tg.start_soon(call)
    assert len(errors) == 50
    assert fake.stats.token_requests == 1


async def test_token_fetch_failure_on_create_is_not_creation_unknown() -> None:
    """If getToken fails, the create was never sent: its error is raised, not CreationUnknown."""
    retry = RetryPolicy(max_retries=1, base=0.001, cap=0.01)
    async with pair(retry=retry, **CREDS) as (fake, session):
        fake.faults.add("reset", count=10, endpoint=TOKEN)
        with pytest.raises(ConnectError) as info:
            await session.talking_photo.create(talking_photo_url=IMG, audio_url=MP3)
    assert info.value.endpoint == f"POST {TOKEN}"
    assert fake.stats.token_requests == 0
    assert fake.stats.requests[f"POST {TOKEN}"] == 2
    assert fake.stats.requests[f"POST {TALKING_PHOTO}"] == 0


async def test_token_fetch_retried_on_transient_fault() -> None:
    """getToken is a safe request: a 502 before it is retried and the request succeeds."""
    async with pair(**CREDS) as (fake, session):
        fake.faults.add("http_502", endpoint=TOKEN)
        await session.credit()
    assert fake.stats.requests[f"POST {TOKEN}"] == 2
    assert fake.stats.token_requests == 1


async def test_truncated_token_answer_never_leaks_the_token() -> None:
    """A cut-off getToken answer raises InvalidResponse whose body holds no token fragment."""
    fragment = "tok-SECRET-0123456789"

    async def get_token(request: web.Request) -> web.Response:
        return web.Response(
            body=f'{{"code":1000,"msg":"OK","token":"{fragment}'.encode(),
            content_type="application/json",
        )

    app = web.Application()
    app.router.add_post(TOKEN, get_token)
    retry = RetryPolicy(max_retries=1, base=0.001, cap=0.01)
    async with serve_app(app) as base, Session(base_url=base, retry=retry, **CREDS) as session:
        with pytest.raises(InvalidResponse) as info:
            await session.credit()
    exc = info.value
    for text in (str(exc), repr(exc), repr(exc.body), repr(vars(exc))):
        assert fragment not in text


# -- credentials from arguments and environment -----------------------------------------------


def test_missing_credentials_is_configuration_error() -> None:
    """No argument and no environment variable: ConfigurationError naming AKOOL_API_KEY."""
    with pytest.raises(ConfigurationError, match="AKOOL_API_KEY"):
        Session()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"api_key": API_KEY, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        {"api_key": API_KEY, "client_id": CLIENT_ID},
        {"client_id": CLIENT_ID},
        {"client_secret": CLIENT_SECRET},
        {"api_key": ""},
        {"api_key": "   "},
        {"client_id": "", "client_secret": CLIENT_SECRET},
        {"client_id": CLIENT_ID, "client_secret": " "},
    ],
)
def test_bad_credential_combinations(kwargs: dict[str, str]) -> None:
    """Both kinds at once, half a pair, or blank values are ConfigurationErrors."""
    with pytest.raises(ConfigurationError) as info:
        Session(**kwargs)
    for value in kwargs.values():
        if value.strip():
            assert value not in str(info.value)


async def test_api_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """AKOOL_API_KEY and AKOOL_BASE_URL are used when no argument is given."""
    async with fake_server() as fake:
        monkeypatch.setenv("AKOOL_API_KEY", API_KEY)
        monkeypatch.setenv("AKOOL_BASE_URL", fake.base_url)
        async with Session(clock=fake.clock) as session:
            assert session.base_url == fake.base_url
            await session.credit()
    assert fake.stats.auth_headers_seen == {"x-api-key": 1}


async def test_client_credentials_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """AKOOL_CLIENT_ID and AKOOL_CLIENT_SECRET select bearer-token auth."""
    monkeypatch.setenv("AKOOL_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("AKOOL_CLIENT_SECRET", CLIENT_SECRET)
    async with fake_server() as fake:
        async with session_for(fake) as session:
            pass  # session_for passes the test API key explicitly: env is ignored then
        async with Session(base_url=fake.base_url, clock=fake.clock) as session:
            await session.credit()
    assert fake.stats.token_requests == 1
    assert fake.stats.auth_headers_seen == {"bearer": 1}


def test_explicit_arguments_override_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """An explicit api_key wins over environment client credentials (no mixing, no error)."""
    monkeypatch.setenv("AKOOL_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("AKOOL_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("AKOOL_API_KEY", "env-key")
    session = Session(api_key="explicit-key")
    assert isinstance(session._auth, ApiKeyAuth)
    assert session._auth.secrets() == ["explicit-key"]


def test_environment_with_both_kinds_is_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """AKOOL_API_KEY together with AKOOL_CLIENT_ID is ambiguous: ConfigurationError."""
    monkeypatch.setenv("AKOOL_API_KEY", "env-key")
    monkeypatch.setenv("AKOOL_CLIENT_ID", CLIENT_ID)
    with pytest.raises(ConfigurationError):
        Session()


# -- secrets never shown ----------------------------------------------------------------------


async def test_reprs_never_show_secrets() -> None:
    """Session, transport, auth and secret reprs never contain a key, secret or token."""
    async with pair(**CREDS) as (_fake, session):
        await session.credit()
        auth = session._auth
        assert isinstance(auth, TokenAuth)
        secrets = auth.secrets()
        assert CLIENT_SECRET in secrets and len(secrets) == 2  # the secret and the token
        texts = [repr(session), str(session), repr(session.transport), repr(auth), str(auth)]
    key_session = Session(api_key="sk-very-secret")
    texts += [repr(key_session), repr(key_session.transport), repr(key_session._auth)]
    for text in texts:
        for secret in [*secrets, "sk-very-secret"]:
            assert secret not in text


def test_secret_wrapper() -> None:
    """Secret hides its value in repr/str, compares by value and refuses to be pickled."""
    secret = Secret("hunter2")
    assert secret.get() == "hunter2"
    assert (
        "hunter2" not in repr(secret)
        and "hunter2" not in str(secret)
        and "hunter2" not in f"{secret}"
    )
    assert secret == Secret("hunter2") and secret != Secret("other")
    assert hash(secret) == hash(Secret("hunter2"))
    with pytest.raises(TypeError):
        pickle.dumps(secret)


async def test_api_key_auth_headers_and_no_refresh() -> None:
    """ApiKeyAuth yields only x-api-key and cannot refresh."""
    auth = ApiKeyAuth("k")

    async def never(_body: object) -> dict[str, object]:
        raise AssertionError("an API key never fetches a token")

    assert await auth.headers(never) == {"x-api-key": "k"}
    assert await auth.refresh({"x-api-key": "k"}, never) is False
    assert not auth.refreshable
