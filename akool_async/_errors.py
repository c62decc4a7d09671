"""Every exception the SDK raises.

Hierarchy::

    AkoolError
    ├── ConfigurationError (ValueError)      bad session arguments, missing credentials
    ├── ValidationError (ValueError)         a request argument is invalid; names the field
    ├── TransportError                       nothing usable came back
    │   ├── ConnectError                     could not connect / connection reset before sending
    │   ├── RequestTimeout (TimeoutError)    the HTTP request timed out
    │   ├── ResponseTooLarge                 the body exceeded the size cap
    │   └── InvalidResponse                  not JSON, truncated, wrong shape
    ├── HTTPStatusError                      HTTP 4xx/5xx without an Akool envelope
    │   ├── ServerError                      5xx (gateway HTML and friends)
    │   └── RateLimited                      HTTP 429
    ├── APIError                             a non-success ``code`` in the envelope
    │   ├── ParameterError (ValueError)      1003, 1011, 1222
    │   ├── Throttled                        1005 (frequent operation), 1214, 1215
    │   ├── InsufficientCredit               1006, 1103, 1104, 1223
    │   ├── NotFound                         1008, 1014, 1017, 1216, 1219
    │   │   └── JobNotFound                  1008 for a tracked job, after the grace window
    │   ├── PermissionDenied                 1004, 1009, 1010, 1213, 1221
    │   ├── AuthenticationError              1101, 1102, 1109
    │   ├── AccountBanned                    1200
    │   ├── GenerationUnavailable            1015, 1016, 1105, 1108, 1110-1112, 1201, 1205,
    │   │                                    1206, 1211, 1212, 1217, 1218, 1220 (try later)
    │   └── MediaRejected (ValueError)       1007, 1013, 1202-1204, 1207-1210
    ├── CreationUnknown                      a create may or may not have reached the server
    ├── JobFailed                            the job ended with status 4
    │   └── ResultMissing                    it reported completed but gave no result URL
    ├── ResultNotAFile (TypeError)           download() of a result that is data, not a file
    ├── JobTimeout (TimeoutError)            the job's deadline passed first
    ├── JobStopped                           tracking was stopped with job.stop()
    ├── CapacityExceeded                     the session already tracks its maximum of jobs
    ├── EventsLagged                         an event stream dropped events it had no room for
    ├── InvalidWebhook (ValueError)          a webhook failed verification or decryption
    │   └── ReplayedWebhook                  a delivery seen before
    └── SessionClosed (RuntimeError)         the session was used after aclose()

No exception message or attribute ever holds an API key, a token or a client secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ._jobmodels import JobSnapshot

__all__ = [
    "APIError",
    "AccountBanned",
    "AkoolError",
    "AuthenticationError",
    "CapacityExceeded",
    "ConfigurationError",
    "ConnectError",
    "CreationUnknown",
    "EventsLagged",
    "GenerationUnavailable",
    "HTTPStatusError",
    "InsufficientCredit",
    "InvalidResponse",
    "InvalidWebhook",
    "JobFailed",
    "JobNotFound",
    "JobStopped",
    "JobTimeout",
    "MediaRejected",
    "NotFound",
    "ParameterError",
    "PermissionDenied",
    "RateLimited",
    "ReplayedWebhook",
    "RequestTimeout",
    "ResponseTooLarge",
    "ResultMissing",
    "ResultNotAFile",
    "ServerError",
    "SessionClosed",
    "Throttled",
    "TransportError",
    "ValidationError",
    "error_for_code",
]


class AkoolError(Exception):
    """Root of every exception raised by akool_async."""

    #: Whether repeating the same request later may succeed.
    retryable: ClassVar[bool] = False


class ConfigurationError(AkoolError, ValueError):
    """The session was configured wrongly (missing credentials, bad base URL ...)."""


class SessionClosed(AkoolError, RuntimeError):
    """The session was used after ``aclose()``."""


class ValidationError(AkoolError, ValueError):
    """A request argument is invalid. Raised before any request is sent.

    Attributes:
        field: the name of the offending argument (dotted for nested fields).
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


# -- transport --------------------------------------------------------------------------------


class TransportError(AkoolError):
    """Nothing usable came back from the server.

    Attributes:
        endpoint: ``"METHOD /path"`` of the request.
        sent: whether the request may have reached the server.
    """

    retryable = True

    def __init__(self, message: str, *, endpoint: str = "", sent: bool = True) -> None:
        self.endpoint = endpoint
        self.sent = sent
        super().__init__(f"{message} ({endpoint})" if endpoint else message)


class ConnectError(TransportError):
    """The connection could not be made, or was reset."""


class RequestTimeout(TransportError, TimeoutError):
    """The HTTP request timed out (this is not a job deadline; see JobTimeout)."""


class ResponseTooLarge(TransportError):
    """The response body exceeded the configured cap."""

    retryable = False


class InvalidResponse(TransportError):
    """The body was not the JSON envelope we expected (truncated, HTML, wrong types)."""

    def __init__(
        self, message: str, *, endpoint: str = "", sent: bool = True, body: bytes = b""
    ) -> None:
        self.body = body[:2048]
        super().__init__(message, endpoint=endpoint, sent=sent)


class HTTPStatusError(AkoolError):
    """An HTTP error status with no Akool envelope.

    Attributes:
        http_status: the HTTP status code.
        endpoint: ``"METHOD /path"``.
        retry_after: seconds from a ``Retry-After`` header, if any.
        body: the first 2 KiB of the body.
    """

    def __init__(
        self,
        http_status: int,
        *,
        endpoint: str,
        body: bytes = b"",
        retry_after: float | None = None,
    ) -> None:
        self.http_status = http_status
        self.endpoint = endpoint
        self.body = body[:2048]
        self.retry_after = retry_after
        super().__init__(f"HTTP {http_status} from {endpoint}")

    @property
    def retryable(self) -> bool:  # type: ignore[override]  # depends on the status
        return self.http_status >= 500 or self.http_status in (408, 429)


class ServerError(HTTPStatusError):
    """HTTP 5xx, usually a gateway page."""


class RateLimited(HTTPStatusError):
    """HTTP 429."""


# -- API envelope errors ----------------------------------------------------------------------


class APIError(AkoolError):
    """The API answered with a non-success ``code``.

    Attributes:
        code: the API's code (int for Akool, str for TopView).
        message: the API's ``msg``/``message``.
        http_status: the HTTP status (usually 200).
        endpoint: ``"METHOD /path"``.
        body: the decoded response body.
    """

    def __init__(
        self,
        code: int | str,
        message: str,
        *,
        http_status: int = 200,
        endpoint: str = "",
        body: Mapping[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.http_status = http_status
        self.endpoint = endpoint
        self.body: Mapping[str, Any] = body if body is not None else {}
        super().__init__(f"[{code}] {message} ({endpoint})" if endpoint else f"[{code}] {message}")


class ParameterError(APIError, ValueError):
    """1003: a parameter is wrong or missing (1011: already done; 1222: already exists)."""


class Throttled(APIError):
    """1005: too frequent; the request was refused and may be sent again later (1214/1215:
    a live avatar is busy)."""

    retryable = True


class InsufficientCredit(APIError):
    """1006 / 1104: not enough quota or credit (1103: not paid; 1223: upload allowance used)."""


class NotFound(APIError):
    """1008 / 1014 (head swap answers it too): the content or resource does not exist (1017:
    the audio was not created; 1216 / 1219: no such, or a closed, live-avatar session)."""


class JobNotFound(NotFound):
    """1008 for a tracked job, still missing after the grace window."""


class PermissionDenied(APIError):
    """1009: no permission (1004: verification needed; 1010: this content cannot be operated;
    1213 / 1221: a subscription is needed)."""


class AuthenticationError(APIError):
    """1101 / 1102: invalid, expired or missing authorization (1109: no such account)."""


class AccountBanned(APIError):
    """1200: the account is banned."""


class GenerationUnavailable(APIError):
    """1015 / 1201 / 1205 / 1211 and the other "processing error" codes (1016 face swap, 1105
    avatar, 1108 image, 1110 audio, 1111 avatar callback, 1112 voice, 1206 background change,
    1212 sentiment analysis, 1217 / 1218 / 1220 live avatar): the service failed; try later."""

    retryable = True


class MediaRejected(APIError, ValueError):
    """1202-1210: the input media is unacceptable (no audio, too long, too big, unparsable,
    encoding, fps; 1007: more than 8 faces; 1013: audio in the video)."""


_CODE_TABLE: dict[int | str, type[APIError]] = {
    # Every code of ``error-code.mdx`` (and the area pages), by what it means for the caller.
    1003: ParameterError,
    1004: PermissionDenied,
    1005: Throttled,
    1006: InsufficientCredit,
    1007: MediaRejected,
    1008: NotFound,
    1009: PermissionDenied,
    1010: PermissionDenied,
    1011: ParameterError,
    1013: MediaRejected,
    1014: NotFound,
    1015: GenerationUnavailable,
    1016: GenerationUnavailable,
    1017: NotFound,
    1101: AuthenticationError,
    1102: AuthenticationError,
    1103: InsufficientCredit,
    1104: InsufficientCredit,
    1105: GenerationUnavailable,
    1108: GenerationUnavailable,
    1109: AuthenticationError,
    1110: GenerationUnavailable,
    1111: GenerationUnavailable,
    1112: GenerationUnavailable,
    1200: AccountBanned,
    1201: GenerationUnavailable,
    1202: MediaRejected,
    1203: MediaRejected,
    1204: MediaRejected,
    1205: GenerationUnavailable,
    1206: GenerationUnavailable,
    1207: MediaRejected,
    1208: MediaRejected,
    1209: MediaRejected,
    1210: MediaRejected,
    1211: GenerationUnavailable,
    1212: GenerationUnavailable,
    1213: PermissionDenied,
    1214: Throttled,
    1215: Throttled,
    1216: NotFound,
    1217: GenerationUnavailable,
    1218: GenerationUnavailable,
    1219: NotFound,
    1220: GenerationUnavailable,
    1221: PermissionDenied,
    1222: ParameterError,
    1223: InsufficientCredit,
}


#: Job error codes meaning "the service was busy or unavailable; try again later".
_TRY_LATER = frozenset(code for code, cls in _CODE_TABLE.items() if cls is GenerationUnavailable)


def error_for_code(
    code: int | str, table: Mapping[int | str, type[APIError]] | None = None
) -> type[APIError]:
    """The exception class for an API code; unknown codes map to :class:`APIError`."""
    return (table if table is not None else _CODE_TABLE).get(code, APIError)


# -- creation and jobs -----------------------------------------------------------------------


class CreationUnknown(AkoolError):
    """A create request may have reached the server but its answer was lost.

    The job may exist and may be billed. It was **not** retried. Check the account (or wait for a
    webhook) before creating it again.

    Attributes:
        endpoint: ``"POST /path"``.
        request: the JSON body that was sent (never holds credentials).
        cause: a short description of what went wrong.
        job_ids: the ids the answer named, when it was received but could not be taken up
            (the jobs exist: ``session.track(job_id, family=...)`` follows them).
    """

    def __init__(
        self,
        *,
        endpoint: str,
        request: Mapping[str, Any],
        cause: str,
        job_ids: Sequence[str] = (),
    ) -> None:
        self.endpoint = endpoint
        self.request = dict(request)
        self.cause = cause
        self.job_ids = tuple(job_ids)
        named = f" (job ids: {', '.join(self.job_ids)})" if self.job_ids else ""
        super().__init__(f"creation outcome unknown for {endpoint}: {cause}{named}; not retried")


class JobFailed(AkoolError):
    """The job ended with status 4 (failed).

    Attributes:
        job_id, family, error_code, error_reason, snapshot.
    """

    def __new__(cls, snapshot: JobSnapshot, family: str) -> JobFailed:
        # A parser marks a completed answer without a URL as failed (``missing_result``); the
        # failure is then a ResultMissing wherever it is raised.
        if cls is JobFailed and snapshot.missing_result is not None:
            cls = ResultMissing
        return super().__new__(cls, snapshot, family)

    def __init__(self, snapshot: JobSnapshot, family: str) -> None:
        self.snapshot = snapshot
        self.job_id = snapshot.id
        self.family = family
        self.error_code = snapshot.error_code
        self.error_reason = snapshot.error_reason
        detail = (
            f": [{self.error_code}] {self.error_reason}"
            if (self.error_code is not None or self.error_reason)
            else ""
        )
        super().__init__(f"{family} job {self.job_id} failed{detail}")

    @property
    def retryable(self) -> bool:  # type: ignore[override]  # depends on the error code
        """True for the "try again later" codes (:class:`GenerationUnavailable`'s: 1015, 1201,
        1205, 1211, the processing errors): the server could not run the job then, so creating
        the same job again later may succeed. Any other failure (bad media, content rules)
        fails again the same way."""
        code = self.error_code
        try:
            return int(code) in _TRY_LATER if code is not None else False
        except (TypeError, ValueError):
            return False


class ResultMissing(JobFailed):
    """The job was reported completed, but its answer holds no result URL the SDK can find.

    The SDK ends the job at once rather than poll until its deadline.

    Attributes:
        job_id, family, snapshot (as :class:`JobFailed`); answer: the status object as received;
        where: where the parser looked for the URL.
    """

    def __init__(self, snapshot: JobSnapshot, family: str) -> None:
        super().__init__(snapshot, family)
        self.answer: Mapping[str, Any] = snapshot.raw
        self.where = snapshot.missing_result or "the result field"
        fields = ", ".join(sorted(str(k) for k in self.answer)[:20]) or "none"
        self.args = (
            f"{family} job {self.job_id} reported completed, but its answer has no result URL "
            f"at {self.where} (answer fields: {fields})",
        )


class ResultNotAFile(AkoolError, TypeError):
    """The job's result is not a file to download (a moderation verdict, an analysis's data):
    read it from :attr:`JobResult.data` (:attr:`JobResult.text` when it is text).

    Attributes:
        job_id, family.
    """

    def __init__(self, job_id: str, family: str) -> None:
        self.job_id = job_id
        self.family = family
        super().__init__(
            f"{family} job {job_id} has no result file to download: its result is the data "
            "itself (JobResult.data, or .text)"
        )


class JobTimeout(AkoolError, TimeoutError):
    """The job's deadline (``max_wait``) passed before it finished.

    Attributes:
        job_id, family, snapshot (the last known state, or None if never polled).
    """

    def __init__(self, job_id: str, family: str, snapshot: JobSnapshot | None) -> None:
        self.job_id = job_id
        self.family = family
        self.snapshot = snapshot
        status = snapshot.status.name.lower() if snapshot is not None else "unknown"
        super().__init__(f"{family} job {job_id} not finished by its deadline (last: {status})")


class JobStopped(AkoolError):
    """Tracking stopped (``job.stop()`` or the session closed); the job may still run at Akool."""

    def __init__(self, job_id: str, reason: str = "tracking stopped") -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id}: {reason}")


class CapacityExceeded(AkoolError):
    """The session already tracks ``max_tracked_jobs`` jobs; nothing was sent."""


class EventsLagged(AkoolError):
    """An event stream's buffer overflowed: ``missed`` of its oldest events were dropped.

    Raised by the next receive of that stream only; receiving again goes on with the oldest
    event still buffered. Other streams, and the scheduler, are not affected.

    Attributes:
        missed: how many events this stream lost since its previous receive.
    """

    def __init__(self, missed: int) -> None:
        self.missed = missed
        super().__init__(f"event stream lagged: {missed} event(s) dropped")


class InvalidWebhook(AkoolError, ValueError):
    """A webhook delivery failed signature, timestamp, decryption or JSON checks."""


class ReplayedWebhook(InvalidWebhook):
    """A webhook delivery with a signature already seen."""
