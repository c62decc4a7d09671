"""A blocking facade over the async session, for scripts and notebooks.

:class:`BlockingSession` runs one async :class:`~akool_async.Session` (its scheduler included)
in a background event loop through anyio's blocking portal. Every attribute and method has the
async session's name; coroutine methods block until done and raise the same exceptions; jobs
come back as :class:`BlockingJob` (``job.wait()``, ``job.download(...)``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Self

from anyio.from_thread import BlockingPortal, start_blocking_portal

from ._base import BaseSession
from ._download import DownloadResult
from ._errors import SessionClosed
from ._job import Job
from ._jobmodels import JobResult
from ._resource import Resource
from ._session import Session

__all__ = ["BlockingJob", "BlockingSession"]


class BlockingJob:
    """A :class:`~akool_async.Job` whose waiting methods block. Other attributes (``id``,
    ``status``, ``snapshot``, ``token()`` ...) are the job's own."""

    __slots__ = ("_job", "_portal")

    def __init__(self, job: Job, portal: BlockingPortal) -> None:
        self._job = job
        self._portal = portal

    @property
    def job(self) -> Job:
        """The async job underneath."""
        return self._job

    def wait(self) -> JobResult:
        """Block until the job ends; its result, or the exception that ended it."""
        return self._portal.call(self._job.wait)

    def download(self, dest: Any, **options: Any) -> DownloadResult:
        """Wait, then save the result (see :meth:`akool_async.JobResult.download`)."""
        return self._portal.call(functools.partial(self._job.download, dest, **options))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._job, name)

    def __repr__(self) -> str:
        return f"Blocking{self._job!r}"


def _unwrap(value: Any) -> Any:
    if isinstance(value, BlockingJob):
        return value.job
    if isinstance(value, list | tuple):
        return type(value)(_unwrap(v) for v in value)
    return value


class _Proxy:
    """Blocking access to an async object's attributes (a session or one of its resources)."""

    __slots__ = ("_portal", "_target")

    def __init__(self, target: Any, portal: BlockingPortal) -> None:
        self._target = target
        self._portal = portal

    def _wrap(self, value: Any) -> Any:
        if isinstance(value, Job):
            return BlockingJob(value, self._portal)
        if isinstance(value, list) and value and all(isinstance(v, Job) for v in value):
            return [BlockingJob(v, self._portal) for v in value]
        if isinstance(value, Resource | BaseSession):  # an area, or a with_options view
            return _Proxy(value, self._portal)
        return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in _Proxy.__slots__:
            raise AttributeError(name)  # not open yet, or a protocol look-up
        value = getattr(self._target, name)
        if inspect.iscoroutinefunction(value):
            return self._blocking(value)
        if callable(value) and not isinstance(value, type) and inspect.ismethod(value):
            return self._plain(value)
        return self._wrap(value)

    def _blocking(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            bound = functools.partial(fn, *map(_unwrap, args), **kwargs)
            return self._wrap(self._portal.call(bound))

        return call

    def _plain(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def call(*args: Any, **kwargs: Any) -> Any:
            bound = functools.partial(fn, *map(_unwrap, args), **kwargs)
            return self._wrap(self._portal.call(_sync, bound))

        return call


async def _sync(fn: Callable[[], Any]) -> Any:
    return fn()  # in the event loop's thread, like every call into the session


class BlockingSession(_Proxy):
    """The async session's API, blocking, for code without an event loop::

        with akool_async.BlockingSession(api_key="...") as session:
            job = session.talking_photo.create(talking_photo_url=..., audio_url=...)
            print(job.wait().url)

    Takes the same arguments as :class:`akool_async.Session` (credentials from the environment
    by default). Use it from one thread at a time; do not call it from inside an event loop.
    """

    __slots__ = ("_exit", "_kwargs", "_portal_cm", "_session_type")

    def __init__(self, *, session_type: type[Any] = Session, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._session_type = session_type
        self._portal_cm: AbstractContextManager[BlockingPortal] | None = None
        self._exit: AbstractContextManager[Any] | None = None

    def __enter__(self) -> Self:
        if self._portal_cm is not None:
            raise SessionClosed("a session can be entered once; create a new one")
        self._portal_cm = start_blocking_portal()
        portal = self._portal_cm.__enter__()
        try:
            session = portal.call(_make, self._session_type, self._kwargs)
            self._exit = portal.wrap_async_context_manager(session)
            self._exit.__enter__()
        except BaseException:
            self._portal_cm.__exit__(None, None, None)
            raise
        _Proxy.__init__(self, session, portal)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        try:
            if self._exit is not None:
                self._exit.__exit__(*exc_info)
        finally:
            assert self._portal_cm is not None
            self._portal_cm.__exit__(None, None, None)

    def close(self) -> None:
        """Close the session and stop its event loop (what leaving the ``with`` does)."""
        self.__exit__(None, None, None)


async def _make(cls: type[Any], kwargs: dict[str, Any]) -> Any:
    return cls(**kwargs)  # built in the loop's thread: its events and locks belong there
