"""Rulebooks: versioned TOML data holding every number the rules use.

Loading validates the whole document and names the key at fault (unknown keys, negative
money, thresholds out of order). A :class:`RulebookSet` holds every adopted version and
answers which one binds a fact: the latest-effective version whose ``effective_from`` and
``published_on`` both lie on or before the fact (劳动合同法 第4条: rules bind once made known).
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ledger.errors import FieldProblem, RulebookError
from ledger.events import OutcomeKind
from ledger.money import Money
from ledger.timeutil import start_of_day

__all__ = ["DEFAULT_RULEBOOK", "AdoptedRulebook", "Rulebook", "RulebookSet", "Threshold"]

DEFAULT_RULEBOOK = "service-standard-v1.toml"

Count = Annotated[int, Field(ge=1)]
Points = Annotated[Decimal, Field(ge=0)]
Discipline = Literal["notice", "warning", "demerit", "major_demerit"]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Threshold(_Section):
    """Counter value ``at`` which ``outcome`` is issued."""

    at: Decimal = Field(gt=0)
    outcome: Discipline | Literal["dismissal_recommended"]


def _increasing(thresholds: tuple[Threshold, ...]) -> tuple[Threshold, ...]:
    values = [t.at for t in thresholds]
    if values != sorted(set(values)):
        raise ValueError("thresholds must be strictly increasing and must not overlap")
    return thresholds


class Approval(_Section):
    approved_by: str
    approved_on: date
    record: str = ""


class Jurisdiction(_Section):
    name: str
    fines_allowed: bool
    minimum_wage: Money = Field(ge=0)
    deduction_cap_percent: int = Field(ge=0, le=100)


class Fines(_Section):
    warning: Money = Field(ge=0)
    demerit: Money = Field(ge=0)
    major_demerit: Money = Field(ge=0)


class LiveMonths(_Section):
    warning: Count
    demerit: Count
    major_demerit: Count
    commendation: Count


class Attendance(_Section):
    window_months: Count
    grace_minutes: int = Field(ge=0)
    minor_max_minutes: Count
    minor_points: Points
    major_points: Points
    post_left_points: Points
    absence_points_per_day: Points
    thresholds: tuple[Threshold, ...]

    _check = field_validator("thresholds")(_increasing)

    @model_validator(mode="after")
    def _bands(self) -> Attendance:
        if self.minor_max_minutes <= self.grace_minutes:
            raise ValueError("minor_max_minutes must be above grace_minutes")
        return self


class SeriousAbsence(_Section):
    short_window_days: Count
    short_window_days_absent: Count
    long_window_months: Count
    long_window_days_absent: Count


class Complaints(_Section):
    reply_hours: Count
    reply_outcome: Discipline
    resolve_hours: Count
    resolve_outcome: Discipline
    apology_hours: Count
    apology_outcome: Discipline
    severity: Mapping[Literal["minor", "major", "serious"], Discipline]

    @field_validator("severity")
    @classmethod
    def _all_severities(cls, value: Mapping[str, str]) -> Mapping[str, str]:
        missing = {"minor", "major", "serious"} - set(value)
        if missing:
            raise ValueError(f"missing severities: {', '.join(sorted(missing))}")
        return dict(value)


class Lapses(_Section):
    window_days: Count
    first_response_seconds: int = Field(ge=0)
    max_rings: Count
    thresholds: tuple[Threshold, ...]

    _check = field_validator("thresholds")(_increasing)


class Inspections(_Section):
    first_outcome: Discipline
    repeat_outcome: Discipline


def _outcomes(text: str) -> tuple[OutcomeKind, ...]:
    allowed = {
        "notice",
        "warning",
        "demerit",
        "major_demerit",
        "demotion_recommended",
        "dismissal_recommended",
    }
    parts = tuple(p.strip() for p in text.split("+"))
    bad = [p for p in parts if p not in allowed]
    if bad or not parts:
        raise ValueError(
            f"unknown outcome(s) {', '.join(bad)}; allowed: {', '.join(sorted(allowed))}"
        )
    return parts  # type: ignore[return-value]


class Violations(_Section):
    operating_rules: str
    operating_rules_with_loss: str
    discourtesy: str
    extortion: str
    arbitrary_charge: str
    falsification: str
    confidentiality: str
    confidentiality_customer_data: str
    prohibited_activity: str

    @field_validator("*")
    @classmethod
    def _known(cls, value: str) -> str:
        _outcomes(value)
        return value

    def outcomes(self, key: str) -> tuple[OutcomeKind, ...]:
        """The outcomes for a violation key, e.g. ``extortion``."""
        return _outcomes(str(getattr(self, key)))


class Obedience(_Section):
    refusal_outcome: Discipline
    missed_deadline_first: Discipline
    missed_deadline_repeat: Discipline
    authority_exceeded_outcome: Discipline
    meeting_missed_outcome: Discipline


class Recognition(_Section):
    praise_per_quarter: Count
    praise_bonus: Money = Field(ge=0)
    suggestion_bonus: Mapping[Literal["1", "2", "3"], Money]
    supervision_bonus: Money = Field(ge=0)
    commendation_offsets_warning: bool

    @field_validator("suggestion_bonus")
    @classmethod
    def _tiers(cls, value: Mapping[str, Decimal]) -> Mapping[str, Decimal]:
        if set(value) != {"1", "2", "3"}:
            raise ValueError("suggestion_bonus needs tiers 1, 2 and 3")
        if any(v < 0 for v in value.values()):
            raise ValueError("suggestion bonuses must not be negative")
        return dict(value)


class Escalation(_Section):
    warnings_to_demerit: Count
    demerits_to_major_demerit: Count
    dismissal_after_major_demerit: bool


class Grade(_Section):
    base: int = Field(ge=0, le=100)
    notice: int = Field(ge=0)
    warning: int = Field(ge=0)
    demerit: int = Field(ge=0)
    major_demerit: int = Field(ge=0)
    commendation: int = Field(ge=0)
    commendation_max: int = Field(ge=0)
    excellent: int = Field(ge=0, le=100)
    good: int = Field(ge=0, le=100)
    qualified: int = Field(ge=0, le=100)
    excellent_quota_percent: int = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _levels(self) -> Grade:
        if not self.excellent > self.good > self.qualified:
            raise ValueError("grade levels must satisfy excellent > good > qualified")
        return self


class Appeals(_Section):
    """How a consequence is appealed (申诉): within ``window_days`` of its issue, to whom and
    how. The route is shown on every notice (``ledger notice``); the defaults apply to a
    rulebook written before these keys existed."""

    window_days: Count
    to_zh: str = Field(default="人力资源部", min_length=1, max_length=200)
    to_en: str = Field(default="the Human Resources department", min_length=1, max_length=200)
    how_zh: str = Field(
        default="提交书面申诉书，写明处分编号、申诉理由，并附上相关证据",
        min_length=1,
        max_length=1000,
    )
    how_en: str = Field(
        default=(
            "hand in a written appeal stating the notice number and your grounds, with any "
            "evidence"
        ),
        min_length=1,
        max_length=1000,
    )


class Promotion(_Section):
    tenure_months: int = Field(ge=0)
    quarters: Count
    min_evaluations: Count
    min_evaluation_mean: int = Field(ge=0, le=100)


class Rulebook(_Section):
    """One rulebook version: metadata and every parameter the rules use."""

    id: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)
    title: str = ""
    effective_from: date
    published_on: date
    approval: Approval
    jurisdiction: Jurisdiction
    fines: Fines
    live_months: LiveMonths
    attendance: Attendance
    serious_absence: SeriousAbsence
    complaints: Complaints
    lapses: Lapses
    inspections: Inspections
    violations: Violations
    obedience: Obedience
    recognition: Recognition
    escalation: Escalation
    grade: Grade
    appeals: Appeals
    promotion: Promotion

    @classmethod
    def from_toml(cls, text: str, *, source: str = "<rulebook>") -> Rulebook:
        """Parse and validate a TOML rulebook.

        Raises:
            RulebookError: the text is not TOML, or a key is unknown, missing or invalid; the
                message names the key path.
        """
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RulebookError(f"{source}: not valid TOML: {exc}") from None
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problems = [
                FieldProblem(".".join(str(p) for p in e["loc"]), e["msg"])
                for e in exc.errors(include_url=False)
            ]
            raise RulebookError(f"{source}: " + "; ".join(str(p) for p in problems)) from None

    @classmethod
    def default_document(cls) -> str:
        """The TOML text of the rulebook shipped with the package."""
        return resources.files("ledger.rulebooks").joinpath(DEFAULT_RULEBOOK).read_text("utf-8")

    def fine_for(self, kind: str) -> Decimal:
        """The fine attached to a discipline record of ``kind`` (0 when none)."""
        return Decimal(getattr(self.fines, kind, Decimal(0)))

    def live_months_for(self, kind: str) -> int | None:
        """The live period of ``kind`` in months, or ``None`` for never live."""
        value = getattr(self.live_months, kind, None)
        return int(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class AdoptedRulebook:
    """A rulebook as adopted into a ledger: parsed, with its document and content hash."""

    rulebook: Rulebook
    document: str
    sha256: str
    effective_from: date
    published_on: date

    @classmethod
    def from_document(
        cls,
        document: str,
        *,
        effective_from: date | None = None,
        published_on: date | None = None,
        source: str = "<rulebook>",
    ) -> AdoptedRulebook:
        """Parse ``document``; the dates default to those written in it."""
        rulebook = Rulebook.from_toml(document, source=source)
        return cls(
            rulebook=rulebook,
            document=document,
            sha256=hashlib.sha256(document.encode("utf-8")).hexdigest(),
            effective_from=effective_from or rulebook.effective_from,
            published_on=published_on or rulebook.published_on,
        )

    @property
    def binds_from(self) -> datetime:
        """The first instant this version binds: both effective and published."""
        return start_of_day(max(self.effective_from, self.published_on))


class RulebookSet:
    """Every adopted rulebook version; picks the one that binds a given instant."""

    def __init__(self, adopted: Iterable[AdoptedRulebook] = ()) -> None:
        self.versions: tuple[AdoptedRulebook, ...] = tuple(
            sorted(adopted, key=lambda a: (a.effective_from, a.rulebook.version))
        )
        # Newest first with their binding instants, computed once: in_force runs per fact.
        self._newest_first = tuple((a.binds_from, a) for a in reversed(self.versions))

    def __bool__(self) -> bool:
        return bool(self.versions)

    def in_force(self, moment: datetime) -> AdoptedRulebook | None:
        """The version binding facts at ``moment``, or ``None`` when none is published yet."""
        for binds_from, adopted in self._newest_first:
            if binds_from <= moment:
                return adopted  # the last version (in adoption order) that binds by then
        return None

    def latest(self) -> AdoptedRulebook | None:
        """The most recently effective version (what ``rulebook --export`` prints)."""
        return self.versions[-1] if self.versions else None
