"""The duration model, poll placement and plan-queue inference: pure logic, unit + hypothesis."""

from __future__ import annotations

import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from akool_async._durations import PollPlacement, Reservoir, SurvivalModel
from akool_async._planqueue import PlanQueue


def _empirical(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))]


def test_reservoir_keeps_early_and_late_items_alike() -> None:
    """Algorithm R keeps the first and the last half of a stream in equal shares."""
    rng = random.Random(1)
    early = 0
    for _ in range(200):
        res: Reservoir[int] = Reservoir(50, rng=rng)
        for i in range(1000):
            res.offer(i)
        early += sum(1 for i in res.items if i < 500)
    assert abs(early / (200 * 50) - 0.5) < 0.03


@settings(max_examples=40, deadline=None)
@given(
    mu=st.floats(0.0, 4.0),
    sigma=st.floats(0.05, 1.0),
    seed=st.integers(0, 10_000),
)
def test_quantiles_converge_on_lognormal_samples(mu: float, sigma: float, seed: int) -> None:
    """Fed 2,000 finished jobs of a known log-normal, the median and p90 land within the
    sampling error of a 512-job reservoir (4 standard errors) plus one bin (4 %)."""
    rng = random.Random(seed)
    model: SurvivalModel[int] = SurvivalModel(rng=random.Random(seed + 1))
    for i in range(2000):
        model.start(i, 0.0)
        model.finish(i, rng.lognormvariate(mu, sigma), exact=True)
    for p in (0.5, 0.9):
        truth = math.exp(mu + sigma * {0.5: 0.0, 0.9: 1.2815515655446004}[p])
        got = model.quantile(p)
        assert got is not None and abs(math.log(got / truth)) < 0.04 + 4 * sigma * 1.7 / 512**0.5


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), cut=st.floats(0.2, 0.7))
def test_censoring_removes_the_bias_of_fast_finishers(seed: int, cut: float) -> None:
    """Part way through a wave (only the fast jobs finished, the rest seen running), the median
    counts the running ones as lower bounds: it matches the full wave's, where the finishers'
    own median is far too short."""
    rng = random.Random(seed)
    durations = [rng.uniform(10.0, 30.0) for _ in range(600)]
    now = _empirical(durations, cut)  # the moment a share ``cut`` has finished
    model: SurvivalModel[int] = SurvivalModel(rng=random.Random(seed))
    for i, d in enumerate(durations):
        model.start(i, 0.0)
        if d <= now:
            model.finish(i, d, exact=True)
        else:
            model.alive(i, now)
    finished = [d for d in durations if d <= now]
    got = model.quantile(min(0.9 * cut, 0.5))
    truth = _empirical(durations, min(0.9 * cut, 0.5))
    assert got is not None and abs(got / truth - 1.0) < 0.06
    naive = _empirical(finished, min(0.9 * cut, 0.5) / cut * cut)
    assert model.quantile(0.95) is None  # nobody knows the tail yet
    assert naive <= truth


def test_unknown_tail_while_every_slow_job_still_runs() -> None:
    """Quantiles beyond what has finished are unknown (None), not guessed from the finishers."""
    model: SurvivalModel[int] = SurvivalModel(rng=random.Random(3))
    for i in range(100):
        model.start(i, 0.0)
    for i in range(10):
        model.finish(i, 5.0 + i * 0.1, exact=True)
    for i in range(10, 100):
        model.alive(i, 6.0)
    assert model.quantile(0.05) is not None
    assert model.quantile(0.5) is None


def test_low_quantile_of_a_few_ends_lies_below_the_earliest() -> None:
    """With too few ends to date a 2 % quantile, it lies below the earliest end (at most half
    of it lower), while the median stays where the ends put it."""
    model: SurvivalModel[int] = SurvivalModel(rng=random.Random(6))
    ages = [10.0 + i for i in range(20)]
    for i, age in enumerate(ages):
        model.start(i, 0.0)
        model.finish(i, age, exact=True)
    low, median = model.quantile(0.02), model.quantile(0.5)
    assert low is not None and median is not None
    assert 5.0 <= low < 10.0 * 0.98
    assert abs(median / _empirical(ages, 0.5) - 1.0) < 0.04


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=3, max_value=49), st.integers(min_value=0, max_value=10_000))
def test_low_quantile_never_above_the_earliest_end(n: int, seed: int) -> None:
    """With fewer than 50 ends (too few to date a 2 % quantile), the learned 2 % quantile is
    never later than the earliest end's bin, nor lower than half of it."""
    rng = random.Random(seed)
    model: SurvivalModel[int] = SurvivalModel(rng=random.Random(seed))
    ages = [rng.lognormvariate(3.0, 0.3) for _ in range(n)]
    for i, age in enumerate(ages):
        model.start(i, 0.0)
        model.finish(i, age, exact=True)
    low = model.quantile(0.02)
    assert low is not None
    first = min(ages)
    assert first / 2.0 / 1.05 <= low <= first * 1.05


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=40, max_value=70), st.integers(min_value=0, max_value=10_000))
def test_low_quantile_moves_little_when_one_more_end_is_learned(n: int, seed: int) -> None:
    """One more end, later than every other, moves the 2 % quantile by at most one bin (4 %),
    also where the earliest end's share crosses 2 % (no jump to a later end's bin)."""
    rng = random.Random(seed)
    ages = [rng.lognormvariate(3.0, 0.3) for _ in range(n)]
    lows = []
    for extra in ([], [max(ages) * 1.5]):
        model: SurvivalModel[int] = SurvivalModel(rng=random.Random(seed))
        for i, age in enumerate(ages + extra):
            model.start(i, 0.0)
            model.finish(i, age, exact=True)
        lows.append(model.quantile(0.02))
    before, after = lows
    assert before is not None and after is not None
    assert abs(math.log(after / before)) <= math.log(1.04) + 1e-9


def test_media_length_scales_the_prediction() -> None:
    """Jobs whose processing is proportional to their media length: a job with twice the media
    gets twice the predicted quantile."""
    model: SurvivalModel[int] = SurvivalModel(rng=random.Random(4))
    rng = random.Random(5)
    for i in range(500):
        media = rng.uniform(5.0, 50.0)
        model.start(i, 0.0, media)
        model.finish(i, media * rng.uniform(1.9, 2.1), exact=True)
    short, long = model.quantile(0.5, 10.0), model.quantile(0.5, 20.0)
    assert short is not None and long is not None
    assert abs(long / short - 2.0) < 1e-9 and abs(short / 20.0 - 1.0) < 0.06


def test_waits_of_our_own_never_teach_an_end() -> None:
    """A finish whose timing includes our own waits (``clean`` false) or was seen after a wide
    gap adds no event: only the age it was last seen running, as a lower bound."""
    model: SurvivalModel[int] = SurvivalModel(rng=random.Random(6))
    model.start(1, 0.0)
    model.alive(1, 4.0)
    model.finish(1, 60.0, clean=False)
    model.start(2, 0.0)
    model.alive(2, 4.0)
    model.finish(2, 60.0, max_gap=5.0)
    assert model.events == 0
    assert model.to_dict()["censored"]["sample"] == [4.0, 4.0]


@settings(max_examples=40, deadline=None)
@given(
    ages=st.lists(st.floats(0.01, 1e4), min_size=1, max_size=60),
    censored=st.lists(st.floats(0.01, 1e4), max_size=20),
)
def test_export_import_round_trips(ages: list[float], censored: list[float]) -> None:
    """to_dict -> JSON -> from_dict gives a model with the same samples and quantiles."""
    model: SurvivalModel[int] = SurvivalModel(rng=random.Random(7))
    for i, age in enumerate(ages):
        model.start(i, 0.0)
        model.finish(i, age, exact=True)
    for j, age in enumerate(censored, start=len(ages)):
        model.start(j, 0.0)
        model.censor(j, age)
    data = json.loads(json.dumps(model.to_dict()))
    again = SurvivalModel.from_dict(data, rng=random.Random(7))
    assert again.to_dict() == model.to_dict()
    for p in (0.02, 0.5, 0.98):
        assert again.quantile(p) == model.quantile(p)


@pytest.mark.parametrize(
    "data",
    [None, {}, {"format": 99}, {"format": 1, "events": {"seen": 0, "sample": [-1.0]}}],
)
def test_import_rejects_bad_exports(data: object) -> None:
    """A malformed or foreign export fails with ValueError, never a half-built model."""
    with pytest.raises(ValueError):
        SurvivalModel.from_dict(data)


def test_refit_is_lazy() -> None:
    """With thousands of events, one more finish does not refit the curve (refit_share)."""
    model: SurvivalModel[int] = SurvivalModel(rng=random.Random(8))
    for i in range(5000):
        model.start(i, 0.0)
        model.finish(i, 1.0 + i % 97, exact=True)
    assert model.quantile(0.5) is not None
    curve = model._curve
    model.start(-1, 0.0)
    model.finish(-1, 3.0, exact=True)
    model.quantile(0.5)
    assert model._curve is curve


@settings(max_examples=40, deadline=None)
@given(
    knob=st.floats(0.2, 20.0),
    scale=st.floats(1.0, 100.0),
    spread=st.floats(0.1, 2.0),
    seed=st.integers(0, 10_000),
)
def test_policy_delay_bound_holds_on_simulated_jobs(
    knob: float, scale: float, spread: float, seed: int
) -> None:
    """Jobs polled as the policy says (with the true 2 % / 98 % quantiles) are detected within
    target_p95_delay for 95 % of them (up to the sampling error of 400 jobs)."""
    rng = random.Random(seed)
    place = PollPlacement(target_p95_delay=knob)
    durations = [scale * (1.0 + spread * rng.random()) for _ in range(400)]
    lo, hi = _empirical(durations, place.low), _empirical(durations, place.high)
    delays = []
    for d in durations:
        age, tail = 0.0, 0
        while True:
            nxt = place.next_age(age, lo, hi, probe=False, tail_polls=tail)
            assert nxt is not None and nxt > age
            if age >= hi:
                tail += 1
            age = nxt
            if age >= d:
                delays.append(age - d)
                break
    late = sum(1 for d in delays if d > knob) / len(delays)
    assert late <= 0.05 + 3 * (0.05 * 0.95 / len(delays)) ** 0.5  # 5 %, within sampling error


def test_cold_non_probe_waits_for_the_model() -> None:
    """Nothing learned: a probe is polled one spacing on, any other job is parked (None)."""
    place = PollPlacement(target_p95_delay=2.0)
    assert place.next_age(3.0, None, None, probe=True) == pytest.approx(3.0 + place.spacing)
    assert place.next_age(3.0, None, None, probe=False) is None
    assert place.backstop_age(0.0) == pytest.approx(place.backstop * place.spacing)


def test_policy_scales_with_time() -> None:
    """Every duration and the knob x10: every poll age x10 (the policy has no other unit)."""
    a, b = PollPlacement(target_p95_delay=1.5), PollPlacement(target_p95_delay=15.0)
    for age, lo, hi, tail in [(0.0, 4.0, 9.0, 0), (5.0, 4.0, 9.0, 0), (10.0, 4.0, 9.0, 2)]:
        x = a.next_age(age, lo, hi, probe=False, tail_polls=tail)
        y = b.next_age(age * 10, lo * 10, hi * 10, probe=False, tail_polls=tail)
        assert x is not None and y is not None and y == pytest.approx(10 * x)


def test_plan_queue_grants_slots_in_creation_order() -> None:
    """With a known cap, each completion hands its slot to the oldest queued job."""
    plan: PlanQueue[int] = PlanQueue(cap=2)
    plan.extend(range(5))
    assert plan.seen_running(1) == [0, 1]
    assert plan.queued(2) and plan.queued(4)
    assert plan.finished(0) == [2]
    assert plan.finished(2) == [3]
    assert list(plan.waiting()) == [4]


def test_plan_queue_is_inferred_only_once_confirmed() -> None:
    """Without a given cap nothing counts as queued until a job sits in status 1 well past the
    queue phase of jobs that found a free slot; then the cap is the slots held at once."""
    plan: PlanQueue[str] = PlanQueue()
    plan.extend(["a", "b", "c", "d"])
    plan.seen_running("b", 1.0, tight=True)  # a and b hold slots
    assert not plan.queued("c")
    plan.seen_queued("c", 1.5)
    assert not plan.confirmed
    plan.seen_queued("c", 3.0)
    assert plan.confirmed and plan.slots == 2 and plan.queued("c")
    assert plan.finished("a") == ["c"]
    assert plan.seen_running("d") == ["d"] and plan.slots == 3  # d ran after all: one more slot


def test_plan_queue_is_never_confirmed_when_jobs_start_out_of_order() -> None:
    """A job still queued long after a job created later was seen running means the server's
    own queue times, not a FIFO plan queue: nothing is believed queued."""
    plan: PlanQueue[str] = PlanQueue()
    plan.extend(["a", "b", "c", "d"])
    plan.seen_running("b", 1.0, tight=True)
    plan.seen_running("d", 2.0)  # d runs: by FIFO, a, b, c would all hold slots
    plan.seen_queued("c", 3.0)  # yet c still waits: no plan queue
    assert not plan.confirmed and not plan.queued("c")
    plan.seen_queued("c", 5.0)
    assert not plan.confirmed


def test_plan_queue_takes_back_a_slot_a_queued_job_never_had() -> None:
    """A job believed to hold a slot but seen in status 1 is queued again with every job created
    after it, and the learned cap drops to the jobs created before it."""
    plan: PlanQueue[str] = PlanQueue()
    plan.extend(["a", "b", "c", "d", "e"])
    plan.seen_running("c", 1.0, tight=True)  # a, b, c hold slots: cap 3 learned
    plan.seen_queued("d", 3.0)
    assert plan.confirmed and plan.slots == 3
    assert plan.finished("a") == ["d"]
    plan.seen_queued("d", 4.0)  # d had no slot after all: only b and c hold one
    assert plan.queued("d") and plan.queued("e") and plan.slots == 2
    assert list(plan.waiting()) == ["d", "e"]
    assert plan.finished("b") == ["d"]


@settings(max_examples=60, deadline=None)
@given(
    cap=st.integers(1, 8),
    n=st.integers(1, 60),
    finish_order=st.randoms(use_true_random=False),
)
def test_plan_queue_never_grants_more_than_the_cap(
    cap: int, n: int, finish_order: random.Random
) -> None:
    """Whatever order running jobs finish in, at most ``cap`` are believed running and every
    job is granted once, in creation order."""
    plan: PlanQueue[int] = PlanQueue(cap=cap)
    plan.extend(range(n))
    running = plan.seen_running(min(cap, n) - 1)
    granted_order = list(running)
    while running:
        done = finish_order.choice(running)
        running.remove(done)
        new = plan.finished(done)
        granted_order.extend(new)
        running.extend(new)
        assert len(running) <= cap
    assert granted_order == list(range(n))


def test_plan_queue_keeps_the_slot_of_a_job_seen_processing() -> None:
    """A job believed to hold a slot but seen queued goes back with the later jobs no poll saw
    processing; a later job seen processing keeps its slot (creates sent together may reach the
    server in another order than their answers reach us)."""
    plan: PlanQueue[str] = PlanQueue()
    plan.extend(["a", "b", "c", "d", "e"])
    plan.seen_running("b", 1.0, tight=True)  # a and b hold slots
    plan.seen_queued("c", 3.0)
    assert plan.confirmed
    assert plan.finished("a") == ["c"] and plan.finished("b") == ["d"]
    plan.seen_running("d", 3.5)
    plan.seen_queued("c", 4.0)
    assert plan.queued("c") and not plan.queued("d")


def test_plan_queue_hands_on_a_slot_even_past_a_short_learned_cap() -> None:
    """Each job that ends while believed to hold a slot passes it to the next in line, even when
    the learned cap says fewer slots exist than jobs are believed to hold."""
    plan: PlanQueue[str] = PlanQueue(cap=1)
    plan.extend(["a", "b", "c", "d"])
    plan.seen_running("b")  # by FIFO a and b hold slots: more than the cap given
    assert plan.held == 2
    assert plan.finished("a") == ["c"]
    assert plan.held == 2 and plan.queued("d")


def test_plan_queue_counts_the_jobs_ahead() -> None:
    """``ahead`` counts the queued jobs created before a queued job; 0 for a running one."""
    plan: PlanQueue[int] = PlanQueue(cap=2)
    plan.extend(range(6))
    plan.seen_running(1)
    assert [plan.ahead(k) for k in (2, 3, 5)] == [0, 1, 3]
    assert plan.finished(0) == [2]
    assert plan.ahead(5) == 2


def test_an_uncertain_age_keeps_close_polls_past_the_high_quantile_longer() -> None:
    """Past the high quantile a job is polled every spacing for a while, then less often; a job
    whose age may be over-estimated by ``slack`` keeps the close polls that much longer."""
    place = PollPlacement(target_p95_delay=1.0)
    g = place.spacing
    age = 12.5  # past hi + tail_span * (hi - lo) for lo 5, hi 10
    assert place.next_age(age, 5.0, 10.0, probe=False, tail_polls=1) == pytest.approx(age + 4 * g)
    assert place.next_age(age, 5.0, 10.0, probe=False, tail_polls=1, slack=3.0) == pytest.approx(
        age + g
    )
