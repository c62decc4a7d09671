"""Shared pieces of the session-level tests: a fast fake server + session pair, and inputs.

Every pair shares one :class:`ScaledClock`, so the fake's jobs and the session's polls agree on
time while running a thousand times faster than real time.
"""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.request
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aiohttp import web

from akool_async import RetryPolicy, ScaledClock, Session
from akool_async.testing import FakeAkool, FakeConfig
from akool_async.testing._akool.head_swap import analysis_result
from akool_async.testing._akool.moderation import verdict

SPEED = 1000.0
API_KEY = "test-api-key"
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-0123456789abc"

IMG = "https://cdn.example.com/face.jpg"
IMG2 = "https://cdn.example.com/other.jpg"
MP3 = "https://cdn.example.com/voice.mp3"
MP4 = "https://cdn.example.com/clip.mp4"

TALKING_PHOTO = "/api/open/v3/content/video/createbytalkingphoto"
VIDEO_INFO = "/api/open/v3/content/video/infobymodelid"
LANGUAGES = "/api/open/v3/language/list"
QUOTA = "/api/open/v3/faceswap/quota/info"
TOKEN = "/api/open/v3/getToken"

#: Minimal valid fields of every family, in the SDK's spelling (``session.create``).
MINIMAL_FIELDS: dict[str, dict[str, Any]] = {
    "talking_photo": {"talking_photo_url": IMG, "audio_url": MP3},
    "lip_sync": {"video_url": MP4, "audio_url": MP3},
    "video_translation": {"url": MP4, "language": "ja"},
    "talking_avatar": {"avatar_id": "dvp_Tristan", "input_text": "hello", "voice_id": "v1"},
    "avatar_upload": {"url": MP4, "avatar_id": "myAvatar01"},
    "character_swap": {"image": IMG, "video": MP4},
    "faceswap_image": {"source_image": [IMG], "target_image": [IMG2], "modify_url": IMG},
    "faceswap_video": {"source_image": [IMG], "target_image": [IMG2], "modify_url": MP4},
    "faceswap_v4": {"source_image": [IMG], "target_image": [IMG2]},
    "faceswap_plus": {"source_url": IMG, "target_url": IMG2, "single_face_mode": True},
    "reage_image": {"target_image": [IMG], "face_reage": 10, "modify_url": IMG2},
    "reage_video": {"target_image": [IMG], "face_reage": -10, "modify_url": MP4},
    "head_swap_analysis": {"video_url": MP4},
    "head_swap": {"video_url": MP4, "mappings": [{"obj_id": 0, "img_url": IMG}]},
    "image": {"prompt": "a red fox"},
    "image2video": {
        "image_url": IMG,
        "prompt": "it blinks",
        "negative_prompt": "",
        "resolution": "720p",
        "audio_type": 3,
        "video_length": 5,
    },
    "image2video_audio": {
        "pre_video_id": "6891a07f5d612f78c9204f1c",
        "audio_url": MP3,
        "audio_type": 2,
    },
    "image2video_batch": {
        "image_url": IMG,
        "prompt": "it blinks",
        "resolution": "720p",
        "video_length": 5,
    },
    "image_button": {"image_id": "65d3206b83ccf5ab7d46cdc6", "button": "U2"},
    "text2video": {"prompt": "a red fox runs"},
    "tts": {"input_text": "hello", "voice_id": "en-US-1", "rate": "100%"},
    "voice_clone_v3": {"input_text": "hello", "rate": "100%", "voice_url": MP3},
    "voice_tts": {"input_text": "hello", "voice_id": "6889b628662160e2caad5dbc"},
    "voice_clone": {"source_voice_file": MP3},
    "voice_change": {"voice_id": "6889b628662160e2caad5dbc", "source_voice_file": MP3},
    "moderation": {"content": IMG, "content_type": 1},
}


def expected_result(fake: FakeAkool, job_id: str) -> Any:
    """A completed job's result: the fake's result file URL, or the result itself for a family
    whose result is not a file (a moderation's findings text, an analysis's objects)."""
    job = fake.jobs[job_id]
    if job.family == "head_swap_analysis":
        return analysis_result(job)
    return verdict(job)[0] if job.family == "moderation" else fake.result_url(job_id)


#: Fast retries: every backoff is a small fraction of a (scaled) millisecond.
FAST_RETRY = RetryPolicy(base=0.001, cap=0.01)


def fast_config(**overrides: Any) -> FakeConfig:
    """A fake config whose jobs take a few clock seconds (a few real milliseconds)."""
    settings: dict[str, Any] = {
        "queue_time": (0.5, 1.0),
        "media_duration": (1.0, 2.0),
        "processing_factor": 2.0,
        "processing_jitter": 0.1,
        "seed": 7,
    }
    settings.update(overrides)
    return FakeConfig(**settings)


@asynccontextmanager
async def fake_server(
    config: FakeConfig | None = None, *, clock: ScaledClock | None = None
) -> AsyncIterator[FakeAkool]:
    """A running fake Akool on 127.0.0.1 with a fast clock."""
    async with FakeAkool(config or fast_config(), clock=clock or ScaledClock(speed=SPEED)) as fake:
        yield fake


def session_for(fake: FakeAkool, **kwargs: Any) -> Session:
    """A (not yet entered) session on ``fake``'s clock, with the test API key and fast retries."""
    if not {"client_id", "client_secret"} & kwargs.keys():
        kwargs.setdefault("api_key", API_KEY)
    kwargs.setdefault("base_url", fake.base_url)
    kwargs.setdefault("clock", fake.clock)
    kwargs.setdefault("retry", FAST_RETRY)
    return Session(**kwargs)


@asynccontextmanager
async def pair(
    config: FakeConfig | None = None, **session_kwargs: Any
) -> AsyncIterator[tuple[FakeAkool, Session]]:
    """A fake server and an open session on it, sharing one fast clock."""
    async with fake_server(config) as fake, session_for(fake, **session_kwargs) as session:
        yield fake, session


@asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """Serve an aiohttp app on 127.0.0.1 on a free port; yield its base URL."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@contextmanager
def standalone_fake_server(cmd: Sequence[str]) -> Iterator[str]:
    """Run a standalone fake server command (``--port 0``); yield its base URL, then SIGINT it."""
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("akool-fake listening on http://"), line
        yield line.rpartition(" ")[2]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.communicate()


def fake_server_stats(base_url: str, *, detail: bool = False) -> dict[str, Any]:
    """``GET /_fake/stats`` of a standalone fake (``detail``: per job, with create bodies)."""
    url = f"{base_url}/_fake/stats" + ("?detail=1" if detail else "")
    with urllib.request.urlopen(url, timeout=5) as resp:
        data: dict[str, Any] = json.load(resp)
    return data
