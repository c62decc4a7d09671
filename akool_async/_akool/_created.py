"""What a multi-job create answered: the jobs it started and the videos it refused.

Akool's batch creates (text to video, batch image to video) answer ``data.successList`` (one
created, billed job each) beside ``data.errorList`` (videos it refused). The refused ones are
reported to the caller as :class:`RefusedJob` records on :class:`CreatedJobs`; nothing about
them may make the created jobs get lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from attrs import field, frozen

from .._errors import APIError, error_for_code
from .._job import Job
from .._jobmodels import int_or_none

__all__ = ["CreatedJobs", "RefusedJob", "created_jobs", "refusal_error", "refused_entries"]


@frozen(slots=True)
class RefusedJob:
    """One job a multi-job create refused (an ``errorList`` entry): its code and message."""

    code: int | None
    message: str
    raw: Mapping[str, Any] = field(factory=dict, repr=False, eq=False)


class CreatedJobs(list[Job]):
    """The jobs one create started (a list), and in :attr:`failed` the ones it refused."""

    __slots__ = ("failed",)

    def __init__(self, jobs: Iterable[Job] = (), failed: Iterable[RefusedJob] = ()) -> None:
        super().__init__(jobs)
        #: The refused entries of the answer, in its order (empty when every job was created).
        self.failed: tuple[RefusedJob, ...] = tuple(failed)

    def __repr__(self) -> str:
        return f"CreatedJobs({list.__repr__(self)}, failed={self.failed!r})"


def created_jobs(jobs: list[Job]) -> CreatedJobs:
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
