"""The codes of Akool's error-code page (ai-tools-suite/error-code.mdx) that were unmapped."""

from __future__ import annotations

import pytest

from akool_async import (
    APIError,
    AuthenticationError,
    InsufficientCredit,
    MediaRejected,
    PermissionDenied,
)
from akool_async._errors import error_for_code

#: code -> the typed error it must raise (the page's meaning in the comment).
PAGE_CODES: dict[int, type[APIError]] = {
    1007: MediaRejected,  # face count changes exceed
    1103: InsufficientCredit,  # not paid or payment is overdue
    1109: AuthenticationError,  # account does not exist
    1208: MediaRejected,  # video parsing error
    1213: PermissionDenied,  # needs a subscription
    1221: PermissionDenied,  # account not subscribed
}


@pytest.mark.parametrize("code", sorted(PAGE_CODES))
def test_page_code_maps_to_its_typed_error(code: int) -> None:
    """Each of these codes maps to its typed error, which is never retried."""
    cls = error_for_code(code)
    assert cls is PAGE_CODES[code]
    assert cls(code, "msg").retryable is False
