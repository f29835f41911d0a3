"""A notice for the employee a consequence concerns (处分通知书 / 奖励通知).

``notice(ledger, sanction_id)`` gathers, in plain words: who, what happened and when, the rule
with the regulation's title and clause, the consequence, the fine and how it is deducted
under the legal cap, how long it stays on record, and how to appeal (申诉: to whom, by when,
how; the rulebook's ``[appeals]``), with the rulebook version and sha256 in small print.
:class:`Notice` renders it as text, Markdown or HTML (A4 print CSS, no external resources),
in Chinese or English. The figures are those of :func:`ledger.audit.explain`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from ledger.audit.explain import explain
from ledger.audit.wording import (
    Lang,
    counted_sentence,
    fact_sentence,
    is_reward,
    kind_label,
    money,
    when,
)
from ledger.events import Hired, Transferred

if TYPE_CHECKING:
    from ledger.app import Ledger

__all__ = ["Notice", "NoticeFormat", "notice"]

NoticeFormat = Literal["text", "markdown", "html"]

_STATUS: dict[str, tuple[str, str]] = {
    "active": ("in force", "有效"),
    "voided": ("voided (it no longer counts)", "已撤销（不再计入）"),
    "revoked": ("revoked", "已撤回"),
    "expired": ("expired (no longer on record)", "已过期（不再记录在案）"),
}


@dataclass(frozen=True)
class Notice:
    """The facts of one notice; render with :meth:`render`."""

    data: dict[str, Any]
    """``explain``'s JSON, plus ``department``, ``jurisdiction`` and ``counted_data`` (the
    data of each counted fact, by event id)."""

    @property
    def reward(self) -> bool:
        return is_reward(self.data["sanction"]["kind"])

    def sections(self, lang: Lang) -> tuple[str, list[tuple[str, list[str]]], list[str]]:
        """The title, the (heading, paragraphs) sections and the small print."""
        d = self.data
        s, rule, appeal, book = d["sanction"], d["rule"], d["appeal"], d["rulebook"]
        zh = lang == "zh"
        kind = kind_label(s["kind"], lang)
        amount = money(s["amount"]) if s["amount"] else ""
        if self.reward:
            title = "奖励通知" if zh else "Notice of reward"
        else:
            title = "处分通知书" if zh else "Notice of disciplinary action"
        who = s["employee_id"] + (f"（{d['department']}）" if zh and d.get("department") else "")
        if not zh and d.get("department"):
            who += f" ({d['department']})"
        facts = [
            f"{when(f['occurred_at'], lang)}：{fact_sentence(f['type'], f['data'], 'zh')}。"
            if zh
            else f"{when(f['occurred_at'], lang)}: {fact_sentence(f['type'], f['data'], 'en')}."
            for f in d["caused_by"]
        ]
        counted = d["basis"].get("counted", [])
        if len(counted) > 1:
            facts.append("计入的记录：" if zh else "What was counted:")
            facts += [
                "· " + counted_sentence({**c, "data": d["counted_data"].get(c["event_id"])}, lang)
                for c in counted
            ]
        summary = d["basis"].get("summary_zh") if zh else d["basis"].get("summary")
        if summary:
            facts.append(("依据：" if zh else "In short: ") + summary)
        clauses = [
            f"{rule['rule_id']}：{rule['title']}" if zh else f"{rule['rule_id']}: {rule['title']}"
        ] + [f"《{c['title']}》{c['section']}：“{c['text']}”" for c in rule["clauses"][:1]]
        status_en, status_zh = _STATUS.get(s["status"], (s["status"], s["status"]))
        outcome = [
            (
                f"{kind}{('，' + amount) if amount else ''}；"
                f"生效时间 {when(s['issued_at'], lang)}；"
                f"当前状态：{status_zh}。"
            )
            if zh
            else (
                f"{kind.capitalize()}{(', ' + amount) if amount else ''}, effective "
                f"{when(s['issued_at'], lang)}; status: {status_en}."
            )
        ]
        if s["expires_at"]:
            outcome.append(
                f"记录在案至 {when(s['expires_at'], lang)}，期满后不再计入。"
                if zh
                else f"It stays on record until {when(s['expires_at'], lang)}, and counts no "
                "more after that."
            )
        elif not self.reward:
            outcome.append("此记录长期在案。" if zh else "It stays on record with no end date.")
        outcome += self._money_lines(lang)
        sections: list[tuple[str, list[str]]] = [
            ("员工" if zh else "Employee", [who]),
            ("事实" if zh else "What happened", facts),
            ("依据的制度条款" if zh else "Rule and regulation", clauses),
            ("奖励内容" if zh and self.reward else "处理结果" if zh else "Consequence", outcome),
        ]
        if appeal and not self.reward:
            sections.append(
                (
                    "申诉" if zh else "How to appeal (申诉)",
                    [
                        f"如对本处分有异议，请于 {when(appeal['deadline'], lang)} 前"
                        f"（生效后 {appeal['window_days']} 天内）向{appeal['to_zh']}"
                        f"{appeal['how_zh']}。申诉期间处分照常记录；申诉成立的，处分及所附罚款"
                        "一并撤销，已扣款项在最近一个未结算月份退还。"
                        if zh
                        else f"If you disagree, appeal to {appeal['to_en']} by "
                        f"{when(appeal['deadline'], lang)} (within {appeal['window_days']} days "
                        f"of the effective date): {appeal['how_en']}. An upheld appeal voids "
                        "this record and any fine attached to it; what was deducted is refunded "
                        "in the first open payroll month."
                    ],
                )
            )
        small = [
            ("编号 " if zh else "Number ") + s["sanction_id"],
            (
                f"制度版本 {book['id']} v{book['version']}，sha256 {book['sha256']}"
                if zh
                else f"Rulebook {book['id']} v{book['version']}, sha256 {book['sha256']}"
            ),
            (
                "本通知内容取自防篡改台账，哈希链校验"
                + ("通过。" if d["chain_verified"] else "未通过。")
                if zh
                else "Drawn from the tamper-evident ledger; hash chain links "
                + ("verify." if d["chain_verified"] else "DO NOT verify.")
            ),
        ]
        return title, sections, small

    def _money_lines(self, lang: Lang) -> list[str]:
        d, zh = self.data, lang == "zh"
        s, law = d["sanction"], d.get("jurisdiction")
        fines = [a for a in d.get("attached", []) if a["kind"] == "fine" and a["amount"]]
        due = [Decimal(a["amount"]) for a in fines]
        if s["kind"] == "fine" and s["amount"]:
            due.append(Decimal(s["amount"]))
        if self.reward and s["amount"]:
            return ["奖金随当月工资发放。" if zh else "The bonus is paid with the month's wage."]
        if not due:
            return []
        total = money(sum(due, Decimal(0)))
        if law is None:
            return [f"罚款 {total}。" if zh else f"Fine: {total}."]
        cap, floor = law["deduction_cap_percent"], money(law["minimum_wage"])
        if zh:
            return [
                f"附带罚款 {total}，从工资中扣除：每月扣除额不超过当月工资的 {cap}%，扣除后工资"
                f"不低于当地最低工资标准 {floor}（工资支付暂行规定 第16条）；当月扣不完的部分"
                "顺延至下月。"
            ]
        return [
            f"A fine of {total} goes with it, deducted from your pay: at most {cap}% of a "
            f"month's wage, never leaving less than the minimum wage of {floor} (工资支付暂行规定 "
            "第16条); what a month cannot take is carried to the next."
        ]

    def render(self, fmt: NoticeFormat = "text", lang: Lang = "zh") -> str:
        """The notice as ``text``, ``markdown`` or ``html``."""
        title, sections, small = self.sections(lang)
        if fmt == "html":
            return _html(title, sections, small, lang)
        if fmt == "markdown":
            lines = [f"# {title}", ""]
            for heading, paragraphs in sections:
                lines += [f"## {heading}", "", *[f"{p}\n" for p in paragraphs]]
            lines += ["---", "", *[f"<small>{p}</small>  " for p in small]]
            return "\n".join(lines).rstrip() + "\n"
        lines = [title, "=" * _width(title), ""]
        for heading, paragraphs in sections:
            lines += [heading, "-" * _width(heading), *paragraphs, ""]
        lines += ["—" * 8, *small]
        return "\n".join(lines) + "\n"


def _width(text: str) -> int:
    """Terminal cells: CJK characters take two."""
    return sum(2 if ord(c) > 0x2E80 else 1 for c in text)


_CSS = """
@page { size: A4; margin: 20mm 18mm; }
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", SimSun,
  "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", serif; color: #111; line-height: 1.6;
  max-width: 170mm; margin: 2em auto; padding: 0 1em; font-size: 11pt; }
h1 { text-align: center; letter-spacing: .3em; font-size: 20pt; margin-bottom: 1em; }
h2 { font-size: 12pt; border-bottom: 1px solid #999; margin: 1.2em 0 .4em; }
p { margin: .3em 0; }
blockquote { margin: .3em 0 .3em 1.5em; }
footer { margin-top: 2.5em; border-top: 1px solid #ccc; padding-top: .5em; font-size: 8pt;
  color: #555; word-break: break-all; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; }
  section { break-inside: avoid; } }
"""


def _html(title: str, sections: list[tuple[str, list[str]]], small: list[str], lang: Lang) -> str:
    e = html.escape
    body = "".join(
        f"<section><h2>{e(heading)}</h2>"
        + "".join(f"<p>{e(p)}</p>" for p in paragraphs)
        + "</section>"
        for heading, paragraphs in sections
    )
    foot = "".join(f"<div>{e(p)}</div>" for p in small)
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>'
        f'<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{e(title)}</title><style>{_CSS}</style></head>\n<body>"
        f"<h1>{e(title)}</h1>{body}<footer>{foot}</footer></body>\n</html>\n"
    )


def notice(ledger: Ledger, sanction_id: UUID) -> Notice:
    """The notice of one recorded consequence (or reward).

    Raises:
        NotFoundError: no consequence with that id is recorded.
    """
    explanation = explain(ledger, sanction_id)
    data = dict(explanation.to_json())
    data["counted_data"] = {key: fact["data"] for key, fact in explanation.facts.items()}
    employee = data["sanction"]["employee_id"]
    postings = sorted(
        (r.event.occurred_at, r.position, r.event.data.department)
        for r in ledger.store.read(employee_id=employee)
        if isinstance(r.event.data, Hired | Transferred)
    )
    data["department"] = postings[-1][2] if postings else None
    sha = data["rulebook"]["sha256"]
    adopted = next((a for a in ledger.rulebooks().versions if a.sha256 == sha), None)
    data["jurisdiction"] = (
        adopted.rulebook.jurisdiction.model_dump(mode="json") if adopted is not None else None
    )
    return Notice(data)
