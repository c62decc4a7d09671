"""Once Akool answered a create, no created job is lost, whatever raises after: a property over
the two multi-job creates (video translation's ``all_results``, text to video's
``successList``/``errorList``), with our own code failing at any point after the answer.

Each example serves one create answer on 127.0.0.1 (real sockets) and drives the public create
method; the faults are injected into our code only (the answer reader, the scheduler, the list
built for the caller).
"""

from __future__ import annotations

import string
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio
import attrs
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from akool_async import (
    APIError,
    CreatedJobs,
    CreationUnknown,
    FailedLanguage,
    RefusedJob,
    RetryPolicy,
    Session,
    TranslationFailed,
    TranslationJobs,
)

from .helpers import API_KEY, MP4, serve_app

LANGUAGES = ("ja", "fr", "de", "es", "it", "ko")
#: Where our own code is made to fail once the answer arrived.
FAULTS = ("none", "read", "track", "collect")


class _Bug(Exception):
    """A bug in our own code, after the answer."""


def answering(answer: dict[str, Any]) -> AbstractAsyncContextManager[str]:
    """A loopback server answering every create with ``answer`` (polls: job not found)."""

    async def create(_request: web.Request) -> web.Response:
        return web.json_response(answer)

    async def other(_request: web.Request) -> web.Response:
        return web.json_response({"code": 1008, "msg": "not found"})

    app = web.Application()
    app.router.add_post("/api/open/v3/content/video/createbytranslate", create)
    app.router.add_post("/api/open/v4/text2Video/createByPrompt/batch", create)
    app.router.add_route("*", "/{tail:.*}", other)
    return serve_app(app)


class _Faulty(Session):
    """A session whose own code fails at ``fault`` after the create answer arrived."""

    fault = "none"

    def _created(self, fam: Any, envelope: Any, request: Any) -> Any:
        answer = super()._created(fam, envelope, request)
        if self.fault == "read":
            raise _Bug("reading the answer")
        if self.fault == "collect":

            def broken(jobs: Any, _answer: Any) -> Any:
                raise _Bug("building the caller's list")

            return attrs.evolve(answer, build=broken)
        return answer


def _ids(n: int, tag: str) -> list[str]:
    return [f"{tag}{i:022d}" for i in range(n)]


@st.composite
def translation_answers(draw: st.DrawFn) -> tuple[list[str], dict[str, Any], set[str]]:
    """Requested languages, an ``all_results`` answer for them, and the ids it created."""
    languages = draw(st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=5, unique=True))
    entries, created = [], set()
    for lang, job_id in zip(languages, _ids(len(languages), "t"), strict=True):
        ok = draw(st.booleans())
        named = draw(st.booleans())  # a failed entry may not say its language
        if ok:
            created.add(job_id)
            data = {"_id": job_id, "language": lang, "video_status": 1}
            entries.append({"code": 1000, "msg": "OK", "data": data})
        else:
            code = draw(st.sampled_from([1003, 1202, 1203, 1204]))
            entries.append(
                {"code": code, "msg": "refused", "data": {"language": lang} if named else {}}
            )
    answer = {"code": 1000, "msg": "OK", "data": entries[0].get("data"), "all_results": entries}
    return languages, answer, created


@st.composite
def text_to_video_answers(draw: st.DrawFn) -> tuple[int, dict[str, Any], set[str]]:
    """A ``count``, a successList/errorList answer for it, and the ids it created."""
    count = draw(st.integers(1, 6))
    created_n = draw(st.integers(0, count))
    ids = _ids(created_n, "v")
    refused = [
        {
            "code": draw(st.sampled_from([1006, 1015, 1003])),
            "msg": draw(st.text(string.ascii_letters, min_size=1, max_size=8)),
        }
        for _ in range(count - created_n)
    ]
    data = {"successList": [{"_id": i, "status": 1} for i in ids], "errorList": refused}
    return count, {"code": 1000, "msg": "OK", "data": data}, set(ids)


async def _create(family: str, spec: Any, answer: dict[str, Any], fault: str) -> Any:
    """Drive the public create against ``answer`` with ``fault``; what it returned or raised,
    and the ids the session tracks afterwards."""
    async with answering(answer) as base_url:
        session = _Faulty(
            api_key=API_KEY,
            base_url=base_url,
            allow_insecure_http=True,
            retry=RetryPolicy(base=0.001, cap=0.01),
        )
        session.fault = fault
        async with session:
            if fault == "track":
                add = session.scheduler.add

                def add_then_fail(job: Any, *args: Any, **kwargs: Any) -> Any:
                    if len(session.scheduler.jobs) >= 1:
                        raise _Bug("tracking the second job")
                    return add(job, *args, **kwargs)

                session.scheduler.add = add_then_fail  # type: ignore[method-assign]
            try:
                if family == "video_translation":
                    outcome: Any = await session.video_translation.create(url=MP4, language=spec)
                else:
                    outcome = await session.text_to_video.create(prompt="a fox", count=spec)
            except Exception as exc:  # what the caller gets is what the property judges
                outcome = exc
            tracked = set(session.scheduler.jobs)
    return outcome, tracked


def _check(outcome: Any, tracked: set[str], created: set[str], refused: int, fault: str) -> None:
    if isinstance(outcome, CreatedJobs):
        assert fault == "none" or (fault == "track" and len(created) <= 1)
        assert {job.id for job in outcome} == created <= tracked
        assert len(outcome.failed) == refused
        return
    if isinstance(outcome, CreationUnknown):
        # Every created job is named, so that it can be tracked: none is lost.
        assert fault != "none" or not created
        assert created <= set(outcome.job_ids)
        return
    # The answer's own refusal: only when nothing was created.
    assert isinstance(outcome, APIError), outcome
    assert not created and refused


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer=translation_answers(), fault=st.sampled_from(FAULTS))
def test_translation_create_loses_no_created_language(
    answer: tuple[list[str], dict[str, Any], set[str]], fault: str
) -> None:
    """A translation's create returns every created language's job (the failed languages in
    ``failed``), or raises an error naming every created job, or TranslationFailed when none
    was created; with our own code failing anywhere after the answer."""
    languages, envelope, created = answer
    outcome, tracked = anyio.run(_create, "video_translation", languages, envelope, fault)
    refused = len(languages) - len(created)
    _check(outcome, tracked, created, refused, fault)
    if isinstance(outcome, CreatedJobs):
        assert isinstance(outcome, TranslationJobs)
        assert all(isinstance(f, FailedLanguage) for f in outcome.failed)
        assert {f.language for f in outcome.failed} == set(languages) - {
            e["data"]["language"] for e in envelope["all_results"] if e["code"] == 1000
        }
    elif not isinstance(outcome, CreationUnknown):
        assert isinstance(outcome, TranslationFailed)
        assert [f.language for f in outcome.failed] == languages


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer=text_to_video_answers(), fault=st.sampled_from(FAULTS))
def test_text_to_video_create_loses_no_created_video(
    answer: tuple[int, dict[str, Any], set[str]], fault: str
) -> None:
    """A text-to-video create returns every successList job (the errorList in ``failed``), or
    raises an error naming every created job, or the refusal's error when none was created;
    with our own code failing anywhere after the answer."""
    count, envelope, created = answer
    outcome, tracked = anyio.run(_create, "text2video", count, envelope, fault)
    _check(outcome, tracked, created, count - len(created), fault)
    if isinstance(outcome, CreatedJobs):
        assert all(isinstance(f, RefusedJob) for f in outcome.failed)
        assert [f.code for f in outcome.failed] == [
            e["code"] for e in envelope["data"]["errorList"]
        ]


@pytest.mark.parametrize(
    ("family", "spec", "envelope"),
    [
        (
            "video_translation",
            ["ja", "fr"],
            {"code": 1000, "msg": "OK", "all_results": [{"code": 1000}, "not an entry"]},
        ),
        ("text2video", 2, {"code": 1000, "msg": "OK", "data": {"successList": "not a list"}}),
    ],
)
def test_an_answer_naming_no_job_is_creation_unknown(
    family: str, spec: Any, envelope: dict[str, Any]
) -> None:
    """An answer we cannot read a job from is CreationUnknown (never retried), not a refusal."""
    outcome, tracked = anyio.run(_create, family, spec, envelope, "none")
    assert isinstance(outcome, CreationUnknown) and not tracked
