"""Image generation against its documentation (``ai-tools-suite/image-generate.mdx``).

Fixtures are typed from the page's body tables and examples: createbyprompt, createbybutton
(U1-U4 upscale, V1-V4 variation) and the ``infobymodelid`` answer.
"""

from __future__ import annotations

from typing import Any

import pytest

from akool_async import JobStatus, ScaledClock

from .docserver import Endpoint, completed, doc_server, session_on

pytestmark = pytest.mark.anyio

PAGE = "ai-tools-suite/image-generate.mdx"
PROMPT = "/api/open/v3/content/image/createbyprompt"
BUTTON = "/api/open/v3/content/image/createbybutton"
INFO = "/api/open/v3/content/image/infobymodelid"
BUTTONS = ["U1", "U2", "U3", "U4", "V1", "V2", "V3", "V4"]

PROMPT_SCHEMA = {
    "type": "object",
    "required": ["prompt"],
    "properties": {
        "prompt": {"type": "string"},
        "scale": {"type": "string", "enum": ["1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3"]},
        "source_image": {"type": "string"},
        "webhookUrl": {"type": "string"},
    },
    "additionalProperties": False,
}
BUTTON_SCHEMA = {
    "type": "object",
    "required": ["_id", "button"],
    "properties": {
        "_id": {"type": "string"},
        "button": {"type": "string", "enum": BUTTONS},
        "webhookUrl": {"type": "string"},
    },
    "additionalProperties": False,
}
INFO_SCHEMA = {
    "type": "object",
    "required": ["image_model_id"],
    "properties": {"image_model_id": {"type": "string"}},
}

#: The createbyprompt answer the page shows.
PROMPT_ANSWER = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "faceswap_quality": 2,
        "deduction_credit": 2,
        "buttons": [],
        "used_buttons": [],
        "upscaled_urls": [],
        "_id": "64dd82eef0b6684651e90131",
        "uid": 378337,
        "create_time": 1692238574633,
        "origin_prompt": "***",
        "source_image": "https://example.cloudfront.net/1702436829534-5034.png",
        "prompt": "a revolutionary leader",
        "type": 4,
        "from": 1,
        "image_status": 1,
    },
}
#: The createbybutton answer the page shows.
BUTTON_ANSWER = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "faceswap_quality": 2,
        "deduction_credit": 2,
        "buttons": [],
        "used_buttons": [],
        "upscaled_urls": [],
        "_id": "6508292f16e5ba407d47d21b",
        "image_content_model_id": "6508288416e5ba407d47d13f",
        "create_time": 1695033647012,
        "op_button": "U2",
        "op_buttonMessageId": "kwZsk6elltno5Nt37VLj",
        "image_status": 1,
        "from": 1,
    },
}
#: The infobymodelid answer the page shows (completed), and the same still processing.
INFO_DONE = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "faceswap_quality": 2,
        "deduction_credit": 2,
        "buttons": BUTTONS,
        "used_buttons": [],
        "upscaled_urls": [],
        "_id": "662a10df4197b3af58532e89",
        "create_time": 1714032863272,
        "uid": 378337,
        "type": 3,
        "image_status": 3,
        "image": "https://example.cloudfront.net/1714032892336-8013.png",
    },
}
INFO_RUNNING = completed(INFO_DONE, image_status=2, image="", buttons=[])


async def _run(endpoint: Endpoint, create: Any) -> tuple[Any, Any, Any]:
    endpoints = [endpoint, Endpoint("GET", INFO, PAGE, INFO_SCHEMA, [INFO_RUNNING, INFO_DONE])]
    async with (
        doc_server(endpoints) as server,
        session_on(server, clock=ScaledClock(speed=1000.0)) as session,
    ):
        job = await create(session)
        result = await job
    assert server.violations == []
    assert result.url == INFO_DONE["data"]["image"]
    assert job.status is JobStatus.COMPLETED
    assert server.requests_to(INFO)[0].query["image_model_id"] == job.id
    return server, job, result


async def test_createbyprompt_request_and_answers_follow_the_page() -> None:
    """createbyprompt's body fits the page and its answers yield the job and the image."""
    _, job, _ = await _run(
        Endpoint("POST", PROMPT, PAGE, PROMPT_SCHEMA, [PROMPT_ANSWER]),
        lambda s: s.image.create(
            prompt="Sun Wukong", scale="1:1", source_image="https://cdn.example.com/a.png"
        ),
    )
    assert job.id == PROMPT_ANSWER["data"]["_id"]


async def test_createbybutton_request_and_answers_follow_the_page() -> None:
    """upscale() sends {_id, button: U2}; the new image's _id is the job tracked."""
    server, job, result = await _run(
        Endpoint("POST", BUTTON, PAGE, BUTTON_SCHEMA, [BUTTON_ANSWER]),
        lambda s: s.image.upscale(image_id="65d3206b83ccf5ab7d46cdc6", index=2),
    )
    assert job.id == BUTTON_ANSWER["data"]["_id"]
    assert server.requests_to(BUTTON)[0].body == {"_id": "65d3206b83ccf5ab7d46cdc6", "button": "U2"}
    assert result.snapshot.raw["buttons"] == BUTTONS


async def test_variation_presses_a_v_button() -> None:
    """variation(index=4) presses V4."""
    server, _, _ = await _run(
        Endpoint("POST", BUTTON, PAGE, BUTTON_SCHEMA, [BUTTON_ANSWER]),
        lambda s: s.image.variation(image_id="65d3206b83ccf5ab7d46cdc6", index=4),
    )
    assert server.requests_to(BUTTON)[0].body["button"] == "V4"
