"""The :class:`Ledger` facade: one object that records facts, derives and answers.

Writing goes through :mod:`ledger.write` (the write path, readable in one sitting); this
module holds what a ledger knows (its store, clock, rulebooks and horizon) and the reads.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from uuid import UUID

from ledger import feed, write
from ledger.access import AdoptedAccess, access_in_force
from ledger.access.adoption import adopt_access
from ledger.errors import NotFoundError, UsageError
from ledger.events import LEDGER_STREAM, CheckpointIssued, Event, RulebookAdopted, Ticked
from ledger.importer import Format
from ledger.policies.engine import Derivation, derive
from ledger.policies.hiring import employed, unhired_finding
from ledger.policies.incremental import PRIOR_LAG
from ledger.policies.rulebook import AdoptedRulebook, Rulebook, RulebookSet
from ledger.policies.status import SanctionState, fold_sanctions
from ledger.store import ChainReport, EventStore, MemoryStore, Recorded, open_store
from ledger.store.base import recorded_of_row
from ledger.timeutil import COMPANY_TZ, Period
from ledger.write import ImportReport, KeptState, RecordReport, TickReport

__all__ = ["ImportReport", "Ledger", "RecordReport", "TickReport"]

_DAWN = write.DAWN

Clock = Callable[[], datetime]


class Ledger:
    """The conduct ledger over one event store.

    Args:
        store: where facts live.
        clock: the ledger's notion of now (injectable for tests and replays).
        actor: who writes through this ledger (``recorded_by``), checked against the access
            document in force; each write may name another.

    Example:
        >>> with Ledger.open(":memory:") as ledger:
        ...     ledger.store.head()
        0
    """

    incremental: bool = True
    """Resume derivations from their stored states (docs/ARCHITECTURE.md, "Derivation
    state"); ``False`` derives every reconciled employee's whole history (the reference)."""
    states_kept: int = 2_048
    """How many derivation states this ledger keeps decoded between writes (0: none; a write
    touching more employees keeps none). A state read back is reused only when its stored
    text is the text kept with it, so a state another process wrote is decoded again
    (docs/ARCHITECTURE.md, "Derivation state")."""
    states_every: int = 32
    """A kept state is written once it accounts for this many events more than the stored
    one (1: at every write). States decoded from the store or derived in full are always
    written; resuming from an older stored state derives at most this many events again."""
    prior_lag: timedelta = PRIOR_LAG
    """Each employee's prior state (the one a derivation the latest state cannot resume
    resumes from) is replaced by the stored latest once that pauses this much later."""

    def __init__(
        self,
        store: EventStore,
        *,
        clock: Clock | None = None,
        adopt_default: bool = True,
        actor: str | None = None,
    ) -> None:
        self.store = store
        self.actor = actor
        self.clock: Clock = clock or (lambda: datetime.now(COMPANY_TZ))
        store.clock = self.now
        # (tip of the _ledger stream, rulebooks, horizon), replaced as one value so that
        # threads sharing this ledger never see a rulebook set with another tip's horizon.
        self._state: tuple[tuple[int, str], RulebookSet, datetime | None] = (
            (-1, ""),
            RulebookSet(),
            None,
        )
        self._kept_states: OrderedDict[str, KeptState] = OrderedDict()
        if adopt_default and not getattr(store, "readonly", False) and not self.rulebooks():
            self.adopt(Rulebook.default_document(), source="default rulebook")

    @classmethod
    def open(
        cls,
        path: str | Path = ":memory:",
        *,
        clock: Clock | None = None,
        adopt_default: bool = True,
        actor: str | None = None,
        **options: Any,
    ) -> Ledger:
        """Open (creating if needed) a ledger in a SQLite file, in memory for ``:memory:``, or
        in PostgreSQL for a ``postgresql://`` URL (:func:`ledger.store.open_store`).

        Args:
            path: the database file (or ``sqlite:///PATH``), or a ``postgresql://`` URL.
            clock: the ledger's notion of now.
            adopt_default: adopt the shipped rulebook (with its own dates) when none is;
                concurrent first opens adopt it once.
            actor: who writes (see :class:`Ledger`).
            options: passed to the store (:class:`~ledger.store.SQLiteStore` or
                :class:`~ledger.store.postgres.PostgresStore`): ``readonly=True`` for a
                reader that never writes (and refuses what is not a ledger), ``create``,
                ``write_timeout``, ``on_wait``, ``notify``, ``synchronous``.

        Raises:
            StorageError: the file is not a ledger database or cannot be opened.
        """
        store: EventStore = open_store(path, **options)
        return cls(store, clock=clock, adopt_default=adopt_default, actor=actor)

    @classmethod
    def in_memory(
        cls, *, clock: Clock | None = None, adopt_default: bool = True, actor: str | None = None
    ) -> Ledger:
        """A ledger on the pure-Python in-memory backend (fast; for tests and replays)."""
        return cls(MemoryStore(), clock=clock, adopt_default=adopt_default, actor=actor)

    def now(self) -> datetime:
        """The ledger clock's current time, in company time."""
        moment = self.clock()
        if moment.tzinfo is None:
            raise UsageError("the ledger clock returned a naive datetime")
        return moment.astimezone(COMPANY_TZ)

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying store."""
        self.store.close()

    # -- recording ---------------------------------------------------------------------------

    def record(self, events: Event | Iterable[Event], *, actor: str | None = None) -> RecordReport:
        """Record observations atomically (one transaction), with their consequences.

        Args:
            events: one event or a batch; ids already stored with the same content are
                reported as already present (safe retries).
            actor: who records them (default: :attr:`actor`).

        Raises:
            ValidationFailed: an event is of a type only the ledger writes, or in the
                future, or refers to a retraction target or consequence not recorded.
            AccessDenied: the access document in force refuses a fact; nothing is written.
            ConflictError: an id is stored with other content; nothing is written.
        """
        return write.record(self, events, actor=actor)

    def import_stream(
        self,
        stream: IO[str],
        *,
        source: str = "<stream>",
        fmt: Format = "jsonl",
        batch_size: int = 5000,
        progress: Callable[[int], None] | None = None,
        preload: int = write.PRELOAD,
        actor: str | None = None,
        stages: write.Stages | None = None,
        workers: int | None = None,
    ) -> ImportReport:
        """Import a JSON Lines or CSV stream in one transaction, all or nothing.

        The whole stream is validated before the write lock is taken (see
        :func:`ledger.write.import_stream`); lines without ``recorded_by`` are recorded
        under ``actor`` (default: :attr:`actor`). ``workers``: processes validating the
        lines (default: every CPU for a file of 16 MiB or more, else this process).

        Raises:
            ImportRejected: a bad line, or an id stored with other content; nothing written.
            AccessDenied: the access document in force refuses a line; nothing written.
        """
        return write.import_stream(
            self,
            stream,
            source=source,
            fmt=fmt,
            batch_size=batch_size,
            progress=progress,
            preload=preload,
            actor=actor,
            stages=stages,
            workers=workers,
        )

    def import_file(
        self, path: str | Path, *, fmt: Format | None = None, **options: Any
    ) -> ImportReport:
        """Import a file (``-`` for standard input); the format follows the suffix by default.

        Raises:
            ImportRejected: unreadable, a bad line, or a conflicting id; nothing written.
        """
        return write.import_file(self, path, fmt=fmt, **options)

    # -- reading -----------------------------------------------------------------------------

    def history(self, employee_id: str, **bounds: Any) -> Iterator[Event]:
        """The employee's stored events in recording order."""
        for recorded in self.store.read(employee_id=employee_id, **bounds):
            yield recorded.event

    def follow(
        self,
        after: int = 0,
        types: Iterable[str] | None = None,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Iterator[Recorded]:
        """Recorded events after position ``after``, in position order; when caught up, wait
        for new ones (the change feed, :mod:`ledger.feed`).

        Args:
            after: the caller's checkpoint, the last position it has handled.
            types: event types or shell patterns (``"sanction.*"``); default all.
            wait: ``False`` stops when caught up.
            timeout: stop after waiting this many seconds with nothing new.
        """
        for row in feed.follow_rows(self.store, after, types, wait=wait, timeout=timeout):
            yield recorded_of_row(row)

    def verify_chain(self) -> ChainReport:
        """Check the hash chain, positions and stream versions of the whole log."""
        return self.store.verify()

    # -- rulebooks ---------------------------------------------------------------------------

    def _refreshed(self) -> tuple[RulebookSet, datetime | None]:
        tip = self.store.stream_tip(LEDGER_STREAM)
        state = self._state
        if state[0] != tip:
            rulebooks, horizon = self.ledger_state(to_version=tip[0])
            state = (tip, rulebooks, horizon)
            self._state = state
        return state[1], state[2]

    def ledger_state(
        self, known_at: datetime | None = None, *, to_version: int | None = None
    ) -> tuple[RulebookSet, datetime | None]:
        """The rulebooks and deadline horizon, as the ledger knew them at ``known_at``."""
        adopted: list[AdoptedRulebook] = []
        horizon: datetime | None = None
        for recorded in self.store.read(
            employee_id=LEDGER_STREAM, recorded_to=known_at, to_version=to_version
        ):
            data = recorded.event.data
            if isinstance(data, RulebookAdopted):
                adopted.append(_adopted_of(data))
            elif isinstance(data, Ticked):
                horizon = data.now if horizon is None else max(horizon, data.now)
        return RulebookSet(adopted), horizon

    def rulebooks(self) -> RulebookSet:
        """Every adopted rulebook version (read from the ``_ledger`` stream)."""
        return self._refreshed()[0]

    def rulebooks_and_horizon(self) -> tuple[RulebookSet, datetime | None]:
        """:meth:`rulebooks` and :meth:`horizon` from one reading of the ``_ledger`` stream
        (two calls could straddle an adoption or a tick by another writer)."""
        return self._refreshed()

    def horizon(self) -> datetime | None:
        """The latest ``now`` a tick evaluated deadlines up to (``None`` before any tick)."""
        return self._refreshed()[1]

    def adopt(
        self,
        document: str,
        *,
        effective_from: date | None = None,
        published_on: date | None = None,
        source: str = "<rulebook>",
        by: str | None = None,
    ) -> AdoptedRulebook:
        """Adopt a rulebook version and re-derive every employee under the new set.

        Adopting the same document again returns the adopted version and writes nothing,
        also when several processes adopt it at once (the check runs under the write lock).

        Args:
            by: who adopts it (default: :attr:`actor`).

        Raises:
            RulebookError: the document is invalid, or that id and version is already
                adopted with other content.
            AccessDenied: the access document in force does not let ``by`` adopt it.
        """
        return write.adopt(
            self,
            document,
            effective_from=effective_from,
            published_on=published_on,
            source=source,
            by=by,
        )

    def access(self) -> AdoptedAccess | None:
        """The access document in force (``None``: who may write is not checked)."""
        return access_in_force(self.store)

    def adopt_access(
        self, document: str, *, by: str | None = None, source: str = "<access>"
    ) -> AdoptedAccess:
        """Adopt an access document (TOML); it binds every write after it.

        Args:
            by: who adopts it (default: :attr:`actor`); once a document is in force, an
                actor holding ``admin`` in it.

        Raises:
            ValidationFailed: the document is invalid, or not numbered above the one in force.
            AccessDenied: ``by`` may not adopt it.
        """
        return adopt_access(self, document, by=by, source=source)

    # -- derivation and reconciliation -------------------------------------------------------

    def employees(self) -> list[str]:
        """Every employee with a stream."""
        return [e for e in self.store.employees() if e != LEDGER_STREAM]

    def derive(self, employee_id: str, *, now: datetime | None = None) -> Derivation:
        """What the policies derive for one employee from everything known, at ``now``.

        ``now`` (default: the deadline horizon) bounds which deadlines count as missed. The
        findings include the facts that count for nothing for want of a hire, or before it
        (:mod:`ledger.policies.hiring`).
        """
        events = [r.event for r in self.store.read(employee_id=employee_id)]
        when = now or self.horizon() or _DAWN
        derived = derive(employee_id, employed(events), self.rulebooks(), when)
        idle = unhired_finding(employee_id, events)
        if idle is None:
            return derived
        return replace(derived, findings=(idle, *derived.findings))

    def audit(self, employee_id: str) -> tuple[list[Event], Derivation, list[SanctionState]]:
        """For ``verify``: what reconciliation would record now (derived from scratch), the
        derivation, and the recorded consequences, from one read of the stream."""
        return write.audit(self, employee_id)

    def reconcile(self, employee_id: str) -> int:
        """Record the difference between derived and recorded consequences; returns a count."""
        return write.reconcile(self, employee_id)

    def pending(self, employee_id: str) -> list[Event]:
        """The derived events reconciliation would record for one employee now (none written)."""
        return write.pending(self, employee_id)

    def tick(self, now: datetime | None = None, stages: write.Stages | None = None) -> TickReport:
        """Evaluate deadlines up to ``now`` (default: the clock) and reconcile.

        The horizon only moves forward: a tick earlier than the last one evaluates nothing
        new. Every employee with a deadline-bearing fact is reconciled (everyone when a month
        ends: payroll closes, grades are due). ``stages`` is told each stage's progress
        (``ledger.write.Stages``).

        Raises:
            UsageError: ``now`` lies in the future of the ledger's clock.
        """
        return write.tick(self, now, stages)

    def record_checkpoint(self, sign: Callable[[int], CheckpointIssued]) -> Recorded:
        """Record ``ledger.checkpointed`` for a checkpoint of the head, under the write lock
        (``sign`` gets the head's position); see :func:`ledger.audit.checkpoint`."""
        return write.record_checkpoint(self, sign)

    # -- reading consequences ----------------------------------------------------------------

    def sanctions(
        self, employee_id: str | None = None, period: Period | None = None
    ) -> list[SanctionState]:
        """The sanction register: every recorded consequence with its history.

        Args:
            employee_id: only this employee's.
            period: only those issued (effective) within it.
        """
        types = frozenset(
            {
                "sanction.issued",
                "sanction.voided",
                "sanction.revoked",
                "sanction.reinstated",
            }
        )
        states = fold_sanctions(self.store.read(employee_id=employee_id, types=types))
        chosen = [s for s in states.values() if period is None or s.issued.effective_at in period]
        return sorted(
            chosen, key=lambda s: (s.issued.effective_at, s.employee_id, s.sanction_id.int)
        )

    def sanction(self, sanction_id: UUID) -> SanctionState:
        """One consequence by id.

        Raises:
            NotFoundError: no such consequence is recorded.
        """
        for found, employee_id in self.store.find_sanctions(str(sanction_id)):
            if found == sanction_id:
                for state in self.sanctions(employee_id):
                    if state.sanction_id == sanction_id:
                        return state
        raise NotFoundError(f"no consequence {sanction_id} is recorded")


def _adopted_of(data: RulebookAdopted) -> AdoptedRulebook:
    return AdoptedRulebook(
        rulebook=Rulebook.from_toml(data.document, source=f"rulebook.adopted v{data.version}"),
        document=data.document,
        sha256=data.sha256,
        effective_from=data.effective_from,
        published_on=data.published_on,
    )
