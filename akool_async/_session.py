"""The session: credentials, one transport, one scheduler, and the job-family resources."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Unpack

from aiohttp import web

from . import _constants as C
from ._akool import FAMILIES
from ._akool._common import Credit, Language, family_snapshot, parse_snapshot
from ._akool._created import created_answer
from ._akool.aliases import FAMILY_ALIASES, canonical_fields, norm_name
from ._akool.avatar_upload import AvatarUpload
from ._akool.character_swap import CharacterSwap
from ._akool.face_swap import FaceSwap
from ._akool.head_swap import HeadSwap
from ._akool.image import Image
from ._akool.lip_sync import LipSync
from ._akool.lists import AkoolLists
from ._akool.moderation import Moderation
from ._akool.reage import Reage
from ._akool.talking_avatar import TalkingAvatar
from ._akool.talking_photo import TalkingPhoto
from ._akool.video import ImageToVideo, TextToVideo
from ._akool.video_translation import VideoTranslation, translation_answer
from ._akool.voice import Tts
from ._akool.voice_lab import VoiceLab
from ._auth import ApiKeyAuth, Auth, TokenAuth, mask
from ._base import BaseSession, SessionOptions
from ._created_jobs import CreateAnswer
from ._errors import ConfigurationError, InvalidResponse, ValidationError
from ._family import Family, StatusEndpoint
from ._job import Job
from ._jobmodels import JobSnapshot
from ._sentinel import NOT_GIVEN, NotGiven
from ._webhook_receivers import WebhookASGIApp, webhook_app
from ._webhooks import WebhookEvent, WebhookVerifier

__all__ = ["Session"]

log = logging.getLogger("akool_async")


class Session(AkoolLists, BaseSession):
    """An Akool API session: authenticates, creates jobs and tracks them with one scheduler.

    Use it as an async context manager::

        async with akool_async.Session() as session:
            job = await session.talking_photo.create(talking_photo_url=..., audio_url=...)
            result = await job
            print(result.url)

    Args:
        api_key: sent as ``x-api-key``. Defaults to ``$AKOOL_API_KEY``.
        client_id: with ``client_secret``, authenticate with a bearer token from ``getToken``
            instead (refreshed once on code 1101). Default ``$AKOOL_CLIENT_ID``.
        client_secret: default ``$AKOOL_CLIENT_SECRET``.
        base_url: default ``$AKOOL_BASE_URL`` or ``https://openapi.akool.com``.
        http: your own ``aiohttp.ClientSession``; it is used as is and not closed by us.
        timeout: per HTTP request, in seconds (not the job deadline).
        max_wait: default job deadline in clock seconds for ``await job``; None waits forever.
        rate: requests per second for the whole session (creates and polls); None for no limit.
        burst: the rate budget's bucket size.
        max_connections: connection pool size.
        max_inflight_polls: status requests in flight at once.
        poll_policy: where status polls go: one knob, a target p95 detection delay (see
            :class:`PollPolicy`).
        poll_model: what an earlier session learned (:meth:`export_poll_model`), to start warm.
        webhook_url: default ``webhookUrl`` for every create; such jobs are polled only as a slow
            backstop and resolved by :meth:`notify`.
        webhook_backstop: poll interval (clock seconds) of jobs that expect a webhook.
        clock: every sleep and timestamp goes through it (tests pass a fast one).
        retry: retry policy of safe requests.
        seed: seed of the jitter source, for reproducible runs.
        allow_insecure_http: allow an ``http://`` base URL that is not loopback.
        max_tracked_jobs: refuse new creates beyond this many tracked jobs.
        max_response_bytes: cap on a response body.
        verify_ssl: TLS verification (on by default).
    """

    families = FAMILIES
    provider = "akool"

    def __init__(
        self,
        api_key: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str | None = None,
        **options: Unpack[SessionOptions],
    ) -> None:
        # Masked at once: this frame's locals show '***' if anything below raises.
        api_key, client_secret = mask(api_key), mask(client_secret)
        super().__init__(
            auth=_make_auth(api_key, client_id, client_secret),
            base_url=base_url or os.environ.get("AKOOL_BASE_URL") or C.DEFAULT_BASE_URL,
            **options,
        )
        self.talking_photo = TalkingPhoto(self)
        self.lip_sync = LipSync(self)
        self.video_translation = VideoTranslation(self)
        self.talking_avatar = TalkingAvatar(self)
        self.avatar_upload = AvatarUpload(self)
        self.faceswap = FaceSwap(self)
        self.reage = Reage(self)
        self.character_swap = CharacterSwap(self)
        self.head_swap = HeadSwap(self)
        self.image = Image(self)
        self.image_to_video = ImageToVideo(self)
        self.text_to_video = TextToVideo(self)
        self.tts = Tts(self)
        self.voice_lab = VoiceLab(self)
        self.moderation = Moderation(self)

    # -- webhooks ---------------------------------------------------------------------------

    def webhook_verifier(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        tolerance: float | None = 300.0,
    ) -> WebhookVerifier:
        """A verifier for Akool's signed, encrypted callbacks, on this session's clock.

        Akool signs each callback with the account's clientId and encrypts it with the
        clientSecret, which is the API key shown on Akool's API Keys page. Both default to the
        session's own credentials: with clientId/clientSecret auth nothing more is needed; with
        an API key, the key decrypts and the clientId comes from ``client_id`` or
        ``$AKOOL_CLIENT_ID``. Needs the ``webhooks`` extra (cryptography).

        Raises:
            ConfigurationError: no clientId (or no clientSecret) was found, naming where to put
                it.
        """
        if isinstance(self._auth, TokenAuth):
            own_id, own_secret = self._auth.client_credentials()
            client_id = client_id if client_id is not None else own_id
            client_secret = client_secret if client_secret is not None else own_secret
        if client_secret is None and isinstance(self._auth, ApiKeyAuth):
            client_secret = self._auth.api_key()
        if client_id is None:
            client_id = os.environ.get("AKOOL_CLIENT_ID") or None
        if client_id is None or client_secret is None:
            missing = "clientId" if client_id is None else "clientSecret (API key)"
            raise ConfigurationError(
                f"webhook_verifier: no {missing}. Akool signs webhooks with your clientId and "
                "encrypts them with your API key (its clientSecret): set AKOOL_CLIENT_ID (and "
                "AKOOL_API_KEY), or pass client_id=... and client_secret=..."
            )
        return WebhookVerifier(client_id, client_secret, tolerance=tolerance, clock=self.clock)

    def _on_webhook(self, event: WebhookEvent) -> None:
        self.notify(event.id, event.raw)

    def webhook_app(
        self,
        *,
        path: str = "/akool/webhook",
        client_id: str | None = None,
        client_secret: str | None = None,
        tolerance: float | None = 300.0,
    ) -> web.Application:
        """An aiohttp app receiving Akool's callbacks at ``path`` and waking their jobs.

        Each verified event triggers one confirming status poll of its job; duplicates and
        replays are answered 200 and dropped; events for jobs whose create answer has not
        arrived yet are kept for a while.
        """
        verifier = self.webhook_verifier(
            client_id=client_id, client_secret=client_secret, tolerance=tolerance
        )
        return webhook_app(verifier, self._on_webhook, path=path)

    def webhook_asgi(
        self,
        *,
        path: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        tolerance: float | None = 300.0,
    ) -> WebhookASGIApp:
        """The same receiver as a plain ASGI app (mount it in FastAPI or Starlette)."""
        verifier = self.webhook_verifier(
            client_id=client_id, client_secret=client_secret, tolerance=tolerance
        )
        return WebhookASGIApp(verifier, self._on_webhook, path=path)

    def _family(self, name: str) -> Family:
        """A family by its name or an alias (``lipsync``, ``translation``...)."""
        if isinstance(name, str) and name not in self.families:
            name = FAMILY_ALIASES.get(norm_name(name), name)
        return super()._family(name)

    async def create(
        self,
        family_name: str,
        fields: Mapping[str, Any],
        *,
        max_wait: float | NotGiven | None = NOT_GIVEN,
    ) -> list[Job]:
        """As :meth:`BaseSession.create`; family and field aliases are accepted as in a
        manifest (``lipsync``; ``modify_image``, ``modifyImage`` or ``modify_url``...).

        Raises:
            ValidationError: naming the bad, missing, unknown or twice-given field.
        """
        fam = self._family(family_name)
        if not isinstance(fields, Mapping):
            raise ValidationError("request", f"must be a mapping, got {type(fields).__name__}")
        return await super().create(fam.name, canonical_fields(fam.name, fields), max_wait=max_wait)

    async def languages(self) -> list[Language]:
        """The languages video translation accepts."""
        self._check_open()
        env = await self.transport.request("GET", "/api/open/v3/language/list")
        data = env.get("data")
        items = data.get("lang_list") if isinstance(data, Mapping) else None
        if not isinstance(items, list):
            raise InvalidResponse("no lang_list", endpoint="GET /api/open/v3/language/list")
        out = []
        for item in items:
            if isinstance(item, Mapping) and isinstance(item.get("lang_code"), str):
                name = item.get("lang_name")
                url = item.get("url")
                need = item.get("need_voice_id")
                out.append(
                    Language(
                        item["lang_code"],
                        name if isinstance(name, str) else item["lang_code"],
                        url if isinstance(url, str) else None,
                        need_voice_id=need if isinstance(need, bool) else None,
                    )
                )
        return out

    async def credit(self) -> Credit:
        """The account's credit balance."""
        self._check_open()
        path = "/api/open/v3/faceswap/quota/info"
        env = await self.transport.request("GET", path)
        data = env.get("data")
        value = data.get("credit") if isinstance(data, Mapping) else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidResponse("no credit in the answer", endpoint=f"GET {path}")
        assert isinstance(data, Mapping)
        try:
            credit = float(value)
        except OverflowError:
            raise InvalidResponse("credit is out of range", endpoint=f"GET {path}") from None
        return Credit(credit, data)

    # -- the scheduler's view of the API

    def _created(self, fam: Family, envelope: Mapping[str, Any], request: Any) -> CreateAnswer:
        if fam.created_ids == "all_results":
            languages = getattr(request, "languages", None)
            return translation_answer(fam, envelope, languages or [])
        return created_answer(fam, envelope)

    async def _fetch_status(
        self,
        endpoint: StatusEndpoint,
        fam: Family,
        ids: Sequence[str],
        *,
        kind: Literal["poll", "safe"] = "poll",
    ) -> dict[str, JobSnapshot]:
        t = self.transport
        if endpoint.batch:
            joined = ",".join(ids)
            if endpoint.method == "GET":
                env = await t.request(
                    "GET", endpoint.path, params={endpoint.id_param: joined}, kind=kind
                )
            else:
                env = await t.request(
                    "POST", endpoint.path, json_body={endpoint.id_param: joined}, kind=kind
                )
            data = env.get("data")
            items = data.get("result") if isinstance(data, Mapping) else None
            if not isinstance(items, list):
                raise InvalidResponse(
                    "batch status answer has no result list", endpoint=endpoint.key
                )
            wanted = set(ids)
            out: dict[str, JobSnapshot] = {}
            tracked = self.scheduler.jobs if kind == "poll" else {}
            for item in items:
                if not isinstance(item, Mapping):
                    continue
                # A tracked job's unchanged running answer gives back its own snapshot.
                ident = item.get("_id")
                job = tracked.get(ident) if type(ident) is str else None
                try:
                    snap = family_snapshot(fam, item, like=job.snapshot if job else None)
                except ValueError:
                    continue
                if snap.id in wanted:
                    out[snap.id] = snap
            return out
        job = self.scheduler.jobs.get(ids[0]) if kind == "poll" else None
        path = endpoint.url_path(ids[0])
        params = None if endpoint.id_in_path else {endpoint.id_param: ids[0]}
        env = await t.request("GET", path, url=self._status_url(job, path, params), kind=kind)
        data = env.get("data")
        if endpoint.result_key is not None or endpoint.data_list:
            data = endpoint.status_object(data, ids[0])
        if type(data) is not dict and not isinstance(data, Mapping):  # dict: no ABC check
            raise InvalidResponse("status answer has no data object", endpoint=endpoint.key)
        # A poll of a tracked job that still reads the same gives back the snapshot the job
        # keeps (the scheduler keeps no raw body of a running job): nothing is built per poll.
        try:
            snap = parse_snapshot(
                data,
                status_field=fam.status_field,
                result_field=fam.result_field,
                job_id=ids[0],
                result_is_file=fam.result_is_file,
                like=job.snapshot if job is not None else None,
            )
        except ValueError as exc:
            raise InvalidResponse(str(exc), endpoint=endpoint.key) from None
        return {ids[0]: snap}


def _make_auth(api_key: str | None, client_id: str | None, client_secret: str | None) -> Auth:
    env = os.environ.get
    if api_key is None and client_id is None and client_secret is None:
        api_key = env("AKOOL_API_KEY") or None
        client_id = env("AKOOL_CLIENT_ID") or None
        client_secret = env("AKOOL_CLIENT_SECRET") or None
    elif api_key is None:
        # Each half of the client credentials falls back to its own variable.
        client_id = client_id if client_id is not None else env("AKOOL_CLIENT_ID") or None
        client_secret = (
            client_secret if client_secret is not None else env("AKOOL_CLIENT_SECRET") or None
        )
    if api_key is not None:
        if client_id is not None or client_secret is not None:
            raise ConfigurationError(
                "give either api_key or client_id/client_secret, not both (never send both headers)"
            )
        if not isinstance(api_key, str) or not api_key.strip():
            raise ConfigurationError("api_key: must be a non-empty string")
        return ApiKeyAuth(api_key)
    if client_id is not None and client_secret is not None:
        if not client_id.strip() or not client_secret.strip():
            raise ConfigurationError("client_id/client_secret: must be non-empty strings")
        return TokenAuth(client_id, client_secret)
    if client_id is not None or client_secret is not None:
        raise ConfigurationError("client_id and client_secret go together")
    raise ConfigurationError(
        "no credentials: pass api_key=... (or client_id/client_secret), or set AKOOL_API_KEY"
    )
