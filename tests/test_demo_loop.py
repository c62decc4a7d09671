"""The best-case fixed loop the demo and B10 compare against: pure arithmetic on job durations."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akool_async.cli._demo import fixed_loop, fixed_loop_polls, matched_loop, p95


def test_fixed_loop_polls_every_interval_from_creation() -> None:
    """A job of 12 s polled every 5 s is seen done by the third poll, at 15 s (3 s late)."""
    assert fixed_loop_polls(12.0, 5.0) == 3
    assert fixed_loop_polls(10.0, 5.0) == 2  # a poll at the very end sees it done
    req, delays = fixed_loop([12.0, 10.0], 5.0)
    assert req == pytest.approx(2.5)
    assert delays == pytest.approx([3.0, 0.0])


@settings(max_examples=30, deadline=None)
@given(
    st.floats(5.0, 200.0),
    st.floats(0.2, 3.0),
    st.randoms(use_true_random=False),
    st.floats(0.05, 1.0),
)
def test_matched_loop_has_the_target_p95(
    base: float, spread: float, rng: random.Random, share: float
) -> None:
    """On 200 jobs of spread durations, the matched interval gives the loop a p95 detection
    delay within 10 % of the target, and half the target never costs the loop fewer requests."""
    durations = [base * (1.0 + spread * rng.random()) for _ in range(200)]
    target = share * base
    match = matched_loop(durations, target)
    assert match is not None
    interval, req = match
    assert p95(fixed_loop(durations, interval)[1]) == pytest.approx(target, rel=0.1)
    tighter = matched_loop(durations, target / 2)
    assert tighter is not None and tighter[1] >= req
