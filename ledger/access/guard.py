"""The write-time check: every fact of a batch, before anything of it is written.

A :class:`WriteGuard` lives for one write operation, inside its transaction (so under the
write lock: the access document it reads is the one in force where the batch will land).
For each fact, in batch order:

1. once an access document is in force, the acting actor must be named, the fact must be
   recorded under the actor's name, and :func:`ledger.access.rules.judge` must allow it;
2. whatever the document, its references must resolve
   (:func:`ledger.access.references.reference_problem`).

A refusal raises before the batch is appended; the transaction then writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from uuid import UUID

from ledger.access.document import AdoptedAccess, load_access
from ledger.access.references import AppealFacts, appeal_facts, reference_problem
from ledger.access.rules import judge
from ledger.errors import AccessDenied, ValidationFailed
from ledger.events import LEDGER_STREAM, AccessAdopted, AppealDecided, AppealFiled, Event
from ledger.store import EventStore

__all__ = ["ANONYMOUS", "WriteGuard", "access_at", "access_in_force"]

ANONYMOUS = "cli"
"""``recorded_by`` of an adoption nobody signed, while no access document is in force (as
before access documents existed)."""

_ADOPTED = frozenset({"access.adopted"})


def access_in_force(store: EventStore) -> AdoptedAccess | None:
    """The access document adopted last, or ``None`` when none is."""
    return access_at(store, None)


def access_at(store: EventStore, position: int | None) -> AdoptedAccess | None:
    """The access document binding a write at ``position`` (adopted before it), if any."""
    bound = None if position is None else position - 1
    for recorded in store.read(
        employee_id=LEDGER_STREAM, types=_ADOPTED, to_position=bound, reverse=True, limit=1
    ):
        data = recorded.event.data
        assert isinstance(data, AccessAdopted)
        loaded = load_access(data.document, source=f"access.adopted v{data.version}")
        return replace(loaded, position=recorded.position, adopted_by=recorded.event.recorded_by)
    return None


class WriteGuard:
    """The checks of one write operation (docs/ARCHITECTURE.md, "Access").

    Args:
        store: the store written to, read inside the write's transaction.
        actor: the acting actor (``None``: nobody said).
    """

    def __init__(self, store: EventStore, actor: str | None) -> None:
        self.store = store
        self.actor = actor
        self.access = access_in_force(store)
        self._earlier: dict[UUID, Event] = {}

    @property
    def signer(self) -> str:
        """``recorded_by`` for what the operation itself records (an adoption); unsigned
        while an access document is in force, it is refused by :meth:`check`."""
        return self.actor if self.actor is not None else ANONYMOUS

    def check_batch(self, items: Iterable[tuple[str, Event]]) -> None:
        """Check a batch about to be appended, ``(where, event)`` in batch order; each may
        refer to those before it.

        Raises:
            AccessDenied: the first fact the access document or a built-in rule refuses.
            ValidationFailed: the first fact whose references do not resolve.
        """
        self.start_batch()
        for where, event in items:
            self.check(event, where)

    def start_batch(self) -> None:
        """Forget the previous batch (appended by now, so read from the store)."""
        self._earlier = {}

    def check(self, event: Event, where: str) -> None:
        """Check the next fact of the batch (see :meth:`check_batch`).

        A fact already stored under its id passes: the store answers a retry with the
        same content as already present (and refuses other content), writing nothing.
        """
        try:
            appeal = self._appeal(event)
            if self.access is not None:
                self._rights(event, where, appeal)
            problem = reference_problem(self.store, event, earlier=self._earlier, appeal=appeal)
            if problem is not None:
                raise ValidationFailed([problem], where=where)
        except (AccessDenied, ValidationFailed):
            if self.store.get(event.event_id) is None:
                raise
        self._earlier[event.event_id] = event

    def _appeal(self, event: Event) -> AppealFacts | None:
        if not isinstance(event.data, AppealFiled | AppealDecided):
            return None
        return appeal_facts(
            self.store, event.employee_id, event.data.sanction_id, earlier=self._earlier.values()
        )

    def _rights(self, event: Event, where: str, appeal: AppealFacts | None) -> None:
        assert self.access is not None
        label = self.access.label
        if self.actor is None:
            raise AccessDenied(
                None,
                event.type,
                f"{label} is in force and nobody said who is writing: act as someone "
                "(--as ACTOR, $LEDGER_ACTOR, or actor=)",
                where=where,
            )
        if event.recorded_by != self.actor:
            raise AccessDenied(
                self.actor,
                event.type,
                f"the fact names {event.recorded_by!r} as its recorder, and an actor records "
                "only under their own name",
                where=where,
            )
        verdict = judge(
            self.access.document,
            self.actor,
            event.type,
            event.employee_id,
            causing_recorders=appeal.causing_recorders if appeal is not None else (),
        )
        if verdict.missing is not None:
            raise AccessDenied(self.actor, event.type, verdict.missing, where=where)
