"""The batch wing: manifests, the durable journal, the runner, result downloads.

It sits above the sessions and the providers (it drives sessions it is given and knows providers
only through the :class:`~akool_async._provider.Provider` records the package's top hands it);
nothing below imports it. This module re-exports what the rest of the package and the CLI use.
"""

from .journal import (
    ChangedRows,
    Event,
    FileRecord,
    JobRecord,
    JournalBackend,
    JournalCorrupt,
    JournalError,
    JournalLocked,
    JournalLost,
    JournalRow,
    ManifestMismatch,
    ResumePlan,
    RowConflict,
    RowsChanged,
    RowState,
    SecretInRequest,
    StateError,
    UnknownRow,
    derive_row_state,
)
from .journal.sqlite import SCHEMA_VERSION, Journal
from .manifest import (
    MAX_ROW_ID_LENGTH,
    Manifest,
    ManifestError,
    ManifestProblem,
    ManifestRow,
    load_manifest,
    parse_manifest,
    result_stems,
    validate_rows,
)
from .outcomes import BatchOutcome, BatchProgress, OutcomeState
from .providers import family_provider, known_families, lookup, providers, use_providers
from .runner import (
    DEFAULT_BATCH_CONCURRENCY,
    DEFAULT_JOURNAL_NAME,
    BatchOptions,
    BatchRunner,
    run_batch,
)

__all__ = [
    "DEFAULT_BATCH_CONCURRENCY",
    "DEFAULT_JOURNAL_NAME",
    "MAX_ROW_ID_LENGTH",
    "SCHEMA_VERSION",
    "BatchOptions",
    "BatchOutcome",
    "BatchProgress",
    "BatchRunner",
    "ChangedRows",
    "Event",
    "FileRecord",
    "JobRecord",
    "Journal",
    "JournalBackend",
    "JournalCorrupt",
    "JournalError",
    "JournalLocked",
    "JournalLost",
    "JournalRow",
    "Manifest",
    "ManifestError",
    "ManifestMismatch",
    "ManifestProblem",
    "ManifestRow",
    "OutcomeState",
    "ResumePlan",
    "RowConflict",
    "RowState",
    "RowsChanged",
    "SecretInRequest",
    "StateError",
    "UnknownRow",
    "derive_row_state",
    "family_provider",
    "known_families",
    "load_manifest",
    "lookup",
    "parse_manifest",
    "providers",
    "result_stems",
    "run_batch",
    "use_providers",
    "validate_rows",
]
