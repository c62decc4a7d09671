"""TopView's error codes (seed 002, and ``401`` from TopView's client), mapped onto exceptions.

TopView answers every error with HTTP 200 and a *string* ``code``. The table also carries the
integer spellings of the same codes, so a gateway that sends ``4007`` instead of ``"4007"`` maps
to the same class (and is retried the same way).

Hierarchy additions (each subclasses an existing class, so ``except Throttled`` still works)::

    APIError
    ├── Throttled
    │   ├── TaskInProgress      4007 an unfinished task exists; the submit was refused
    │   └── ServerBusy          5003 server busy; the submit was refused
    ├── GenerationUnavailable
    │   └── TopViewServerError  5000 / 5001 / 5004 / 5005
    ├── SecurityRejected        6001 security problem detected (content moderation)
    └── UploadFailed            an upload was not confirmed by ``/v1/upload/check``
"""

from __future__ import annotations

from typing import Final

from .._errors import (
    AkoolError,
    APIError,
    AuthenticationError,
    GenerationUnavailable,
    InsufficientCredit,
    NotFound,
    ParameterError,
    PermissionDenied,
    Throttled,
)

__all__ = [
    "REFUSED_CODES",
    "THROTTLE_CODES",
    "TOPVIEW_CODES",
    "TOPVIEW_MESSAGES",
    "SecurityRejected",
    "ServerBusy",
    "TaskInProgress",
    "TopViewServerError",
    "UploadFailed",
]


class TaskInProgress(Throttled):
    """4007: an unfinished task exists; wait until the previous task completes."""


class ServerBusy(Throttled):
    """5003: the server is busy; try again later."""


class TopViewServerError(GenerationUnavailable):
    """5000 / 5001 / 5004 / 5005: an internal, Feign, I/O or unknown server error."""


class SecurityRejected(APIError):
    """6001: TopView's security check rejected the request (content moderation)."""


class UploadFailed(AkoolError):
    """An upload was refused, cut off, or not confirmed by ``/v1/upload/check``.

    Attributes:
        file_id: the fileId the credential named, if one was issued.
    """

    def __init__(self, message: str, *, file_id: str | None = None) -> None:
        self.file_id = file_id
        super().__init__(f"{message} (fileId {file_id})" if file_id else message)


#: The ``message`` TopView sends with each code (seed 002; ``401`` from TopView's own client),
#: used by the fake server too.
TOPVIEW_MESSAGES: Final[dict[str, str]] = {
    "200": "Success",
    "401": "Unauthorized, need to login again",
    "4000": "Request parameter error",
    "4001": "Request data format does not match!",
    "4002": "Request digital signature does not match!",
    "4003": "Required parameter cannot be null",
    "4004": "Resource not found!",
    "4005": "Name duplicated",
    "4006": "Request refuse",
    "4007": "Exists unfinished task, please wait until the previous task is completed.",
    "4100": "Credit not enough",
    "5000": "Internal server error!",
    "5001": "Feign invoke error",
    "5003": "Server is busy, please try again later!",
    "5004": "I/O error occurred",
    "5005": "Unknown error occurred",
    "6001": "Security problem detect",
}

_BY_CODE: Final[dict[str, type[APIError]]] = {
    "401": AuthenticationError,
    "4000": ParameterError,
    "4001": ParameterError,
    "4002": AuthenticationError,
    "4003": ParameterError,
    "4004": NotFound,
    "4005": ParameterError,
    "4006": PermissionDenied,
    "4007": TaskInProgress,
    "4100": InsufficientCredit,
    "5000": TopViewServerError,
    "5001": TopViewServerError,
    "5003": ServerBusy,
    "5004": TopViewServerError,
    "5005": TopViewServerError,
    "6001": SecurityRejected,
}


def _both(codes: dict[str, type[APIError]]) -> dict[int | str, type[APIError]]:
    out: dict[int | str, type[APIError]] = {}
    for code, cls in codes.items():
        out[code] = cls
        out[int(code)] = cls
    return out


#: API code (string, and its integer spelling) -> exception class.
TOPVIEW_CODES: Final[dict[int | str, type[APIError]]] = _both(_BY_CODE)
#: Codes meaning "not processed, try later": a submit refused with these is sent again.
REFUSED_CODES: Final[frozenset[int | str]] = frozenset({"4007", 4007, "5003", 5003})
#: Codes after which the session slows down.
THROTTLE_CODES: Final[frozenset[int | str]] = frozenset({"5003", 5003})
