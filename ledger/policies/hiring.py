"""Which of an employee's facts the rules count: none before the hire is recorded.

The badge gateway may be faster than HR: facts about an employee with no
``employee.hired`` are stored, but derive nothing (no sanction, grade or payroll month)
until the hire is recorded; from then on they count from ``hired_on``. A fact that occurred
before ``hired_on`` never counts: it predates the employment.

Worked example: three absences of ``GHOST`` on 1-3 July derive nothing (and
:func:`unhired_finding` names them). ``employee.hired`` with ``hired_on`` 2 July arrives
on 10 July: the absences of 2 and 3 July now count (ATT-01 and ATT-02 see two days), the
one of 1 July does not.

Everyone who derives (the write path, ``verify``, views, replays, bundles) filters
through :func:`employed`, so all agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from ledger.events import EVENT_TYPES, Event, Hired, Retracted
from ledger.policies.framework import Finding
from ledger.timeutil import start_of_day

__all__ = ["ALWAYS_COUNTED", "employed", "employment_start", "unhired_finding"]

ALWAYS_COUNTED = ("employee.", "correction.", "appeal.")
"""Prefixes of the types kept whenever they occurred: the employment record itself, and
corrections and appeals (which refer to other events)."""

_NAMED = 20
"""Event ids a finding names (the message counts them all)."""


def employment_start(events: Iterable[Event]) -> datetime | None:
    """The start of the earliest ``hired_on`` of a hire that is not retracted, else ``None``."""
    hires: list[Event] = []
    retracted: set[object] = set()
    for event in events:
        if isinstance(event.data, Hired):
            hires.append(event)
        elif isinstance(event.data, Retracted):
            retracted.add(event.data.target_event_id)
    days = [
        h.data.hired_on for h in hires if h.event_id not in retracted and isinstance(h.data, Hired)
    ]
    return start_of_day(min(days)) if days else None


def employed(events: Sequence[Event]) -> list[Event]:
    """The events of one stream that derivation counts.

    Derived events are kept (derivation ignores them); of the observations, none when no
    hire is recorded, else those from the start of ``hired_on`` on, and the employment,
    correction and appeal facts whenever they occurred.
    """
    start = employment_start(events)
    return [
        e
        for e in events
        if e.type in _DERIVED
        or (start is not None and (e.occurred_at >= start or e.type.startswith(ALWAYS_COUNTED)))
    ]


_DERIVED = frozenset(name for name, spec in EVENT_TYPES.items() if spec.DERIVED)


def unhired_finding(employee_id: str, events: Sequence[Event]) -> Finding | None:
    """A finding naming the facts that do not count for want of a hire (or before it)."""
    start = employment_start(events)
    idle = [
        e
        for e in events
        if not EVENT_TYPES[e.type].DERIVED
        and not EVENT_TYPES[e.type].LEDGER_WIDE
        and (start is None or (e.occurred_at < start and not e.type.startswith(ALWAYS_COUNTED)))
    ]
    if not idle:
        return None
    if start is None:
        code = "not_hired"
        text = (
            f"{employee_id} has {len(idle)} fact(s) but no employee.hired: they derive "
            "nothing until the hire is recorded"
        )
    else:
        code = "before_hire"
        text = (
            f"{len(idle)} fact(s) of {employee_id} occurred before hired_on "
            f"{start.date().isoformat()} and do not count"
        )
    named = tuple(e.event_id for e in idle[:_NAMED])
    return Finding(code, employee_id, min(e.occurred_at for e in idle), text, named)
