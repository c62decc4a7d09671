"""The fake server's knobs: job timing, failure rates, fault rates, webhook behaviour.

Both classes are mutable on purpose: a test (or a benchmark, through ``POST /_fake/config``)
changes them while the server runs and the next request sees the new values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

import attrs
from attrs import define, field

__all__ = [
    "FAULT_KINDS",
    "Distribution",
    "FakeConfig",
    "FaultRates",
    "FaultScope",
    "apply_patch",
    "config_to_dict",
]

FaultScope = Literal["all", "status", "create"]
#: How queue and processing times are drawn from their ranges: uniform, or log-normal with the
#: range as its 5-95 % interval.
Distribution = Literal["uniform", "lognormal"]

#: Fault kinds the random rates can pick, in the order they are consulted.
FAULT_KINDS: tuple[str, ...] = (
    "reset",
    "http_502",
    "http_429",
    "code_1005",
    "truncated_json",
    "slow",
    "lost_create",
)


def _probability(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{attribute.name}: must be within [0, 1], got {value!r}")


def _non_negative(_inst: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name}: must be >= 0, got {value!r}")


def _range(
    _inst: object, attribute: attrs.Attribute[tuple[float, float]], value: tuple[float, float]
) -> None:
    low, high = value
    if not 0 <= low <= high:
        raise ValueError(f"{attribute.name}: need 0 <= low <= high, got {value!r}")


def _scope(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in get_args(FaultScope):
        raise ValueError(f"{attribute.name}: must be one of {get_args(FaultScope)}, got {value!r}")


def _pair(value: Any) -> tuple[float, float]:
    low, high = value
    return (float(low), float(high))


def _optional_pair(value: Any) -> tuple[float, float] | None:
    return None if value is None else _pair(value)


def _optional_range(
    inst: object, attribute: attrs.Attribute[Any], value: tuple[float, float] | None
) -> None:
    if value is not None:
        _range(inst, attribute, value)


def _cap(_inst: object, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{attribute.name}: must be None or an int >= 1, got {value!r}")


def _distribution(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in get_args(Distribution):
        raise ValueError(
            f"{attribute.name}: must be one of {get_args(Distribution)}, got {value!r}"
        )


@define(slots=True)
class FaultRates:
    """Per-request probabilities of each gateway or API fault (0 disables a kind).

    Random faults apply to every ``/api/`` request (never to file downloads), restricted by
    ``scope`` to create endpoints or to status endpoints.
    """

    http_502: float = field(default=0.0, validator=_probability)
    http_429: float = field(default=0.0, validator=_probability)
    code_1005: float = field(default=0.0, validator=_probability)
    truncated_json: float = field(default=0.0, validator=_probability)
    slow: float = field(default=0.0, validator=_probability)
    reset: float = field(default=0.0, validator=_probability)
    lost_create: float = field(default=0.0, validator=_probability)
    scope: FaultScope = field(default="all", validator=_scope)
    #: Seconds announced in the ``Retry-After`` header of an injected 429.
    retry_after: int = field(default=1, validator=_non_negative)
    #: Real seconds a ``slow`` answer is held back.
    slow_delay: float = field(default=0.2, validator=_non_negative)


def _default_api_keys() -> set[str]:
    return {"test-api-key"}


def _key_set(value: Any) -> set[str]:
    # A lone string is one key, not a set of characters.
    if isinstance(value, str):
        return {value}
    return {str(key) for key in value}


@define(slots=True)
class FakeConfig:
    """Everything the fake server can be told; every field has a sensible default.

    Durations are in clock seconds (the server's clock runs ``speed`` times faster than real
    time) except ``FaultRates.slow_delay``, which is real seconds.
    """

    api_keys: set[str] = field(factory=_default_api_keys, converter=_key_set)
    client_id: str = "test-client-id"
    #: 32 bytes: it is also the AES-256 key of webhook payloads.
    client_secret: str = "test-client-secret-0123456789abc"
    #: Clock seconds a token stays valid; ``None`` never expires.
    token_ttl: float | None = None
    #: Clock speed when no clock is passed to the server (read once, when the server is built).
    speed: float = field(default=1.0)
    #: Uniform range of clock seconds a job spends queueing (status 1).
    queue_time: tuple[float, float] = field(default=(1.0, 10.0), converter=_pair, validator=_range)
    #: Clock seconds of processing (status 2) per second of media.
    processing_factor: float = field(default=6.0, validator=_non_negative)
    #: Uniform range of each job's media duration (``video_lock_duration``), seconds.
    media_duration: tuple[float, float] = field(
        default=(2.0, 30.0), converter=_pair, validator=_range
    )
    #: Relative jitter applied to processing time (0.3 = +/-30 %).
    processing_jitter: float = field(default=0.3, validator=_probability)
    #: Range of clock seconds of processing; when set, it replaces media x factor +- jitter.
    processing_time: tuple[float, float] | None = field(
        default=None, converter=_optional_pair, validator=_optional_range
    )
    #: How ``queue_time`` and ``processing_time`` are drawn from their ranges.
    duration_distribution: Distribution = field(default="uniform", validator=_distribution)
    #: The account's plan: at most this many jobs process at once; the others stay in status 1
    #: in creation order until a slot frees. ``None``: no limit.
    concurrency_cap: int | None = field(default=None, validator=_cap)
    #: Share of jobs that end in status 4.
    failure_ratio: float = field(default=0.0, validator=_probability)
    #: Seeds the server's random streams (job timing and failures, faults, webhooks); read once.
    seed: int | None = None
    #: Account credit; each job costs 1 (large by default, so big batches never run out).
    credit: float = 1e9
    #: Bytes of every result file.
    result_size: int = field(default=4096, validator=_non_negative)
    faults: FaultRates = field(factory=FaultRates)
    #: Clock seconds between a status change and its webhook.
    webhook_delay: float = field(default=0.0, validator=_non_negative)
    webhook_duplicates: float = field(default=0.0, validator=_probability)
    webhook_drop: float = field(default=0.0, validator=_probability)
    #: More ids than this in one batch status request answers 1003.
    max_batch_ids: int = field(default=100, validator=_non_negative)
    #: Keep every create body in ``stats.create_bodies`` (turn off for huge benchmarks).
    record_create_bodies: bool = True

    @speed.validator
    def _check_speed(self, _attribute: attrs.Attribute[float], value: float) -> None:
        if not value > 0:
            raise ValueError(f"speed: must be > 0, got {value!r}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, set):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def config_to_dict(config: FakeConfig, *, redact: bool = True) -> dict[str, Any]:
    """A JSON-ready view of ``config``; secrets are masked unless ``redact`` is false."""
    out: dict[str, Any] = {}
    for attribute in attrs.fields(FakeConfig):
        value = getattr(config, attribute.name)
        if attribute.name == "faults":
            out["faults"] = {a.name: getattr(value, a.name) for a in attrs.fields(FaultRates)}
        else:
            out[attribute.name] = _jsonable(value)
    if redact:
        out["api_keys"] = [f"<{len(config.api_keys)} keys>"]
        out["client_secret"] = "<redacted>"
    return out


def _set_fields(target: Any, patch: Mapping[str, Any], prefix: str) -> None:
    names = {a.name: a for a in attrs.fields(type(target))}
    for key, value in patch.items():
        attribute = names.get(key)
        if attribute is None:
            raise ValueError(f"{prefix}{key}: unknown field")
        if key == "faults":
            if not isinstance(value, Mapping):
                raise ValueError(f"{prefix}faults: must be an object")
            _set_fields(target.faults, value, "faults.")
            continue
        if isinstance(attribute.default, float) and isinstance(value, int):
            value = float(value)
        try:
            setattr(target, key, value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{prefix}{key}: {exc}") from exc


def apply_patch(config: FakeConfig, patch: Mapping[str, Any]) -> None:
    """Apply a JSON patch (``{"failure_ratio": 0.2, "faults": {"http_502": 0.1}}``) in place.

    Fault-rate fields may also be given at top level (``{"http_502": 0.1}``).

    Raises:
        ValueError: an unknown field or an invalid value, named in the message. Fields
            before the bad one may already be applied.
    """
    fault_names = {a.name for a in attrs.fields(FaultRates)}
    top = {k: v for k, v in patch.items() if k not in fault_names}
    flat_faults = {k: v for k, v in patch.items() if k in fault_names}
    _set_fields(config, top, "")
    if flat_faults:
        _set_fields(config.faults, flat_faults, "faults.")
