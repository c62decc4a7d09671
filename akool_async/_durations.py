"""Learning how long a family's jobs take, without the biases of "the last N finishers".

Pure logic, no I/O and no clock of its own: every method takes the time it is told.

* :class:`Reservoir`: an unbiased uniform sample (Vitter's algorithm R) of everything offered,
  so a big wave keeps its fast and its slow jobs alike, not only the last (slowest) ones.
* :class:`SurvivalModel`: a Kaplan-Meier estimate of the completion-time distribution of one
  family over log-spaced bins. Finished jobs are events (from the reservoir, each weighted so the
  sample stands for every finished job); jobs still running are right-censored at their current
  age, so early in a wave the few fast finishers do not pass for the whole distribution; jobs
  that stopped being watched (timed out, stopped, or whose end we saw late because we waited on
  our own rate budget) are censored at the last age they were seen running. Where the API
  reports a media length, ages are divided by it (an accelerated-failure-time model with unit
  exponent), so one curve speaks for short and long media. Below its first step (a share a few
  ends cannot date: the 2 % quantile of 20 ends) the curve is extended on a log-normal line
  rather than stopping at the earliest end seen; between two steps a quantile goes in
  proportion to the share on log age, so it never jumps to a later step's bin when a step's
  share crosses it (a low quantile would then stand several ends late). Each observation
  costs O(1); the curve is refit lazily, only when asked and only after enough changed (see
  ``refit_share``), in O(bins + running jobs).
* :class:`PollPlacement`: where to put the next poll of a job, from its age, the learned
  quantiles and ONE knob, ``target_p95_delay``.

Both the reservoir and the model export to and import from plain JSON (``to_dict`` /
``from_dict``, versioned), so a session or the batch journal can keep them per family.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable
from statistics import NormalDist
from typing import Any, Final, Generic, TypeVar

from attrs import frozen

__all__ = ["PollPlacement", "Reservoir", "SurvivalModel"]

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)

#: Version of the exported JSON.
FORMAT: Final = 1
#: Ratio between neighbouring bin edges (4 % resolution) and the range of normalised ages.
_RATIO: Final = 1.04
_LOG_RATIO: Final = math.log(_RATIO)
_LOW: Final = 1e-4
_NORMAL: Final = NormalDist()
#: The extension below the first step stops at half of it (a bound on the polls it adds).
_MAX_DROP: Final = math.log(2.0)


def _tail_line(curve: list[tuple[int, float]]) -> tuple[float, float, float] | None:
    """Below a fitted curve's first step: a few ends cannot date a low quantile (the first end
    stands for the lowest 1/n, above it), so the curve goes on below it along a log-normal line
    through that step and the step nearest the median: (the first step's age, its z-score,
    sigma), or None when no second step exists."""
    if not curve:
        return None
    k1, s1 = curve[0]
    inner = [(k, 1.0 - s) for k, s in curve[1:] if 1.0 - s < 1.0 - 1e-9]
    if not inner:
        return None
    k2, f2 = min(inner, key=lambda kf: abs(kf[1] - 0.5))
    z = _NORMAL.inv_cdf
    z1 = z(1.0 - s1)
    sigma = (k2 - k1) * _LOG_RATIO / max(z(f2) - z1, 1e-9)
    return _edge(k1) * math.sqrt(_RATIO), z1, sigma


def _bin(u: float) -> int:
    """The bin holding normalised age ``u``: bin k covers [LOW * RATIO**k, LOW * RATIO**(k+1))."""
    if u <= _LOW:
        return 0
    return int(math.log(u / _LOW) / _LOG_RATIO)


def _edge(k: int) -> float:
    return _LOW * math.pow(_RATIO, k)


class Reservoir(Generic[T]):
    """A uniform random sample of at most ``capacity`` of the items offered (algorithm R).

    Every item offered so far is in the sample with the same probability ``capacity / seen``,
    whatever order they came in. ``offer`` is O(1) and returns what left the sample (if any).
    """

    __slots__ = ("_rng", "capacity", "items", "seen")

    def __init__(self, capacity: int = 512, *, rng: random.Random | None = None) -> None:
        if capacity < 1:
            raise ValueError("capacity: must be >= 1")
        self.capacity = capacity
        self.items: list[T] = []
        self.seen = 0
        self._rng = rng or random.Random()

    def offer(self, item: T) -> tuple[bool, T | None]:
        """Offer ``item``: (kept, the item it replaced or None)."""
        self.seen += 1
        if len(self.items) < self.capacity:
            self.items.append(item)
            return True, None
        slot = self._rng.randrange(self.seen)
        if slot < self.capacity:
            old = self.items[slot]
            self.items[slot] = item
            return True, old
        return False, None

    @property
    def weight(self) -> float:
        """How many offered items each kept item stands for."""
        return self.seen / len(self.items) if self.items else 0.0


class _Live:
    __slots__ = ("origin", "scale", "seen")

    def __init__(self, origin: float, scale: float) -> None:
        self.origin = origin
        self.scale = scale
        #: Clock time it was last seen running (origin until a poll says so).
        self.seen = origin


class SurvivalModel(Generic[K]):
    """One family's completion-time distribution, learned from finished and running jobs.

    Ages count from each job's *origin*: its creation, or the moment it got a plan slot when the
    caller knows it (see :class:`PlanQueue`). Lifecycle per job: :meth:`start` when it is
    created, :meth:`alive` each time a poll sees it running (it is censored at the last such
    age: a job nobody looked at says nothing), then exactly one of :meth:`finish` (an event),
    :meth:`censor` (a lower bound only) or :meth:`forget`.

    Args:
        capacity: size of each reservoir (finished jobs; censored jobs).
        refit_share: the curve is refit when asked after changes numbering this share of the
            finished jobs, so refits cost O(1) amortised per observation.
        min_events: quantiles are offered once this many jobs finished.
        rng: randomness of the reservoirs (seed it for reproducible runs).
    """

    __slots__ = (
        "_cens_bins",
        "_censored",
        "_curve",
        "_event_bins",
        "_events",
        "_live",
        "_pending",
        "_tail",
        "_total",
        "min_events",
        "refit_share",
    )

    def __init__(
        self,
        *,
        capacity: int = 512,
        refit_share: float = 0.02,
        min_events: int = 1,
        rng: random.Random | None = None,
    ) -> None:
        rng = rng or random.Random()
        self._events: Reservoir[float] = Reservoir(capacity, rng=rng)
        self._censored: Reservoir[float] = Reservoir(capacity, rng=rng)
        self._event_bins: dict[int, int] = {}
        self._cens_bins: dict[int, int] = {}
        self._live: dict[K, _Live] = {}
        self.refit_share = refit_share
        self.min_events = min_events
        #: (bin index, survival just after the bin), ascending; None until fitted.
        self._curve: list[tuple[int, float]] | None = None
        #: The log-normal line below the first step (its age, z-score and sigma), set by a fit.
        self._tail: tuple[float, float, float] | None = None
        self._pending = 0.0
        self._total = 0.0

    # -- observations ---------------------------------------------------------------------------

    @staticmethod
    def scale(media: float | None) -> float:
        """What ages are divided by: the media length when known, else 1."""
        if media is not None and media > 0 and math.isfinite(media):
            return media
        return 1.0

    def start(self, key: K, origin: float, media: float | None = None) -> None:
        """A job began (at clock time ``origin``); until it ends it is censored at its age."""
        self._live[key] = _Live(origin, self.scale(media))
        self._pending += 1

    def restart(self, key: K, origin: float) -> None:
        """Move a running job's origin (it got a plan slot at ``origin``)."""
        live = self._live.get(key)
        if live is not None:
            live.origin = live.seen = origin
            self._pending += 1

    def alive(self, key: K, now: float) -> None:
        """A poll saw the job still running at clock time ``now`` (it is censored there)."""
        live = self._live.get(key)
        if live is not None and now > live.seen:
            live.seen = now
            self._pending += 1

    def finish(
        self,
        key: K,
        now: float,
        *,
        clean: bool = True,
        max_gap: float = math.inf,
        exact: bool = False,
    ) -> None:
        """A poll at clock time ``now`` found the job finished (``exact``: it ended at ``now``,
        e.g. a webhook dated it).

        It ended between the last time it was seen running and ``now``; when that gap is at
        most ``max_gap`` the midpoint is learned as its end. A wider gap (nobody looked for a
        while) or ``clean`` false (the timing includes our own waits: rate budget, a poll held
        back) teaches only the lower bound: censored where it was last seen running.
        """
        live = self._live.pop(key, None)
        if live is None:
            return
        seen = now if exact else max(live.seen, live.origin)
        if clean and now - seen <= max_gap:
            end = 0.5 * (seen + now)
            self._add(self._events, self._event_bins, (end - live.origin) / live.scale)
        elif seen > live.origin:
            self._add(self._censored, self._cens_bins, (seen - live.origin) / live.scale)
        self._pending += 1

    def censor(self, key: K, seen: float) -> None:
        """The job is no longer watched; it ran at least until clock time ``seen``."""
        live = self._live.pop(key, None)
        if live is not None:
            self._add(self._censored, self._cens_bins, (seen - live.origin) / live.scale)
            self._pending += 1

    def forget(self, key: K) -> None:
        """Drop a running job without learning from it."""
        if self._live.pop(key, None) is not None:
            self._pending += 1

    def _add(self, reservoir: Reservoir[float], bins: dict[int, int], u: float) -> None:
        if not (u > 0 and math.isfinite(u)):
            return
        kept, old = reservoir.offer(u)
        if kept:
            k = _bin(u)
            bins[k] = bins.get(k, 0) + 1
        if old is not None:
            k = _bin(old)
            bins[k] -= 1
            if not bins[k]:
                del bins[k]

    @property
    def events(self) -> int:
        """Finished jobs learned from (all of them, not only those in the sample)."""
        return self._events.seen

    @property
    def running(self) -> int:
        """Jobs currently censored at their age."""
        return len(self._live)

    # -- the curve ------------------------------------------------------------------------------

    def _stale(self) -> bool:
        if self._curve is None:
            return True
        return self._pending >= max(1.0, self.refit_share * self._events.seen)

    def _fit(self) -> None:
        w_event = self._events.weight
        w_cens = self._censored.weight
        exits: dict[int, list[float]] = {}  # bin -> [events, censored]
        for k, n in self._event_bins.items():
            exits.setdefault(k, [0.0, 0.0])[0] += n * w_event
        for k, n in self._cens_bins.items():
            exits.setdefault(k, [0.0, 0.0])[1] += n * w_cens
        for live in self._live.values():
            age = (live.seen - live.origin) / live.scale
            if age > 0:
                exits.setdefault(_bin(age), [0.0, 0.0])[1] += 1.0
        at_risk = sum(e + c for e, c in exits.values())
        self._total = at_risk
        curve: list[tuple[int, float]] = []
        survival = 1.0
        for k in sorted(exits):
            events, censored = exits[k]
            if events > 0 and at_risk > 0:
                survival *= max(0.0, 1.0 - events / at_risk)
                curve.append((k, survival))
            at_risk -= events + censored
        self._curve = curve
        self._tail = _tail_line(curve)
        self._pending = 0.0

    def _quantile(self, p: float) -> float | None:
        assert self._curve is not None
        curve = self._curve
        for i, (k, survival) in enumerate(curve):
            share = 1.0 - survival
            if share >= p - 1e-12:
                # Each step stands at its bin's geometric middle.
                q = _edge(k) * math.sqrt(_RATIO)
                if i == 0:
                    return min(q, self._below_first(p)) if share > p else q
                # Between two steps: in proportion to the share, on log age, so the quantile
                # moves little when a step's share crosses p (not a whole gap between steps).
                k0, s0 = curve[i - 1]
                w = (p - (1.0 - s0)) / max(share - (1.0 - s0), 1e-12)
                return q * math.pow(_RATIO, (min(1.0, max(0.0, w)) - 1.0) * (k - k0))
        return None

    def _below_first(self, p: float) -> float:
        """A share ``p`` below the curve's first step, on the fitted line (:func:`_tail_line`)."""
        if self._tail is None:
            return math.inf
        first, z1, sigma = self._tail
        return first * math.exp(-min(sigma * (z1 - _NORMAL.inv_cdf(p)), _MAX_DROP))

    def quantile(self, p: float, media: float | None = None) -> float | None:
        """The age (seconds from origin) by which a share ``p`` of jobs finish.

        None while fewer than ``min_events`` jobs finished, or when the censored data cannot
        tell yet (too many still running past every finish seen).
        """
        if self._events.seen < self.min_events:
            return None
        if self._stale():
            self._fit()
        q = self._quantile(p)
        return None if q is None else q * self.scale(media)

    # -- persistence ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able export: both samples and their counts (running jobs are not kept)."""
        return {
            "format": FORMAT,
            "events": {"seen": self._events.seen, "sample": list(self._events.items)},
            "censored": {"seen": self._censored.seen, "sample": list(self._censored.items)},
        }

    @classmethod
    def from_dict(cls, data: Any, *, rng: random.Random | None = None) -> SurvivalModel[Any]:
        """Rebuild a model from :meth:`to_dict` output; ValueError names what is wrong."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"format: expected {FORMAT}")
        model: SurvivalModel[Any] = cls(rng=rng)
        for name, reservoir, bins in (
            ("events", model._events, model._event_bins),
            ("censored", model._censored, model._cens_bins),
        ):
            part = data.get(name)
            if not isinstance(part, dict):
                raise ValueError(f"{name}: must be an object")
            sample = part.get("sample")
            seen = part.get("seen")
            if not isinstance(sample, list) or not isinstance(seen, int) or seen < len(sample):
                raise ValueError(f"{name}: needs a sample list and seen >= its length")
            for u in sample:
                if isinstance(u, bool) or not isinstance(u, (int, float)) or not u > 0:
                    raise ValueError(f"{name}.sample: ages must be positive numbers")
                model._add(reservoir, bins, float(u))
            reservoir.seen = max(seen, reservoir.seen)
        return model


@frozen(slots=True)
class PollPlacement:
    """Where the next poll of a running job goes, from the learned distribution and one knob.

    ``target_p95_delay`` (seconds) is the detection delay 95 % of jobs should stay under: the
    one trade-off between status requests and delay. Inside the bulk of the learned
    distribution (between its ``low`` and ``high`` quantiles) a job is polled every
    ``spacing = target_p95_delay / (1 - bulk_late)`` seconds, which makes the late share of the
    bulk ``bulk_late``; no poll goes before the ``low`` quantile (the polls that could only
    answer "running"); past the ``high`` quantile the spacing doubles each poll. The late
    shares (``low``, ``1 - high``, ``bulk_late``) add up to about 5 %. Everything but the knob
    is relative, so scaling every duration and the knob by x scales every poll time by x.

    Probes: a few jobs of every family (about sqrt(running), chosen at creation, so blind to
    their durations) are polled every ``spacing`` from their origin, whatever the model says;
    they alone teach the model, an unbiased sample observed to within one spacing. (The others
    are polled where the model says, so when they are seen to end depends on the model itself:
    learning from them would feed the model its own guesses.) Cold (nothing learned yet), a
    job that is not a probe waits for the probes (:meth:`next_age` returns None; the caller
    re-plans it when the model learns, with :meth:`backstop_age` as a safety net).
    """

    target_p95_delay: float = 2.0
    low: float = 0.02
    high: float = 0.98
    bulk_late: float = 0.01
    #: A parked job is still polled at ``backstop * spacing``, then doubling.
    backstop: float = 8.0
    #: Past the high quantile, polls stay one spacing apart for this share of the bulk's width.
    tail_span: float = 0.5

    def __attrs_post_init__(self) -> None:
        if not self.target_p95_delay > 0:
            raise ValueError("target_p95_delay: must be > 0")

    @property
    def spacing(self) -> float:
        """Seconds between polls inside the bulk."""
        return self.target_p95_delay / (1.0 - self.bulk_late)

    def next_age(
        self,
        age: float,
        lo: float | None,
        hi: float | None,
        *,
        probe: bool,
        tail_polls: int = 0,
        slack: float = 0.0,
    ) -> float | None:
        """The age of the next poll of a job last seen running at ``age``.

        ``lo``/``hi``: the family's ``low``/``high`` quantiles for this job (None: unknown).
        ``tail_polls``: polls already made past ``hi``. ``slack``: how far the job's age may be
        over-estimated (the close polls past ``hi`` go on that much longer). None: park the
        job (cold non-probe).
        """
        g = self.spacing
        if probe:
            return age + g
        if lo is None:
            return None
        if hi is None:
            return max(age, lo) + g
        # No later than the high quantile: a narrow distribution is caught by one poll there.
        nxt = min(max(age, lo) + g, hi)
        if nxt <= age + 1e-9 * max(1.0, abs(age)):  # at or past it (rounding included)
            # Past it: still every spacing for a while (a quantile learned from few jobs is
            # often short), then doubling, so a stuck job costs few requests.
            if age < hi + self.tail_span * max(hi - lo, g) + slack:
                return age + g
            return age + g * math.pow(2.0, min(tail_polls + 1, 30))
        return nxt

    def backstop_age(self, age: float) -> float:
        """Safety poll of a parked job: ``backstop`` spacings, then doubling with age."""
        return max(self.backstop * self.spacing, 2.0 * age)

    @staticmethod
    def probes_wanted(live: int) -> int:
        """How many probes a family without a model keeps: about sqrt(running), at least 4."""
        return max(4, math.isqrt(max(0, live)) + 1)
