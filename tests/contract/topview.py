"""TopView on the doc server: a session, the envelope and the endpoints every TopView task shares.

TopView's own reference pages are not in ``../shared/akool-docs/``; API.md (TopView section, seed
002) gives the envelope (string ``code``, ``result``), ``submit`` -> ``result.taskId``, queries by
``taskId`` with an optional ``needCloudFrontUrl``, uploads and notice URLs. TopView's own published
client (``topviewai/skill``) comes first where it covers an endpoint, other public callers second;
each fixture module says which source each path and field comes from, and
``test_topview_paths.py`` holds every family's paths with their evidence.
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

#: The option fields TopView's client sends alike to its v2 video tasks (image to video v2, text to
#: video): ``scripts/video_gen.py`` ``build_i2v_body`` / ``build_t2v_body``. Aspect ratios differ
#: per task and are added by each module.
VIDEO_OPTIONS: dict[str, Any] = {
    "resolution": {"enum": [480, 540, 720, 768, 1080, 2160]},
    "duration": {"type": "integer", "minimum": 1},
    "sound": {"enum": ["on", "off"]},
    "generatingCount": {"type": "integer", "minimum": 1, "maximum": 4},
    "boardId": {"type": "string"},
    "noticeUrl": {"type": "string"},
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
