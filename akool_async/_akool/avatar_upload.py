"""Avatar upload: a custom avatar made from a video (or image) URL (``v3/avatar/create``),
polled at ``v3/avatar/detail?id=`` until it is ready (status 3) or failed (4)
(``talking-avatar.mdx``, ``avatar.mdx``, ``live-avatar/upload.mdx``).

Both answers put the avatar record in a one-element list under ``data``. A ready avatar is no
file to fetch: its ``avatar_id`` goes into talking avatar's avatar element, and its ``url``
(the job's result) is the avatar's preview link. :meth:`AvatarUpload.upload` waits and gives
the record as an :class:`~akool_async.Avatar`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final, TypedDict, Unpack

from attrs import Attribute, field, frozen

from .._errors import ValidationError
from .._family import StatusEndpoint
from .._job import Job
from .._resource import MaxWait, Resource
from .._sentinel import NOT_GIVEN
from .._validators import fail, http_url, one_of, optional_text
from ._common import akool_family
from .lists import Avatar, _avatar

__all__ = [
    "AVATAR_DETAIL",
    "FAMILIES_PART",
    "AvatarUpload",
    "AvatarUploadRequest",
    "UploadOptions",
]

#: ``type``: its name -> Akool's number (1 a talking avatar, 2 a streaming avatar).
AVATAR_TYPES: Final[Mapping[str, int]] = {"talking": 1, "streaming": 2}
_AVATAR_ID: Final = re.compile(r"[A-Za-z0-9]+")

AVATAR_DETAIL: Final = StatusEndpoint("/api/open/v3/avatar/detail", id_param="id", data_list=True)


def _avatar_type(value: Any) -> Any:
    if value is None:
        return 1
    return AVATAR_TYPES.get(value, value) if isinstance(value, str) else value


def _avatar_id(_inst: object, attribute: Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        fail(attribute, f"must be a string, got {type(value).__name__}")
    assert isinstance(value, str)
    if not _AVATAR_ID.fullmatch(value):
        fail(attribute, "must be one or more letters and digits (A-Z, a-z, 0-9)")


@frozen(slots=True, kw_only=True)
class AvatarUploadRequest:
    """Body of ``avatar/create``: ``url`` of the video (about a minute, the face turning a
    little) or image; ``avatar_id`` your id for it (letters and digits); ``name`` shown in
    lists; ``avatar_type`` (sent as ``type``) 1 talking avatar (default) or 2 streaming
    avatar (it also needs ``name`` and ``url_from``), or the name; ``url_from`` 1 Akool or
    other direct links, 2 YouTube / TikTok / X / Google Drive."""

    url: str = field(validator=http_url)
    avatar_id: str = field(validator=_avatar_id)
    name: str | None = field(default=None, validator=optional_text)
    avatar_type: int = field(default=1, converter=_avatar_type, validator=one_of(1, 2))
    url_from: int | None = field(default=None, validator=one_of(1, 2))

    def __attrs_post_init__(self) -> None:
        if self.avatar_type == 2:  # the streaming avatar spec requires both
            if self.name is None:
                raise ValidationError("name", "is required for a streaming avatar (type 2)")
            if self.url_from is None:
                raise ValidationError("url_from", "is required for a streaming avatar (type 2)")


FAMILIES_PART = (
    akool_family(
        "avatar_upload",
        "/api/open/v3/avatar/create",
        AvatarUploadRequest,
        AVATAR_DETAIL,
        status_field="status",
        result_field="url",
        webhook_key="",  # the pages document no webhook for this endpoint
        webhook_type="avatar upload",
        renames={"avatar_type": "type"},
        typical_duration=300.0,
        result_is_file=False,
    ),
)


class UploadOptions(TypedDict, total=False):
    """The optional arguments of :meth:`AvatarUpload.create`, shared by ``upload``."""

    name: str | None
    avatar_type: int | str
    url_from: int | None
    max_wait: MaxWait


def uploaded_avatar(raw: Mapping[str, Any], avatar_id: str) -> Avatar:
    """The avatar a finished upload's detail describes (``avatar_id`` where it omits it)."""
    found = _avatar({**raw, "avatar_id": raw.get("avatar_id") or avatar_id})
    assert found is not None  # the avatar_id is a non-empty string
    return found


class AvatarUpload(Resource):
    """Custom avatars from your own video or image, for talking avatar."""

    _family_name = "avatar_upload"

    async def create(
        self,
        *,
        url: str,
        avatar_id: str,
        name: str | None = None,
        avatar_type: int | str = 1,
        url_from: int | None = None,
        max_wait: MaxWait = NOT_GIVEN,
    ) -> Job:
        """Start making an avatar from ``url``; the job completes when it is ready to use.

        Args:
            url: the video (about a minute, the face clear) or image to make it from.
            avatar_id: your id for the avatar: letters and digits only.
            name: a display name.
            avatar_type: 1 or ``"talking"`` (default), 2 or ``"streaming"``.
            url_from: 1 a direct link (Akool's or another), 2 YouTube / TikTok / X / Google
                Drive.
            max_wait: deadline for ``await job`` in seconds; None waits forever.
        """
        req = AvatarUploadRequest(
            url=url, avatar_id=avatar_id, name=name, avatar_type=avatar_type, url_from=url_from
        )
        return await self._create_one("avatar_upload", req, max_wait)

    async def upload(self, *, url: str, avatar_id: str, **options: Unpack[UploadOptions]) -> Avatar:
        """Make an avatar as :meth:`create` does and wait until it is ready; its
        ``avatar_id`` then works in talking avatar.

        Raises:
            JobFailed: Akool reported the avatar failed (status 4).
        """
        result = await (await self.create(url=url, avatar_id=avatar_id, **options))
        return uploaded_avatar(result.snapshot.raw, avatar_id)
