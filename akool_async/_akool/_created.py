"""What an Akool create answered: the jobs it started and the videos it refused.

Most creates answer one job as ``data`` (or a list of them). Akool's batch creates (text to
video, batch image to video) answer ``data.successList`` (one created, billed job each) beside
``data.errorList`` (videos it refused): the refused ones are reported to the caller as
:class:`RefusedJob` records on :class:`CreatedJobs`; nothing about them may make the created
jobs get lost. (Video translation's ``all_results`` is read in its own module.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from .._created_jobs import CreateAnswer, CreatedJobs
from .._errors import APIError, error_for_code
from .._family import Family
from .._job import Job
from .._jobmodels import int_or_none
from ._common import snapshot_of

__all__ = [
    "CreatedJobs",
    "RefusedJob",
    "created_answer",
    "created_jobs",
    "created_objects",
    "refusal_error",
    "refused_entries",
]


@frozen(slots=True)
class RefusedJob:
    """One job a multi-job create refused (an ``errorList`` entry): its code and message."""

    code: int | None
    message: str
    raw: Mapping[str, Any] = field(factory=dict, repr=False, eq=False)


def created_jobs(jobs: list[Job]) -> CreatedJobs[RefusedJob]:
    """``jobs`` as :class:`CreatedJobs` (as they are when the session built them)."""
    return jobs if isinstance(jobs, CreatedJobs) else CreatedJobs(jobs)


def _refusal(item: Any) -> RefusedJob:
    if isinstance(item, Mapping):
        code = int_or_none(item.get("code", item.get("error_code")))
        for key in ("msg", "message", "error_msg", "error_reason"):
            text = item.get(key)
            if isinstance(text, str) and text:
                return RefusedJob(code, text, item)
        return RefusedJob(code, "refused", item)
    return RefusedJob(None, str(item) if item is not None else "refused", {"entry": item})


def refused_entries(data: Any) -> list[RefusedJob]:
    """The ``errorList`` entries of a create answer's ``data``, typed."""
    items = data.get("errorList") if isinstance(data, Mapping) else None
    if not isinstance(items, list):
        return []
    return [_refusal(item) for item in items]


def refusal_error(refused: list[RefusedJob], *, endpoint: str, body: Mapping[str, Any]) -> APIError:
    """The error of a create that started no job and refused every one (the first's code)."""
    first = refused[0]
    code = first.code if first.code is not None else 0
    cls = error_for_code(code)
    others = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
    return cls(
        code, f"every job was refused: {first.message}{others}", endpoint=endpoint, body=body
    )


def created_objects(fam: Family, data: Any) -> list[Mapping[str, Any]]:
    """The job objects a create answer's ``data`` describes, each with a string ``_id`` (the
    first of each id)."""
    if fam.created_ids == "list" and isinstance(data, list):
        items: list[Any] = data
    elif fam.created_ids == "success_list":
        listed = data.get("successList") if isinstance(data, Mapping) else None
        items = listed if isinstance(listed, list) else []
    elif isinstance(data, Mapping):
        items = [data]
    elif isinstance(data, list):
        items = data
    else:
        return []
    out = []
    seen = set()
    for item in items:
        ident = item.get("_id") if isinstance(item, Mapping) else None
        if isinstance(ident, str) and ident and ident not in seen:
            seen.add(ident)
            out.append(item)
    return out


def created_answer(fam: Family, envelope: Mapping[str, Any]) -> CreateAnswer:
    """A create answer of ``fam`` (one job, a list, or ``successList``/``errorList``) read.

    With ``errorList`` entries and no created job, its ``refusal`` is the error of the first
    refused video (nothing was started, nothing is billed).
    """
    data = envelope.get("data")
    jobs = [(obj["_id"], snapshot_of(fam, obj)) for obj in created_objects(fam, data)]
    if fam.created_ids != "success_list":
        return CreateAnswer(jobs)
    refused = refused_entries(data)
    refusal = None
    if refused and not jobs:
        endpoint = f"POST {fam.create_path}"
        body = {"errorList": [dict(r.raw) for r in refused]}
        refusal = refusal_error(refused, endpoint=endpoint, body=body)
    return CreateAnswer(jobs, refused, refusal)
