"""Face swap and reage against their documentation (``openapi/faceswap.yaml``, ``reage.mdx``).

Fixtures are typed from the spec's schemas and examples: each create request's required fields,
types and enums (``additionalProperties: False``), the create answers, the ``listbyids`` answer,
the credit answer and the delete answer.
"""

from __future__ import annotations

from typing import Any

import pytest

from akool_async import FaceInfo, FaceMapping, JobStatus, SwapImage, ValidationError

from .docserver import Endpoint, completed, doc_server, session_on
from .runs import run_one

pytestmark = pytest.mark.anyio

SPEC = "openapi/faceswap.yaml"
REAGE_PAGE = "ai-tools-suite/reage.mdx"
V3 = "/api/open/v3/faceswap/highquality"
SPECIFY_IMAGE = f"{V3}/specifyimage"
SPECIFY_VIDEO = f"{V3}/specifyvideo"
IMG_REAGE = f"{V3}/imgreage"
VID_REAGE = f"{V3}/vidreage"
PRO = "/api/open/v4/faceswap/faceswapByImage"
PLUS = "/api/open/v4/faceswap/faceswapPlusByImage"
RESULTS = "/api/open/v3/faceswap/result/listbyids"
DELETE = "/api/open/v3/faceswap/result/delbyids"
QUOTA = "/api/open/v3/faceswap/quota/info"

SRC = "https://d21ksh0k4smeql.cloudfront.net/crop_1705462509874-9254-0-1705462510015-9261.png"
DST = "https://d21ksh0k4smeql.cloudfront.net/crop_1694593694387-4562-0-1694593694575-0526.png"
MODIFY = "https://d21ksh0k4smeql.cloudfront.net/bdd1c994c4cd7a58926088ae8a479168-1705462506461.jpeg"
VIDEO = "https://d21ksh0k4smeql.cloudfront.net/avatar_01-1705479314627-0092.mp4"

#: ``FaceImageWithOpts``.
FACE = {
    "type": "object",
    "required": ["path"],
    "properties": {"path": {"type": "string"}, "opts": {"type": "string"}},
    "additionalProperties": False,
}


#: ``FaceImageWithOpts``' rule: ``opts`` is required on every face once either list holds
#: more than one (v3 and Pro share the schema).
OPTS_WHEN_SEVERAL = {
    "if": {
        "anyOf": [
            {"properties": {"sourceImage": {"minItems": 2}}},
            {"properties": {"targetImage": {"minItems": 2}}},
        ]
    },
    "then": {
        "properties": {
            "sourceImage": {"items": {"required": ["path", "opts"]}},
            "targetImage": {"items": {"required": ["path", "opts"]}},
        }
    },
}


def _v3_schema(modify: str) -> dict[str, Any]:
    """``ImageFaceswapRequest`` / ``VideoFaceswapRequest``."""
    return {
        "type": "object",
        "required": ["targetImage", "sourceImage", modify],
        "properties": {
            "targetImage": {"type": "array", "items": FACE},
            "sourceImage": {"type": "array", "items": FACE},
            "face_enhance": {"type": "integer", "enum": [0, 1]},
            modify: {"type": "string"},
            "webhookUrl": {"type": "string"},
        },
        "additionalProperties": False,
        **OPTS_WHEN_SEVERAL,
    }


#: ``ImageFaceswapProRequest``.
PRO_SCHEMA = {
    "type": "object",
    "required": ["sourceImage", "targetImage"],
    "properties": {
        "sourceImage": {"type": "array", "items": FACE, "minItems": 1, "maxItems": 50},
        "targetImage": {"type": "array", "items": FACE, "minItems": 1, "maxItems": 50},
        "model_name": {"type": "string", "enum": ["akool_faceswap_image_hq"]},
        "webhookUrl": {"type": "string"},
        "face_enhance": {"type": "boolean"},
        "single_face_mode": {"type": "boolean"},
    },
    "additionalProperties": False,
    **OPTS_WHEN_SEVERAL,
}


def _face_info(required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "properties": {
            "face_url": {"type": "string"},
            "bbox": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
        },
        "additionalProperties": False,
    }


#: ``ImageFaceswapPlusRequest`` with ``FaceMappingItem``.
PLUS_SCHEMA = {
    "type": "object",
    "required": ["source_url", "target_url"],
    "properties": {
        "source_url": {"type": "string"},
        "target_url": {"type": "string"},
        "webhookUrl": {"type": "string"},
        "face_enhance": {"type": "boolean"},
        "model_style": {"type": "string", "enum": ["realistic", "beautify", "lossless"]},
        "face_mapping": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["source_face_info", "target_face_info"],
                "properties": {
                    "source_face_info": _face_info(["face_url"]),
                    "target_face_info": _face_info([]),
                },
                "additionalProperties": False,
            },
        },
        "single_face_mode": {"type": "boolean"},
    },
    "additionalProperties": False,
}


def _reage_schema(modify: str) -> dict[str, Any]:
    """The reage page's body table (targetImage, face_reage in [-30, 30], modify*, webhookUrl)."""
    return {
        "type": "object",
        "required": ["targetImage", "face_reage", modify],
        "properties": {
            "targetImage": {"type": "array", "items": FACE},
            "face_reage": {"type": "integer", "minimum": -30, "maximum": 30},
            modify: {"type": "string"},
            "webhookUrl": {"type": "string"},
        },
        "additionalProperties": False,
    }


#: The v3 create answer the spec shows (``FaceswapResult``); the reage page shows the same.
V3_ANSWER = {
    "code": 1000,
    "msg": "Please be patient! If your results are not generated in three hours, please check "
    "your input image.",
    "data": {
        "_id": "6593c94c0ef703e8c055e3c8",
        "url": "https://example.cloudfront.net/final_71688047459_.pic-1704184129269-4947.jpg",
        "job_id": "20240102082900592-5653",
    },
}
#: The v4 create answer the spec shows (``FaceswapV4Result``), Pro and Plus alike.
V4_ANSWER = {
    "code": 1000,
    "msg": "OK",
    "data": {"_id": "6593c94c0ef703e8c055e3c8", "job_id": "20240102082900592-5653"},
}
#: The ``listbyids`` answer the reage page shows (``FaceswapResultList``), still queued.
RESULTS_ANSWER = {
    "code": 1000,
    "msg": "OK",
    "data": {
        "result": [
            {
                "faceswap_type": 1,
                "faceswap_quality": 2,
                "faceswap_status": 1,
                "deduction_status": 1,
                "image": 1,
                "video_duration": 0,
                "deduction_duration": 0,
                "update_time": 0,
                "_id": "6593c94c0ef703e8c055e3c8",
                "userId": "64d985c5571729d3e2999477",
                "uid": 378337,
                "url": "",
                "createdAt": "2023-08-15T02:43:38.536Z",
            }
        ]
    },
}
RESULT_URL = "https://d21ksh0k4smeql.cloudfront.net/final_material__d71fad6e-0356.jpg"


def _results_done() -> dict[str, Any]:
    out = completed(RESULTS_ANSWER)
    out["data"]["result"] = [{**out["data"]["result"][0], "faceswap_status": 3, "url": RESULT_URL}]
    return out


RESULTS_SCHEMA = {
    "type": "object",
    "required": ["_ids"],
    "properties": {"_ids": {"type": "string"}},
}


def _endpoints(create: str, schema: dict[str, Any], answer: dict[str, Any]) -> list[Endpoint]:
    page = REAGE_PAGE if "reage" in create else SPEC
    return [
        Endpoint("POST", create, page, schema, [answer]),
        Endpoint("GET", RESULTS, SPEC, RESULTS_SCHEMA, [RESULTS_ANSWER, _results_done()]),
    ]


async def _run(endpoints: list[Endpoint], create: Any) -> tuple[Any, Any, Any]:
    return await run_one(endpoints, create)


def _check(server: Any, job: Any, result: Any, path: str) -> dict[str, Any]:
    assert server.violations == []
    assert job.id == "6593c94c0ef703e8c055e3c8"
    assert result.url == RESULT_URL and job.status is JobStatus.COMPLETED
    assert server.requests_to(RESULTS)[0].query["_ids"] == job.id
    body: dict[str, Any] = server.requests_to(path)[0].body
    return body


async def test_v3_image_request_and_answers_follow_the_spec() -> None:
    """specifyimage: the body fits the spec (face_enhance an integer) and the answers parse."""
    server, job, result = await _run(
        _endpoints(SPECIFY_IMAGE, _v3_schema("modifyImage"), V3_ANSWER),
        lambda s: s.faceswap.image(
            source_image=[SwapImage(path=SRC, opts="239,364:386,366:317,472:266,539")],
            target_image=[SwapImage(path=DST, opts="262,175:363,175:313,215:272,279")],
            modify_image=MODIFY,
            face_enhance=True,
        ),
    )
    body = _check(server, job, result, SPECIFY_IMAGE)
    assert body["face_enhance"] == 1 and body["modifyImage"] == MODIFY


async def test_v3_video_request_and_answers_follow_the_spec() -> None:
    """specifyvideo: the body fits the spec and the answers parse."""
    server, job, result = await _run(
        _endpoints(SPECIFY_VIDEO, _v3_schema("modifyVideo"), V3_ANSWER),
        lambda s: s.faceswap.video(
            source_image=[SRC], target_image=[DST], modify_video=VIDEO, face_enhance=0
        ),
    )
    assert _check(server, job, result, SPECIFY_VIDEO)["face_enhance"] == 0


async def test_v3_several_faces_carry_opts_and_follow_the_spec() -> None:
    """specifyimage with two pairs: every face carries opts, as FaceImageWithOpts requires."""
    faces = [SwapImage(path=SRC, opts="1,2:3,4"), SwapImage(path=DST, opts="5,6:7,8")]
    server, job, result = await _run(
        _endpoints(SPECIFY_IMAGE, _v3_schema("modifyImage"), V3_ANSWER),
        lambda s: s.faceswap.image(
            source_image=faces, target_image=faces[::-1], modify_image=MODIFY
        ),
    )
    body = _check(server, job, result, SPECIFY_IMAGE)
    assert [f["opts"] for f in body["targetImage"]] == ["5,6:7,8", "1,2:3,4"]


@pytest.mark.parametrize("method", ["image", "video", "v4"])
async def test_several_faces_without_opts_are_refused_before_sending(method: str) -> None:
    """v3 and Pro refuse a face without opts once a list holds two, naming that face."""
    media = {"image": {"modify_image": MODIFY}, "video": {"modify_video": VIDEO}, "v4": {}}
    faces = [SwapImage(path=SRC, opts="1,2:3,4"), SwapImage(path=DST)]
    async with doc_server([]) as server, session_on(server) as session:
        with pytest.raises(ValidationError) as info:
            await getattr(session.faceswap, method)(
                source_image=faces, target_image=faces, **media[method]
            )
    assert info.value.field == "source_image[1].opts"
    assert server.received == []


async def test_pro_multi_face_request_and_answers_follow_the_spec() -> None:
    """faceswapByImage with two pairs: every face carries opts; the v4 answer parses."""
    faces = [SwapImage(path=SRC, opts="1,2:3,4"), SwapImage(path=DST, opts="5,6:7,8")]
    server, job, result = await _run(
        _endpoints(PRO, PRO_SCHEMA, V4_ANSWER),
        lambda s: s.faceswap.v4(
            source_image=faces,
            target_image=faces[::-1],
            model_name="akool_faceswap_image_hq",
            face_enhance=False,
            single_face_mode=False,
        ),
    )
    body = _check(server, job, result, PRO)
    assert len(body["sourceImage"]) == 2 and body["face_enhance"] is False


async def test_plus_request_and_answers_follow_the_spec() -> None:
    """faceswapPlusByImage with a face mapping (one face by bbox) fits the spec and parses."""
    mapping = [
        FaceMapping(
            source_face_info=FaceInfo(face_url=SRC),
            target_face_info=FaceInfo(face_url=DST, bbox=(150, 60, 350, 340)),
        ),
        {"source_face_info": {"face_url": SRC}, "target_face_info": {"face_url": DST}},
    ]
    server, job, result = await _run(
        _endpoints(PLUS, PLUS_SCHEMA, V4_ANSWER),
        lambda s: s.faceswap.plus(
            source_url=SRC,
            target_url=VIDEO,
            face_mapping=mapping,
            model_style="realistic",
            face_enhance=False,
        ),
    )
    body = _check(server, job, result, PLUS)
    assert body["face_mapping"][0]["target_face_info"]["bbox"] == [150, 60, 350, 340]


async def test_plus_single_face_mode_needs_no_mapping() -> None:
    """The spec's single-face example (no face_mapping) is what single_face_mode sends."""
    server, job, result = await _run(
        _endpoints(PLUS, PLUS_SCHEMA, V4_ANSWER),
        lambda s: s.faceswap.plus(source_url=SRC, target_url=VIDEO, single_face_mode=True),
    )
    body = _check(server, job, result, PLUS)
    assert body == {"source_url": SRC, "target_url": VIDEO, "single_face_mode": True}


@pytest.mark.parametrize(
    ("path", "modify", "method"),
    [(IMG_REAGE, "modifyImage", "image"), (VID_REAGE, "modifyVideo", "video")],
)
async def test_reage_request_and_answers_follow_the_page(
    path: str, modify: str, method: str
) -> None:
    """imgreage/vidreage: the body fits the page's table and the page's answers parse."""
    media = MODIFY if method == "image" else VIDEO

    async def create(session: Any) -> Any:
        reage = getattr(session.reage, method)
        faces = [SwapImage(path=DST, opts="2804,2182:3607,1897:3341,2566:3519,2920")]
        return await reage(target_image=faces, face_reage=10, **{f"modify_{method}": media})

    server, job, result = await _run(_endpoints(path, _reage_schema(modify), V3_ANSWER), create)
    body = _check(server, job, result, path)
    assert body["face_reage"] == 10 and body[modify] == media


async def test_credit_and_delete_follow_the_spec() -> None:
    """quota/info's answer gives the credit; delbyids gets the ids comma-separated."""
    endpoints = [
        Endpoint("GET", QUOTA, SPEC, None, [{"code": 1000, "msg": "OK", "data": {"credit": 7.5}}]),
        Endpoint(
            "POST",
            DELETE,
            SPEC,
            {
                "type": "object",
                "required": ["_ids"],
                "properties": {"_ids": {"type": "string"}},
                "additionalProperties": False,
            },
            [{"code": 1000, "msg": "OK"}],
        ),
    ]
    async with doc_server(endpoints) as server, session_on(server) as session:
        credit = await session.credit()
        await session.faceswap.delete(["64ef2f27b33f466877701c6a", "64ef2f27b33f466877701c6b"])
    assert server.violations == []
    assert credit.credit == 7.5
    assert server.requests_to(DELETE)[0].body == {
        "_ids": "64ef2f27b33f466877701c6a,64ef2f27b33f466877701c6b"
    }
