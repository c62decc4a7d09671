"""Akool's API, one module per area: each holds the area's request models, family entries and
resource methods (``session.talking_photo.create(...)``).

Adding a family touches its area's module (request class, ``FAMILIES_PART`` entry, resource
method) and the fake server's mirror in ``akool_async/testing/_akool/``.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._errors import ValidationError
from .._family import Family, family_table
from . import (
    avatar_upload,
    character_swap,
    face_swap,
    head_swap,
    image,
    lip_sync,
    moderation,
    reage,
    talking_avatar,
    talking_photo,
    video,
    video_translation,
    voice,
    voice_lab,
)

__all__ = ["FAMILIES", "family"]

#: Every Akool family by name, in the areas' order.
FAMILIES: Mapping[str, Family] = family_table(
    talking_photo.FAMILIES_PART,
    lip_sync.FAMILIES_PART,
    video_translation.FAMILIES_PART,
    talking_avatar.FAMILIES_PART,
    avatar_upload.FAMILIES_PART,
    face_swap.FAMILIES_PART,
    reage.FAMILIES_PART,
    character_swap.FAMILIES_PART,
    head_swap.FAMILIES_PART,
    image.FAMILIES_PART,
    video.FAMILIES_PART,
    voice.FAMILIES_PART,
    voice_lab.FAMILIES_PART,
    moderation.FAMILIES_PART,
)


def family(name: str) -> Family:
    """Look up a family by name.

    Raises:
        ValidationError: for an unknown name, listing the known ones.
    """
    try:
        return FAMILIES[name]
    except KeyError:
        raise ValidationError(
            "family", f"unknown family {name!r}; known: {', '.join(sorted(FAMILIES))}"
        ) from None
