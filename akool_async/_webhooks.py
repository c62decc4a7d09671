"""Akool webhook deliveries: signature, AES-CBC envelope, verifier and event model.

Akool POSTs ``{"signature", "dataEncrypt", "timestamp", "nonce"}``. ``signature`` is the SHA-1 hex
of the sorted concatenation of clientId, timestamp, nonce and dataEncrypt; ``dataEncrypt`` is the
base64 of the AES-CBC encryption of a JSON object (key = clientSecret, IV = clientId, PKCS#7).

Two facts about this scheme shape the code:

* The signature is **not keyed by the secret**: anyone who knows the clientId can sign any body.
  Authenticity rests on the encryption (only the secret's holder produces ciphertext that decrypts
  to a well-formed JSON object), and a captured ciphertext can be re-signed with a fresh
  timestamp and nonce. The verifier's replay check therefore only stops exact repeats; receivers
  also drop repeats of the same ``(id, status)``.
* Every rejection message has the form ``"<reason>: <detail>"`` with one of a few reasons
  (``malformed body``, ``stale timestamp``, ``bad signature``, ``replayed delivery``,
  ``bad payload``). Every failure after the signature check, from base64 to a missing ``_id``, is
  a ``bad payload``, so an HTTP receiver that echoes only the reason offers no padding oracle.
  No message ever holds the plaintext, the client secret or the client id.

``cryptography`` is an optional extra (``akool-async[webhooks]``), imported only when needed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import os
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from attrs import field, frozen

from ._auth import MaskedBytes, mask
from ._clock import Clock, SystemClock
from ._errors import ConfigurationError, InvalidWebhook
from ._replay import ReplayCache

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.padding import PKCS7

__all__ = [
    "DEFAULT_REPLAY_WINDOW",
    "DEFAULT_WEBHOOK_TOLERANCE",
    "WebhookEvent",
    "WebhookVerifier",
    "compute_signature",
    "decrypt",
    "encrypt",
    "seal_event",
    "verify_signature",
]

#: How far a delivery's timestamp may be from the verifier's clock (seconds).
DEFAULT_WEBHOOK_TOLERANCE: Final = 300.0
#: Signatures remembered for replay detection.
DEFAULT_REPLAY_WINDOW: Final = 10_000

_BLOCK_BYTES: Final = 16
_KEY_SIZES: Final = (16, 24, 32)
_INSTALL_HINT: Final = (
    "Akool webhook decryption needs the optional 'cryptography' package: "
    "pip install 'akool-async[webhooks]'"
)


# -- primitives -------------------------------------------------------------------------------


def _require_cryptography() -> None:
    """Fail early, with the install hint, when the optional extra is missing."""
    _pkcs7()


def _pkcs7() -> PKCS7:
    try:
        from cryptography.hazmat.primitives.padding import PKCS7
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT, name="cryptography") from exc
    return PKCS7(_BLOCK_BYTES * 8)


def _aes_cbc(key: bytes, iv: bytes, data: bytes, *, encrypting: bool) -> bytes:
    """One whole AES-CBC pass over block-aligned data (no padding)."""
    try:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT, name="cryptography") from exc
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    context = cipher.encryptor() if encrypting else cipher.decryptor()
    return context.update(data) + context.finalize()


def _aes_key(client_secret: str) -> bytes:
    """The AES key: the secret's UTF-8 bytes; their length picks AES-128/192/256."""
    if not isinstance(client_secret, str):
        raise InvalidWebhook("bad key: client_secret must be a str")
    try:
        key = MaskedBytes(client_secret.encode("utf-8"))
    except UnicodeEncodeError:
        raise InvalidWebhook("bad key: client_secret is not encodable as UTF-8") from None
    if len(key) not in _KEY_SIZES:
        raise InvalidWebhook(
            "bad key: client_secret must be 16, 24 or 32 bytes in UTF-8 "
            f"(AES-128/192/256), got {len(key)} bytes"
        )
    return key


def _iv(client_id: str) -> bytes:
    """The IV: the first 16 bytes of the client id's UTF-8, zero-padded if shorter."""
    if not isinstance(client_id, str):
        raise InvalidWebhook("bad key: client_id must be a str")
    try:
        raw = client_id.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidWebhook("bad key: client_id is not encodable as UTF-8") from None
    return raw[:_BLOCK_BYTES].ljust(_BLOCK_BYTES, b"\0")


def encrypt(plaintext: bytes, *, client_id: str, client_secret: str) -> str:
    """Encrypt like Akool does: AES-CBC with PKCS#7 padding, then base64.

    Args:
        plaintext: the bytes to encrypt (Akool sends a JSON object).
        client_id: the account's clientId; its first 16 UTF-8 bytes are the IV.
        client_secret: the clientSecret (API key); 16, 24 or 32 UTF-8 bytes.

    Returns:
        The base64 text Akool puts in ``dataEncrypt``.

    Raises:
        InvalidWebhook: the secret's UTF-8 length is not 16, 24 or 32.
        ImportError: the ``cryptography`` extra is not installed.
    """
    client_secret = mask(client_secret)  # this frame's locals show '***' if anything raises
    key, iv = _aes_key(client_secret), _iv(client_id)
    padder = _pkcs7().padder()
    padded = padder.update(bytes(plaintext)) + padder.finalize()
    return base64.b64encode(_aes_cbc(key, iv, padded, encrypting=True)).decode("ascii")


def decrypt(data_encrypt: str, *, client_id: str, client_secret: str) -> bytes:
    """Decrypt a ``dataEncrypt`` value; the inverse of :func:`encrypt`.

    Args:
        data_encrypt: base64 text (ASCII whitespace inside it is ignored).
        client_id: the account's clientId (IV source).
        client_secret: the clientSecret (AES key).

    Returns:
        The plaintext bytes, padding removed.

    Raises:
        InvalidWebhook: bad key length, malformed base64, a ciphertext that is not a whole number
            of blocks, or invalid PKCS#7 padding (usually the wrong secret or client id).
        ImportError: the ``cryptography`` extra is not installed.
    """
    client_secret = mask(client_secret)  # this frame's locals show '***' if anything raises
    key, iv = _aes_key(client_secret), _iv(client_id)
    unpadder = _pkcs7().unpadder()
    if not isinstance(data_encrypt, str):
        raise InvalidWebhook("bad payload: dataEncrypt must be a str")
    try:
        ciphertext = base64.b64decode("".join(data_encrypt.split()).encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise InvalidWebhook("bad payload: dataEncrypt is not valid base64") from None
    if not ciphertext or len(ciphertext) % _BLOCK_BYTES:
        raise InvalidWebhook(
            f"bad payload: ciphertext is {len(ciphertext)} bytes, not a positive multiple of 16"
        )
    padded = _aes_cbc(key, iv, ciphertext, encrypting=False)
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise InvalidWebhook(
            "bad payload: invalid PKCS#7 padding (wrong client_secret or client_id?)"
        ) from None


def _js_number_text(value: float) -> str:
    """``String(value)`` as JavaScript writes it, since Akool's sender is JavaScript."""
    if not math.isfinite(value):
        raise ValueError("a webhook number must be finite")
    if value == 0:
        return "0"
    if value < 0:
        return "-" + _js_number_text(-value)
    # repr() gives the shortest round-tripping digits, the same digits ECMAScript picks.
    _sign, digits_tuple, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)  # finite, checked above
    digits = "".join(map(str, digits_tuple)).rstrip("0")
    exponent += len(digits_tuple) - len(digits)
    k = len(digits)
    n = exponent + k  # value == 0.<digits> * 10**n
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


def _field_text(value: object, name: str) -> str:
    """The text a timestamp or nonce contributes to the signature."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a string or a number, not a bool")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _js_number_text(value)
    raise TypeError(f"{name} must be a string or a number, not {type(value).__name__}")


def compute_signature(
    client_id: str, timestamp: int | float | str, nonce: int | float | str, data_encrypt: str
) -> str:
    """The signature Akool sends: SHA-1 hex of the four fields, sorted, concatenated.

    Numbers are written as JavaScript writes them, so ``1712720702523`` and
    ``"1712720702523"`` sign identically.

    Args:
        client_id: the account's clientId.
        timestamp: the delivery's ``timestamp`` (ms), number or string, exactly as sent.
        nonce: the delivery's ``nonce``, number or string, exactly as sent.
        data_encrypt: the delivery's ``dataEncrypt``.

    Returns:
        40 lowercase hex characters.

    Raises:
        TypeError: timestamp or nonce is neither a string nor a number.
    """
    parts = [
        client_id,
        _field_text(timestamp, "timestamp"),
        _field_text(nonce, "nonce"),
        data_encrypt,
    ]
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def verify_signature(
    client_id: str,
    timestamp: int | float | str,
    nonce: int | float | str,
    data_encrypt: str,
    signature: str,
) -> bool:
    """Whether ``signature`` matches the fields, compared in constant time.

    Args:
        client_id: the account's clientId.
        timestamp: the delivery's ``timestamp``, exactly as sent.
        nonce: the delivery's ``nonce``, exactly as sent.
        data_encrypt: the delivery's ``dataEncrypt``.
        signature: the delivery's ``signature``.

    Returns:
        True when the signature matches exactly (lowercase hex).
    """
    if not isinstance(signature, str):
        return False
    try:
        expected = compute_signature(client_id, timestamp, nonce, data_encrypt)
    except (TypeError, ValueError):
        return False
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))


def seal_event(
    payload: dict[str, Any],
    *,
    client_id: str,
    client_secret: str,
    timestamp_ms: int,
    nonce: str | int,
) -> dict[str, Any]:
    """Build the POST body Akool would send for ``payload`` (for tests and the fake server).

    Args:
        payload: the plaintext object, e.g. ``{"_id": ..., "status": 3, "type": ..., "url": ...}``.
        client_id: the account's clientId.
        client_secret: the clientSecret (16, 24 or 32 UTF-8 bytes).
        timestamp_ms: the delivery time in Unix milliseconds.
        nonce: any string or integer.

    Returns:
        ``{"signature", "dataEncrypt", "timestamp", "nonce"}``.
    """
    plaintext = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    data_encrypt = encrypt(plaintext, client_id=client_id, client_secret=client_secret)
    return {
        "signature": compute_signature(client_id, timestamp_ms, nonce, data_encrypt),
        "dataEncrypt": data_encrypt,
        "timestamp": timestamp_ms,
        "nonce": nonce,
    }


# -- event model ------------------------------------------------------------------------------


def _as_int(value: object) -> int | None:
    """An int from an int, an integral float or a decimal string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _as_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


@frozen(slots=True)
class WebhookEvent:
    """One decrypted webhook delivery.

    The repr shows only ``id``, ``status`` and ``type``: result URLs and the decrypted payload
    stay out of logs and tracebacks.

    Attributes:
        id: the job id (``_id``), the same id the create call returned.
        status: 1 queueing, 2 processing, 3 completed, 4 failed (others may appear).
        type: the job kind as Akool names it (``"lipsync"``, ``"faceswap"`` ...), if given.
        url: the result URL (``url``, else ``video``), if given.
        error_code: Akool's error code for failed jobs, if given.
        error_reason: Akool's error text for failed jobs, if given.
        progress: 0-100 for jobs that report it, if given.
        timestamp_ms: the delivery's timestamp (Unix ms).
        raw: the whole decrypted object, read-only.
    """

    id: str
    status: int
    type: str | None = None
    url: str | None = field(default=None, repr=False)
    error_code: int | None = field(default=None, repr=False)
    error_reason: str | None = field(default=None, repr=False)
    progress: int | None = field(default=None, repr=False)
    timestamp_ms: int = field(default=0, repr=False)
    raw: Mapping[str, Any] = field(factory=dict, repr=False, hash=False)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], *, timestamp_ms: int) -> WebhookEvent:
        """Build an event from a decrypted payload object.

        ``status`` falls back to ``video_status`` and ``url`` to ``video``; optional fields of an
        unexpected type become None (``raw`` keeps the original).

        Args:
            payload: the decrypted JSON object.
            timestamp_ms: the delivery's timestamp (Unix ms).

        Returns:
            The event.

        Raises:
            InvalidWebhook: ``_id`` is not a non-empty string or ``status`` is not an integer.
        """
        job_id = payload.get("_id")
        if not isinstance(job_id, str) or not job_id:
            raise InvalidWebhook("bad payload: no string '_id' in the decrypted payload")
        status = _as_int(payload.get("status", payload.get("video_status")))
        if status is None:
            raise InvalidWebhook("bad payload: no integer 'status' in the decrypted payload")
        progress = payload.get("progress")
        return cls(
            id=job_id,
            status=status,
            type=_as_str(payload.get("type")),
            url=_as_str(payload.get("url")) or _as_str(payload.get("video")),
            error_code=_as_int(payload.get("error_code")),
            error_reason=_as_str(payload.get("error_reason")),
            progress=(
                round(progress)
                if isinstance(progress, float) and math.isfinite(progress)
                else _as_int(progress)
            ),
            timestamp_ms=timestamp_ms,
            raw=MappingProxyType(dict(payload)),
        )


# -- verifier ---------------------------------------------------------------------------------


def _parse_envelope(body: bytes | bytearray | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    if not isinstance(body, bytes | bytearray | str):
        raise InvalidWebhook(
            f"malformed body: expected bytes, str or a mapping, not {type(body).__name__}"
        )
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidWebhook("malformed body: not JSON") from None
    if not isinstance(envelope, dict):
        raise InvalidWebhook("malformed body: not a JSON object")
    return envelope


def _require(envelope: Mapping[str, Any], name: str, *, numbers: bool) -> Any:
    if name not in envelope:
        raise InvalidWebhook(f"malformed body: missing {name!r}")
    value = envelope[name]
    ok = isinstance(value, str) or (
        numbers and isinstance(value, int | float) and not isinstance(value, bool)
    )
    if not ok or (isinstance(value, float) and not math.isfinite(value)):
        kind = "a string or a number" if numbers else "a string"
        raise InvalidWebhook(f"malformed body: {name!r} must be {kind}")
    return value


def _timestamp_ms(value: int | float | str) -> float:
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise InvalidWebhook("malformed body: 'timestamp' is not a number") from None
        if not math.isfinite(number):
            raise InvalidWebhook("malformed body: 'timestamp' is not a number")
        return number
    return float(value)


class WebhookVerifier:
    """Checks, decrypts and parses Akool webhook deliveries for one account.

    Safe to share between tasks and threads. Remembers the signatures of the last
    ``replay_window`` accepted deliveries (and forgets those older than ``tolerance``).

    Args:
        client_id: the account's clientId.
        client_secret: the clientSecret (API key); 16, 24 or 32 UTF-8 bytes.
        tolerance: how far (seconds) a delivery's timestamp may be from ``clock.wall()``, either
            way; None accepts any timestamp.
        clock: the time source (default: the system clock).
        replay_window: how many accepted signatures to remember; 0 disables replay detection.
        replay_store: a SQLite file (created if missing) that keeps accepted signatures, so a
            restarted receiver still refuses a captured delivery (e.g. beside a batch journal).

    Raises:
        ConfigurationError: an argument is invalid (the message never holds the secret).
        ImportError: the ``cryptography`` extra is not installed.
    """

    __slots__ = (
        "_client_id",
        "_client_secret",
        "_clock",
        "_replays",
        "_tolerance",
        "_window",
    )

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        tolerance: float | None = DEFAULT_WEBHOOK_TOLERANCE,
        clock: Clock | None = None,
        replay_window: int = DEFAULT_REPLAY_WINDOW,
        replay_store: str | os.PathLike[str] | None = None,
    ) -> None:
        client_secret = mask(client_secret)  # this frame's locals show '***' if a check fails
        if not isinstance(client_id, str) or not client_id:
            raise ConfigurationError("client_id: must be a non-empty string")
        try:
            _iv(client_id)
            _aes_key(client_secret)
        except InvalidWebhook as exc:
            raise ConfigurationError(str(exc).partition(": ")[2]) from None
        if tolerance is not None and not (
            isinstance(tolerance, int | float) and math.isfinite(tolerance) and tolerance > 0
        ):
            raise ConfigurationError(
                f"tolerance: must be a positive number or None, got {tolerance!r}"
            )
        if (
            isinstance(replay_window, bool)
            or not isinstance(replay_window, int)
            or (replay_window < 0)
        ):
            raise ConfigurationError(f"replay_window: must be an int >= 0, got {replay_window!r}")
        _require_cryptography()
        self._client_id = client_id
        self._client_secret = client_secret
        self._tolerance = None if tolerance is None else float(tolerance)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._window = replay_window
        self._replays = ReplayCache(replay_window, replay_store)

    @property
    def tolerance(self) -> float | None:
        """Allowed clock skew in seconds, or None."""
        return self._tolerance

    @property
    def replay_window(self) -> int:
        """How many accepted signatures are remembered."""
        return self._window

    def __repr__(self) -> str:
        return f"WebhookVerifier(tolerance={self._tolerance!r}, replay_window={self._window})"

    def unwrap(self, body: bytes | bytearray | str | Mapping[str, Any]) -> WebhookEvent:
        """Verify one delivery and return its event.

        Checks, in order: the body's shape, the timestamp's freshness, the signature (constant
        time), replays of an accepted signature, then decrypts and parses the payload. The
        signature is remembered only once the payload decrypted and parsed.

        Args:
            body: the raw POST body (bytes or str) or its already-parsed JSON object.

        Returns:
            The decrypted event.

        Raises:
            ReplayedWebhook: this exact delivery was accepted before.
            InvalidWebhook: anything else is wrong; the message starts with one of
                ``malformed body``, ``stale timestamp``, ``bad signature``, ``bad payload``.
        """
        envelope = _parse_envelope(body)
        signature = _require(envelope, "signature", numbers=False)
        data_encrypt = _require(envelope, "dataEncrypt", numbers=False)
        timestamp = _require(envelope, "timestamp", numbers=True)
        nonce = _require(envelope, "nonce", numbers=True)
        timestamp_ms = _timestamp_ms(timestamp)

        now_ms = self._clock.wall() * 1000.0
        if self._tolerance is not None:
            skew = abs(now_ms - timestamp_ms) / 1000.0
            if skew > self._tolerance:
                raise InvalidWebhook(
                    f"stale timestamp: {skew:.0f} s from this clock "
                    f"(tolerance {self._tolerance:g} s)"
                )
        if not verify_signature(self._client_id, timestamp, nonce, data_encrypt, signature):
            raise InvalidWebhook("bad signature: does not match the delivery's fields")
        self._replays.check(signature, self._horizon(now_ms))

        plaintext = decrypt(
            data_encrypt, client_id=self._client_id, client_secret=self._client_secret
        )
        try:
            payload = json.loads(plaintext.decode("utf-8"))
        except (ValueError, RecursionError):
            # from None: the JSON/Unicode error objects hold the plaintext itself.
            raise InvalidWebhook("bad payload: the decrypted payload is not UTF-8 JSON") from None
        if not isinstance(payload, dict):
            raise InvalidWebhook("bad payload: the decrypted payload is not a JSON object")
        event = WebhookEvent.from_payload(payload, timestamp_ms=int(timestamp_ms))
        self._replays.remember(signature, timestamp_ms, self._horizon(now_ms))
        return event

    def _horizon(self, now_ms: float) -> float | None:
        """Deliveries older than this (ms) fail the timestamp check anyway: forget them."""
        return None if self._tolerance is None else now_ms - self._tolerance * 1000.0

    def close(self) -> None:
        """Close the replay store file, if any."""
        self._replays.close()
