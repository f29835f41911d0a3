"""Why a consequence exists: its rule, rulebook, causing facts, basis, history and chain.

``explain(ledger, sanction_id)`` answers an auditor (and the employee who received it):
the consequence and its status history (issued / revoked / reinstated / voided, appeals),
the rule with the regulation clause it implements, the rulebook version and its sha256,
every causing fact with who recorded it, when it occurred and was recorded, its evidence,
the basis (window, facts counted with their values, threshold crossed, the consequences an
escalation continued), and whether the hash chain links of all those events verify.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.access import access_at, judge
from ledger.audit.wording import (
    GRACE_TYPES,
    fact_sentence,
    is_reward,
    kind_label,
    money,
)
from ledger.errors import NotFoundError
from ledger.events import AppealDecided, AppealFiled, event_to_wire
from ledger.policies.common import zh
from ledger.policies.engine import DEFAULT_RULES
from ledger.projections.measures import points_text
from ledger.store import Recorded

if TYPE_CHECKING:
    from ledger.app import Ledger
    from ledger.policies.rulebook import AdoptedRulebook

__all__ = ["Explanation", "explain"]


def _number(value: Any) -> str:
    """``6``, ``5.5``: a decimal without trailing zeros."""
    return "—" if value is None else f"{Decimal(str(value)).normalize():f}"


def _fact(ledger: Ledger, recorded: Recorded) -> dict[str, Any]:
    wire = event_to_wire(recorded.event)
    return {
        **wire,
        "position": recorded.position,
        "recorded_at": recorded.recorded_at.isoformat(),
        "hash": recorded.hash,
        **_allowed(ledger, recorded),
    }


def _allowed(ledger: Ledger, recorded: Recorded) -> dict[str, Any]:
    """The role that allowed the fact under the access document in force at its position
    (``role`` null: none in force, or none allowed it, then ``refused`` says why)."""
    access = access_at(ledger.store, recorded.position)
    if access is None:
        return {"access": None, "role": None, "refused": None}
    event = recorded.event
    verdict = judge(access.document, event.recorded_by, event.type, event.employee_id)
    return {"access": access.label, "role": verdict.role, "refused": verdict.missing}


def _allowance(fact: dict[str, Any]) -> str:
    if fact.get("access") is None:
        return "no access document in force"
    if fact.get("role") is None:
        return f"NOT ALLOWED 未授权 by {fact['access']}: {fact['refused']}"
    return f"allowed by role 角色 {fact['role']} ({fact['access']})"


@dataclass(frozen=True)
class Explanation:
    """An explanation as data; render it with :meth:`to_json`, :meth:`text`, :meth:`markdown`."""

    data: dict[str, Any]
    facts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """The wire form of every fact the basis counted, by event id (for the text forms)."""

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape (DESIGN.md §9)."""
        return self.data

    def _lines(self, markdown: bool) -> list[str]:
        d = self.data
        s, rule, book, basis = d["sanction"], d["rule"], d["rulebook"], d["basis"]

        def h(title: str) -> str:
            return f"## {title}" if markdown else f"\n{title}\n" + "-" * len(title)

        bullet = "- " if markdown else "  "
        amount = f" {money(s['amount'])}" if s["amount"] else ""
        number = "reward 奖励编号" if is_reward(s["kind"]) else "consequence 处分编号"
        lines = [
            ("# " if markdown else "")
            + f"{zh(s['kind'])} {kind_label(s['kind'], 'en')}{amount} — {s['employee_id']}",
            f"{bullet}{number}: {s['sanction_id']}",
            f"{bullet}status 状态: {s['status']}",
            f"{bullet}issued 生效: {s['issued_at']}"
            + (f"; live until 有效期至 {s['expires_at']}" if s["expires_at"] else ""),
        ]
        for extra in d.get("attached", []):
            lines.append(
                f"{bullet}with it 附带: {zh(extra['kind'])} {kind_label(extra['kind'], 'en')}"
                + (f" {money(extra['amount'])}" if extra["amount"] else "")
                + f" ({extra['status']}; {extra['sanction_id']})"
                + (
                    ", deducted from pay within the legal cap 按月从工资中扣除，不超过法定上限"
                    if extra["kind"] == "fine"
                    else ""
                )
            )
        lines += [h("Why 原因"), f"{bullet}{basis['summary']}"]
        if basis.get("summary_zh"):
            lines.append(f"{bullet}{basis['summary_zh']}")
        # Attendance points print as every listing prints them (0.0, 5.5, 6.0); counts plain.
        shown: Callable[[Any], str] = (
            points_text if basis.get("counter") == "attendance points" else _number
        )
        if basis.get("threshold") is not None:
            previous = basis.get("previous")
            moved = "" if previous is None else f"{shown(previous)} -> "
            lines.append(
                f"{bullet}{basis.get('counter')}: {moved}{shown(basis.get('value'))}"
                f" (threshold 阈值 {shown(basis['threshold'])}; window 窗口 "
                f"{basis.get('window_start') or '-'} .. {basis.get('window_end') or '-'})"
            )
        for counted in basis.get("counted", []):
            lines.append(f"{bullet}{self._counted(counted, shown)}")
        for dep in d["depends_on"]:
            lines.append(
                f"{bullet}continues 延续: {dep['kind']} {dep['sanction_id']} ({dep['rule_id']})"
            )
        lines += [
            h("Rule 规则"),
            f"{bullet}{rule['rule_id']} v{rule['version']}: {rule['title']}",
        ]
        for clause in rule["clauses"]:
            lines.append(f"{bullet}《{clause['title']}》{clause['section']}：「{clause['text']}」")
            lines.append(f"{bullet}  ({clause['gloss']})")
        lines += [
            h("Rulebook 制度版本"),
            f"{bullet}{book['id']} v{book['version']}, sha256 {book['sha256']}",
            f"{bullet}effective 生效 {book['effective_from']}, "
            f"published 公布 {book['published_on']}",
            h("Facts 事实"),
        ]
        for fact in d["caused_by"]:
            evidence = ", ".join(fact.get("evidence", [])) or "none"
            lines.append(
                f"{bullet}{fact_sentence(fact['type'], fact['data'], 'en')} "
                f"({fact_sentence(fact['type'], fact['data'], 'zh')}) — {fact['type']}, "
                f"occurred 发生 {fact['occurred_at']}, recorded 记录 {fact['recorded_at']} "
                f"by {fact['recorded_by']}; evidence 证据: {evidence}; "
                f"position {fact['position']}; {_allowance(fact)}"
            )
        lines.append(h("History 经过"))
        for step in d["history"]:
            reason = f": {step['reason']}" if step.get("reason") else ""
            lines.append(
                f"{bullet}{step['what']} at {step['occurred_at']} "
                f"(recorded {step['recorded_at']} by {step['recorded_by']}){reason}"
            )
        appeal = d.get("appeal")
        if appeal:
            lines += [
                h("Appeal 申诉"),
                f"{bullet}to 向 {appeal['to_en']} ({appeal['to_zh']}) by 截止 "
                f"{appeal['deadline']}: {appeal['how_en']}",
            ]
        verified = "yes 是" if d["chain_verified"] else "NO 否 — the record was altered"
        lines += [h("Integrity 完整性"), f"{bullet}hash chain links verify 哈希链校验: {verified}"]
        return lines

    def _counted(
        self, counted: Mapping[str, Any], number: Callable[[Any], str] = _number
    ) -> str:
        """A fact a counter read; one worth nothing is shown as not counted, and why."""
        value = Decimal(str(counted["value"]))
        known = self.facts.get(counted["event_id"])
        what = f" — {fact_sentence(counted['type'], known['data'], 'en')}" if known else ""
        head = f"{counted['type']} at {counted['occurred_at']}{what}"
        if value == 0:
            grace = counted["type"] in GRACE_TYPES
            why = ", within the grace period 宽限期内" if grace else ""
            return f"not counted 不计入: {head}{why} ({counted['event_id']})"
        unit = f" {counted['note']}" if counted.get("note") else ""
        return f"counted 计入: {head}: {number(value)}{unit} ({counted['event_id']})"

    def text(self) -> str:
        """Plain text with Chinese terms beside English ones."""
        return "\n".join(self._lines(markdown=False)) + "\n"

    def markdown(self) -> str:
        """Markdown for reports and tickets."""
        return "\n".join(self._lines(markdown=True)) + "\n"


def explain(ledger: Ledger, sanction_id: UUID) -> Explanation:
    """Explain one recorded consequence.

    Raises:
        NotFoundError: no consequence with that id is recorded.
    """
    state = ledger.sanction(sanction_id)
    issued = state.issued
    stream = list(ledger.store.read(employee_id=state.employee_id))
    by_id = {r.event_id: r for r in stream}
    facts = [by_id[c] for c in issued.caused_by if c in by_id]
    if len(facts) != len(issued.caused_by):
        raise NotFoundError(f"causing facts of {sanction_id} are missing from the log")
    history: list[dict[str, Any]] = []
    for change in state.history:
        event = next(r for r in stream if r.position == change.position)
        history.append(
            {
                "what": change.what,
                "occurred_at": change.occurred_at.isoformat(),
                "recorded_at": change.recorded_at.isoformat(),
                "recorded_by": event.event.recorded_by,
                "reason": change.reason,
                "event_id": str(change.event_id),
                "by": str(change.by) if change.by else None,
            }
        )
    for r in stream:
        appeal = r.event.data
        if isinstance(appeal, AppealFiled | AppealDecided) and appeal.sanction_id == sanction_id:
            if isinstance(appeal, AppealFiled):
                what, reason = "appeal filed", appeal.grounds
            else:
                what, reason = f"appeal {appeal.outcome}", ""
            history.append(
                {
                    "what": what,
                    "occurred_at": r.event.occurred_at.isoformat(),
                    "recorded_at": r.recorded_at.isoformat(),
                    "recorded_by": r.event.recorded_by,
                    "reason": reason,
                    "event_id": str(r.event_id),
                    "by": None,
                }
            )
    history.sort(key=lambda h: (h["recorded_at"], h["occurred_at"]))
    registry = {s.sanction_id: s for s in ledger.sanctions(state.employee_id)}
    depends = [
        {
            "sanction_id": str(d),
            "kind": registry[d].issued.kind,
            "rule_id": registry[d].issued.rule_id,
        }
        for d in issued.depends_on
        if d in registry
    ]
    info = next((i for i in DEFAULT_RULES.infos() if i.rule_id == issued.rule_id), None)
    clauses = [c.as_json() for c in (info.clauses if info else ())]
    attached = [
        {
            "sanction_id": str(other.issued.sanction_id),
            "kind": other.issued.kind,
            "amount": None if other.issued.amount is None else format(other.issued.amount, "f"),
            "status": other.status(ledger.now()),
        }
        for other in registry.values()
        if other.issued.attached_to == issued.sanction_id
    ]
    adopted = next(
        (a for a in ledger.rulebooks().versions if a.sha256 == issued.rulebook_sha256), None
    )
    positions = sorted({f.position for f in facts} | {c.position for c in state.history})
    data: dict[str, Any] = {
        "sanction": {
            "sanction_id": str(issued.sanction_id),
            "employee_id": state.employee_id,
            "kind": issued.kind,
            "amount": None if issued.amount is None else format(issued.amount, "f"),
            "issued_at": issued.effective_at.isoformat(),
            "expires_at": issued.expires_at.isoformat() if issued.expires_at else None,
            "due_at": issued.due_at.isoformat() if issued.due_at else None,
            "attached_to": str(issued.attached_to) if issued.attached_to else None,
            "status": state.status(ledger.now()),
        },
        "rule": {
            "rule_id": issued.rule_id,
            "version": issued.rule_version,
            "title": info.title if info else issued.rule_id,
            "clause": clauses[0]["text"] if clauses else None,
            "clauses": clauses,
        },
        "rulebook": {
            "id": issued.rulebook_id,
            "version": issued.rulebook_version,
            "sha256": issued.rulebook_sha256,
            "published_on": adopted.published_on.isoformat() if adopted else None,
            "effective_from": adopted.effective_from.isoformat() if adopted else None,
        },
        "caused_by": [_fact(ledger, f) for f in facts],
        "basis": issued.basis.model_dump(mode="json"),
        "depends_on": depends,
        "history": history,
        "attached": attached,
        "appeal": _appeal(adopted, issued.effective_at) if adopted else None,
        "chain_verified": ledger.store.verify_links(positions),
    }
    counted_ids = {str(c.event_id) for c in issued.basis.counted}
    counted_facts = {
        str(r.event_id): event_to_wire(r.event) for r in stream if str(r.event_id) in counted_ids
    }
    return Explanation(data, counted_facts)


def _appeal(adopted: AdoptedRulebook, issued_at: datetime) -> dict[str, Any]:
    """Where, how and by when the consequence is appealed (the rulebook's ``[appeals]``)."""
    settings = adopted.rulebook.appeals
    return {
        "window_days": settings.window_days,
        "deadline": (issued_at + timedelta(days=settings.window_days)).isoformat(),
        "to_zh": settings.to_zh,
        "to_en": settings.to_en,
        "how_zh": settings.how_zh,
        "how_en": settings.how_en,
    }
