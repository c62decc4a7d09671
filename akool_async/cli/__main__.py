"""``python -m akool_async.cli``: the same as ``akool-async``."""

from __future__ import annotations

import sys

from . import main

sys.exit(main())
