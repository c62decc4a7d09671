"""akool_async: the asyncio SDK for Akool's video-generation API.

One :class:`Session` authenticates, creates jobs and tracks them all with one scheduler::

    async with akool_async.Session(api_key="...") as session:
        job = await session.talking_photo.create(talking_photo_url=..., audio_url=...)
        result = await job
"""

# The top: assembles the providers and hands them to the batch wing, and the wing's runner to
# session.batch() (imported for that effect; see ARCHITECTURE.md).
from . import (
    _providers,  # noqa: F401
    _result_download,  # noqa: F401  (installs JobResult.download)
)
from ._akool import FAMILIES
from ._akool._common import Credit, Language
from ._akool._created import RefusedJob
from ._akool.face_swap import FaceInfo, FaceMapping, SwapImage
from ._akool.head_swap import (
    DetectedPerson,
    HeadMapping,
    HeadSwapAnalysis,
    HeadSwapIncomplete,
    HeadSwapVideoInfo,
)
from ._akool.lists import AIModel, Avatar, Effect, ModelResolution, Voice
from ._akool.moderation import ModerationResult
from ._akool.talking_avatar import AudioElement, AvatarElement, ImageElement
from ._akool.video_translation import (
    FailedLanguage,
    StudioVoice,
    TranslationFailed,
    TranslationJobs,
)
from ._akool.voice_lab import VoiceChangeOptions, VoiceCloneOptions, VoiceOptions
from ._backoff import PollPolicy
from ._base import SessionOptions
from ._batch import (
    BatchOptions,
    BatchOutcome,
    BatchProgress,
    BatchRunner,
    FileRecord,
    Journal,
    Manifest,
    ManifestError,
    ManifestProblem,
    ManifestRow,
    OutcomeState,
    load_manifest,
    parse_manifest,
    run_batch,
)
from ._blocking import BlockingJob, BlockingSession
from ._clock import Clock, ScaledClock, SystemClock
from ._constants import DEFAULT_BASE_URL
from ._created_jobs import CreatedJobs
from ._download import Downloader, DownloadMismatch, DownloadResult
from ._errors import (
    AccountBanned,
    AkoolError,
    APIError,
    AuthenticationError,
    CapacityExceeded,
    ConfigurationError,
    ConnectError,
    CreationUnknown,
    EventsLagged,
    GenerationUnavailable,
    HTTPStatusError,
    InsufficientCredit,
    InvalidResponse,
    InvalidWebhook,
    JobFailed,
    JobNotFound,
    JobStopped,
    JobTimeout,
    MediaRejected,
    NotFound,
    ParameterError,
    PermissionDenied,
    RateLimited,
    ReplayedWebhook,
    RequestTimeout,
    ResponseTooLarge,
    ResultMissing,
    ResultNotAFile,
    ServerError,
    SessionClosed,
    Throttled,
    TransportError,
    ValidationError,
)
from ._events import EventStream
from ._family import Family, StatusEndpoint
from ._job import Job
from ._jobmodels import AudioSplits, JobEvent, JobResult, JobSnapshot, JobStatus
from ._sentinel import NOT_GIVEN, NotGiven
from ._session import Session
from ._transport import RetryPolicy
from ._version import __version__
from ._webhook_receivers import WebhookASGIApp, webhook_app, webhook_handler
from ._webhooks import WebhookEvent, WebhookVerifier

__all__ = [
    "DEFAULT_BASE_URL",
    "FAMILIES",
    "NOT_GIVEN",
    "AIModel",
    "APIError",
    "AccountBanned",
    "AkoolError",
    "AudioElement",
    "AudioSplits",
    "AuthenticationError",
    "Avatar",
    "AvatarElement",
    "BatchOptions",
    "BatchOutcome",
    "BatchProgress",
    "BatchRunner",
    "BlockingJob",
    "BlockingSession",
    "CapacityExceeded",
    "Clock",
    "ConfigurationError",
    "ConnectError",
    "CreatedJobs",
    "CreationUnknown",
    "Credit",
    "DetectedPerson",
    "DownloadMismatch",
    "DownloadResult",
    "Downloader",
    "Effect",
    "EventStream",
    "EventsLagged",
    "FaceInfo",
    "FaceMapping",
    "FailedLanguage",
    "Family",
    "FileRecord",
    "GenerationUnavailable",
    "HTTPStatusError",
    "HeadMapping",
    "HeadSwapAnalysis",
    "HeadSwapIncomplete",
    "HeadSwapVideoInfo",
    "ImageElement",
    "InsufficientCredit",
    "InvalidResponse",
    "InvalidWebhook",
    "Job",
    "JobEvent",
    "JobFailed",
    "JobNotFound",
    "JobResult",
    "JobSnapshot",
    "JobStatus",
    "JobStopped",
    "JobTimeout",
    "Journal",
    "Language",
    "Manifest",
    "ManifestError",
    "ManifestProblem",
    "ManifestRow",
    "MediaRejected",
    "ModelResolution",
    "ModerationResult",
    "NotFound",
    "NotGiven",
    "OutcomeState",
    "ParameterError",
    "PermissionDenied",
    "PollPolicy",
    "RateLimited",
    "RefusedJob",
    "ReplayedWebhook",
    "RequestTimeout",
    "ResponseTooLarge",
    "ResultMissing",
    "ResultNotAFile",
    "RetryPolicy",
    "ScaledClock",
    "ServerError",
    "Session",
    "SessionClosed",
    "SessionOptions",
    "StatusEndpoint",
    "StudioVoice",
    "SwapImage",
    "SystemClock",
    "Throttled",
    "TranslationFailed",
    "TranslationJobs",
    "TransportError",
    "ValidationError",
    "Voice",
    "VoiceChangeOptions",
    "VoiceCloneOptions",
    "VoiceOptions",
    "WebhookASGIApp",
    "WebhookEvent",
    "WebhookVerifier",
    "__version__",
    "load_manifest",
    "parse_manifest",
    "run_batch",
    "webhook_app",
    "webhook_handler",
]
