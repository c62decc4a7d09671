"""Head swap against the fake server over loopback: the analysis, the task, the chain that runs
both, their failures, argument checks before any request, manifest rows and the command line."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest
from hypothesis import given
from hypothesis import strategies as st

from akool_async import (
    CreationUnknown,
    HeadMapping,
    HeadSwapAnalysis,
    HeadSwapIncomplete,
    InsufficientCredit,
    JobFailed,
    JobStatus,
    ManifestError,
    NotFound,
    OutcomeState,
    ParameterError,
    Session,
    ValidationError,
    parse_manifest,
    run_batch,
)
from akool_async._akool._common import parse_snapshot
from akool_async._akool.head_swap import HeadSwapRequest, head_mappings
from akool_async._converter import build_request
from akool_async.cli import EXIT_OK, main
from akool_async.testing._akool import CREATE_ENDPOINTS
from akool_async.testing._akool.head_swap import people_in
from akool_async.testing._http import ParamError

from .helpers import API_KEY, IMG, IMG2, SPEED, fake_server, fast_config, pair

pytestmark = pytest.mark.anyio

TASK = "/api/open/v4/headswap/task/create"
ANALYZE = "/api/open/v4/headswap/analyze"
TWO = "https://cdn.example.com/two.mp4?heads=2"
ONE = "https://cdn.example.com/one.mp4"


def _task_bodies(fake: Any) -> list[dict[str, Any]]:
    return [b for b in fake.stats.create_bodies if "mappings" in b]


async def test_analysis_finds_the_people_of_the_video() -> None:
    """An analysis completes with one DetectedPerson per person, obj_id 0, 1 ... in order."""
    async with pair() as (fake, session):
        job = await session.head_swap.analyze(video_url=TWO)
        analysis = HeadSwapAnalysis.from_result(await job)
    assert fake.jobs[job.id].family == "head_swap_analysis"
    assert analysis.id == job.id and analysis.video_url == TWO
    assert [p.obj_id for p in analysis.persons] == [0, 1] and analysis.detected_objects == 2
    assert all(p.img_url and p.media_type == "images" for p in analysis.persons)
    assert analysis.video_info is not None and analysis.video_info.fps == 30.0


async def test_task_completes_with_the_rendered_video() -> None:
    """create() starts a task the scheduler polls to completion at the fake's result file."""
    async with pair() as (fake, session):
        job = await session.head_swap.create(video_url=TWO, mappings={1: IMG}, resolution="480p")
        result = await job
    assert result.url == fake.result_url(job.id) and result.family == "head_swap"
    assert _task_bodies(fake)[0]["mappings"] == [{"obj_id": 1, "img_url": IMG}]
    assert _task_bodies(fake)[0]["resolution"] == "480p"


async def test_swap_maps_people_in_order_then_creates_the_task() -> None:
    """swap() analyses, maps obj_id 0, 1 to the heads in order, and returns the task's job."""
    async with pair() as (fake, session):
        job = await session.head_swap.swap(video_url=TWO, heads=[IMG, IMG2])
        result = await job
    assert fake.jobs[job.id].family == "head_swap" and result.snapshot.status is JobStatus.COMPLETED
    (body,) = _task_bodies(fake)
    assert body["video_url"] == TWO
    assert body["mappings"] == [{"obj_id": 0, "img_url": IMG}, {"obj_id": 1, "img_url": IMG2}]
    assert fake.stats.creates_by_family == {"head_swap_analysis": 1, "head_swap": 1}


async def test_swap_with_fewer_people_than_heads_names_the_analysis() -> None:
    """One person, two heads: HeadSwapIncomplete names the analysis and no task is created."""
    async with pair() as (fake, session):
        with pytest.raises(HeadSwapIncomplete) as info:
            await session.head_swap.swap(video_url=ONE, heads=[IMG, IMG2])
    (analysis_id,) = fake.jobs
    assert info.value.analysis_id == analysis_id and analysis_id in str(info.value)
    assert "1 person(s)" in str(info.value) and info.value.task_error is None
    assert fake.stats.creates_by_family.get("head_swap", 0) == 0


async def test_swap_whose_task_create_is_refused_keeps_the_analysis_id() -> None:
    """Credit for the analysis only: the refused task's error comes inside HeadSwapIncomplete
    with the analysis id."""
    async with pair(fast_config(credit=1.0)) as (fake, session):
        with pytest.raises(HeadSwapIncomplete) as info:
            await session.head_swap.swap(video_url=ONE, heads=[IMG])
    (analysis_id,) = fake.jobs
    assert info.value.analysis_id == analysis_id
    assert isinstance(info.value.task_error, InsufficientCredit)
    assert info.value.task_error.code == 1104  # head-swap.mdx: "1104 Insufficient credits"
    assert info.value.__cause__ is info.value.task_error


async def test_swap_whose_task_answer_is_lost_says_so_with_the_analysis_id() -> None:
    """A lost task answer: HeadSwapIncomplete carries the CreationUnknown and the analysis id."""
    async with pair() as (fake, session):
        fake.faults.add("lost_create", endpoint=TASK)
        with pytest.raises(HeadSwapIncomplete) as info:
            await session.head_swap.swap(video_url=ONE, heads=[IMG])
    analysis_ids = [j.id for j in fake.jobs.values() if j.family == "head_swap_analysis"]
    assert [info.value.analysis_id] == analysis_ids
    assert isinstance(info.value.task_error, CreationUnknown)


async def test_failed_analysis_is_job_failed_and_no_task() -> None:
    """An analysis the fake fails raises JobFailed naming it; swap() creates no task."""
    async with pair(fast_config(failure_ratio=1.0)) as (fake, session):
        with pytest.raises(JobFailed) as info:
            await session.head_swap.swap(video_url=ONE, heads=[IMG])
    (analysis_id,) = fake.jobs
    assert info.value.job_id == analysis_id and info.value.family == "head_swap_analysis"
    assert info.value.snapshot.error_code == 2001
    assert fake.stats.creates_by_family.get("head_swap", 0) == 0


async def test_failed_task_is_job_failed_with_the_code() -> None:
    """A task the fake fails ends in JobFailed carrying the fake's code and reason."""
    async with pair() as (fake, session):
        job = await session.head_swap.create(
            video_url=ONE, mappings=[{"obj_id": 0, "img_url": IMG}]
        )
        fake.fail(job.id, code=2001, reason="render failed")
        with pytest.raises(JobFailed) as info:
            await job
    assert info.value.snapshot.error_code == 2001
    assert info.value.snapshot.error_reason == "render failed"


async def test_fake_refuses_an_obj_id_the_analysis_does_not_list() -> None:
    """obj_id 1 in a one-person video: the fake answers 1003 naming mappings[0].obj_id."""
    async with pair() as (fake, session):
        with pytest.raises(ParameterError) as info:
            await session.head_swap.create(video_url=ONE, mappings={1: IMG})
    assert info.value.code == 1003 and "mappings[0].obj_id" in info.value.message
    assert fake.stats.creates == 0


async def test_status_of_an_unknown_analysis_is_not_found() -> None:
    """The detail endpoints answer 1014 for an unknown id, read as NotFound."""
    async with pair() as (_fake, session):
        with pytest.raises(NotFound) as info:
            await session.status("6a066d03625746c797390f55", family="head_swap_analysis")
    assert info.value.code == 1014


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"video_url": ONE}, "type is required"),
        ({"video_url": ONE, "type": "face"}, "type must be one of head"),
        ({"type": "head"}, "video_url is required"),
    ],
)
def test_fake_analysis_validation_names_the_field(body: dict[str, Any], problem: str) -> None:
    """The fake's analysis create refuses a missing or wrong field with 1003 naming it."""
    with pytest.raises(ParamError) as info:
        CREATE_ENDPOINTS[ANALYZE](body)
    assert info.value.code == 1003 and info.value.msg == problem


_TASK_OK = {
    "video_url": TWO,
    "mappings": [{"obj_id": 0, "img_url": IMG}],
    "model_name": "akool-premium",
    "resolution": "720p",
}


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"model_name": None}, "model_name is required"),
        ({"resolution": "1080p"}, "resolution must be one of 480p, 720p"),
        ({"mappings": []}, "mappings is required"),
        ({"mappings": [{"obj_id": 0, "img_url": IMG}] * 6}, "Up to 5 characters"),
        ({"mappings": [{"obj_id": "0", "img_url": IMG}]}, "mappings[0].obj_id must be a number"),
        ({"mappings": [{"obj_id": 0, "img_url": "ftp://x"}]}, "mappings[0].img_url must be"),
        ({"keep_original_sound": "yes"}, "keep_original_sound must be a boolean"),
    ],
)
def test_fake_task_validation_names_the_field(changes: dict[str, Any], problem: str) -> None:
    """The fake's task create refuses each documented constraint with 1003 naming the field."""
    body = {k: v for k, v in {**_TASK_OK, **changes}.items() if v is not None}
    with pytest.raises(ParamError) as info:
        CREATE_ENDPOINTS[TASK](body)
    assert info.value.code == 1003 and info.value.msg.startswith(problem)


def test_fake_reads_the_people_count_from_the_video_url() -> None:
    """heads=N in the video's query sets how many people the fake finds (one otherwise)."""
    assert people_in(ONE) == 1 and people_in(TWO) == 2
    assert people_in("https://cdn.example.com/x.mp4?heads=0") == 0


Call = Callable[[Session], Awaitable[Any]]
SIX = [IMG] * 6
BAD: list[tuple[Call, str]] = [
    (lambda s: s.head_swap.analyze(video_url="ftp://x/clip.mp4"), "video_url"),
    (lambda s: s.head_swap.create(video_url=ONE, mappings=[]), "mappings"),
    (lambda s: s.head_swap.create(video_url=ONE, mappings=dict(enumerate(SIX))), "mappings"),
    (lambda s: s.head_swap.create(video_url=ONE, mappings={-1: IMG}), "mappings[0].obj_id"),
    (
        lambda s: s.head_swap.create(video_url=ONE, mappings=[{"obj_id": True, "img_url": IMG}]),
        "mappings[0].obj_id",
    ),
    (lambda s: s.head_swap.create(video_url=ONE, mappings={0: "x"}), "mappings[0].img_url"),
    (lambda s: s.head_swap.create(video_url=ONE, mappings=[{"obj_id": 0}]), "mappings[0].img_url"),
    (
        lambda s: s.head_swap.create(
            video_url=ONE, mappings=[HeadMapping(obj_id=0, img_url=IMG)] * 2
        ),
        "mappings[1].obj_id",
    ),
    (lambda s: s.head_swap.create(video_url=ONE, mappings="0"), "mappings[0]"),
    (
        lambda s: s.head_swap.create(video_url=ONE, mappings={0: IMG}, resolution="1080p"),
        "resolution",
    ),
    (lambda s: s.head_swap.create(video_url=ONE, mappings={0: IMG}, model_name="x"), "model_name"),
    (lambda s: s.head_swap.swap(video_url=ONE, heads=[]), "heads"),
    (lambda s: s.head_swap.swap(video_url=ONE, heads=SIX), "heads"),
    (lambda s: s.head_swap.swap(video_url=ONE, heads=IMG), "heads"),
    (lambda s: s.head_swap.swap(video_url=ONE, heads=[IMG, "nope"]), "heads[1]"),
    (lambda s: s.head_swap.swap(video_url="x", heads=[IMG]), "video_url"),
    (lambda s: s.head_swap.swap(video_url=ONE, heads=[IMG], resolution="4k"), "resolution"),
]


@pytest.mark.parametrize(("call", "field"), BAD, ids=[f"{i}-{f}" for i, (_, f) in enumerate(BAD)])
async def test_bad_arguments_fail_before_any_request(call: Call, field: str) -> None:
    """Invalid arguments raise ValidationError naming the field, and nothing is sent."""
    async with pair() as (fake, session):
        with pytest.raises(ValidationError) as info:
            await call(session)
    assert info.value.field == field
    assert fake.stats.total_requests() == 0


def test_manifest_rows_carry_mappings_as_json_or_pairs() -> None:
    """A CSV row's mappings as obj_id=url pairs and a JSONL row's as objects read the same."""
    csv_text = f"id,family,video,mappings\nc,head_swap,{TWO},0={IMG}|1={IMG2}\n"
    jsonl = json.dumps(
        {
            "id": "j",
            "family": "head_swap",
            "video_url": TWO,
            "mappings": [{"obj_id": 0, "img_url": IMG}, {"obj_id": 1, "img_url": IMG2}],
            "webhookUrl": "https://hooks.example.com/a",
        }
    )
    (from_csv,) = parse_manifest(csv_text, format="csv").rows
    (from_jsonl,) = parse_manifest(jsonl, format="jsonl").rows
    assert from_csv.family == from_jsonl.family == "head_swap"
    assert from_csv.fields["video_url"] == TWO
    assert from_jsonl.fields["webhook_url"] == "https://hooks.example.com/a"
    expected = (HeadMapping(obj_id=0, img_url=IMG), HeadMapping(obj_id=1, img_url=IMG2))
    assert build_request(HeadSwapRequest, from_csv.fields).mappings == expected
    assert build_request(HeadSwapRequest, from_jsonl.fields).mappings == expected


def test_manifest_row_with_a_bad_mapping_names_the_field() -> None:
    """A row whose second mapping has no URL names mappings[1].img_url."""
    mappings = [{"obj_id": 0, "img_url": IMG}, {"obj_id": 1}]
    row = {"family": "head_swap", "video_url": TWO, "mappings": mappings}
    with pytest.raises(ManifestError) as info:
        parse_manifest(json.dumps(row), format="jsonl")
    assert "mappings[1].img_url" in str(info.value)


async def test_batch_row_creates_the_task_and_downloads_its_video(tmp_path: Path) -> None:
    """A head_swap manifest row is created, tracked and its video downloaded."""
    rows = [{"id": "swap", "family": "head_swap", "video_url": TWO, "mappings": f"0={IMG}"}]
    async with pair() as (fake, session):
        async with run_batch(session, rows, out_dir=tmp_path) as batch:
            (outcome,) = [o async for o in batch]
        (job_id,) = outcome.job_ids
        expected = fake.expected_bytes(job_id)
    assert outcome.state is OutcomeState.DONE
    (file,) = outcome.files
    assert Path(file.path).name == "swap.mp4"
    assert file.sha256 == hashlib.sha256(expected).hexdigest()


def test_data_result_is_carried_as_data_only_where_not_a_file() -> None:
    """An object in the result field is the result itself (``result_value``, no URL) for a data
    family, and a missing result for a file family."""
    raw = {"_id": "a", "status": 3, "analysis_result": {"media": [{"obj_id": 0}]}}
    as_data = parse_snapshot(
        raw, status_field="status", result_field="analysis_result", result_is_file=False
    )
    as_file = parse_snapshot(raw, status_field="status", result_field="analysis_result")
    assert as_data.status is JobStatus.COMPLETED
    assert as_data.result_url is None
    assert as_data.result_value == {"media": [{"obj_id": 0}]}
    assert as_file.status is JobStatus.FAILED and as_file.missing_result == "analysis_result"


async def test_swap_on_a_video_without_people_creates_no_task() -> None:
    """An analysis that finds nobody ends swap() with HeadSwapIncomplete, no task created."""
    async with pair() as (fake, session):
        with pytest.raises(HeadSwapIncomplete) as info:
            await session.head_swap.swap(video_url=f"{ONE}?heads=0", heads=[IMG])
    assert info.value.analysis.persons == () and "0 person(s)" in str(info.value)
    assert fake.stats.creates_by_family.get("head_swap", 0) == 0


async def test_cli_command_takes_mappings_as_pairs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``akool-async head-swap --mappings 0=URL|1=URL --out DIR`` saves the task's video."""
    monkeypatch.setenv("AKOOL_API_KEY", API_KEY)
    async with fake_server() as fake:
        args = ["head-swap", "--video", TWO, "--mappings", f"0={IMG}|1={IMG2}"]
        args += ["--out", str(tmp_path), "--json", "--base-url", fake.base_url]
        code = await anyio.to_thread.run_sync(main, [*args, "--clock-speed", str(SPEED)])
        doc = json.loads(capsys.readouterr().out)
        (job,) = doc["jobs"]
        assert code == EXIT_OK and job["state"] == "completed"
        assert await anyio.Path(job["file"]).read_bytes() == fake.expected_bytes(job["id"])
    assert _task_bodies(fake)[0]["mappings"] == [
        {"obj_id": 0, "img_url": IMG},
        {"obj_id": 1, "img_url": IMG2},
    ]


_URLS = st.sampled_from([IMG, IMG2, "https://cdn.example.com/a%20b.png?x=1=2"])


@given(st.dictionaries(st.integers(0, 40), _URLS, min_size=1, max_size=5))
def test_every_mapping_form_reads_the_same(pairs: dict[int, str]) -> None:
    """Objects, obj_id=url text and an {obj_id: url} mapping (int or text keys) give the same
    HeadMapping tuple."""
    expected = tuple(HeadMapping(obj_id=k, img_url=v) for k, v in pairs.items())
    forms: list[Any] = [
        [{"obj_id": k, "img_url": v} for k, v in pairs.items()],
        [f"{k}={v}" for k, v in pairs.items()],
        pairs,
        {str(k): v for k, v in pairs.items()},
        list(expected),
    ]
    for form in forms:
        assert head_mappings(form) == expected


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
        max_leaves=8,
    )
)
def test_any_mapping_input_is_a_tuple_or_a_validation_error(value: Any) -> None:
    """head_mappings never raises anything but ValidationError naming mappings."""
    try:
        out = head_mappings(value)
    except ValidationError as exc:
        assert exc.field.startswith("mappings")
    else:
        assert isinstance(out, tuple) and all(isinstance(m, HeadMapping) for m in out)
