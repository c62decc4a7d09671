"""The TopView session: the shared session machinery with TopView's auth, envelope and families.

Everything provider-neutral (transport, rate budget, scheduler, :class:`~akool_async.Job`,
``events``/``as_completed``/``gather``, tokens and ``resume``) comes from
:class:`~akool_async._base.BaseSession`; this module adds what differs: ``Authorization: Bearer``
plus ``Topview-Uid`` headers, the string-code envelope ``{"code": "200", "message", "result"}``,
submit/query reading, camelCase bodies, uploads and notice-URL registration.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal, Unpack, final

import anyio

from .. import _constants as C
from .._auth import Secret, TokenFetcher
from .._base import BaseSession, SessionOptions
from .._created_jobs import CreateAnswer
from .._errors import ConfigurationError, HTTPStatusError, InvalidResponse
from .._family import Family, StatusEndpoint
from .._job import Job
from .._jobmodels import JobSnapshot
from .._resource import MaxWait
from .._transport import Dialect
from .._validators import check_http_url
from ._common_tasks import CommonTasks
from ._errors import REFUSED_CODES, THROTTLE_CODES, TOPVIEW_CODES
from ._families import TOPVIEW_FAMILIES, alternate_query_path
from ._media import MAX_UPLOAD_BYTES, MediaKind
from ._models import (
    TopViewResult,
    UploadedFile,
    build_request,
    check_mask,
    parse_result,
    parse_status,
    request_body,
)
from ._product_avatar import ProductAvatar
from ._uploads import UploadSource, upload_file
from ._video_avatar import VideoAvatar

__all__ = ["NOTICE_PATHS", "TOPVIEW", "TopViewAuth", "TopViewSession"]

log = logging.getLogger("akool_async")


class _SuccessCode(str):
    """``"200"`` that also equals the integer 200.

    The docs say the code is a string; a proxy that re-encodes JSON may turn it into a number,
    and a success must not then read as an unknown error.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, int) and not isinstance(other, bool):
            return other == 200
        return isinstance(other, str) and str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


#: TopView's envelope: ``{"code": "200", "message": ..., "result": ...}``; 4007 and 5003 mean the
#: request was refused before any work (a submit is sent again after a backoff).
TOPVIEW: Final = Dialect(
    success=_SuccessCode("200"),
    message_key="message",
    codes=TOPVIEW_CODES,
    refused=REFUSED_CODES,
    throttle=THROTTLE_CODES,
    auth_expired=frozenset(),
)

#: Where a notice (callback) URL is registered: the overview's path, then the ``/v1`` spelling.
NOTICE_PATHS: Final = ("/notice/notice_url/check", "/v1/notice/notice_url/check")

#: Pairs a mask field with its image field (the docs require equal sizes).
_MASKS: Final = (
    ("product_mask_file_id", "product_image_file_id"),
    ("template_mask_file_id", "template_image_file_id"),
)
_REMEMBERED_UPLOADS: Final = 10_000


@final
class TopViewAuth:
    """``Authorization: Bearer <key>`` on every request (the uid travels as ``Topview-Uid``)."""

    refreshable = False
    __slots__ = ("_headers", "_key")

    def __init__(self, api_key: str) -> None:
        self._key = Secret(api_key)
        self._headers: Mapping[str, str] = {"Authorization": f"Bearer {api_key}"}

    async def headers(self, fetch: TokenFetcher) -> Mapping[str, str]:
        return self._headers

    def current(self) -> Mapping[str, str]:
        """The headers :meth:`headers` gives, read without awaiting it (they never change)."""
        return self._headers

    async def refresh(self, stale: Mapping[str, str], fetch: TokenFetcher) -> bool:
        return False

    def secrets(self) -> list[str]:
        return [self._key.get()]

    def __repr__(self) -> str:
        return "TopViewAuth(api_key=***)"


class TopViewSession(BaseSession):
    """A TopView open-API session: submits tasks and tracks them with the shared scheduler.

    Use it as an async context manager::

        async with TopViewSession(api_key, uid) as tv:
            product = await tv.upload("bottle.png")
            job = await tv.product_avatar.replace(product_image_file_id=product, avatar_id="...")
            replaced = await tv.result(job)            # ProductReplaceResult
            video = await tv.product_avatar.image2video(replaced.first, mode="pro")
            print((await video).url)

    Args:
        api_key: sent as ``Authorization: Bearer``. Defaults to ``$TOPVIEW_API_KEY``.
        uid: sent as ``Topview-Uid``. Defaults to ``$TOPVIEW_UID``.
        base_url: default ``$TOPVIEW_BASE_URL`` or ``https://api.topview.ai``.
        webhook_url: default ``noticeUrl`` of every submit; registered once per session (and so
            is any per-task one) before the first submit that uses it.
        max_upload_bytes: per-kind upload limits (``{"video": ...}``) replacing the defaults.
        cloudfront_urls: sent as every query's ``needCloudFrontUrl`` (True: CloudFront result
            URLs, False: S3 ones); None (the default) sends nothing and takes TopView's choice.
        Others: as for :class:`akool_async.Session`.
    """

    families = TOPVIEW_FAMILIES
    #: TopView's own request validation (snake_case or camelCase field names).
    _build_request = staticmethod(build_request)
    provider = "topview"

    def __init__(
        self,
        api_key: str | None = None,
        uid: str | None = None,
        *,
        base_url: str | None = None,
        max_upload_bytes: Mapping[MediaKind, int] | None = None,
        cloudfront_urls: bool | None = None,
        **options: Unpack[SessionOptions],
    ) -> None:
        if api_key is None:
            api_key = os.environ.get("TOPVIEW_API_KEY") or None
        if uid is None:
            uid = os.environ.get("TOPVIEW_UID") or None
        if not isinstance(api_key, str) or not api_key.strip():
            raise ConfigurationError("api_key: pass the TopView API key or set TOPVIEW_API_KEY")
        if not isinstance(uid, str) or not uid.strip():
            raise ConfigurationError("uid: pass the Topview-Uid or set TOPVIEW_UID")
        if any(c in uid for c in "\r\n\x00"):
            raise ConfigurationError("uid: must not contain line breaks")
        if cloudfront_urls is not None and not isinstance(cloudfront_urls, bool):
            raise ConfigurationError(
                f"cloudfront_urls: must be True, False or None, got {cloudfront_urls!r}"
            )
        super().__init__(
            auth=TopViewAuth(api_key),
            base_url=base_url or os.environ.get("TOPVIEW_BASE_URL") or C.TOPVIEW_BASE_URL,
            dialect=TOPVIEW,
            extra_headers={"Topview-Uid": uid},
            **options,
        )
        self.uid = uid
        self.timeout = options.get("timeout", C.DEFAULT_TIMEOUT)
        self._allow_insecure_http = options.get("allow_insecure_http", False)
        limits = dict(MAX_UPLOAD_BYTES)
        for kind, value in (max_upload_bytes or {}).items():
            if kind not in limits or isinstance(value, bool) or not isinstance(value, int):
                raise ConfigurationError(f"max_upload_bytes: bad entry {kind!r}: {value!r}")
            limits[kind] = value
        self._upload_limits: Mapping[MediaKind, int] = limits
        self._uploads: OrderedDict[str, UploadedFile] = OrderedDict()
        self._notice_urls: set[str] = set()
        self._notice_lock = anyio.Lock()
        self._query_paths: dict[str, str] = {}
        self._query_extra: dict[str, str] = (
            {} if cloudfront_urls is None else {"needCloudFrontUrl": str(cloudfront_urls).lower()}
        )
        self.product_avatar = ProductAvatar(self)
        self.video_avatar = VideoAvatar(self)
        self.common = CommonTasks(self)

    # -- creating -------------------------------------------------------------------------------

    async def _create(self, fam: Family, request: Any, *, max_wait: MaxWait) -> list[Job]:
        self._check_open()
        self._check_masks(request)
        notice = getattr(request, "webhook_url", None) or self.webhook_url
        if notice is not None:
            await self.register_notice_url(notice)
        return await super()._create(fam, request, max_wait=max_wait)

    def _check_masks(self, request: Any) -> None:
        """Check mask sizes against uploads this session made (plain fileIds included)."""
        for mask_name, image_name in _MASKS:
            mask = getattr(request, mask_name, None)
            image = getattr(request, image_name, None)
            if mask is None:
                continue
            if isinstance(mask, str):
                mask = self._uploads.get(mask, mask)
            if isinstance(image, str):
                image = self._uploads.get(image, image)
            check_mask(mask_name, mask, image_name, image)

    def _body(self, fam: Family, request: Any) -> dict[str, Any]:
        return request_body(request)

    def _created(self, fam: Family, envelope: Mapping[str, Any], request: Any) -> CreateAnswer:
        # The submit answer's ``status`` says whether the *submit* worked ("success" at once),
        # not the task's state: never take it as a first snapshot.
        result = envelope.get("result")
        # The docs show ``result.taskId``; a bare string result is read as the id too.
        task_id = result.get("taskId") if isinstance(result, Mapping) else result
        if isinstance(task_id, str) and task_id.strip():
            return CreateAnswer([(task_id, None)])
        return CreateAnswer()

    # -- batches --------------------------------------------------------------------------------

    # -- polling --------------------------------------------------------------------------------

    async def _fetch_status(
        self,
        endpoint: StatusEndpoint,
        fam: Family,
        ids: Sequence[str],
        *,
        kind: Literal["poll", "safe"] = "poll",
    ) -> Mapping[str, JobSnapshot]:
        task_id = ids[0]
        path = self._query_paths.get(fam.name, endpoint.path)
        params = {endpoint.id_param: task_id, **self._query_extra}
        job = self.scheduler.jobs.get(task_id) if kind == "poll" else None
        try:
            url = self._status_url(job, path, params)
            env = await self.transport.request("GET", path, url=url, kind=kind)
        except HTTPStatusError as exc:
            alt = alternate_query_path(path)
            if exc.http_status not in (404, 405) or alt is None or fam.name in self._query_paths:
                raise
            env = await self.transport.request("GET", alt, params=params, kind=kind)
            log.info("TopView answers %s on %s; using it from now on", fam.name, alt)
            path = alt
        self._query_paths[fam.name] = path
        result = env.get("result")
        where = f"GET {path}"
        if not isinstance(result, Mapping):
            raise InvalidResponse("query answer has no result object", endpoint=where)
        echoed = result.get("taskId")
        if isinstance(echoed, str) and echoed and echoed != task_id:
            raise InvalidResponse("query answered for another task", endpoint=where)
        return {task_id: parse_status(result, task_id, where)}

    # -- uploads and notice URLs ----------------------------------------------------------------

    async def upload(
        self,
        source: UploadSource,
        *,
        format: str | None = None,
        mask_of: UploadedFile | None = None,
        sniff: bool = True,
    ) -> UploadedFile:
        """Upload a file (credential -> PUT -> check) and return its fileId.

        Args:
            source: a path, or the file's bytes (then ``format`` is required).
            format: png, jpg, jpeg, bmp, webp, mp3, wav, m4a, mp4, avi or mov; default the
                path's suffix.
            mask_of: the uploaded image this file masks: its width and height must match.
            sniff: check that the content's signature matches the format.

        Raises:
            ValidationError: format, size, content or mask size wrong; nothing was sent.
            UploadFailed: the PUT was refused or the check never confirmed the file.
        """
        self._check_open()
        uploaded = await upload_file(
            self,
            source,
            format=format,
            mask_of=mask_of,
            sniff=sniff,
            limits=self._upload_limits,
            allow_insecure_http=self._allow_insecure_http,
        )
        self._uploads[uploaded.file_id] = uploaded
        while len(self._uploads) > _REMEMBERED_UPLOADS:
            self._uploads.popitem(last=False)
        return uploaded

    async def upload_mask(
        self, source: UploadSource, *, image: UploadedFile, format: str | None = None
    ) -> UploadedFile:
        """Upload a mask for ``image``, refusing it first if its size differs."""
        return await self.upload(source, format=format, mask_of=image)

    async def register_notice_url(self, url: str) -> None:
        """Register a callback URL (``check notice url``); done once per URL per session.

        Raises:
            ValidationError: not an http(s) URL.
            APIError: TopView refused it.
        """
        self._check_open()
        check_http_url("webhook_url", url)
        if url in self._notice_urls:
            return
        async with self._notice_lock:
            if url in self._notice_urls:
                return
            body = {"noticeUrl": url}
            try:
                await self.transport.request("POST", NOTICE_PATHS[0], json_body=body)
            except HTTPStatusError as exc:
                if exc.http_status not in (404, 405):
                    raise
                await self.transport.request("POST", NOTICE_PATHS[1], json_body=body)
            self._notice_urls.add(url)

    # -- results --------------------------------------------------------------------------------

    async def result(self, job: Job) -> TopViewResult:
        """Wait for ``job`` and return its typed result.

        Raises:
            JobFailed, JobTimeout ...: as ``await job``.
        """
        return parse_result(await job)

    def __repr__(self) -> str:
        return f"<TopViewSession {self.base_url} {self._auth!r} uid={self.uid!r} {self._state}>"
