"""Every TopView family's submit and query path, each with the evidence it comes from.

A path no source shows is an invented one: this table is the one place a family's endpoints are
checked against where they were seen. ``"result|query"`` marks the v1 families whose sources
disagree (their endpoint pages say ``.../result``, the overview ``.../query``); the SDK tries the
other spelling once on a 404.
"""

from __future__ import annotations

import pytest

from akool_async.topview import TOPVIEW_FAMILIES
from akool_async.topview._families import alternate_query_path

#: family -> (submit path, query path, evidence).
EVIDENCE: dict[str, tuple[str, str, str]] = {
    "topview_text2video": (
        "/v1/common_task/text2video/task/submit",
        "/v1/common_task/text2video/task/query",
        "topviewai/skill scripts/video_gen.py ENDPOINTS['t2v']; independent callers agree",
    ),
    "topview_text2image": (
        "/v1/common_task/text2image/task/submit",
        "/v1/common_task/text2image/task/query",
        "TopView's ai_image.py ENDPOINTS['text2image']; independent callers agree",
    ),
    "topview_image2video_v2": (
        "/v2/common_task/image2video/task/submit",
        "/v2/common_task/image2video/task/query",
        "topviewai/skill scripts/video_gen.py ENDPOINTS['i2v']; independent callers agree",
    ),
    "topview_image2video": (
        "/v1/common_task/image2video/submit",
        "/v1/common_task/image2video/result|query",
        "API.md (TopView, fixed row); one public caller's v1 fallback uses submit + result",
    ),
    "topview_video_avatar": (
        "/v1/video_avatar/task/submit",
        "/v1/video_avatar/task/query",
        "public callers (PHP SDK citing TopView's apifox pages, Python, Go, TypeScript)",
    ),
    "topview_product_replace": (
        "/v1/product_avatar/task/image_replace/submit",
        "/v1/product_avatar/task/image_replace/result|query",
        "seed 002 (Replace Product Image); a PHP caller's submit",
    ),
    "topview_product_image2video": (
        "/v1/product_avatar/task/image2Video/submit",
        "/v1/product_avatar/task/image2Video/result|query",
        "seed 002 (Product Avatar - image2Video)",
    ),
    "topview_product_image2video_v2": (
        "/v2/product_avatar/task/image2Video/submit",
        "/v2/product_avatar/task/image2Video/query",
        "API.md (TopView, v2); six public route handlers",
    ),
}


def test_every_family_has_its_evidence() -> None:
    """The evidence table names exactly the TopView families the SDK has."""
    assert set(EVIDENCE) == set(TOPVIEW_FAMILIES)


@pytest.mark.parametrize("name", sorted(EVIDENCE))
def test_paths_are_where_the_evidence_puts_them(name: str) -> None:
    """A family submits and queries at the paths its sources show (either spelling where the
    sources disagree, reachable through the SDK's one fallback)."""
    submit, query, _source = EVIDENCE[name]
    family = TOPVIEW_FAMILIES[name]
    assert family.create_path == submit
    head, _, spellings = query.rpartition("/")
    allowed = {f"{head}/{s}" for s in spellings.split("|")}
    assert family.status.path in allowed
    if len(allowed) > 1:
        assert alternate_query_path(family.status.path) in allowed
