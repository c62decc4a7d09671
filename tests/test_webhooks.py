"""Unit tests of the webhook crypto, the verifier and the event model (no network)."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akool_async._errors import ConfigurationError, InvalidWebhook, ReplayedWebhook
from akool_async._webhooks import (
    WebhookEvent,
    WebhookVerifier,
    compute_signature,
    decrypt,
    encrypt,
    seal_event,
    verify_signature,
)

NOW_MS = 1_712_720_700_000


class FakeClock:
    """A clock whose wall time the test sets."""

    def __init__(self, wall_ms: int = NOW_MS) -> None:
        self.wall_s = wall_ms / 1000

    def now(self) -> float:
        return self.wall_s

    def wall(self) -> float:
        return self.wall_s

    async def sleep(self, seconds: float) -> None:
        self.wall_s += seconds

    def to_real(self, seconds: float) -> float:
        return 0.0


# Known answers produced once by Node's crypto (createCipheriv + sha1 of the sorted, joined
# fields, as Akool's own sender would), and cross-checked with `openssl enc -aes-N-cbc -K -iv`
# and `printf | LC_ALL=C sort | tr -d '\n' | sha1sum`. Nothing in this package made them.
KNOWN_ANSWERS: list[dict[str, Any]] = [
    {  # AES-128, clientId longer than 16 bytes, int timestamp, string nonce
        "client_id": "AkoolClientId-0001-xyz",
        "secret": "s3cr3t-k3y-16byt",
        "timestamp": 1712720702523,
        "nonce": "5837",
        "plaintext": '{"_id":"66160f989dfc997ac289037b","status":3,"type":"lipsync",'
        '"url":"https://example.com/r/out.mp4"}',
        "data_encrypt": "g9jjMbd0Pn42N1sUScIhBuLqNZfkAPr8Q+IqAaGB5dIwWBRLmHblx6+Fg9tm+2Bif+5gkI1X"
        "HUzbKsWcW5IpeBQsLZpm55UW57qL3vuNumkHYrATyH7x23p2EVink/61R6q5Dq57j3TqAgT5/QoX6Q==",
        "signature": "32b519eb1ac8459b09357060a55f3db03a9f394a",
    },
    {  # AES-192, clientId shorter than 16 bytes, string timestamp, int nonce
        "client_id": "cid-short",
        "secret": "twenty-four-byte-secret!",
        "timestamp": "1712720702600",
        "nonce": 123456,
        "plaintext": '{"_id":"a1","status":4,"type":"video translate","error_code":1015,'
        '"error_reason":"boom"}',
        "data_encrypt": "XT0So3zF97Bq+QmsFbEhOMCjMz1nKjZDjtN2ed4Uv+1aeClcGZ4wyHpYMzssjRCEcrfRaFhg"
        "D8/z14RMXkAgsKLC8Bn1o45Xp59BzhajYo9BGd6zMyqe3ug0ZAs+vM8q",
        "signature": "1d5f6e95f848a0b7859702c0ebee0c52a3ed909a",
    },
    {  # AES-256 with a multibyte key; the clientId's 16th byte splits a Cyrillic letter
        "client_id": "клиент-ид",
        "secret": "ключthirty-two-byte-secret-k",
        "timestamp": 1712720709999,
        "nonce": "a1b2c3",
        "plaintext": '{"_id":"b2","status":2,"type":"faceswap","progress":40,"note":"é"}',
        "data_encrypt": "skgcs9Lr0cauHNDCs8nC07/mY81L81FWC/FGxkLjLeirgBMp6SDjvgr2PkuYit65RgIzO3IG"
        "jkwlDW5/9bedoCl/u2VeHwwg7tIPLVYoL5I=",
        "signature": "11d3ddd12740c2482f00a37e2887b0f206d85939",
    },
    {  # AES-128, clientId of exactly 16 bytes, 96-byte plaintext (a whole padding block)
        "client_id": "exactly16bytesID",
        "secret": "sixteen-byte-key",
        "timestamp": 1712720710000,
        "nonce": 99,
        "plaintext": '{"_id":"c3","status":3,"url":"https://x.example/' + "a" * 46 + '"}',
        "data_encrypt": "H1RTt6q5TSj/G7N0SUn0gEKQeejyHfdmS85sgwG99r4ARsdwjG8EPnO1f7Uvf4exdT751itm"
        "3MCITzjhPch+Af8OcAnhuABWRGwvk4H9QIntKcoTgbsEx7bFxk/wd2kFTtLBikk/Hg95KWhPU9U1hQ==",
        "signature": "b9af437cb6ac651f365110ea4bf6aad8627f870f",
    },
]
KAT_IDS = ["aes128-long-id", "aes192-short-id", "aes256-multibyte", "aes128-full-pad-block"]

CLIENT_ID = "test-client-id-0123456789"
SECRET = "0123456789abcdef0123456789abcdef"
PLAIN: dict[str, Any] = {
    "_id": "job-1",
    "status": 3,
    "type": "lipsync",
    "url": "https://cdn.test/out-xyz.mp4",
}


def _raw_aes(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-CBC with no padding, straight from the primitive."""
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def _reference_encrypt(plaintext: bytes, client_id: str, secret: str) -> str:
    """The scheme written out independently: hand-made PKCS#7, IV by hand."""
    pad = 16 - len(plaintext) % 16
    iv = client_id.encode()[:16] + b"\0" * max(0, 16 - len(client_id.encode()))
    return base64.b64encode(_raw_aes(secret.encode(), iv, plaintext + bytes([pad]) * pad)).decode()


def _verifier(**kwargs: Any) -> WebhookVerifier:
    kwargs.setdefault("clock", FakeClock())
    return WebhookVerifier(CLIENT_ID, SECRET, **kwargs)


def _sealed(payload: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("timestamp_ms", NOW_MS)
    kwargs.setdefault("nonce", "n-1")
    return seal_event(payload or PLAIN, client_id=CLIENT_ID, client_secret=SECRET, **kwargs)


def _assert_clean(exc: BaseException, *extra: str) -> None:
    """The message holds neither secret, client id, plaintext nor chained plaintext."""
    text = str(exc)
    for forbidden in (SECRET, CLIENT_ID, json.dumps(PLAIN), PLAIN["url"], *extra):
        assert forbidden not in text
    assert exc.__cause__ is None or not isinstance(exc.__cause__, ValueError | UnicodeError)


# -- known answers ----------------------------------------------------------------------------


@pytest.mark.parametrize("kat", KNOWN_ANSWERS, ids=KAT_IDS)
def test_known_answer_encrypt(kat: dict[str, Any]) -> None:
    """encrypt() reproduces the externally computed dataEncrypt byte for byte."""
    out = encrypt(
        kat["plaintext"].encode(), client_id=kat["client_id"], client_secret=kat["secret"]
    )
    assert out == kat["data_encrypt"]


@pytest.mark.parametrize("kat", KNOWN_ANSWERS, ids=KAT_IDS)
def test_known_answer_decrypt(kat: dict[str, Any]) -> None:
    """decrypt() recovers the plaintext of the externally computed dataEncrypt."""
    out = decrypt(kat["data_encrypt"], client_id=kat["client_id"], client_secret=kat["secret"])
    assert out == kat["plaintext"].encode()


@pytest.mark.parametrize("kat", KNOWN_ANSWERS, ids=KAT_IDS)
def test_known_answer_signature(kat: dict[str, Any]) -> None:
    """compute_signature() matches the externally computed signature and verifies."""
    args = (kat["client_id"], kat["timestamp"], kat["nonce"], kat["data_encrypt"])
    assert compute_signature(*args) == kat["signature"]
    assert verify_signature(*args, kat["signature"])


@pytest.mark.parametrize("kat", KNOWN_ANSWERS, ids=KAT_IDS)
def test_known_answer_unwrap(kat: dict[str, Any]) -> None:
    """A verifier with the right credentials turns the known delivery into its event."""
    ts = kat["timestamp"]
    verifier = WebhookVerifier(
        kat["client_id"], kat["secret"], clock=FakeClock(int(ts)), tolerance=300
    )
    body = {
        "signature": kat["signature"],
        "dataEncrypt": kat["data_encrypt"],
        "timestamp": ts,
        "nonce": kat["nonce"],
    }
    event = verifier.unwrap(json.dumps(body).encode())
    plain = json.loads(kat["plaintext"])
    assert (event.id, event.status, event.timestamp_ms) == (plain["_id"], plain["status"], int(ts))
    assert dict(event.raw) == plain


# -- encryption ------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["k" * 16, "k" * 24, "k" * 32, "é" * 8, "ключ" + "k" * 24])
@pytest.mark.parametrize(
    "client_id", ["", "short", "exactly16bytesID", "a-client-id-much-longer-than-16", "é" * 9]
)
def test_encrypt_matches_reference(client_id: str, secret: str) -> None:
    """encrypt() equals the scheme written out with raw AES and hand-made padding."""
    for size in (0, 1, 15, 16, 17, 100):
        plaintext = bytes(range(size))
        assert encrypt(plaintext, client_id=client_id, client_secret=secret) == (
            _reference_encrypt(plaintext, client_id, secret)
        )


def test_iv_uses_only_first_16_bytes_of_client_id() -> None:
    """Client ids sharing their first 16 UTF-8 bytes share the IV; a shorter one is zero-padded."""
    ct = encrypt(b"hello", client_id="0123456789abcdefXYZ", client_secret=SECRET)
    assert decrypt(ct, client_id="0123456789abcdef-other", client_secret=SECRET) == b"hello"
    short = encrypt(b"hello", client_id="abc", client_secret=SECRET)
    assert decrypt(short, client_id="abc\0\0", client_secret=SECRET) == b"hello"


@pytest.mark.parametrize("length", [0, 1, 15, 17, 23, 31, 33, 64])
def test_bad_key_length_rejected_without_leaking(length: int) -> None:
    """A secret that is not 16/24/32 UTF-8 bytes is refused, naming the length, not the secret."""
    secret = "Q" * length
    for call in (
        lambda: encrypt(b"x", client_id=CLIENT_ID, client_secret=secret),
        lambda: decrypt("AAAA", client_id=CLIENT_ID, client_secret=secret),
    ):
        with pytest.raises(InvalidWebhook, match=f"got {length} bytes") as info:
            call()
        if length:
            assert secret not in str(info.value)
    with pytest.raises(ConfigurationError) as cinfo:
        WebhookVerifier(CLIENT_ID, secret)
    assert "16, 24 or 32" in str(cinfo.value)
    if length:
        assert secret not in str(cinfo.value)


def test_multibyte_secret_counts_bytes_not_characters() -> None:
    """Sixteen characters of two bytes each make a 32-byte AES-256 key, not AES-128."""
    secret = "é" * 16
    ct = encrypt(b"x", client_id=CLIENT_ID, client_secret=secret)
    assert decrypt(ct, client_id=CLIENT_ID, client_secret=secret) == b"x"
    with pytest.raises(InvalidWebhook, match="got 48 bytes"):
        encrypt(b"x", client_id=CLIENT_ID, client_secret="é" * 24)


def _forge(padded: bytes) -> str:
    """Encrypt already-padded bytes under the test credentials."""
    return base64.b64encode(_raw_aes(SECRET.encode(), CLIENT_ID.encode()[:16], padded)).decode()


@pytest.mark.parametrize(
    "padded",
    [
        b"A" * 15 + b"\x00",  # pad byte 0
        b"A" * 15 + b"\x11",  # pad byte 17 > block
        b"A" * 13 + b"\x03\x02\x03",  # inconsistent pad bytes
        b"A" * 16 + b"B" * 14 + b"\x03\x03",  # claims 3, only 2
        b"\x20" * 16,  # claims 32 in a 16-byte block... (0x20 = 32)
    ],
    ids=["zero", "seventeen", "mixed", "short-run", "too-long"],
)
def test_bad_padding_rejected(padded: bytes) -> None:
    """Invalid PKCS#7 padding is refused strictly, with a generic payload reason."""
    with pytest.raises(InvalidWebhook, match=r"^bad payload: invalid PKCS#7") as info:
        decrypt(_forge(padded), client_id=CLIENT_ID, client_secret=SECRET)
    _assert_clean(info.value, "AAAA")


def test_full_block_padding_accepted() -> None:
    """A final block of sixteen 0x10 bytes is valid padding and is stripped whole."""
    assert (
        decrypt(_forge(b"A" * 16 + b"\x10" * 16), client_id=CLIENT_ID, client_secret=SECRET)
        == b"A" * 16
    )


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ("not base64 at all!", "not valid base64"),
        ("QUJD", "not a positive multiple of 16"),  # 3 bytes
        ("", "not a positive multiple of 16"),
        ("ключ", "not valid base64"),
        (base64.b64encode(b"x" * 17).decode(), "not a positive multiple of 16"),
    ],
)
def test_malformed_ciphertext_rejected(data: str, match: str) -> None:
    """Malformed base64 or a partial block is an InvalidWebhook, not a crash."""
    with pytest.raises(InvalidWebhook, match=match):
        decrypt(data, client_id=CLIENT_ID, client_secret=SECRET)


def test_base64_whitespace_is_ignored() -> None:
    """Line breaks inside dataEncrypt (MIME-style base64) do not break decryption."""
    ct = encrypt(b"x" * 100, client_id=CLIENT_ID, client_secret=SECRET)
    wrapped = "\n".join(ct[i : i + 76] for i in range(0, len(ct), 76))
    assert decrypt(wrapped, client_id=CLIENT_ID, client_secret=SECRET) == b"x" * 100


def test_wrong_key_rejected() -> None:
    """Decrypting with another secret of the same length fails (padding), not silently."""
    ct = encrypt(json.dumps(PLAIN).encode(), client_id=CLIENT_ID, client_secret=SECRET)
    other = "fedcba9876543210fedcba9876543210"
    with pytest.raises(InvalidWebhook) as info:
        decrypt(ct, client_id=CLIENT_ID, client_secret=other)
    _assert_clean(info.value, other)


def test_import_without_cryptography() -> None:
    """The package imports without `cryptography`; using the crypto names the extra to install."""
    code = (
        "import sys; sys.modules['cryptography'] = None\n"
        "import akool_async, akool_async._webhooks as w, akool_async._webhook_receivers\n"
        "assert w.compute_signature('a', 1, 2, 'b')\n"
        "for f in (lambda: w.encrypt(b'x', client_id='c', client_secret='k' * 16),\n"
        "          lambda: w.decrypt('AAAA', client_id='c', client_secret='k' * 16),\n"
        "          lambda: w.WebhookVerifier('c', 'k' * 16)):\n"
        "    try:\n"
        "        f()\n"
        "    except ImportError as exc:\n"
        "        assert 'akool-async[webhooks]' in str(exc), exc\n"
        "    else:\n"
        "        raise AssertionError('no ImportError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- signature ------------------------------------------------------------------------------


def test_signature_is_sha1_of_sorted_fields() -> None:
    """The signature is sha1 hex of the four fields sorted and joined, whatever their order."""
    expected = hashlib.sha1("".join(sorted(["zz", "123", "abc", "M=="])).encode()).hexdigest()
    assert compute_signature("zz", 123, "abc", "M==") == expected
    assert compute_signature("zz", "123", "abc", "M==") == expected
    assert compute_signature("zz", "abc", 123, "M==") == expected  # symmetric by construction


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1712720702523.0, "1712720702523"),
        (0.5, "0.5"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (-2.5e-8, "-2.5e-8"),
        (0.0, "0"),
    ],
)
def test_float_fields_sign_as_javascript_writes_them(number: float, text: str) -> None:
    """A float timestamp/nonce signs like JavaScript's String(n) (checked against Node)."""
    assert compute_signature("c", 1, number, "d") == compute_signature("c", 1, text, "d")


def test_signature_rejects_non_numbers() -> None:
    """A bool, None or object timestamp/nonce is a TypeError, and never verifies."""
    for bad in (True, None, [1], {"a": 1}):
        with pytest.raises(TypeError):
            compute_signature("c", bad, 1, "d")  # type: ignore[arg-type]  # deliberately wrong
        assert not verify_signature("c", bad, 1, "d", "0" * 40)  # type: ignore[arg-type]


def test_verify_signature_is_exact() -> None:
    """Uppercase hex, a prefix, extra characters or a non-ASCII signature do not verify."""
    sig = compute_signature("c", 1, 2, "d")
    assert verify_signature("c", 1, 2, "d", sig)
    for bad in (sig.upper(), sig[:-1], sig + "0", "é" * 40, ""):
        assert not verify_signature("c", 1, 2, "d", bad)


# -- verifier ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ts_as", [int, str])
@pytest.mark.parametrize("nonce", [7, "7", "n-abc"])
def test_unwrap_accepts_int_and_string_fields(ts_as: type, nonce: int | str) -> None:
    """timestamp and nonce may each arrive as a number or a string."""
    body = _sealed(nonce=nonce)
    body["timestamp"] = ts_as(body["timestamp"])
    body["signature"] = compute_signature(CLIENT_ID, body["timestamp"], nonce, body["dataEncrypt"])
    event = _verifier().unwrap(json.dumps(body))
    assert (event.id, event.status, event.type, event.url) == ("job-1", 3, "lipsync", PLAIN["url"])
    assert event.timestamp_ms == NOW_MS


def test_unwrap_accepts_bytes_str_and_mapping() -> None:
    """The body may be raw bytes, text or an already-parsed mapping."""
    shapes: list[Callable[[dict[str, Any]], Any]] = [
        lambda b: json.dumps(b).encode(),
        json.dumps,
        dict,
    ]
    for i, shape in enumerate(shapes):
        body = _sealed(nonce=f"shape-{i}")
        assert _verifier().unwrap(shape(body)).id == "job-1"


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"not json", "malformed body: not JSON"),
        (b"\xff\xfe\x00", "malformed body: not JSON"),
        (b"[1, 2]", "malformed body: not a JSON object"),
        (b"{}", "malformed body: missing 'signature'"),
        (
            b'{"signature": 1, "dataEncrypt": "", "timestamp": 1, "nonce": 1}',
            "malformed body: 'signature' must be a string",
        ),
        (
            b'{"signature": "", "dataEncrypt": "", "timestamp": 1}',
            "malformed body: missing 'nonce'",
        ),
        (
            b'{"signature": "", "dataEncrypt": "", "timestamp": true, "nonce": 1}',
            "malformed body: 'timestamp' must be a string or a number",
        ),
        (
            b'{"signature": "", "dataEncrypt": "", "timestamp": "soon", "nonce": 1}',
            "malformed body: 'timestamp' is not a number",
        ),
        (
            b'{"signature": "", "dataEncrypt": "", "timestamp": 1, "nonce": null}',
            "malformed body: 'nonce' must be a string or a number",
        ),
        (b"[" * 100_000, "malformed body: not JSON"),
    ],
)
def test_malformed_bodies_rejected(body: bytes, match: str) -> None:
    """A body that is not a well-formed delivery is an InvalidWebhook naming the problem."""
    with pytest.raises(InvalidWebhook, match=match):
        _verifier(tolerance=None).unwrap(body)


@pytest.mark.parametrize("offset_s", [-301, 301, -86_400, 10**9])
def test_stale_or_future_timestamp_rejected(offset_s: int) -> None:
    """A timestamp more than `tolerance` away from clock.wall(), either way, is refused."""
    body = _sealed(timestamp_ms=NOW_MS + offset_s * 1000)
    with pytest.raises(InvalidWebhook, match=r"^stale timestamp"):
        _verifier().unwrap(body)


def test_timestamp_within_tolerance_and_clock_moving() -> None:
    """Inside the window it passes; once the controlled clock moves past it, it fails."""
    clock = FakeClock()
    verifier = _verifier(clock=clock, tolerance=60)
    assert verifier.unwrap(_sealed(timestamp_ms=NOW_MS - 59_000, nonce="a")).id == "job-1"
    clock.wall_s += 120
    with pytest.raises(InvalidWebhook, match=r"^stale timestamp"):
        verifier.unwrap(_sealed(timestamp_ms=NOW_MS, nonce="b"))


def test_tolerance_none_accepts_any_timestamp() -> None:
    """tolerance=None turns the freshness check off."""
    assert _verifier(tolerance=None).unwrap(_sealed(timestamp_ms=1)).id == "job-1"


def test_bad_signature_rejected() -> None:
    """A signature that does not match is refused before decryption."""
    body = _sealed()
    body["signature"] = "0" * 40
    with pytest.raises(InvalidWebhook, match=r"^bad signature") as info:
        _verifier().unwrap(body)
    assert not isinstance(info.value, ReplayedWebhook)
    _assert_clean(info.value)


def test_signature_over_other_client_id_rejected() -> None:
    """A delivery signed for another client id does not verify."""
    body = seal_event(
        PLAIN, client_id="someone-else", client_secret=SECRET, timestamp_ms=NOW_MS, nonce=1
    )
    with pytest.raises(InvalidWebhook, match=r"^bad signature"):
        _verifier().unwrap(body)


def test_replay_rejected_and_bounded() -> None:
    """An accepted delivery seen again is a ReplayedWebhook; memory keeps only the window."""
    verifier = _verifier(replay_window=2)
    first, second, third = (_sealed(nonce=n) for n in ("1", "2", "3"))
    verifier.unwrap(first)
    with pytest.raises(ReplayedWebhook, match=r"^replayed delivery"):
        verifier.unwrap(first)
    verifier.unwrap(second)
    verifier.unwrap(third)  # evicts `first`
    assert verifier.unwrap(first).id == "job-1"
    with pytest.raises(ReplayedWebhook):
        verifier.unwrap(third)


def test_replay_memory_forgets_stale_entries() -> None:
    """Signatures older than the tolerance are dropped (their replays fail as stale anyway)."""
    clock = FakeClock()
    verifier = _verifier(clock=clock, tolerance=10)
    body = _sealed()
    verifier.unwrap(body)
    clock.wall_s += 11
    with pytest.raises(InvalidWebhook, match=r"^stale timestamp"):
        verifier.unwrap(body)
    verifier.unwrap(_sealed(timestamp_ms=int(clock.wall_s * 1000), nonce="fresh"))
    assert len(verifier._replays) == 1  # the old signature is gone


def test_replay_window_zero_disables_detection() -> None:
    """replay_window=0 remembers nothing."""
    verifier = _verifier(replay_window=0)
    body = _sealed()
    verifier.unwrap(body)
    assert verifier.unwrap(body).id == "job-1"


def test_failed_delivery_not_remembered() -> None:
    """A correctly signed but undecryptable delivery does not enter the replay memory."""
    verifier = _verifier()
    body = _sealed()
    body["dataEncrypt"] = base64.b64encode(b"\0" * 32).decode()
    body["signature"] = compute_signature(CLIENT_ID, NOW_MS, "n-1", body["dataEncrypt"])
    for _ in range(2):  # second attempt is not a ReplayedWebhook
        with pytest.raises(InvalidWebhook, match=r"^bad payload") as info:
            verifier.unwrap(body)
        assert not isinstance(info.value, ReplayedWebhook)


def _resigned(plaintext: bytes, **kwargs: Any) -> dict[str, Any]:
    """A correctly signed delivery carrying arbitrary plaintext."""
    data = encrypt(plaintext, client_id=CLIENT_ID, client_secret=kwargs.get("secret", SECRET))
    return {
        "signature": compute_signature(CLIENT_ID, NOW_MS, "n", data),
        "dataEncrypt": data,
        "timestamp": NOW_MS,
        "nonce": "n",
    }


@pytest.mark.parametrize(
    "plaintext",
    [
        b"this is not json, secret-ish text",
        b'\xff\xfe{"_id": "x"}',
        b'["_id", "job-1"]',
        b'{"status": 3, "url": "https://cdn.test/out-xyz.mp4"}',
        b'{"_id": "", "status": 3}',
        b'{"_id": 5, "status": 3}',
        b'{"_id": "job-1", "status": "done"}',
        b'{"_id": "job-1"}',
        b'{"_id": "job-1", "status": true}',
        b"[" * 100_000,
    ],
    ids=[
        "text",
        "not-utf8",
        "array",
        "no-id",
        "empty-id",
        "int-id",
        "word-status",
        "no-status",
        "bool-status",
        "deep",
    ],
)
def test_bad_plaintext_rejected_without_leaking(plaintext: bytes) -> None:
    """Non-JSON, non-object or id/status-less plaintext is a `bad payload` that quotes nothing."""
    with pytest.raises(InvalidWebhook, match=r"^bad payload") as info:
        _verifier().unwrap(_resigned(plaintext))
    _assert_clean(info.value, "secret-ish", "job-1")
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__ or info.value.__context__ is None


def test_wrong_key_delivery_rejected() -> None:
    """A delivery encrypted under another secret is refused as a bad payload."""
    body = _resigned(json.dumps(PLAIN).encode(), secret="another-secret-of-32-bytes-long!")
    with pytest.raises(InvalidWebhook, match=r"^bad payload") as info:
        _verifier().unwrap(body)
    _assert_clean(info.value)


def test_error_messages_never_hold_credentials() -> None:
    """No rejection message, whatever the failure, holds the client id, secret or plaintext."""
    verifier = _verifier()
    good = _sealed()
    cases: list[Any] = [
        b"{",
        {**good, "signature": "x"},
        {**good, "timestamp": 1},
        _resigned(b"junk"),
        _resigned(json.dumps({"status": 3, "url": PLAIN["url"]}).encode()),
    ]
    verifier.unwrap(good)
    cases.append(good)
    for body in cases:
        with pytest.raises(InvalidWebhook) as info:
            verifier.unwrap(body)
        _assert_clean(info.value)


def test_verifier_repr_hides_credentials() -> None:
    """repr(verifier) shows the settings but neither the secret nor the client id."""
    text = repr(_verifier())
    assert SECRET not in text and CLIENT_ID not in text
    assert "tolerance=300.0" in text


@pytest.mark.parametrize(
    "kwargs",
    [
        {"tolerance": 0},
        {"tolerance": -1},
        {"tolerance": float("nan")},
        {"replay_window": -1},
        {"replay_window": 1.5},
    ],
)
def test_verifier_rejects_bad_settings(kwargs: dict[str, Any]) -> None:
    """Invalid tolerance or replay_window is a ConfigurationError."""
    with pytest.raises(ConfigurationError):
        WebhookVerifier(CLIENT_ID, SECRET, **kwargs)


def test_verifier_rejects_empty_client_id() -> None:
    """An empty client id is a ConfigurationError."""
    with pytest.raises(ConfigurationError, match="client_id"):
        WebhookVerifier("", SECRET)


# -- event model ------------------------------------------------------------------------------


def test_event_repr_shows_only_id_status_type() -> None:
    """repr(event) shows id, status and type; never the URL or the raw payload."""
    event = _verifier().unwrap(_sealed({**PLAIN, "error_reason": "private reason"}))
    assert repr(event) == "WebhookEvent(id='job-1', status=3, type='lipsync')"


def test_event_fields_and_fallbacks() -> None:
    """status falls back to video_status, url to video; loose optional fields are coerced."""
    event = WebhookEvent.from_payload(
        {
            "_id": "j",
            "video_status": "4",
            "video": "https://v",
            "error_code": "1015",
            "error_reason": "try later",
            "progress": 41.6,
            "extra": {"k": 1},
        },
        timestamp_ms=5,
    )
    assert (event.status, event.url, event.error_code, event.error_reason, event.progress) == (
        4,
        "https://v",
        1015,
        "try later",
        42,
    )
    assert event.type is None and event.timestamp_ms == 5 and event.raw["extra"] == {"k": 1}
    odd = WebhookEvent.from_payload(
        {"_id": "j", "status": 2, "type": 7, "url": "", "error_code": "x", "progress": True},
        timestamp_ms=0,
    )
    assert (odd.type, odd.url, odd.error_code, odd.progress) == (None, None, None, None)


def test_event_is_frozen_hashable_and_raw_read_only() -> None:
    """Events are immutable, hashable, and their raw mapping cannot be modified."""
    event = _verifier().unwrap(_sealed())
    with pytest.raises(AttributeError):
        event.status = 4  # type: ignore[misc]  # frozen on purpose
    with pytest.raises(TypeError):
        event.raw["status"] = 4  # type: ignore[index]  # read-only on purpose
    assert hash(event) == hash(WebhookEvent.from_payload(dict(event.raw), timestamp_ms=NOW_MS))


# -- properties -------------------------------------------------------------------------------

_ASCII = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_TWO_BYTE = st.characters(min_codepoint=0x80, max_codepoint=0x7FF)


@st.composite
def secrets(draw: st.DrawFn) -> str:
    """Secrets of 16, 24 or 32 UTF-8 bytes, mixing one- and two-byte characters."""
    size = draw(st.sampled_from([16, 24, 32]))
    wide = draw(st.integers(0, size // 2))
    chars = draw(st.lists(_TWO_BYTE, min_size=wide, max_size=wide)) + draw(
        st.lists(_ASCII, min_size=size - 2 * wide, max_size=size - 2 * wide)
    )
    return "".join(draw(st.permutations(chars)))


_PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_PROPS
@given(plaintext=st.binary(max_size=300), client_id=st.text(max_size=40), secret=secrets())
def test_roundtrip_property(plaintext: bytes, client_id: str, secret: str) -> None:
    """decrypt(encrypt(x)) == x for any bytes, any client id and keys of all three sizes."""
    assert len(secret.encode()) in (16, 24, 32)
    ct = encrypt(plaintext, client_id=client_id, client_secret=secret)
    assert decrypt(ct, client_id=client_id, client_secret=secret) == plaintext
    assert ct == _reference_encrypt(plaintext, client_id, secret)


@_PROPS
@given(data=st.data(), nonce=st.one_of(st.integers(0, 10**12), st.text(max_size=20)))
def test_any_signature_bit_flip_fails(data: st.DataObject, nonce: int | str) -> None:
    """Flipping any single bit of the signature makes it fail, in verify_signature and unwrap."""
    body = _sealed(nonce=nonce)
    sig: str = body["signature"]
    index = data.draw(st.integers(0, len(sig) - 1))
    bit = data.draw(st.integers(0, 7))
    flipped = sig[:index] + chr(ord(sig[index]) ^ (1 << bit)) + sig[index + 1 :]
    assert not verify_signature(CLIENT_ID, NOW_MS, nonce, body["dataEncrypt"], flipped)
    with pytest.raises(InvalidWebhook, match=r"^bad signature"):
        _verifier().unwrap({**body, "signature": flipped})


@_PROPS
@given(data=st.data(), payload=st.dictionaries(st.text(max_size=8), st.integers(), max_size=5))
def test_tampered_data_encrypt_fails(data: st.DataObject, payload: dict[str, int]) -> None:
    """A ciphertext with any byte changed fails: by signature, and re-signed, by decryption."""
    body = _sealed({**PLAIN, **payload, "_id": "job-1", "status": 3})
    raw = bytearray(base64.b64decode(body["dataEncrypt"]))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= data.draw(st.integers(1, 255))
    tampered = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(InvalidWebhook, match=r"^bad signature"):
        _verifier().unwrap({**body, "dataEncrypt": tampered})
    # Anyone knowing the client id can re-sign; decryption and parsing must still refuse.
    resigned = {
        **body,
        "dataEncrypt": tampered,
        "signature": compute_signature(CLIENT_ID, NOW_MS, "n-1", tampered),
    }
    with pytest.raises(InvalidWebhook, match=r"^bad payload"):
        _verifier().unwrap(resigned)
