"""The package's top: every provider the SDK knows, assembled once and handed to the batch wing.

The batch wing and the CLI know providers only through :data:`PROVIDERS` (see
:class:`~akool_async._provider.Provider`); adding a provider is adding its record here.
``session.batch`` gets the wing's runner from here too, so no session imports the wing.
"""

from __future__ import annotations

from typing import Final

from ._akool_provider import AKOOL_PROVIDER
from ._base import use_batch_runner
from ._batch import run_batch, use_providers
from ._provider import Provider
from .topview._provider import TOPVIEW_PROVIDER

__all__ = ["PROVIDERS"]

#: Every provider, Akool first (its family names win a clash; there is none today).
PROVIDERS: Final[tuple[Provider, ...]] = (AKOOL_PROVIDER, TOPVIEW_PROVIDER)

use_providers(PROVIDERS)
use_batch_runner(run_batch)
