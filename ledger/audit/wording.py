"""Facts and consequences in plain words, for the people a consequence judges.

``explain`` and ``ledger notice`` say what happened as sentences ("arrived 25 minutes late"),
never as the wire form's data (``{'minutes': 25}``); a reward is named as a reward, a sanction
as a sanction. Every sentence exists in English (``en``) and Chinese (``zh``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ledger.policies.common import ZH
from ledger.timeutil import COMPANY_TZ

__all__ = [
    "GRACE_TYPES",
    "Lang",
    "counted_sentence",
    "fact_sentence",
    "is_reward",
    "kind_label",
    "money",
    "when",
]

Lang = Literal["zh", "en"]

REWARDS = frozenset({"bonus", "commendation"})
"""Outcome kinds that reward rather than sanction (奖励, not 处分)."""

EN: Mapping[str, str] = {
    "notice": "notice",
    "warning": "warning",
    "demerit": "demerit",
    "major_demerit": "major demerit",
    "fine": "fine",
    "compensation": "compensation",
    "bonus": "bonus",
    "commendation": "commendation",
    "demotion_recommended": "demotion recommendation",
    "dismissal_recommended": "dismissal recommendation",
    "obligation": "obligation",
}

_VIOLATIONS: Mapping[str, tuple[str, str]] = {
    "operating_rules": ("operated against the rules", "违章作业"),
    "discourtesy": ("was discourteous to a customer", "对用户失礼"),
    "extortion": ("demanded or took something from a customer", "向用户吃、拿、卡、要"),
    "arbitrary_charge": ("charged a customer arbitrarily", "向用户乱收费、乱摊派"),
    "falsification": ("falsified records", "弄虚作假"),
    "confidentiality": ("disclosed confidential information", "泄露机密"),
    "prohibited_activity": ("took part in a prohibited activity", "参与黄赌毒等违禁活动"),
}
_LEAVE: Mapping[str, str] = {
    "annual": "年假",
    "sick": "病假",
    "marriage": "婚假",
    "bereavement": "丧假",
    "maternity": "产假",
    "personal": "事假",
}
_INSPECTION: Mapping[str, tuple[str, str]] = {
    "self_check": ("department self-check", "部门自查"),
    "company": ("company inspection", "公司检查"),
    "spot_check": ("spot check", "抽查"),
}
_RATER: Mapping[str, str] = {
    "customer": "客户",
    "peer": "同事",
    "supervisor": "上级",
    "self": "自评",
}
_SEVERITY: Mapping[str, str] = {"minor": "轻微", "major": "严重", "serious": "特别严重"}


def is_reward(kind: str) -> bool:
    """Whether ``kind`` rewards (bonus, commendation) rather than sanctions."""
    return kind in REWARDS


def kind_label(kind: str, lang: Lang) -> str:
    """``警告`` / ``warning``."""
    return ZH.get(kind, kind) if lang == "zh" else EN.get(kind, kind.replace("_", " "))


def money(amount: str | Decimal | None) -> str:
    """``1,234.50 CNY`` (an exact decimal, grouped)."""
    if amount is None:
        return ""
    return f"{Decimal(amount):,.2f} CNY"


def when(instant: str | datetime | None, lang: Lang = "en") -> str:
    """An instant as company wall time to the minute: ``2026-09-11 09:25``."""
    if instant is None:
        return "—"
    moment = datetime.fromisoformat(instant) if isinstance(instant, str) else instant
    local = moment.astimezone(COMPANY_TZ)
    return local.strftime("%Y年%m月%d日 %H:%M" if lang == "zh" else "%Y-%m-%d %H:%M")


def _yes(value: Any, en: tuple[str, str], zh: tuple[str, str], lang: Lang) -> str:
    pair = zh if lang == "zh" else en
    return pair[0] if value else pair[1]


Sentence = Callable[[Mapping[str, Any], Lang], str]


def _pick(en: str, zh: str) -> Sentence:
    """A sentence template filled from the data: ``{minutes}`` and the like."""

    def sentence(data: Mapping[str, Any], lang: Lang) -> str:
        return (zh if lang == "zh" else en).format_map(_Fields(data))

    return sentence


class _Fields(dict[str, Any]):
    """Template fields: data values made readable (money grouped, instants as wall time)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        super().__init__(data)

    def __missing__(self, key: str) -> str:
        return "—"

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key) if key in self else self.__missing__(key)
        if key in ("amount", "loss_amount", "monthly_wage") and value not in (None, "—"):
            return money(value)
        if key in ("due_at",) and isinstance(value, str):
            return when(value)
        return value


SENTENCES: Mapping[str, Sentence] = {
    "attendance.late_arrival": _pick("arrived {minutes} minutes late", "迟到 {minutes} 分钟"),
    "attendance.early_departure": _pick("left {minutes} minutes early", "早退 {minutes} 分钟"),
    "attendance.post_left": lambda d, lang: (
        ("擅自离岗" + (f" {d['minutes']} 分钟" if d.get("minutes") else ""))
        if lang == "zh"
        else "left the post without permission"
        + (f" for {d['minutes']} minutes" if d.get("minutes") else "")
    ),
    "attendance.absence": _pick("was absent without leave for {days} day(s)", "旷工 {days} 天"),
    "attendance.leave_taken": lambda d, lang: (
        f"请{_LEAVE.get(d.get('kind', ''), '')}假 {d.get('days')} 天"
        if lang == "zh"
        else f"took {d.get('days')} day(s) of {d.get('kind')} leave"
    ),
    "service.complaint_received": _pick(
        "received customer complaint {complaint_id} (via {channel})",
        "收到客户投诉 {complaint_id}（渠道：{channel}）",
    ),
    "service.complaint_replied": _pick(
        "replied to complaint {complaint_id}", "答复了投诉 {complaint_id}"
    ),
    "service.complaint_resolved": _pick(
        "resolved complaint {complaint_id}", "解决了投诉 {complaint_id}"
    ),
    "service.complaint_verified": lambda d, lang: (
        f"投诉 {d.get('complaint_id')} 经查属实（{_SEVERITY.get(d.get('severity', ''), '')}）"
        if lang == "zh"
        else f"complaint {d.get('complaint_id')} was verified on investigation "
        f"({d.get('severity')})"
    ),
    "service.complaint_dismissed": _pick(
        "complaint {complaint_id} was dismissed", "投诉 {complaint_id} 经查不属实，已驳回"
    ),
    "service.apology_made": _pick(
        "apologised to the customer of complaint {complaint_id}",
        "就投诉 {complaint_id} 向客户赔礼道歉",
    ),
    "service.customer_praised": _pick(
        "was praised by a customer (via {channel})", "获得客户表扬（渠道：{channel}）"
    ),
    "service.first_response_timed": _pick(
        "first responded to a customer after {seconds} seconds",
        "首次回应客户用时 {seconds} 秒",
    ),
    "service.phone_answered": _pick(
        "answered a business call after {rings} rings", "业务电话响 {rings} 声后接听"
    ),
    "service.evaluated": lambda d, lang: (
        f"服务评估（{_RATER.get(d.get('rater', ''), '')}）得分 {d.get('score')}"
        if lang == "zh"
        else f"service evaluated by {d.get('rater')}: score {d.get('score')}"
    ),
    "service.inspected": lambda d, lang: (
        f"{_INSPECTION.get(d.get('inspection', ''), ('', ''))[1]}"
        + ("合格" if d.get("passed") else "不合格")
        + (f"（{d['clause']}）" if d.get("clause") else "")
        if lang == "zh"
        else f"{_INSPECTION.get(d.get('inspection', ''), (str(d.get('inspection')), ''))[0]} "
        + ("passed" if d.get("passed") else "failed")
        + (f" ({d['clause']})" if d.get("clause") else "")
    ),
    "conduct.violation": lambda d, lang: (
        f"{_VIOLATIONS.get(d.get('kind', ''), ('', str(d.get('kind'))))[1]}：{d.get('description')}"
        + (f"（造成损失 {money(d['loss_amount'])}）" if d.get("loss_amount") else "")
        if lang == "zh"
        else f"{_VIOLATIONS.get(d.get('kind', ''), (str(d.get('kind')), ''))[0]}: "
        f"{d.get('description')}"
        + (f" (loss {money(d['loss_amount'])})" if d.get("loss_amount") else "")
    ),
    "conduct.property_damaged": _pick(
        "damaged company property worth {amount}: {description}",
        "损坏公司财物，价值 {amount}：{description}",
    ),
    "task.assigned": _pick(
        "was assigned task {task_id}, due {due_at}", "接受任务 {task_id}，期限 {due_at}"
    ),
    "task.completed": _pick("completed task {task_id}", "完成任务 {task_id}"),
    "task.refused": lambda d, lang: (
        f"拒绝任务 {d.get('task_id')}"
        + _yes(
            d.get("approved_alternative"),
            ("", ""),
            ("（替代方案已获批准）", "（无获批的替代方案）"),
            lang,
        )
        if lang == "zh"
        else f"refused task {d.get('task_id')}"
        + _yes(
            d.get("approved_alternative"),
            (" (an alternative was approved)", " (no approved alternative)"),
            ("", ""),
            lang,
        )
    ),
    "task.authority_exceeded": _pick(
        "decided beyond their authority: {description}", "超越权限擅自做主：{description}"
    ),
    "task.meeting_missed": _pick("missed the meeting {meeting}", "缺席会议：{meeting}"),
    "training.completed": lambda d, lang: (
        f"完成培训「{d.get('course')}」，" + ("考核合格" if d.get("passed") else "考核不合格")
        if lang == "zh"
        else f"completed the course {d.get('course')} and "
        + ("passed" if d.get("passed") else "failed")
    ),
    "recognition.suggestion_adopted": _pick(
        "had a suggestion adopted (tier {tier})", "合理化建议被采纳（{tier} 级）"
    ),
    "recognition.supervision_report": _pick(
        "supplied useful supervision information: {summary}", "参与监督并提供有效信息：{summary}"
    ),
    "recognition.good_deed": _pick("did a good deed: {description}", "好人好事：{description}"),
    "employee.hired": _pick(
        "was hired as {role} in {department} at {monthly_wage} a month",
        "入职 {department}，岗位 {role}，月薪 {monthly_wage}",
    ),
    "employee.wage_changed": _pick(
        "monthly wage changed to {monthly_wage}", "月薪调整为 {monthly_wage}"
    ),
    "employee.transferred": _pick(
        "was transferred to {department} as {role}", "调岗至 {department}，岗位 {role}"
    ),
    "employee.separated": _pick("left the company: {reason}", "离职：{reason}"),
    "employee.qualification_assessed": lambda d, lang: (
        "上岗资格考核" + ("合格" if d.get("passed") else "不合格")
        if lang == "zh"
        else "qualification assessment " + ("passed" if d.get("passed") else "failed")
    ),
    "correction.retracted": _pick("a record was retracted: {reason}", "一项记录被撤回：{reason}"),
    "appeal.filed": _pick("filed an appeal: {grounds}", "提出申诉：{grounds}"),
    "appeal.decided": lambda d, lang: (
        "申诉" + ("成立" if d.get("outcome") == "upheld" else "被驳回")
        if lang == "zh"
        else "the appeal was " + ("upheld" if d.get("outcome") == "upheld" else "rejected")
    ),
}


def fact_sentence(type_: str, data: Mapping[str, Any], lang: Lang = "en") -> str:
    """What a fact of ``type_`` with wire ``data`` says, as a sentence fragment."""
    sentence = SENTENCES.get(type_)
    if sentence is not None:
        return sentence(data, lang)
    fields = "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in data.items())
    return f"{type_.replace('.', ' ').replace('_', ' ')}" + (f" ({fields})" if fields else "")


GRACE_TYPES = frozenset({"attendance.late_arrival", "attendance.early_departure"})
"""Facts worth nothing inside the rulebook's grace minutes (ATT-01)."""

_UNITS: Mapping[str, tuple[str, str]] = {
    "points": ("points", "分"),
    "days": ("day(s)", "天"),
    "lapse": ("lapse", "次"),
}


def counted_sentence(counted: Mapping[str, Any], lang: Lang = "en") -> str:
    """One fact a counter read (a ``CountedFact`` as JSON): when, what, and what it added,
    or that it was not counted (worth 0: inside the grace period)."""
    value = Decimal(str(counted["value"]))
    unit_en, unit_zh = _UNITS.get(counted.get("note") or "", ("", ""))
    at = when(counted["occurred_at"], lang)
    what = (
        fact_sentence(counted["type"], counted.get("data") or {}, lang)
        if counted.get("data")
        else counted["type"].split(".")[-1].replace("_", " ")
    )
    grace = counted["type"] in GRACE_TYPES
    number = f"{value.normalize():f}"
    if lang == "zh":
        if value == 0:
            return f"{at} {what}：不计入" + ("（在宽限时间内）" if grace else "")
        return f"{at} {what}：计 {number}{unit_zh}"
    if value == 0:
        return f"{at} {what}: not counted" + (" (within the grace period)" if grace else "")
    return f"{at} {what}: counts {number}{' ' + unit_en if unit_en else ''}"
