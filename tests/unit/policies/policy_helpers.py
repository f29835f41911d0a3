"""Shared helpers for the table-driven policy tests (RULEBOOK.md v1, hand-worked).

Every expectation in ``tests/unit/policies`` is worked out from RULEBOOK.md, not from the
code. Times are company time (Asia/Shanghai) written ``"YYYY-MM-DD HH:MM"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ledger.events import Event
from ledger.policies.engine import Derivation, derive
from ledger.policies.framework import Outcome
from ledger.policies.rulebook import AdoptedRulebook, Rulebook, RulebookSet
from ledger.testing import instant, make

__all__ = [
    "DEFAULT_DOC",
    "EMP",
    "FAR",
    "Row",
    "at",
    "books",
    "by_kind",
    "document",
    "event_id",
    "findings",
    "fines_of",
    "ids",
    "make_with_id",
    "one",
    "records",
    "rows",
    "run",
]

EMP = "E1"
FAR = "2030-01-01 00:00"
"""A ``now`` after every deadline used in the tables."""

DEFAULT_DOC = Rulebook.default_document()

Row = tuple[str, str, str | None, str]
"""``(rule_id, kind, amount or None, issued_at as "YYYY-MM-DD HH:MM")``."""


def at(text: str) -> datetime:
    """A company-time instant."""
    return instant(text)


def document(changes: dict[str, str] | None = None, *, append: str = "") -> str:
    """The default TOML with some values replaced, e.g. ``{"jurisdiction.fines_allowed": "false"}``.

    A key is ``section.name`` (or a bare top-level ``name``); the value is TOML text. ``append``
    is added at the end of the document.
    """
    lines = DEFAULT_DOC.splitlines()
    for dotted, value in (changes or {}).items():
        section, _, name = dotted.rpartition(".")
        current = ""
        hits = []
        for index, line in enumerate(lines):
            stripped = line.strip()
            if stripped.startswith("[") and not stripped.startswith("[["):
                current = stripped.split("]")[0].strip("[ ")
            elif current == section and stripped.split("=")[0].strip() == name:
                hits.append(index)
        assert len(hits) == 1, f"{dotted!r} occurs {len(hits)} times in the default rulebook"
        lines[hits[0]] = f"{name} = {value}"
    return "\n".join(lines) + "\n" + append


def books(
    text: str = DEFAULT_DOC,
    *,
    effective_from: date | None = None,
    published_on: date | None = None,
) -> RulebookSet:
    """A rulebook set holding one adopted version of ``text``."""
    return RulebookSet(
        [
            AdoptedRulebook.from_document(
                text, effective_from=effective_from, published_on=published_on
            )
        ]
    )


_DEFAULT_BOOKS = books()


def run(
    events: Sequence[Event],
    *,
    now: str = FAR,
    rulebooks: RulebookSet | None = None,
    emp: str = EMP,
) -> Derivation:
    """Derive ``emp``'s consequences from ``events``."""
    return derive(emp, events, _DEFAULT_BOOKS if rulebooks is None else rulebooks, at(now))


def _local(moment: datetime) -> str:
    return instant(moment).strftime("%Y-%m-%d %H:%M")


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def rows(derivation: Derivation, rule: str | None = None, *, fines: bool = False) -> list[Row]:
    """The outcomes as comparable rows, in issue order; fines only when ``fines``."""
    return [
        (o.rule.rule_id, o.kind, _amount(o.amount), _local(o.issued_at))
        for o in derivation.outcomes
        if (rule is None or o.rule.rule_id == rule) and (fines or o.kind != "fine")
    ]


def records(derivation: Derivation, rule: str | None = None) -> list[Outcome]:
    """The outcomes that are not fines (optionally of one rule), in issue order."""
    return [
        o
        for o in derivation.outcomes
        if o.kind != "fine" and (rule is None or o.rule.rule_id == rule)
    ]


def by_kind(derivation: Derivation, kind: str) -> list[Outcome]:
    """The outcomes of one kind, in issue order."""
    return [o for o in derivation.outcomes if o.kind == kind]


def one(derivation: Derivation, kind: str, rule: str | None = None) -> Outcome:
    """The single outcome of ``kind`` (and ``rule``); fails when there is not exactly one."""
    found = [o for o in by_kind(derivation, kind) if rule is None or o.rule.rule_id == rule]
    assert len(found) == 1, f"expected one {kind}, got {[(o.rule.rule_id, o.kind) for o in found]}"
    return found[0]


def fines_of(derivation: Derivation) -> dict[UUID, Outcome]:
    """Fines keyed by the record they are attached to."""
    fines: dict[UUID, Outcome] = {}
    for fine in by_kind(derivation, "fine"):
        assert fine.attached_to is not None
        assert fine.attached_to not in fines, "two fines attached to one record"
        fines[fine.attached_to] = fine
    return fines


def findings(derivation: Derivation, code: str | None = None) -> list[tuple[str, str]]:
    """``(code, at)`` of the findings (optionally of one code)."""
    return [(f.code, _local(f.at)) for f in derivation.findings if code is None or f.code == code]


def event_id(n: int) -> UUID:
    """A fixed event id whose string order follows ``n`` (for ties at one timestamp)."""
    return UUID(int=n)


def make_with_id(n: int, type_name: str, when: str, **data: Any) -> Event:
    """An event of ``EMP`` with the fixed id :func:`event_id` ``(n)``."""
    return make(type_name, EMP, when, envelope={"event_id": event_id(n)}, **data)


def ids(events: Iterable[Event]) -> tuple[UUID, ...]:
    """Event ids, sorted as the engine sorts ``caused_by``."""
    return tuple(sorted((e.event_id for e in events), key=str))
