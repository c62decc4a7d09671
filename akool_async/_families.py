"""The job families: one table says how each is created and polled.

Adding a family is one entry in :data:`FAMILIES`: its create path, its request class, its status
endpoint (single id or batch), the field that holds the status and the field that holds the
result. The session, the scheduler, the batch runner and the fake server all read this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from attrs import field, frozen

from ._models import (
    FaceSwapRequest,
    FaceSwapV3Request,
    ImageRequest,
    ImageToVideoRequest,
    LipSyncRequest,
    TalkingAvatarRequest,
    TalkingPhotoRequest,
    TextToVideoRequest,
    TtsRequest,
    VideoTranslationRequest,
)

__all__ = ["FAMILIES", "Family", "StatusEndpoint", "family"]


@frozen(slots=True)
class StatusEndpoint:
    """How to ask for the status of ids.

    Single-id endpoints take ``?{id_param}=ID``; batch endpoints take comma-separated ids in
    ``_ids`` (query string for GET, JSON body for POST) and answer ``data.result[]``.
    """

    path: str
    method: Literal["GET", "POST"] = "GET"
    id_param: str = "video_model_id"
    batch: bool = False

    @property
    def key(self) -> str:
        """Identity used to group ids that can share one batch request."""
        return f"{self.method} {self.path}"


VIDEO_STATUS = StatusEndpoint("/api/open/v3/content/video/infobymodelid")
FACESWAP_STATUS = StatusEndpoint(
    "/api/open/v3/faceswap/result/listbyids", id_param="_ids", batch=True
)
I2V_STATUS = StatusEndpoint(
    "/api/open/v4/image2Video/resultsByIds", method="POST", id_param="_ids", batch=True
)


@frozen(slots=True)
class Family:
    """One job family.

    Attributes:
        name: the family's name in the SDK, CLI manifests and job tokens.
        create_path: POST path that creates the job.
        request_type: the attrs class of the create body.
        status: how to poll it.
        status_field: field of the status object holding 1-4.
        result_field: field holding the result URL.
        webhook_key: this endpoint's spelling of the webhook URL field.
        webhook_type: the ``type`` Akool puts in this family's webhook payloads.
        renames: SDK field name -> API field name, where they differ.
        created_ids: where the create answer lists the new jobs: ``data._id``, ``all_results``
            (one job per language), or ``list`` (``data`` is a list of jobs).
        typical_duration: prior guess of a job's total duration (seconds), replaced by learning.
        result_suffix: file suffix of the result.
    """

    name: str
    create_path: str
    request_type: type[Any]
    status: StatusEndpoint
    status_field: str = "video_status"
    result_field: str = "video"
    webhook_key: str = "webhookUrl"
    webhook_type: str = ""
    renames: Mapping[str, str] = field(factory=dict)
    created_ids: Literal["single", "all_results", "list"] = "single"
    typical_duration: float = 60.0
    result_suffix: str = ".mp4"


_FS_RENAMES = {"source_image": "sourceImage", "target_image": "targetImage"}

FAMILIES: Mapping[str, Family] = {
    f.name: f
    for f in (
        Family(
            "talking_photo",
            "/api/open/v3/content/video/createbytalkingphoto",
            TalkingPhotoRequest,
            VIDEO_STATUS,
            webhook_type="talking photo",
            typical_duration=90.0,
        ),
        Family(
            "lip_sync",
            "/api/open/v3/content/video/lipsync",
            LipSyncRequest,
            VIDEO_STATUS,
            webhook_type="lipsync",
            typical_duration=90.0,
        ),
        Family(
            "video_translation",
            "/api/open/v3/content/video/createbytranslate",
            VideoTranslationRequest,
            VIDEO_STATUS,
            webhook_type="video translate",
            created_ids="all_results",
            typical_duration=180.0,
        ),
        Family(
            "talking_avatar",
            "/api/open/v3/talkingavatar/create",
            TalkingAvatarRequest,
            VIDEO_STATUS,
            webhook_type="talking avatar",
            typical_duration=120.0,
        ),
        Family(
            "faceswap_image",
            "/api/open/v3/faceswap/highquality/specifyimage",
            FaceSwapV3Request,
            FACESWAP_STATUS,
            status_field="faceswap_status",
            result_field="url",
            webhook_type="faceswap",
            renames={**_FS_RENAMES, "modify_url": "modifyImage"},
            typical_duration=20.0,
            result_suffix=".png",
        ),
        Family(
            "faceswap_video",
            "/api/open/v3/faceswap/highquality/specifyvideo",
            FaceSwapV3Request,
            FACESWAP_STATUS,
            status_field="faceswap_status",
            result_field="url",
            webhook_type="faceswap",
            renames={**_FS_RENAMES, "modify_url": "modifyVideo"},
            typical_duration=120.0,
        ),
        Family(
            "faceswap_v4",
            "/api/open/v4/faceswap/faceswapByImage",
            FaceSwapRequest,
            FACESWAP_STATUS,
            status_field="faceswap_status",
            result_field="url",
            webhook_type="faceswap",
            renames=_FS_RENAMES,
            typical_duration=20.0,
            result_suffix=".png",
        ),
        Family(
            "image",
            "/api/open/v3/content/image/createbyprompt",
            ImageRequest,
            StatusEndpoint("/api/open/v3/content/image/infobymodelid", id_param="image_model_id"),
            status_field="image_status",
            result_field="image",
            webhook_type="image",
            typical_duration=20.0,
            result_suffix=".png",
        ),
        Family(
            "image2video",
            "/api/open/v4/image2Video/createBySourcePrompt",
            ImageToVideoRequest,
            I2V_STATUS,
            status_field="status",
            result_field="video_url",
            webhook_key="webhookurl",
            webhook_type="image2video",
            typical_duration=120.0,
        ),
        Family(
            "text2video",
            "/api/open/v4/text2Video/createByPrompt/batch",
            TextToVideoRequest,
            I2V_STATUS,
            status_field="status",
            result_field="video_url",
            webhook_key="webhookurl",
            webhook_type="text2video",
            created_ids="list",
            typical_duration=120.0,
        ),
        Family(
            "tts",
            "/api/open/v3/audio/create",
            TtsRequest,
            StatusEndpoint("/api/open/v3/audio/infobymodelid", id_param="audio_model_id"),
            status_field="status",
            result_field="url",
            webhook_type="audio",
            typical_duration=15.0,
            result_suffix=".mp3",
        ),
    )
}


def family(name: str) -> Family:
    """Look up a family by name.

    Raises:
        ValidationError: for an unknown name, listing the known ones.
    """
    try:
        return FAMILIES[name]
    except KeyError:
        from ._errors import ValidationError

        raise ValidationError(
            "family", f"unknown family {name!r}; known: {', '.join(sorted(FAMILIES))}"
        ) from None
