"""conduct-ledger: an append-only, tamper-evident ledger of service conduct.

The public API: :class:`Ledger` (the facade), the event catalogue in :mod:`ledger.events`,
the stores in :mod:`ledger.store`, and the :class:`LedgerError` family.
"""

from ledger.app import ImportReport, Ledger, RecordReport
from ledger.errors import (
    ConcurrencyError,
    ConflictError,
    FieldProblem,
    ImportRejected,
    LedgerError,
    NotFoundError,
    RulebookError,
    StorageError,
    TamperedError,
    UsageError,
    ValidationFailed,
)
from ledger.events import Event, parse_event
from ledger.timeutil import COMPANY_TZ, Period

__all__ = [
    "COMPANY_TZ",
    "ConcurrencyError",
    "ConflictError",
    "Event",
    "FieldProblem",
    "ImportRejected",
    "ImportReport",
    "Ledger",
    "LedgerError",
    "NotFoundError",
    "Period",
    "RecordReport",
    "RulebookError",
    "StorageError",
    "TamperedError",
    "UsageError",
    "ValidationFailed",
    "parse_event",
]
