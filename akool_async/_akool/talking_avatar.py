"""Talking avatar: an avatar that speaks text or an audio file (``talkingavatar/create``)."""

from __future__ import annotations

from attrs import field, frozen

from .._errors import ValidationError
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import int_range, non_empty_text, one_of, optional_http_url, optional_text
from ._common import akool_family

__all__ = ["FAMILIES_PART", "TalkingAvatar", "TalkingAvatarRequest"]


@frozen(slots=True, kw_only=True)
class TalkingAvatarRequest:
    """Body of ``talkingavatar/create``: type 1 speaks ``input_text``, type 2 plays ``url``."""

    avatar_id: str = field(validator=non_empty_text)
    type: int = field(default=1, validator=one_of(1, 2))
    input_text: str | None = field(default=None, validator=optional_text)
    voice_id: str | None = field(default=None, validator=optional_text)
    url: str | None = field(default=None, validator=optional_http_url)
    width: int | None = field(default=None, validator=int_range(64, 4096))
    height: int | None = field(default=None, validator=int_range(64, 4096))
    background_url: str | None = field(default=None, validator=optional_http_url)
    webhook_url: str | None = field(default=None, validator=optional_http_url)

    def __attrs_post_init__(self) -> None:
        if self.type == 1:
            if self.input_text is None:
                raise ValidationError("input_text", "is required when type is 1 (text)")
            if self.voice_id is None:
                raise ValidationError("voice_id", "is required when type is 1 (text)")
        elif self.url is None:
            raise ValidationError("url", "is required when type is 2 (audio)")


FAMILIES_PART = (
    akool_family(
        "talking_avatar",
        "/api/open/v3/talkingavatar/create",
        TalkingAvatarRequest,
        webhook_type="talking avatar",
        typical_duration=120.0,
    ),
)


class TalkingAvatar(Resource):
    """An avatar that speaks text (type 1) or an audio file (type 2)."""

    _family_name = "talking_avatar"

    async def create(
        self,
        *,
        avatar_id: str,
        input_text: str | None = None,
        voice_id: str | None = None,
        audio_url: str | None = None,
        width: int | None = None,
        height: int | None = None,
        background_url: str | None = None,
        webhook_url: str | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Create a talking-avatar video: give ``input_text`` + ``voice_id``, or ``audio_url``."""
        req = TalkingAvatarRequest(
            avatar_id=avatar_id,
            type=2 if audio_url is not None and input_text is None else 1,
            input_text=input_text,
            voice_id=voice_id,
            url=audio_url,
            width=width,
            height=height,
            background_url=background_url,
            webhook_url=webhook_url,
        )
        return await self._create_one("talking_avatar", req, max_wait)
