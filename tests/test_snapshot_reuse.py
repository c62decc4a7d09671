"""A running answer that reads like the tracked job's snapshot reuses it; anything else is built."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from akool_async import FAMILIES, JobStatus, PollPolicy
from akool_async._akool._common import family_snapshot
from akool_async._jobmodels import slim_snapshot

from .helpers import MINIMAL_FIELDS, fast_config, pair

pytestmark = pytest.mark.anyio

FAM = FAMILIES["talking_photo"]
JOB_ID = "6b0ee5834e9e1702f6000001"

#: Status objects of infobymodelid, as in the fake's answers: the fields the parser reads.
answers = st.fixed_dictionaries(
    {"_id": st.just(JOB_ID), "video_status": st.sampled_from([1, 2, 3, 4, "2", 2.0])},
    optional={
        "video": st.sampled_from(["", "https://cdn.example.com/r.mp4", None]),
        "progress": st.sampled_from([None, 0, 50, "50", 99.5]),
        "error_code": st.sampled_from([None, 0, 1008, "1008"]),
        "error_reason": st.sampled_from(["", "face not found", None, 3]),
        "error_msg": st.sampled_from(["", "bad audio"]),
        "video_lock_duration": st.sampled_from([None, 5.58, 10, 0, -1.0, float("inf")]),
    },
)


@given(answers, answers)
def test_reuse_only_when_the_reading_is_the_same(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    """With ``like``, a snapshot reads exactly as without it, and is ``like`` only when equal."""
    like = slim_snapshot(family_snapshot(FAM, first, JOB_ID))
    plain = family_snapshot(FAM, second, JOB_ID)
    got = family_snapshot(FAM, second, JOB_ID, like)
    assert got == plain
    if got is like:
        assert not plain.status.terminal and not like.raw
    else:
        assert got.raw is second
    if like.status is plain.status and not plain.status.terminal and like == plain:
        assert got is like


async def test_unchanged_polls_keep_the_snapshot_and_a_read_keeps_raw() -> None:
    """Polls of a job still queued keep one snapshot object; ``session.status`` still has raw."""
    config = fast_config(queue_time=(1e6, 1e6))
    policy = PollPolicy(fixed_interval=1.0, min_delay=1.0)
    async with pair(config, poll_policy=policy) as (_fake, session):
        (job,) = await session.create("talking_photo", MINIMAL_FIELDS["talking_photo"])
        while job.polls < 1:
            await session.scheduler.clock.sleep(0.5)
        first = job.snapshot
        while job.polls < 4:
            await session.scheduler.clock.sleep(0.5)
        assert job.snapshot is first and job.status is JobStatus.QUEUEING
        read = await session.status(job.id, family="talking_photo")
        assert read == first and read is not first and read.raw["_id"] == job.id


@pytest.mark.parametrize("family", ["faceswap_image", "image2video"])
async def test_batch_status_polls_keep_each_jobs_snapshot(family: str) -> None:
    """Batch status reads (GET or POST) of queued jobs give back each job's own snapshot."""
    assert FAMILIES[family].status.batch
    config = fast_config(queue_time=(1e6, 1e6))
    policy = PollPolicy(fixed_interval=1.0, min_delay=1.0)
    async with pair(config, poll_policy=policy) as (_fake, session):
        jobs = [(await session.create(family, MINIMAL_FIELDS[family]))[0] for _ in range(3)]
        # (A fresh job may be missing from its first answer: wait until each was read.)
        while any(j.snapshot is None for j in jobs):
            await session.scheduler.clock.sleep(0.5)
        first = [j.snapshot for j in jobs]
        polls = [j.polls for j in jobs]
        while min(j.polls - p for j, p in zip(jobs, polls, strict=True)) < 3:
            await session.scheduler.clock.sleep(0.5)
        assert all(j.snapshot is s for j, s in zip(jobs, first, strict=True))
        assert all(j.status is JobStatus.QUEUEING and j.snapshot.id == j.id for j in jobs)
        assert session.scheduler.stats.requests < sum(j.polls for j in jobs)  # batched
        # What the scheduler's status read gives back: each job's own snapshot, nothing built.
        fam = FAMILIES[family]
        found = await session._fetch_status(fam.status, fam, [j.id for j in jobs])
        assert all(found[j.id] is j.snapshot for j in jobs)
