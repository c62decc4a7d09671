"""TopView on the doc server: a session, the envelope and the endpoints every TopView task shares.

TopView's own reference pages are not in ``../shared/akool-docs/``; API.md (TopView section, seed
002) gives the envelope (string ``code``, ``result``), ``submit`` -> ``result.taskId``, queries by
``taskId`` with an optional ``needCloudFrontUrl``, uploads and notice URLs. Each fixture module says
which public caller each field comes from.
"""

from __future__ import annotations

from typing import Any

from akool_async import RetryPolicy
from akool_async.topview import TopViewSession

from .docserver import DocServer, Endpoint

API_KEY = "contract-topview-key"
UID = "contract-uid"

#: ``needCloudFrontUrl`` is accepted by every query (API.md); ``taskId`` names the task.
QUERY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["taskId"],
    "properties": {
        "taskId": {"type": "string", "minLength": 1},
        "needCloudFrontUrl": {"type": "string", "enum": ["true", "false"]},
    },
    "additionalProperties": False,
}

#: ``POST /notice/notice_url/check`` registers a callback URL before a submit names it (API.md).
NOTICE_CHECK = Endpoint(
    "POST",
    "/notice/notice_url/check",
    "API.md, TopView: callbacks",
    {
        "type": "object",
        "required": ["noticeUrl"],
        "properties": {"noticeUrl": {"type": "string"}},
        "additionalProperties": False,
    },
    [{"code": "200", "message": "Success", "result": True}],
)


def envelope(result: Any) -> dict[str, Any]:
    """TopView's success envelope (API.md: ``{"code": "200", "message", "result"}``)."""
    return {"code": "200", "message": "Success", "result": result}


def submitted(task_id: str) -> dict[str, Any]:
    """A submit answer: ``result.taskId`` with the submit's own status (public callers type
    ``result`` as ``{taskId, status, errorMsg}``)."""
    return envelope({"taskId": task_id, "status": "success", "errorMsg": None})


def topview_on(server: DocServer, **kwargs: Any) -> TopViewSession:
    """A (not yet entered) TopView session against the documentation server."""
    kwargs.setdefault("retry", RetryPolicy(base=0.001, cap=0.01))
    return TopViewSession(API_KEY, UID, base_url=server.base_url, **kwargs)
