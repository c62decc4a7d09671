"""Webhooks for a session that authenticates with an API key: which credentials, from where."""

from __future__ import annotations

import time

import pytest

from akool_async import ConfigurationError, Session
from akool_async._webhooks import seal_event

KEY = "k" * 24  # Akool's API key is the clientSecret: 24 characters
CLIENT_ID = "my-client-id"


def test_api_key_session_without_client_id_names_the_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With an API key and no clientId, webhook_app() says what is missing and where to set it."""
    monkeypatch.delenv("AKOOL_CLIENT_ID", raising=False)
    session = Session(api_key=KEY)
    with pytest.raises(ConfigurationError) as exc:
        session.webhook_app()
    text = str(exc.value)
    assert "AKOOL_CLIENT_ID" in text and "clientId" in text and "API key" in text
    assert KEY not in text


def test_api_key_session_decrypts_with_its_key_and_env_client_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The API key decrypts and $AKOOL_CLIENT_ID checks the signature: a sealed event opens."""
    monkeypatch.setenv("AKOOL_CLIENT_ID", CLIENT_ID)
    verifier = Session(api_key=KEY).webhook_verifier()
    body = seal_event(
        {"_id": "abc", "status": 3, "type": "talking photo", "url": "https://r.example/a.mp4"},
        client_id=CLIENT_ID,
        client_secret=KEY,
        timestamp_ms=int(time.time() * 1000),
        nonce="n1",
    )
    event = verifier.unwrap(body)
    assert event.id == "abc" and event.url == "https://r.example/a.mp4"
