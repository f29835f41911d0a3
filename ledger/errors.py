"""The one exception family of the ledger.

Every error the library raises on purpose is a :class:`LedgerError`; storage errors from
SQLite are translated into :class:`StorageError` so callers never need to import
``sqlite3`` to handle failures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AccessDenied",
    "ConcurrencyError",
    "ConflictError",
    "FieldProblem",
    "ImportRejected",
    "LedgerError",
    "NotFoundError",
    "RulebookError",
    "StorageError",
    "TamperedError",
    "UsageError",
    "ValidationFailed",
]


class LedgerError(Exception):
    """Root of every error raised by the ledger on purpose."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One problem with one field of an input.

    Attributes:
        field: dotted path of the field, e.g. ``data.minutes``; empty for the whole input.
        message: what is wrong with it.
    """

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class ValidationFailed(LedgerError):
    """An input (event, rulebook, option) is malformed; ``problems`` names each field."""

    def __init__(self, problems: Sequence[FieldProblem], *, where: str = "") -> None:
        self.problems = tuple(problems)
        self.where = where
        text = "; ".join(str(p) for p in self.problems) or "invalid input"
        super().__init__(f"{where}: {text}" if where else text)

    @classmethod
    def single(cls, field: str, message: str, *, where: str = "") -> ValidationFailed:
        """A failure with one problem."""
        return cls([FieldProblem(field, message)], where=where)


class ImportRejected(LedgerError):
    """A batch import was refused; nothing of it was written.

    Attributes:
        source: the file's name as given.
        line: 1-based line (or CSV row) number of the first bad record (0: the whole file).
        reason: what is wrong with it.
        problems: every problem reported, as ``(line, problem)`` in line order (at most
            ``REPORTED`` lines' worth; ``bad_lines`` counts them all).
        bad_lines: how many lines are bad.
        lines: how many lines were read (``None`` when the file could not be read).
    """

    REPORTED = 100
    """Bad lines named in full; the rest are counted."""

    def __init__(
        self,
        source: str,
        line: int,
        reason: str,
        *,
        problems: Sequence[tuple[int, FieldProblem]] = (),
        bad_lines: int = 1,
        lines: int | None = None,
    ) -> None:
        self.source = source
        self.line = line
        self.reason = reason
        self.problems = tuple(problems) or ((line, FieldProblem("", reason)),)
        self.bad_lines = bad_lines
        self.lines = lines
        # (line 0 is the whole file: no line to name)
        text = "\n".join(f"{source}:{n}: {p}" if n else f"{source}: {p}" for n, p in self.problems)
        named = len({n for n, _ in self.problems})
        if bad_lines > named:
            text += f"\n... and {bad_lines - named} more bad lines"
        if bad_lines > 1 or lines is not None:
            total = f" of {lines}" if lines is not None else ""
            text += f"\n{source}: {bad_lines}{total} lines rejected; nothing was written"
        super().__init__(text)

    @classmethod
    def of(
        cls, source: str, problems: Sequence[tuple[int, FieldProblem]], bad_lines: int, lines: int
    ) -> ImportRejected:
        """Every problem found in a file (in line order); the first one is ``line``/``reason``."""
        line, first = problems[0]
        return cls(
            source, line, str(first), problems=problems, bad_lines=bad_lines, lines=lines
        )


class ConflictError(LedgerError):
    """An event id is already stored with different content (idempotency violation)."""

    def __init__(self, event_id: str, detail: str = "", *, position: int | None = None) -> None:
        self.event_id = event_id
        self.position = position
        """The stored event's position (``None``: repeated in the batch itself)."""
        where = f" at position {position}" if position is not None else ""
        msg = f"event {event_id} is already stored{where} with different content"
        super().__init__(f"{msg} ({detail})" if detail else msg)


class ConcurrencyError(LedgerError):
    """``expected_version`` did not match the stream's current version."""

    def __init__(self, employee_id: str, expected: int, actual: int) -> None:
        self.employee_id = employee_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {employee_id!r} is at version {actual}, expected {expected}; nothing written"
        )


class StorageError(LedgerError):
    """The storage backend failed (file unreadable, locked too long, disk full...)."""


class TamperedError(StorageError):
    """A stored row could not be read back because it was altered outside the ledger."""


class NotFoundError(LedgerError):
    """A requested sanction, event, employee or file does not exist."""


class RulebookError(LedgerError):
    """A rulebook document is invalid, or no rulebook is in force."""


class UsageError(LedgerError):
    """The library or command was called with arguments that do not fit together."""


class AccessDenied(LedgerError):
    """A write the access document in force (or a built-in separation of duties) refuses.

    Attributes:
        actor: who tried to write (``None``: nobody said who).
        type: the event type refused.
        missing: the right the actor lacks, as a sentence part.
        where: which input: ``FILE:LINE``, or the event's place in a batch.
    """

    def __init__(self, actor: str | None, type_name: str, missing: str, *, where: str = "") -> None:
        self.actor = actor
        self.type = type_name
        self.missing = missing
        self.where = where
        who = actor if actor is not None else "an unnamed actor"
        text = f"access denied: {who} may not record {type_name}: {missing}"
        super().__init__(f"{where}: {text}" if where else text)
