"""Derivation: one employee's facts in, consequences with provenance out.

Order of work (RULEBOOK.md §0, §6): order facts by ``(occurred_at, event_id)``; drop
retracted facts; run the primary rules; drop what an upheld appeal voided; then walk the
outcomes in issue-time order, applying, at each instant, commendation offsets (REC-05),
attached fines, and the escalation cascade (ESC-01..03) until nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from uuid import UUID

from ledger.events import (
    OBSERVATION_TYPES,
    AppealDecided,
    AppealFiled,
    Basis,
    Event,
    OutcomeKind,
    Retracted,
)
from ledger.policies import attendance, conduct, obedience, recognition, service
from ledger.policies.common import zh
from ledger.policies.framework import (
    Carried,
    Context,
    Draft,
    Finding,
    Outcome,
    RuleInfo,
    RuleRegistry,
    sanction_id_for,
)
from ledger.policies.rulebook import RulebookSet
from ledger.policies.windows import span

__all__ = [
    "DEFAULT_RULES",
    "ESC_01",
    "ESC_02",
    "ESC_03",
    "GRD_01",
    "REC_05",
    "Derivation",
    "WalkState",
    "derive",
    "derive_resumable",
]

ESC_01 = RuleInfo("ESC-01", 1, "Two live warnings escalate to a demerit (屡教不改)", ("demerit",))
ESC_02 = RuleInfo(
    "ESC-02", 1, "Two live demerits escalate to a major demerit (屡教不改)", ("major_demerit",)
)
ESC_03 = RuleInfo(
    "ESC-03",
    1,
    "Discipline while a major demerit is live: dismissal recommended",
    ("dismissal_recommended",),
)
REC_05 = RuleInfo("REC-05", 1, "A commendation offsets the oldest live warning (嘉奖抵消警告)", ())
FINES = RuleInfo("PAY-01", 1, "Fine attached to a discipline record (罚款)", ("fine",))
GRD_01 = RuleInfo("GRD-01", 1, "Quarterly obedience grade 优秀/良好/合格/不合格", ())


def _default_rules() -> RuleRegistry:
    registry = RuleRegistry()
    for info, fn in (
        (attendance.ATT_01, attendance.attendance_points),
        (attendance.ATT_02, attendance.serious_absence),
        (service.SVC_01, service.verified_complaints),
        (service.SVC_02, service.reply_deadline),
        (service.SVC_03, service.resolution_deadline),
        (service.SVC_04, service.service_lapses),
        (service.SVC_05, service.apology_deadline),
        (service.SVC_06, service.inspections),
        (conduct.CND_01, conduct.violations),
        (conduct.CND_02, conduct.property_damage),
        (obedience.OBD_01, obedience.refusals),
        (obedience.OBD_02, obedience.missed_deadlines),
        (obedience.OBD_03, obedience.authority_exceeded),
        (obedience.OBD_04, obedience.meetings_missed),
        (recognition.REC_01, recognition.praise),
        (recognition.REC_02, recognition.suggestions),
        (recognition.REC_03, recognition.supervision_reports),
        (recognition.REC_04, recognition.good_deeds),
        (recognition.TRN_01, recognition.qualification_gate),
    ):
        registry.register(info, fn)
    # Applied by the engine's walk (REC-05, ESC, fines) or by the write path at a tick
    # (GRD-01 grades, PAY-01 payroll closings: ledger.policies.grades and .payroll).
    for info in (REC_05, ESC_01, ESC_02, ESC_03, FINES, GRD_01):
        registry.register(info)
    return registry


DEFAULT_RULES = _default_rules()
"""The rules of RULEBOOK.md v1, registered explicitly."""

PARAMETER_SECTIONS: dict[str, tuple[str, ...]] = {
    "ATT-01": ("attendance", "fines", "live_months"),
    "ATT-02": ("serious_absence",),
    "SVC-01": ("complaints", "fines", "live_months"),
    "SVC-02": ("complaints",),
    "SVC-03": ("complaints", "fines"),
    "SVC-04": ("lapses", "fines"),
    "SVC-05": ("complaints", "fines"),
    "SVC-06": ("inspections", "fines"),
    "CND-01": ("violations", "fines", "live_months"),
    "CND-02": (),
    "OBD-01": ("obedience", "fines"),
    "OBD-02": ("obedience", "fines"),
    "OBD-03": ("obedience", "fines"),
    "OBD-04": ("obedience",),
    "REC-01": ("recognition", "live_months"),
    "REC-02": ("recognition",),
    "REC-03": ("recognition",),
    "REC-04": ("recognition", "live_months"),
    "REC-05": ("recognition",),
    "TRN-01": (),
    "ESC-01": ("escalation", "fines", "live_months"),
    "ESC-02": ("escalation", "fines", "live_months"),
    "ESC-03": ("escalation",),
    "PAY-01": ("fines", "jurisdiction"),
    "GRD-01": ("grade",),
}
"""The rulebook sections whose numbers each rule uses (shown by ``ledger rules``)."""


@dataclass(frozen=True, slots=True)
class Revocation:
    """A warning offset by a commendation (REC-05)."""

    sanction_id: UUID
    revoked_by: UUID
    at: datetime


@dataclass(frozen=True, slots=True)
class Derivation:
    """Everything the policies derive for one employee."""

    employee_id: str
    outcomes: tuple[Outcome, ...]
    revocations: tuple[Revocation, ...]
    findings: tuple[Finding, ...]
    retracted: Mapping[UUID, UUID] = field(default_factory=dict)
    """Retracted fact id -> the retraction's event id."""
    upheld: Mapping[UUID, UUID] = field(default_factory=dict)
    """Sanction id voided on appeal -> the ``appeal.decided`` event id."""
    since: datetime | None = None
    """``None`` for a full derivation; else a resumed one (``ledger.policies.incremental``):
    only the outcomes and revocations from this instant on, and no findings."""

    def by_id(self) -> dict[UUID, Outcome]:
        """Outcomes keyed by sanction id."""
        return {o.sanction_id: o for o in self.outcomes}


@dataclass(frozen=True, slots=True)
class WalkState:
    """The escalation pass paused before an instant: what outcomes issued after it can see.

    Only what may still matter is kept (docs/ARCHITECTURE.md, "Derivation state"): records
    still live at the instant, in acceptance order; which of them a commendation offset;
    and the ids later outcomes may depend on (live records, obligations still due).
    """

    at: datetime
    warnings: tuple[Outcome, ...] = ()
    demerits: tuple[Outcome, ...] = ()
    majors: tuple[Outcome, ...] = ()
    revoked: frozenset[UUID] = frozenset()
    accepted: Mapping[UUID, datetime | None] = field(default_factory=dict)
    """Ids outcomes from ``at`` on may depend on, with their expiry."""
    before: tuple[Outcome, ...] = ()
    """Every outcome accepted before ``at`` (the caller keeps what it needs)."""
    revocations: tuple[Revocation, ...] = ()
    """Every revocation before ``at``."""


_DEPENDABLE = frozenset({"warning", "demerit", "major_demerit", "obligation"})


def _uuid_order(value: UUID) -> int:
    return value.int


def _order(event: Event) -> tuple[datetime, int]:
    # UUID.int orders exactly as the UUID's text does, without building the text.
    return (event.occurred_at, event.event_id.int)


def counted_facts(
    facts: Iterable[Event],
) -> tuple[list[Event], dict[UUID, UUID], list[Event], list[Finding]]:
    """Split an employee's events into counted facts, retracted ids, appeal events, findings."""
    observations = sorted((f for f in facts if f.type in _OBSERVED), key=_order)
    retracted: dict[UUID, UUID] = {}
    findings: list[Finding] = []
    retractions = [(f, d) for f in observations if isinstance(d := f.data, Retracted)]
    ids = {f.event_id for f in observations} if retractions else set()
    for fact, data in retractions:
        if data.target_event_id in ids:
            retracted.setdefault(data.target_event_id, fact.event_id)
        else:
            findings.append(
                Finding(
                    "unknown_retraction_target",
                    fact.employee_id,
                    fact.occurred_at,
                    f"retraction {fact.event_id} names {data.target_event_id}, "
                    "which is not in this employee's stream",
                    (fact.event_id,),
                )
            )
    appeals = [f for f in observations if f.type in _APPEALS and f.event_id not in retracted]
    counted = [
        f
        for f in observations
        if f.type not in _NOT_COUNTED and (not retracted or f.event_id not in retracted)
    ]
    return counted, retracted, appeals, findings


_OBSERVED = frozenset(OBSERVATION_TYPES)
"""Every type but the derived and ledger-wide ones (the registry is fixed at import)."""
_APPEALS = frozenset(t for t in _OBSERVED if t.startswith("appeal."))
_NOT_COUNTED = _APPEALS | {"correction.retracted"}
"""Observations no rule counts: appeals (the walk reads them) and retractions."""


def derive(
    employee_id: str,
    events: Sequence[Event],
    rulebooks: RulebookSet,
    now: datetime,
    *,
    registry: RuleRegistry = DEFAULT_RULES,
) -> Derivation:
    """Derive one employee's consequences from their full history.

    Args:
        employee_id: whose stream ``events`` is.
        events: the stream (any order; derived events in it are ignored).
        rulebooks: every adopted rulebook version.
        now: evaluation time; deadlines after it are not missed yet.

    Returns:
        Outcomes in issue order, REC-05 revocations and findings. Pure and deterministic:
        the same facts give the same result whatever order they were recorded in.
    """
    derived, _, _ = derive_resumable(employee_id, events, rulebooks, now, registry=registry)
    return derived


def derive_resumable(
    employee_id: str,
    events: Sequence[Event],
    rulebooks: RulebookSet,
    now: datetime,
    *,
    registry: RuleRegistry = DEFAULT_RULES,
    resume: WalkState | None = None,
    retracted: Mapping[UUID, UUID] | None = None,
    upheld: Mapping[UUID, UUID] | None = None,
    snapshot_at: datetime | None = None,
    carried: Carried | None = None,
) -> tuple[Derivation, WalkState | None, list[Event]]:
    """:func:`derive`, optionally resumed from a paused walk and pausing at an instant.

    Args:
        resume: the walk as it stood before ``resume.at``; ``events`` must then hold every
            fact of the stream the rules need for outcomes from ``resume.at`` on (see
            ``ledger.policies.incremental``), and only such outcomes are derived.
        retracted, upheld: retractions and upheld appeals known from before (merged with
            those found in ``events``).
        snapshot_at: also return the walk's state before this instant (``None``: don't).
        carried: with ``resume``, the windowed rules' tallies before ``resume.at`` (the facts
            they stand for are then not in ``events``).

    Returns:
        The derivation (from ``resume.at`` on, without findings, when resumed), the
        snapshot, and the counted facts (ordered, retracted ones left out).
    """
    facts, found_retracted, appeals, findings = counted_facts(events)
    all_retracted = dict(retracted or {})
    for target, by in found_retracted.items():
        all_retracted.setdefault(target, by)
    if retracted:
        facts = [f for f in facts if f.event_id not in all_retracted]
    since = resume.at if resume is not None else None
    ctx = Context.build(employee_id, facts, rulebooks, now, since, carried)
    if since is None:
        for fact in facts:
            if rulebooks.in_force(fact.occurred_at) is None:
                findings.append(
                    Finding(
                        "no_published_rulebook",
                        employee_id,
                        fact.occurred_at,
                        f"no published rulebook binds {fact.type} at "
                        f"{fact.occurred_at.isoformat()}; it yields no consequence",
                        (fact.event_id,),
                    )
                )
    drafts: list[Draft] = []
    for rule in registry.primary():
        for item in rule(ctx):
            if isinstance(item, Finding):
                findings.append(item)
            elif since is None or item.issued_at >= since:
                drafts.append(item)
    all_upheld = dict(upheld or {})
    for a in appeals:
        if isinstance(a.data, AppealDecided) and a.data.outcome == "upheld":
            all_upheld[a.data.sanction_id] = a.event_id
    walk = _Walk(employee_id, rulebooks, frozenset(all_upheld))
    if resume is not None:
        walk.resume(resume)
    walk.snapshot_at = snapshot_at
    walk.run(drafts)
    if since is None:
        findings.extend(walk.findings)
        findings.extend(_late_appeals(appeals, list(walk.made.values()), rulebooks))
    else:
        findings = []
    derived = Derivation(
        employee_id,
        tuple(walk.outcomes),
        tuple(walk.revocations),
        tuple(sorted(findings, key=lambda f: (f.at, f.code))),
        MappingProxyType(all_retracted),
        MappingProxyType(all_upheld),
        since,
    )
    if snapshot_at is not None and walk.snapshot is None:
        walk.capture(snapshot_at)
    return derived, walk.snapshot, facts


def _late_appeals(
    appeals: Sequence[Event], outcomes: Sequence[Outcome], rulebooks: RulebookSet
) -> list[Finding]:
    issued = {o.sanction_id: o for o in outcomes}
    late = []
    for appeal in appeals:
        if not isinstance(appeal.data, AppealFiled):
            continue
        target = issued.get(appeal.data.sanction_id)
        book = rulebooks.in_force(appeal.occurred_at)
        if target is None or book is None:
            continue
        limit = target.issued_at + timedelta(days=book.rulebook.appeals.window_days)
        if appeal.occurred_at > limit:
            late.append(
                Finding(
                    "late_appeal",
                    appeal.employee_id,
                    appeal.occurred_at,
                    f"appeal against {target.sanction_id} filed after the "
                    f"{book.rulebook.appeals.window_days}-day window (ended {limit.isoformat()}); "
                    "recorded all the same",
                    (appeal.event_id,),
                )
            )
    return late


@dataclass
class _Walk:
    """The time-ordered pass over outcomes: offsets, fines, escalation (mutable, private)."""

    employee_id: str
    rulebooks: RulebookSet
    upheld: frozenset[UUID]
    outcomes: list[Outcome] = field(default_factory=list)
    revocations: list[Revocation] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[Outcome] = field(default_factory=list)
    demerits: list[Outcome] = field(default_factory=list)
    majors: list[Outcome] = field(default_factory=list)
    revoked: set[UUID] = field(default_factory=set)
    made: dict[UUID, Outcome] = field(default_factory=dict)
    """Every outcome made, including those voided on appeal (for the late-appeal check)."""
    _seen: set[UUID] = field(default_factory=set)
    _accepted: set[UUID] = field(default_factory=set)
    snapshot_at: datetime | None = None
    snapshot: WalkState | None = None
    _before: list[Outcome] = field(default_factory=list)
    _carried: dict[UUID, datetime | None] = field(default_factory=dict)
    _revocations_before: list[Revocation] = field(default_factory=list)

    def resume(self, state: WalkState) -> None:
        """Continue from ``state``: the pools, offsets and dependable ids before its instant."""
        self.warnings = list(state.warnings)
        self.demerits = list(state.demerits)
        self.majors = list(state.majors)
        self.revoked = set(state.revoked)
        self._accepted = set(state.accepted)
        self._carried = dict(state.accepted)
        self._before = list(state.before)
        self._revocations_before = list(state.revocations)

    def capture(self, at: datetime) -> None:
        """Record the state before instant ``at`` (everything accepted so far is earlier)."""

        def live(pool: list[Outcome]) -> tuple[Outcome, ...]:
            return tuple(o for o in pool if o.expires_at is None or o.expires_at > at)

        pools = (live(self.warnings), live(self.demerits), live(self.majors))
        ids = {o.sanction_id for pool in pools for o in pool}
        before = [*self._before, *self.outcomes]
        self.snapshot = WalkState(
            at=at,
            warnings=pools[0],
            demerits=pools[1],
            majors=pools[2],
            revoked=frozenset(self.revoked & ids),
            accepted=MappingProxyType(
                {
                    key: expires
                    for key, expires in (
                        *self._carried.items(),
                        *(
                            (o.sanction_id, o.expires_at)
                            for o in self.outcomes
                            if o.kind in _DEPENDABLE and o.sanction_id in self._accepted
                        ),
                    )
                    if expires is None or expires >= at
                }
            ),
            before=tuple(before),
            revocations=(*self._revocations_before, *self.revocations),
        )

    def run(self, drafts: Sequence[Draft]) -> None:
        made = [o for o in (self._outcome(d) for d in drafts) if o is not None]
        made.sort(key=lambda o: (o.issued_at, o.rule.rule_id, o.sanction_id.int))
        index = 0
        while index < len(made):
            instant = made[index].issued_at
            if (
                self.snapshot_at is not None
                and self.snapshot is None
                and instant >= self.snapshot_at
            ):
                self.capture(self.snapshot_at)
            group = []
            while index < len(made) and made[index].issued_at == instant:
                group.append(made[index])
                index += 1
            self._instant(instant, group)

    def _outcome(self, draft: Draft) -> Outcome | None:
        adopted = self.rulebooks.in_force(draft.judged_at)
        if adopted is None:
            return None
        # A fine's causes are its record's, so the record's id must tell fines apart: when a
        # correction turns a fact's major demerit into a demerit, the new fine is another one.
        attached = (draft.attached_to,) if draft.attached_to is not None else ()
        causes = draft.caused_by + draft.depends_on + attached
        sanction_id = sanction_id_for(adopted, draft.rule, self.employee_id, draft.kind, causes)
        if sanction_id in self._seen:
            return None
        self._seen.add(sanction_id)
        months = adopted.rulebook.live_months_for(draft.kind)
        expires = draft.issued_at + span(months=months) if months else None
        if draft.kind == "obligation":
            expires = draft.due_at
        outcome = Outcome(
            sanction_id=sanction_id,
            employee_id=self.employee_id,
            kind=draft.kind,
            rule=draft.rule,
            rulebook=adopted,
            caused_by=tuple(sorted(set(draft.caused_by), key=_uuid_order)),
            issued_at=draft.issued_at,
            basis=draft.basis,
            amount=draft.amount,
            expires_at=expires,
            due_at=draft.due_at,
            depends_on=draft.depends_on,
            attached_to=draft.attached_to,
        )
        self.made[sanction_id] = outcome
        return outcome

    @staticmethod
    def _live(outcome: Outcome, at: datetime) -> bool:
        return outcome.issued_at <= at and (outcome.expires_at is None or at < outcome.expires_at)

    def _instant(self, at: datetime, group: list[Outcome]) -> None:
        for outcome in group:
            # Voided on appeal, or derived from a consequence that was (e.g. the missed
            # apology of an obligation voided on appeal): never issued (RULEBOOK.md §0).
            if outcome.sanction_id in self.upheld or not self._accepted.issuperset(
                outcome.depends_on
            ):
                continue
            self._accept(outcome, at)
        for outcome in group:
            if outcome.kind == "commendation" and outcome.sanction_id not in self.upheld:
                self._offset(outcome, at)
        self._escalate(at)

    def _accept(self, outcome: Outcome, at: datetime) -> None:
        if outcome.kind in ("warning", "demerit", "major_demerit"):
            self._dismissal_check(outcome, at)
        self.outcomes.append(outcome)
        self._accepted.add(outcome.sanction_id)
        if outcome.kind == "warning":
            self.warnings.append(outcome)
        elif outcome.kind == "demerit":
            self.demerits.append(outcome)
        elif outcome.kind == "major_demerit":
            self.majors.append(outcome)
        if outcome.kind in ("warning", "demerit", "major_demerit"):
            self._fine(outcome)

    def _fine(self, record: Outcome) -> None:
        book = record.rulebook.rulebook
        amount = book.fine_for(record.kind)
        if amount <= 0:
            return
        if not book.jurisdiction.fines_allowed:
            self.findings.append(
                Finding(
                    "fines_not_allowed",
                    self.employee_id,
                    record.issued_at,
                    f"no fine attached to {record.kind} {record.sanction_id}: fines are not "
                    f"allowed in jurisdiction {book.jurisdiction.name}",
                    record.caused_by,
                )
            )
            return
        draft = Draft(
            rule=record.rule,
            kind="fine",
            caused_by=record.caused_by,
            issued_at=record.issued_at,
            judged_at=record.issued_at,
            amount=amount,
            depends_on=record.depends_on,
            attached_to=record.sanction_id,
            basis=Basis(
                summary=f"fine {amount} attached to the {record.kind}",
                summary_zh=f"{zh(record.kind)}附带罚款{amount}元",
                parameters=(("fines." + record.kind, str(amount)),),
            ),
        )
        fine = self._outcome(replace(draft, judged_at=record.issued_at))
        if (
            fine is not None
            and fine.sanction_id not in self.upheld
            and record.sanction_id not in self.upheld
        ):
            fine = replace(fine, rulebook=record.rulebook)
            self.outcomes.append(fine)

    def _offset(self, commendation: Outcome, at: datetime) -> None:
        if not commendation.rulebook.rulebook.recognition.commendation_offsets_warning:
            return
        for warning in self.warnings:
            if warning.sanction_id not in self.revoked and self._live(warning, at):
                self.revoked.add(warning.sanction_id)
                self.revocations.append(
                    Revocation(warning.sanction_id, commendation.sanction_id, at)
                )
                return

    def _dismissal_check(self, record: Outcome, at: datetime) -> None:
        earlier = [m for m in self.majors if m.issued_at < at and self._live(m, at)]
        if not earlier:
            return
        adopted = self.rulebooks.in_force(at) or record.rulebook
        if not adopted.rulebook.escalation.dismissal_after_major_demerit:
            return
        major = earlier[0]
        draft = Draft(
            rule=ESC_03,
            kind="dismissal_recommended",
            caused_by=record.caused_by,
            issued_at=at,
            judged_at=at,
            depends_on=(record.sanction_id, major.sanction_id),
            basis=Basis(
                summary=(
                    f"{record.kind} issued while major demerit {major.sanction_id} (issued "
                    f"{major.issued_at.isoformat()}) is live: dismissal recommended for a human "
                    "decision"
                ),
                summary_zh=f"记大过有效期内再受{zh(record.kind)}处分: 建议辞退, 由人工决定",
            ),
        )
        outcome = self._outcome(draft)
        if outcome is not None and outcome.sanction_id not in self.upheld:
            self.outcomes.append(outcome)

    def _escalate(self, at: datetime) -> None:
        while True:
            adopted = self.rulebooks.in_force(at)
            if adopted is None:
                return
            rules = adopted.rulebook.escalation
            escalated = self._step(at, self.warnings, rules.warnings_to_demerit, ESC_01, "demerit")
            escalated = escalated or self._step(
                at, self.demerits, rules.demerits_to_major_demerit, ESC_02, "major_demerit"
            )
            if not escalated:
                return

    def _step(
        self, at: datetime, pool: list[Outcome], limit: int, rule: RuleInfo, kind: OutcomeKind
    ) -> bool:
        live = [o for o in pool if o.sanction_id not in self.revoked and self._live(o, at)]
        if len(live) < limit:
            return False
        used = live[:limit]
        for record in used:
            pool.remove(record)
        names = ", ".join(str(u.sanction_id) for u in used)
        draft = Draft(
            rule=rule,
            kind=kind,
            caused_by=tuple(c for u in used for c in u.caused_by),
            issued_at=at,
            judged_at=at,
            depends_on=tuple(u.sanction_id for u in used),
            basis=Basis(
                summary=f"{limit} live {used[0].kind}s ({names}) escalate to a {kind}",
                summary_zh=f"{limit}次有效{zh(used[0].kind)}升级为{zh(kind)}(屡教不改)",
                counter=f"live unescalated {used[0].kind}s",
                value=Decimal(len(live)),
                threshold=Decimal(limit),
                window_end=at,
            ),
        )
        outcome = self._outcome(draft)
        if outcome is not None and outcome.sanction_id not in self.upheld:
            self._accept(outcome, at)
        return True
