"""Adopting an access document: itself a write the document in force must allow.

The first adoption may be made by anyone (nothing binds yet) and binds every write after its
position; from then on only an actor holding ``admin`` adopts the next version, which must
be numbered above the one in force. Adopting the document in force again writes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ledger.access.document import AdoptedAccess, load_access
from ledger.access.guard import WriteGuard
from ledger.errors import ValidationFailed
from ledger.events import LEDGER_STREAM, AccessAdopted, Event

if TYPE_CHECKING:
    from ledger.app import Ledger

__all__ = ["adopt_access"]


def adopt_access(
    ledger: Ledger, text: str, *, by: str | None = None, source: str = "<access>"
) -> AdoptedAccess:
    """Adopt the access document ``text`` (TOML).

    Args:
        by: who adopts it (default: the ledger's actor).
        source: where the text came from, for messages and the event's ``source``.

    Returns:
        The document in force afterwards, with its position.

    Raises:
        ValidationFailed: the document is invalid, or its version is not above the one in
            force.
        AccessDenied: a document is in force and ``by`` does not hold ``admin`` in it.
    """
    loaded = load_access(text, source=source)
    with ledger.store.transaction():
        guard = WriteGuard(ledger.store, ledger.actor if by is None else by)
        event = Event.of(
            AccessAdopted(
                access_id=loaded.document.id,
                version=loaded.document.version,
                document=text,
                sha256=loaded.sha256,
            ),
            employee_id=LEDGER_STREAM,
            occurred_at=ledger.now(),
            recorded_by=guard.signer,
            source=source,
        )
        guard.check(event, source)
        current = guard.access
        if current is not None:
            if current.sha256 == loaded.sha256:
                return current
            if loaded.document.version <= current.document.version:
                raise ValidationFailed.single(
                    "version",
                    f"{loaded.document.version} is not above the version in force "
                    f"({current.label}); number the new document higher",
                    where=source,
                )
        report = ledger.store.append([event])
    return replace(loaded, position=report.appended[0].position, adopted_by=event.recorded_by)
