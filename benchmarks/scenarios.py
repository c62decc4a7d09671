"""The scheduling scenarios of issue 14, defined once for the simulator and the real fake server.

A :class:`Scenario` says how many jobs start, how their queue and processing times spread,
whether the API's media length predicts the processing time, the account's plan cap, whether
the family is warm (a first wave already taught the model) and the rate budget. ``fake_config``
turns it into the fake server's :class:`FakeConfig`, so the discrete-event simulation
(``benchmarks/_sim.py``) and a run against ``akool_async.testing`` draw the very same jobs
(the simulator uses the fake's own :class:`Lifecycle`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from akool_async.testing import FakeConfig

__all__ = ["SCENARIOS", "Scenario"]


@dataclass(frozen=True)
class Scenario:
    """One row of the issue's table."""

    name: str
    title: str
    jobs: int
    #: Uniform range of clock seconds in status 1 before a slot is free.
    queue: tuple[float, float]
    #: Range of processing seconds (status 2).
    processing: tuple[float, float]
    #: True: processing = media length x (1 +- ``jitter``), with the media length (uniform over
    #: ``processing``) reported by the API; False: processing uniform over its range, no
    #: media length known to the client.
    covariate: bool = True
    jitter: float = 0.2
    #: The account's plan: jobs processing at once (None: no cap).
    plan_cap: int | None = None
    #: A second wave: the model learned from one full wave of the same jobs first.
    warm: bool = False
    #: Requests per clock second shared by creates and polls (None: no budget).
    rate: float | None = None
    #: The budget's bucket (requests; a count, so it does not scale with time).
    burst: float = 40.0
    #: The policy settings (``target_p95_delay``) and loop intervals compared, in seconds.
    knobs: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0, 5.0)
    loops: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0)

    def scaled(self, factor: float) -> Scenario:
        """Every duration (and knob, and loop interval) times ``factor``; rates divided."""
        return replace(
            self,
            name=f"{self.name}_x{factor:g}",
            queue=(self.queue[0] * factor, self.queue[1] * factor),
            processing=(self.processing[0] * factor, self.processing[1] * factor),
            rate=None if self.rate is None else self.rate / factor,
            knobs=tuple(k * factor for k in self.knobs),
            loops=tuple(t * factor for t in self.loops),
        )

    def blind(self) -> Scenario:
        """The same scenario with no media length to predict processing from."""
        return replace(self, name=f"{self.name}_blind", covariate=False)

    def fake_config(self, *, seed: int = 1, **overrides: Any) -> FakeConfig:
        """The fake server's config that draws this scenario's jobs."""
        settings: dict[str, Any] = {
            "seed": seed,
            "queue_time": self.queue,
            "media_duration": self.processing,
            "concurrency_cap": self.plan_cap,
            "record_create_bodies": False,
        }
        if self.covariate:
            settings.update(processing_factor=1.0, processing_jitter=self.jitter)
        else:
            settings.update(processing_time=self.processing)
        settings.update(overrides)
        return FakeConfig(**settings)


_LONG = (2.0, 4.0, 8.0, 13.0, 20.0)
_LONG_LOOPS = (2.0, 4.0, 8.0, 13.0, 20.0, 30.0, 45.0)

#: The issue's table, in order.
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("cold300", "cold: 300 jobs at once, 1-3 s queue + 4-12 s processing", 300,
             (1.0, 3.0), (4.0, 12.0)),
    Scenario("cold120", "cold, longer: 120 jobs, 2-6 s queue + 10-30 s processing", 120,
             (2.0, 6.0), (10.0, 30.0), knobs=(1.0, 2.0, 3.0, 5.0, 8.0),
             loops=(1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0)),
    Scenario("cold200", "cold, 200 jobs of 25-135 s", 200, (1.0, 5.0), (24.0, 130.0),
             knobs=_LONG, loops=_LONG_LOOPS),
    Scenario("cold2000", "cold, 2,000 jobs of 25-135 s", 2000, (1.0, 5.0), (24.0, 130.0),
             knobs=_LONG, loops=_LONG_LOOPS),
    Scenario("warm2000", "warm second wave of 2,000 (25-135 s)", 2000, (1.0, 5.0),
             (24.0, 130.0), warm=True, knobs=_LONG, loops=_LONG_LOOPS),
    Scenario("plan200", "plan queue: 200 jobs, 20 at a time (FIFO), 2-6 s each", 200,
             (0.0, 0.5), (2.0, 6.0), plan_cap=20, knobs=(0.5, 1.0, 2.0, 3.0)),
    Scenario("budget2000", "2,000 jobs of 25-135 s with the default rate budget (20 req/s)",
             2000, (1.0, 5.0), (24.0, 130.0), rate=20.0, knobs=_LONG, loops=_LONG_LOOPS),
)  # fmt: skip
