"""What one create answered, provider-neutral: the jobs it started and the parts it refused.

A provider's ``_created`` reads a create answer into a :class:`CreateAnswer`; the base session
tracks its jobs and hands the caller :meth:`CreateAnswer.collect`'s list, a :class:`CreatedJobs`
whose :attr:`~CreatedJobs.failed` holds the refused parts (text-to-video's refused videos, a
translation's failed languages). One path for every family: once the provider answered, the
jobs it started are tracked and returned, or named by the error raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from attrs import field, frozen

from ._job import Job
from ._jobmodels import JobSnapshot

__all__ = ["CreateAnswer", "CreatedJobs", "ids_in"]

#: The type of a refused part, as the provider reports it (``RefusedJob``, ``FailedLanguage``).
F = TypeVar("F")


class CreatedJobs(list[Job], Generic[F]):
    """The jobs one create started (a list), and in :attr:`failed` the parts it refused."""

    __slots__ = ("failed",)

    def __init__(self, jobs: Iterable[Job] = (), failed: Iterable[F] = ()) -> None:
        super().__init__(jobs)
        #: The refused parts of the answer, in its order (empty when every job was created).
        self.failed: tuple[F, ...] = tuple(failed)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list.__repr__(self)}, failed={self.failed!r})"


def _plain(jobs: list[Job], answer: CreateAnswer) -> CreatedJobs[Any]:
    return CreatedJobs(jobs, answer.failed)


@frozen(slots=True)
class CreateAnswer:
    """A create answer as read by its provider.

    Attributes:
        jobs: each started job's id and its first snapshot (if the answer has one), in order.
        failed: the parts the answer refused while starting the others, typed by the provider.
        refusal: raised when the answer started no job and refused every part (nothing was
            created); None otherwise.
        labels: job id -> the part it is (a translation's language), where the answer says.
        build: ``(tracked jobs, answer) -> the caller's list`` (default: a
            :class:`CreatedJobs` of the jobs and ``failed``).
    """

    jobs: Sequence[tuple[str, JobSnapshot | None]] = ()
    failed: Sequence[Any] = ()
    refusal: Exception | None = field(default=None, repr=False)
    labels: dict[str, str] = field(factory=dict)
    build: Callable[[list[Job], CreateAnswer], CreatedJobs[Any]] = field(default=_plain, repr=False)

    @property
    def job_ids(self) -> list[str]:
        """The started jobs' ids, in order."""
        return [job_id for job_id, _ in self.jobs]

    def collect(self, jobs: list[Job]) -> CreatedJobs[Any]:
        """The caller's list of the tracked ``jobs`` (the answer's own, in its order)."""
        return self.build(jobs, self)


def ids_in(envelope: Mapping[str, Any]) -> list[str]:
    """Job ids an unreadable create answer seems to name (best effort, for the error): in
    ``data`` (an object, a list, or its ``successList``) and ``all_results[].data``."""
    data = envelope.get("data") if isinstance(envelope, Mapping) else None
    items = data if isinstance(data, list) else [data]
    if isinstance(data, Mapping) and isinstance(data.get("successList"), list):
        items = data["successList"]
    results = envelope.get("all_results") if isinstance(envelope, Mapping) else None
    if isinstance(results, list):
        items = [r.get("data") if isinstance(r, Mapping) else None for r in results]
    found = []
    for item in items:
        if isinstance(item, Mapping):
            for key in ("_id", "id", "task_id", "taskId"):
                if isinstance(item.get(key), str) and item[key]:
                    found.append(item[key])
                    break
    return found
