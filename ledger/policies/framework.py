"""The rule framework: rule metadata, drafts, outcomes with provenance, the registry.

A rule is a pure function ``(ctx) -> Iterator[Draft]``: it reads the employee's counted
facts and the rulebook in force, and proposes consequences. The engine turns drafts into
:class:`Outcome` values with a deterministic ``sanction_id`` and the rulebook's provenance.
No rule does I/O, reads the wall clock or draws random numbers: ``ctx.now`` is given.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from uuid import UUID

from ledger.events import Basis, Event, OutcomeKind, SanctionIssued
from ledger.policies.clauses import CLAUSES, Clause
from ledger.policies.rulebook import AdoptedRulebook, Rulebook, RulebookSet
from ledger.policies.windows import Tally, Timed

__all__ = [
    "SANCTION_NAMESPACE",
    "Carried",
    "Context",
    "Draft",
    "Finding",
    "Outcome",
    "RuleInfo",
    "RuleRegistry",
    "sanction_id_for",
]

SANCTION_NAMESPACE = UUID("5b0c3d1e-8a2f-5c4e-9d7b-1f2e3a4b5c6d")


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A rule's identity and documentation.

    Attributes:
        rule_id: stable id, e.g. ``ATT-01``.
        version: bumped whenever the rule's logic changes.
        title: one line, English and Chinese.
        outcomes: the outcome kinds it may produce.
    """

    rule_id: str
    version: int
    title: str
    outcomes: tuple[OutcomeKind, ...]

    @property
    def clauses(self) -> tuple[Clause, ...]:
        """The regulation clauses this rule implements (seed file, section, verbatim text)."""
        return CLAUSES.get(self.rule_id, ())


@dataclass(frozen=True, slots=True)
class Draft:
    """A consequence a rule proposes, before the engine gives it an id and provenance.

    Attributes:
        judged_at: the instant whose rulebook judges it (the causing fact's ``occurred_at``).
        issued_at: the issue time (the causing fact, or the deadline of a missed one).
    """

    rule: RuleInfo
    kind: OutcomeKind
    caused_by: tuple[UUID, ...]
    issued_at: datetime
    judged_at: datetime
    basis: Basis
    amount: Decimal | None = None
    due_at: datetime | None = None
    depends_on: tuple[UUID, ...] = ()
    attached_to: UUID | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """A derived consequence with full provenance."""

    sanction_id: UUID
    employee_id: str
    kind: OutcomeKind
    rule: RuleInfo
    rulebook: AdoptedRulebook
    caused_by: tuple[UUID, ...]
    issued_at: datetime
    basis: Basis
    amount: Decimal | None = None
    expires_at: datetime | None = None
    due_at: datetime | None = None
    depends_on: tuple[UUID, ...] = ()
    attached_to: UUID | None = None

    def to_data(self) -> SanctionIssued:
        """The ``sanction.issued`` payload that records this outcome."""
        return SanctionIssued(
            sanction_id=self.sanction_id,
            kind=self.kind,
            amount=self.amount,
            rule_id=self.rule.rule_id,
            rule_version=self.rule.version,
            rulebook_id=self.rulebook.rulebook.id,
            rulebook_version=self.rulebook.rulebook.version,
            rulebook_sha256=self.rulebook.sha256,
            caused_by=self.caused_by,
            depends_on=self.depends_on,
            basis=self.basis,
            effective_at=self.issued_at,
            expires_at=self.expires_at,
            due_at=self.due_at,
            attached_to=self.attached_to,
        )


@dataclass(frozen=True, slots=True)
class Finding:
    """A data problem that is not a sanction (e.g. served before qualification)."""

    code: str
    employee_id: str
    at: datetime
    message: str
    event_ids: tuple[UUID, ...] = ()


def sanction_id_for(
    rulebook: AdoptedRulebook, rule: RuleInfo, employee_id: str, kind: str, causes: Iterable[UUID]
) -> UUID:
    """The deterministic id of a consequence (UUIDv5), so re-deriving it gives the same id."""
    name = "|".join(
        [
            rulebook.rulebook.id,
            str(rulebook.rulebook.version),
            rule.rule_id,
            str(rule.version),
            employee_id,
            kind,
            *sorted(str(c) for c in causes),
        ]
    )
    return uuid.uuid5(SANCTION_NAMESPACE, name)


Carried = Mapping[str, tuple[tuple[Tally, Decimal], ...]]
"""Rule id -> the earlier part of its rolling window as ``(tally, value)`` in fact order."""
_NOTHING_CARRIED: Carried = MappingProxyType({})


@dataclass(frozen=True)
class Context:
    """What a rule sees: one employee's counted facts, the rulebooks and the clock.

    Attributes:
        facts: counted observations ordered by ``(occurred_at, event_id)``; retracted ones
            and the retractions themselves are already removed.
        now: the evaluation time; deadlines after it are not yet missed.
    """

    employee_id: str
    facts: tuple[Event, ...]
    rulebooks: RulebookSet
    now: datetime
    by_type: Mapping[str, tuple[Event, ...]] = field(default_factory=dict)
    since: datetime | None = None
    """When resumed (``ledger.policies.incremental``): only consequences issued from here on
    are wanted; a rule may skip work on earlier facts (the engine drops earlier drafts)."""
    carried: Carried = field(default_factory=lambda: _NOTHING_CARRIED)
    """When resumed: what the windowed rules (ATT-01, ATT-02, SVC-04) counted before
    ``since``, in place of the facts (:meth:`window`)."""

    @classmethod
    def build(
        cls,
        employee_id: str,
        facts: Sequence[Event],
        rulebooks: RulebookSet,
        now: datetime,
        since: datetime | None = None,
        carried: Carried | None = None,
    ) -> Context:
        """Index ``facts`` by type."""
        grouped: dict[str, list[Event]] = {}
        for fact in facts:
            grouped.setdefault(fact.type, []).append(fact)
        return cls(
            employee_id,
            tuple(facts),
            rulebooks,
            now,
            MappingProxyType({k: tuple(v) for k, v in grouped.items()}),
            since,
            carried if carried is not None else _NOTHING_CARRIED,
        )

    def of(self, *types: str) -> tuple[Event, ...]:
        """Counted facts of the given types, in order."""
        by_type = self.by_type
        if len(types) == 1:
            return by_type.get(types[0], ())
        present = [t for t in types if t in by_type]
        if len(present) <= 1:  # (most employees have facts of one of several types at most)
            return by_type[present[0]] if present else ()
        wanted = set(present)
        return tuple(f for f in self.facts if f.type in wanted)

    def window(
        self, rule: RuleInfo, items: Iterable[tuple[Event, Decimal]]
    ) -> list[tuple[Timed, Decimal]]:
        """A windowed rule's items: what was carried for ``rule`` (tallies, all before
        ``since``), then ``items`` (facts, in order; when resumed, all from ``since`` on).
        Resumed with no new item, nothing: no crossing can be issued from ``since`` on."""
        found: list[tuple[Timed, Decimal]] = list(items)
        if not found and self.since is not None:
            return found  # nothing new: no crossing from `since` on
        carried = self.carried.get(rule.rule_id)
        return [*carried, *found] if carried else found

    def wanted(self, issued_at: datetime) -> bool:
        """Whether a consequence issued at ``issued_at`` is wanted (all are, unless resumed:
        then those from ``since`` on; a rule may skip building the others)."""
        return self.since is None or issued_at >= self.since

    def current(self, *types: str) -> tuple[Event, ...]:
        """:meth:`of`, from ``since`` on: the facts whose own consequences are wanted."""
        found = self.of(*types)
        since = self.since
        if since is None or not found or found[0].occurred_at >= since:
            return found
        return tuple(f for f in found if f.occurred_at >= since)

    def nothing_new(self, *types: str) -> bool:
        """Resumed, and no fact of ``types`` from ``since`` on: a counter over those facts
        whose consequences fall at a counted fact has nothing wanted to issue."""
        return self.since is not None and not self.current(*types)

    def rulebook_at(self, moment: datetime) -> Rulebook | None:
        """The rulebook binding facts at ``moment`` (``None`` before any is published)."""
        adopted = self.rulebooks.in_force(moment)
        return adopted.rulebook if adopted else None


RuleFn = Callable[[Context], Iterator["Draft | Finding"]]


class RuleRegistry:
    """The rules in force, registered explicitly; duplicate ``(rule_id, version)`` refused."""

    def __init__(self) -> None:
        self._rules: dict[tuple[str, int], tuple[RuleInfo, RuleFn | None]] = {}

    def register(self, info: RuleInfo, fn: RuleFn | None = None) -> None:
        """Add a rule. ``fn`` is ``None`` for rules the engine applies itself (ESC, REC-05)."""
        key = (info.rule_id, info.version)
        if key in self._rules:
            raise ValueError(f"rule {info.rule_id} v{info.version} registered twice")
        self._rules[key] = (info, fn)

    def get(self, rule_id: str, version: int) -> RuleInfo | None:
        """A registered rule's info, or ``None``."""
        entry = self._rules.get((rule_id, version))
        return entry[0] if entry else None

    def infos(self) -> list[RuleInfo]:
        """Every registered rule, by id."""
        return sorted((info for info, _ in self._rules.values()), key=lambda i: i.rule_id)

    def primary(self) -> list[RuleFn]:
        """The functions of the primary rules, in id order."""
        return [fn for (_, fn) in sorted(self._rules.values(), key=lambda r: r[0].rule_id) if fn]
