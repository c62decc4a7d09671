"""Akool as a :class:`~akool_async._provider.Provider` record: what the batch wing and the CLI
know of it (its families, request validation, manifest spellings, session from the environment).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Unpack

from . import _constants as C
from ._akool import FAMILIES
from ._akool._common import VIDEO_STATUS
from ._base import SessionOptions
from ._converter import build_request
from ._provider import Provider
from ._session import Session

__all__ = ["AKOOL_PROVIDER", "FAMILY_ALIASES", "FIELD_ALIASES"]

#: Other names accepted for a family (after lower-casing, ``-``/space -> ``_``).
FAMILY_ALIASES: Final[Mapping[str, str]] = {
    "talkingphoto": "talking_photo",
    "lipsync": "lip_sync",
    "translation": "video_translation",
    "translate": "video_translation",
    "video_translate": "video_translation",
    "avatar": "talking_avatar",
    "talkingavatar": "talking_avatar",
    "image_to_video": "image2video",
    "text_to_video": "text2video",
    "text_to_speech": "tts",
    "image_to_video_batch": "image2video_batch",
    "image2video_update_audio": "image2video_audio",
    "voice_clone_v4": "voice_clone",
    "voicelab_tts": "voice_tts",
    "voice_changer": "voice_change",
    "faceswapplus": "faceswap_plus",
    "face_swap_plus": "faceswap_plus",
    "image_upscale": "image_button",
    "image_variation": "image_button",
    "jarvis": "moderation",
}

_FACESWAP_ALIASES: Final[Mapping[str, str]] = {
    "sourceimage": "source_image",
    "targetimage": "target_image",
    "modifyimage": "modify_url",
    "modifyvideo": "modify_url",
    "faceenhance": "face_enhance",
    "modelname": "model_name",
    "singlefacemode": "single_face_mode",
}

#: Per family: alias -> field (after lower-casing, ``-``/space -> ``_``).
FIELD_ALIASES: Final[Mapping[str, Mapping[str, str]]] = {
    "talking_photo": {
        "photo": "talking_photo_url",
        "photo_url": "talking_photo_url",
        "image": "talking_photo_url",
        "image_url": "talking_photo_url",
        "audio": "audio_url",
    },
    "lip_sync": {"video": "video_url", "audio": "audio_url"},
    "video_translation": {
        "video": "url",
        "video_url": "url",
        "languages": "language",
        "lang": "language",
        "target_language": "language",
    },
    "talking_avatar": {"avatar": "avatar_id", "text": "input_text", "voice": "voice_id"},
    "faceswap_image": _FACESWAP_ALIASES,
    "faceswap_video": _FACESWAP_ALIASES,
    "faceswap_v4": _FACESWAP_ALIASES,
    "faceswap_plus": {
        "source": "source_url",
        "target": "target_url",
        "facemapping": "face_mapping",
        "modelstyle": "model_style",
        "faceenhance": "face_enhance",
        "singlefacemode": "single_face_mode",
    },
    "reage_image": _FACESWAP_ALIASES,
    "reage_video": _FACESWAP_ALIASES,
    "image": {},
    "image_button": {"_id": "image_id"},
    "image2video": {"image": "image_url"},
    "image2video_audio": {"audio": "audio_url", "video_id": "pre_video_id"},
    "image2video_batch": {"image": "image_url", "model": "model_name"},
    "text2video": {"model": "model_name"},
    "tts": {"text": "input_text", "voice": "voice_id"},
    "voice_clone_v3": {"text": "input_text", "voice": "voice_url"},
    "voice_tts": {"text": "input_text", "voice": "voice_id"},
    "voice_clone": {"audio": "source_voice_file", "source": "source_voice_file"},
    "voice_change": {
        "audio": "source_voice_file",
        "source": "source_voice_file",
        "voice": "voice_id",
    },
    "moderation": {"type": "content_type", "url": "content", "text": "content"},
}


def _session_from_env(base_url: str | None = None, **options: Unpack[SessionOptions]) -> Session:
    """A session with AKOOL_API_KEY (or AKOOL_CLIENT_ID + AKOOL_CLIENT_SECRET) credentials."""
    return Session(base_url=base_url, **options)


def _field_aliases(family: str) -> Mapping[str, str]:
    return FIELD_ALIASES.get(family, {})


#: Akool, the SDK's first provider.
AKOOL_PROVIDER: Final = Provider(
    name=Session.provider,
    families=FAMILIES,
    build_request=build_request,
    session_from_env=_session_from_env,
    field_aliases=_field_aliases,
    family_aliases=FAMILY_ALIASES,
    status_endpoint=VIDEO_STATUS,
    base_url_env="AKOOL_BASE_URL",
    default_base_url=C.DEFAULT_BASE_URL,
)
