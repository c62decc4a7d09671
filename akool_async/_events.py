"""Status events: every subscriber gets its own bounded buffer, and publishing never waits."""

from __future__ import annotations

import collections

import anyio

from ._errors import EventsLagged, ValidationError
from ._jobmodels import JobEvent

__all__ = ["EventHub", "EventStream"]


class EventStream:
    """An async iterator of :class:`JobEvent` with its own bounded buffer.

    Publishing never waits for a subscriber: when this stream's buffer is full, its oldest
    event is dropped and counted, and the next receive raises :class:`EventsLagged` carrying
    how many were lost (``.missed``); the receive after that goes on with the oldest event
    kept (the model of tokio's broadcast channel). A slow or never-read stream therefore
    costs at most ``max_buffer`` events of memory and never holds back polling or deadlines.
    Use it as an async context manager, or iterate it; :meth:`aclose` unsubscribes.

    Attributes:
        lost: events dropped from this stream so far, in total.
    """

    __slots__ = (
        "_buffer",
        "_ended",
        "_hub",
        "_missed",
        "_only",
        "_wake",
        "lost",
        "max_buffer",
    )

    def __init__(self, hub: EventHub, max_buffer: int, only: str | None) -> None:
        self._hub = hub
        self.max_buffer = max_buffer
        self._only = only
        self._buffer: collections.deque[JobEvent] = collections.deque()
        self._ended = False
        self._wake: anyio.Event | None = None
        self._missed = 0
        self.lost = 0

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> JobEvent:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def receive(self) -> JobEvent:
        """The next event.

        Raises:
            EventsLagged: events were dropped since the last receive (receive again to go on).
            anyio.EndOfStream: the stream ended (session closed, job ended, or aclose()).
        """
        while True:
            if self._missed:
                missed, self._missed = self._missed, 0
                raise EventsLagged(missed)
            if self._buffer:
                return self._buffer.popleft()
            if self._ended:
                raise anyio.EndOfStream
            self._wake = wake = anyio.Event()
            try:
                await wake.wait()
            finally:
                self._wake = None

    def _push(self, event: JobEvent) -> None:
        """Buffer ``event`` without waiting; drop the oldest one when full."""
        if self._ended:
            return
        if len(self._buffer) >= self.max_buffer:
            self._buffer.popleft()
            self._missed += 1
            self.lost += 1
        self._buffer.append(event)
        if self._wake is not None:
            self._wake.set()

    def _end(self) -> None:
        """No more events: the ones buffered can still be read."""
        self._ended = True
        if self._wake is not None:
            self._wake.set()

    async def aclose(self) -> None:
        """Stop receiving events."""
        self._hub.unsubscribe(self)
        self._buffer.clear()
        self._missed = 0
        self._end()


class EventHub:
    """The subscribers of one scheduler's events."""

    __slots__ = ("_streams",)

    def __init__(self) -> None:
        self._streams: list[EventStream] = []

    @property
    def active(self) -> bool:
        """Whether anyone listens (events are not even built otherwise)."""
        return bool(self._streams)

    def subscribe(self, *, job_id: str | None, max_buffer: int, live: bool) -> EventStream:
        """A new stream (of one job's events if ``job_id``); ``live=False``: already ended."""
        if isinstance(max_buffer, bool) or not isinstance(max_buffer, int) or max_buffer < 1:
            raise ValidationError("max_buffer", f"must be an int >= 1, got {max_buffer!r}")
        stream = EventStream(self, max_buffer, job_id)
        if live:
            self._streams.append(stream)
        else:
            stream._end()
        return stream

    def publish(self, events: list[JobEvent], ended: list[str]) -> None:
        """Hand events to every subscriber; never waits. Streams of ``ended`` jobs end."""
        if not self._streams:
            return
        for event in events:
            for stream in self._streams:
                if stream._only is None or stream._only == event.job_id:
                    stream._push(event)
        if ended:
            done = set(ended)
            for stream in [s for s in self._streams if s._only in done]:
                self.unsubscribe(stream)

    def unsubscribe(self, stream: EventStream) -> None:
        """Stop feeding ``stream``; it ends once its buffer is read."""
        if stream in self._streams:
            self._streams.remove(stream)
        stream._end()

    def close(self) -> None:
        """End every stream."""
        for stream in self._streams:
            stream._end()
        self._streams.clear()
