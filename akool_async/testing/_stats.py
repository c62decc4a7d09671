"""Counters the fake server keeps so tests can assert on what a client actually did."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import attrs
from attrs import define, field

__all__ = ["FakeStats"]


def _body_key(body: dict[str, Any]) -> str:
    trimmed = {k: v for k, v in body.items() if k not in ("webhookUrl", "webhookurl")}
    return json.dumps(trimmed, sort_keys=True, default=str)


@define(slots=True)
class FakeStats:
    """What the server saw. Everything is plain counters, cheap to update per request."""

    #: Requests per ``"METHOD /path"`` (route template for files: ``"GET /files/{name}"``);
    #: the ``/_fake/`` control endpoints are not counted.
    requests: Counter[str] = field(factory=Counter)
    #: Status look-ups per job id (each id inside a batch request counts once).
    polls: Counter[str] = field(factory=Counter)
    #: Create requests that created jobs (including ones whose answer was then lost).
    creates: int = 0
    creates_by_family: Counter[str] = field(factory=Counter)
    #: Jobs created (a translation into three languages is one create, three jobs).
    jobs_created: int = 0
    token_requests: int = 0
    faults_injected: Counter[str] = field(factory=Counter)
    webhooks_sent: int = 0
    webhooks_dropped: int = 0
    webhooks_failed: int = 0
    #: Result file downloads per job id.
    downloads: Counter[str] = field(factory=Counter)
    #: Auth headers per authenticated request: "x-api-key", "bearer", "both", "none".
    auth_headers_seen: Counter[str] = field(factory=Counter)
    #: Body of every create that created jobs, in order (see ``FakeConfig.record_create_bodies``).
    create_bodies: list[dict[str, Any]] = field(factory=list)

    def duplicate_creates(self) -> int:
        """Creates whose body (ignoring the webhook URL) equals an earlier create's."""
        seen: set[str] = set()
        duplicates = 0
        for body in self.create_bodies:
            key = _body_key(body)
            if key in seen:
                duplicates += 1
            seen.add(key)
        return duplicates

    def total_requests(self) -> int:
        """Requests of every endpoint."""
        return sum(self.requests.values())

    def to_dict(self, *, detail: bool = False) -> dict[str, Any]:
        """A JSON-ready snapshot (``GET /_fake/stats``).

        Args:
            detail: also include per-job counters (``polls_by_job``, ``downloads_by_job``)
                and the create bodies, which can be large.
        """
        out: dict[str, Any] = {
            "requests": dict(self.requests),
            "total_requests": self.total_requests(),
            "polls": sum(self.polls.values()),
            "polled_jobs": len(self.polls),
            "max_polls_per_job": max(self.polls.values(), default=0),
            "creates": self.creates,
            "creates_by_family": dict(self.creates_by_family),
            "jobs_created": self.jobs_created,
            "token_requests": self.token_requests,
            "faults_injected": dict(self.faults_injected),
            "webhooks_sent": self.webhooks_sent,
            "webhooks_dropped": self.webhooks_dropped,
            "webhooks_failed": self.webhooks_failed,
            "downloads": sum(self.downloads.values()),
            "downloaded_jobs": len(self.downloads),
            "auth_headers_seen": dict(self.auth_headers_seen),
            "duplicate_creates": self.duplicate_creates(),
        }
        if detail:
            out["polls_by_job"] = dict(self.polls)
            out["downloads_by_job"] = dict(self.downloads)
            out["create_bodies"] = self.create_bodies
        return out

    def reset(self) -> None:
        """Zero every counter (jobs and tokens are untouched)."""
        fresh = FakeStats()
        for attribute in attrs.fields(FakeStats):
            setattr(self, attribute.name, getattr(fresh, attribute.name))
