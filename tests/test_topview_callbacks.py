"""TopView callbacks: notice-URL registration, delivery to the receiver app, scheduler wake-up."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anyio
import pytest
from aiohttp import web

from akool_async import JobFailed, RetryPolicy, ScaledClock
from akool_async.testing import FakeConfig
from akool_async.testing._topview import FakeTopView, sample_media
from akool_async.topview import (
    CALLBACK_OK,
    DEFAULT_CALLBACK_PATH,
    TopViewCallback,
    TopViewSession,
    topview_callback_app,
)

pytestmark = pytest.mark.anyio

KEY = "test-api-key"
UID = "test-uid"
SPEED = 1000.0
#: So long (clock seconds) that only a callback can finish a job within the test.
NO_BACKSTOP = 1e6


def fast_config(**overrides: Any) -> FakeConfig:
    """Jobs that take a few clock seconds."""
    settings: dict[str, Any] = {
        "speed": SPEED,
        "queue_time": (0.5, 1.0),
        "media_duration": (1.0, 2.0),
        "processing_factor": 2.0,
        "seed": 9,
    }
    settings.update(overrides)
    return FakeConfig(**settings)


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    """Serve ``app`` on a free loopback port; returns the runner and its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


class Receiver:
    """A callback app in front of a session that is created later."""

    def __init__(self) -> None:
        self.session: TopViewSession | None = None
        self.seen: list[TopViewCallback] = []

    def notify(self, cb: TopViewCallback) -> None:
        self.seen.append(cb)
        assert self.session is not None
        self.session.notify(cb.task_id, cb.raw)


@pytest.fixture
def clock() -> ScaledClock:
    """One fast clock shared by everyone."""
    return ScaledClock(SPEED)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    """A running callback receiver and its notice URL."""
    rec = Receiver()
    runner, base = await serve(topview_callback_app(rec.notify))
    try:
        yield rec, base + DEFAULT_CALLBACK_PATH
    finally:
        await runner.cleanup()


def session(fake: FakeTopView, clock: ScaledClock, **kwargs: Any) -> TopViewSession:
    """A session whose webhook jobs are never polled before their callback."""
    return TopViewSession(
        KEY,
        UID,
        base_url=fake.base_url,
        clock=clock,
        webhook_backstop=NO_BACKSTOP,
        retry=RetryPolicy(base=0.5, cap=2.0),
        **kwargs,
    )


async def test_callbacks_finish_jobs_and_get_the_expected_answer(
    clock: ScaledClock, receiver: tuple[Receiver, str]
) -> None:
    """The notice URL is registered once; callbacks wake the scheduler and get code "200"."""
    rec, url = receiver
    async with (
        FakeTopView(fast_config(), clock=clock, uid=UID) as fake,
        session(fake, clock, webhook_url=url) as tv,
    ):
        rec.session = tv
        jobs = [
            await tv.common.text2image(model="Nano Banana 2", aspect_ratio="1:1", prompt=f"cat {i}")
            for i in range(3)
        ]
        with anyio.fail_after(5):
            results = await tv.gather(jobs)
    assert [r.url for r in results] == [fake.result_url(j.id) for j in jobs]
    assert fake.notice_urls == {url} and fake.counters.notice_checks == 1
    assert all(body["noticeUrl"] == url for body in fake.stats.create_bodies)
    assert len(fake.counters.callback_answers) == 3
    for status, text in fake.counters.callback_answers:
        assert status == 200 and json.loads(text) == CALLBACK_OK
    assert {cb.task_id for cb in rec.seen} == {j.id for j in jobs}
    assert all(cb.family == "topview_text2image" and cb.status_text == "success" for cb in rec.seen)
    assert tv.scheduler.stats.webhooks == 3


async def test_repeated_callbacks_reach_the_scheduler_once(
    clock: ScaledClock, receiver: tuple[Receiver, str]
) -> None:
    """A callback delivered twice (same uuid) is answered twice but notified once."""
    rec, url = receiver
    async with (
        FakeTopView(fast_config(webhook_duplicates=1.0), clock=clock, uid=UID) as fake,
        session(fake, clock) as tv,
    ):
        rec.session = tv
        job = await tv.common.text2video(model="Standard", prompt="dup", webhook_url=url)
        with anyio.fail_after(5):
            await job
    assert fake.counters.callbacks_sent == 2 and len(rec.seen) == 1
    assert fake.counters.notice_checks == 1


async def test_failed_task_callback_fails_the_job(
    clock: ScaledClock, receiver: tuple[Receiver, str]
) -> None:
    """A ``fail`` callback leads to JobFailed with TopView's errorMsg (confirmed by a query)."""
    rec, url = receiver
    async with (
        FakeTopView(fast_config(failure_ratio=1.0), clock=clock, uid=UID) as fake,
        session(fake, clock, webhook_url=url) as tv,
    ):
        rec.session = tv
        job = await tv.video_avatar.create(
            avatar_source_from=1, audio_source_from=1, ai_avatar_id="pub", tts_text="hello"
        )
        with anyio.fail_after(5), pytest.raises(JobFailed) as info:
            await job
    assert info.value.error_reason == fake.jobs[job.id].error_msg
    assert rec.seen[0].status_text == "fail" and rec.seen[0].biz_type == "ZERO_SHOT_AVATAR"


async def test_session_receiver_app_notifies_the_session(clock: ScaledClock) -> None:
    """``topview_callback_app(session)`` wires callbacks straight into ``session.notify``."""
    async with FakeTopView(fast_config(), clock=clock, uid=UID) as fake:
        tv = session(fake, clock)
        runner, base = await serve(topview_callback_app(tv))
        try:
            async with tv:
                job = await tv.common.image2video_v2(
                    first_frame_file_id=fake.upload_bytes(
                        b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, "png"
                    ),
                    webhook_url=base + DEFAULT_CALLBACK_PATH,
                )
                with anyio.fail_after(5):
                    await job
                assert tv.scheduler.stats.webhooks == 1
        finally:
            await runner.cleanup()


async def test_receiver_answers_bad_and_probe_bodies() -> None:
    """Malformed bodies get 400 in TopView's envelope; a body without taskId gets 200."""
    seen: list[TopViewCallback] = []
    runner, base = await serve(topview_callback_app(seen.append, max_body=1024))
    url = base + DEFAULT_CALLBACK_PATH
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(url, data=b"not json") as r:
                assert r.status == 400 and (await r.json())["code"] == "4000"
            async with http.post(url, json={"taskId": 42}) as r:
                assert r.status == 400
            async with http.post(url, json={"bizType": "CHECK"}) as r:
                assert r.status == 200 and await r.json() == CALLBACK_OK
            async with http.post(url, data=b"x" * 4096) as r:
                assert r.status == 413
            async with http.get(url) as r:
                assert r.status == 405
            body = {"uuid": "u", "taskId": "t", "status": "running", "bizType": "X"}
            for _ in range(2):
                async with http.post(url, json=body) as r:
                    assert r.status == 200
    finally:
        await runner.cleanup()
    assert len(seen) == 1 and seen[0].family is None


async def test_unregistered_notice_url_is_refused_by_topview(clock: ScaledClock) -> None:
    """The fake, like TopView, refuses a noticeUrl that was never checked."""
    async with (
        FakeTopView(fast_config(), clock=clock, uid=UID) as fake,
        aiohttp.ClientSession(
            fake.base_url, headers={"Authorization": f"Bearer {KEY}", "Topview-Uid": UID}
        ) as http,
    ):
        body = {
            "model": "Nano Banana 2",
            "prompt": "x",
            "aspectRatio": "1:1",
            "noticeUrl": "https://hooks.example/tv",
        }
        async with http.post("/v1/common_task/text2image/task/submit", json=body) as r:
            answer = await r.json()
        assert answer["code"] == "4000"
        async with http.post(
            "/notice/notice_url/check", json={"noticeUrl": body["noticeUrl"]}
        ) as r:
            assert (await r.json())["code"] == "200"
        async with http.post("/v1/common_task/text2image/task/submit", json=body) as r:
            answer = await r.json()
        assert answer["code"] == "200" and answer["result"]["taskId"] in fake.jobs


async def test_callbacks_finish_v2_jobs(clock: ScaledClock, receiver: tuple[Receiver, str]) -> None:
    """v2 jobs end on their callbacks (bizType shared with v1, so it names the v1 family)."""
    rec, url = receiver
    async with (
        FakeTopView(fast_config(), clock=clock, uid=UID) as fake,
        session(fake, clock, webhook_url=url) as tv,
    ):
        rec.session = tv
        image = fake.upload_bytes(sample_media("jpg"), "jpg")
        jobs = [
            await tv.common.image2video_v2(first_frame_file_id=image),
            await tv.product_avatar.image2video_v2("img-1", tts_text="hi"),
        ]
        with anyio.fail_after(5):
            results = await tv.gather(jobs)
    assert [r.url for r in results] == [fake.result_url(j.id) for j in jobs]
    families = {cb.task_id: cb.family for cb in rec.seen}
    assert families == {
        jobs[0].id: "topview_image2video",
        jobs[1].id: "topview_product_image2video",
    }
