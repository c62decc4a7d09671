"""Other spellings Akool rows and requests accept: one table for ``session.create``, manifests
and the CLI alike (names are compared lower-cased, with ``-`` and spaces as ``_``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .._errors import ValidationError

__all__ = ["FAMILY_ALIASES", "FIELD_ALIASES", "canonical_fields", "norm_name"]


def norm_name(name: str) -> str:
    """A field or family name as compared: lower-cased, ``-`` and spaces as ``_``."""
    return name.strip().lower().replace("-", "_").replace(" ", "_")


#: Other names accepted for a family (after lower-casing, ``-``/space -> ``_``).
FAMILY_ALIASES: Final[Mapping[str, str]] = {
    "talkingphoto": "talking_photo",
    "lipsync": "lip_sync",
    "translation": "video_translation",
    "translate": "video_translation",
    "video_translate": "video_translation",
    "avatar": "talking_avatar",
    "talkingavatar": "talking_avatar",
    "upload_avatar": "avatar_upload",
    "avatar_create": "avatar_upload",
    "characterswap": "character_swap",
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
    "headswap": "head_swap",
    "headswap_analysis": "head_swap_analysis",
    "head_swap_analyze": "head_swap_analysis",
}

_FACESWAP_ALIASES: Final[Mapping[str, str]] = {
    "sourceimage": "source_image",
    "targetimage": "target_image",
    "modifyimage": "modify_url",
    "modifyvideo": "modify_url",
    # The Python API's names (``session.faceswap.image(modify_image=...)``).
    "modify_image": "modify_url",
    "modify_video": "modify_url",
    "source_images": "source_image",
    "target_images": "target_image",
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
    "avatar_upload": {"type": "avatar_type", "video": "url", "video_url": "url"},
    "character_swap": {"image_url": "image", "video_url": "video", "model": "model_name"},
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
    "head_swap_analysis": {"video": "video_url"},
    "head_swap": {"video": "video_url", "mapping": "mappings"},
}


def canonical_fields(family: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` with every alias of ``family``'s fields replaced by its field name.

    Raises:
        ValidationError: a field given twice (by its name and an alias, or two aliases).
    """
    aliases = {"webhookurl": "webhook_url", **FIELD_ALIASES.get(family, {})}
    out: dict[str, Any] = {}
    given_as: dict[str, str] = {}
    for key, value in fields.items():
        name = aliases.get(norm_name(key), key) if isinstance(key, str) else key
        if name in out:
            raise ValidationError(name, f"given twice (as {given_as[name]!r} and {key!r})")
        out[name] = value
        given_as[name] = str(key)
    return out
