"""Every default in one place."""

from __future__ import annotations

from typing import Final

DEFAULT_BASE_URL: Final = "https://openapi.akool.com"
TOPVIEW_BASE_URL: Final = "https://api.topview.ai"

#: Per HTTP request (connect + read), in real seconds. Not the job deadline.
DEFAULT_TIMEOUT: Final = 30.0
#: How long a job may take before ``await job`` raises JobTimeout (clock seconds).
DEFAULT_MAX_WAIT: Final = 3600.0
#: The longest deadline a job may be given (30 days, in seconds).
MAX_MAX_WAIT: Final = 30 * 86_400.0

#: Connection pool size; the pool of status-poll workers is no larger.
DEFAULT_MAX_CONNECTIONS: Final = 32
#: Status requests in flight at once.
DEFAULT_MAX_INFLIGHT_POLLS: Final = 16

#: Safe-request retries (status GETs, getToken).
DEFAULT_MAX_RETRIES: Final = 4
#: Distinct rejected tokens one request may have refreshed before it gives up.
MAX_AUTH_REFRESHES: Final = 3
DEFAULT_RETRY_BASE: Final = 0.5
DEFAULT_RETRY_CAP: Final = 20.0
#: The longest Retry-After we honour before capping it.
MAX_RETRY_AFTER: Final = 60.0

#: Rate budget shared by every request of a session (requests per second, burst). Akool
#: publishes no numeric limit (its pages say limits are per account; code 1005 means "too
#: frequent", and throttling halves the rate until it recovers). 20/s carries a 2,000-job batch:
#: the creates take 100 s of it and polls go first, so detection stays near the knob (B8/B10
#: ``budget2000``: p95 about 6 s at target_p95_delay=4 on jobs of 25-135 s).
DEFAULT_RATE: Final = 20.0
DEFAULT_BURST: Final = 40.0
#: Floor the adaptive rate never drops below after throttling.
MIN_RATE: Final = 0.5

#: Polling: first poll after this delay unless the family's learned duration says otherwise.
DEFAULT_FIRST_POLL: Final = 3.0
DEFAULT_POLL_CAP: Final = 30.0
#: Backstop poll interval for jobs that expect a webhook.
DEFAULT_WEBHOOK_BACKSTOP: Final = 120.0
#: Ids per batch status request (listbyids / resultsByIds).
MAX_BATCH_IDS: Final = 100
#: Jobs of a batch endpoint wait up to this long (clock seconds) for others to share a request.
BATCH_WINDOW: Final = 1.0
#: Code 1008 right after creation is retried for this long before JobNotFound.
NOT_FOUND_GRACE: Final = 30.0
#: Webhook events for ids not yet tracked are kept this long.
NOTIFY_TTL: Final = 600.0

#: Largest JSON body accepted from the API (bytes).
MAX_RESPONSE_BYTES: Final = 8 * 1024 * 1024
#: Largest result file downloaded (bytes).
MAX_DOWNLOAD_BYTES: Final = 2 * 1024 * 1024 * 1024
#: Jobs one session may track at once.
MAX_TRACKED_JOBS: Final = 1_000_000

#: Generated results expire this long after completion (seconds).
RESULT_TTL: Final = 7 * 24 * 3600.0

USER_AGENT: Final = "akool-async/0.1.0"
