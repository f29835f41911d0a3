"""The envelope every event travels in, and the base class of every event's ``data``."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationInfo,
    field_validator,
    model_validator,
)
from uuid6 import uuid7

from ledger.timeutil import COMPANY_TZ

__all__ = [
    "EVIDENCE_ITEMS",
    "EVIDENCE_LENGTH",
    "LEDGER_STREAM",
    "EmployeeId",
    "Event",
    "EventData",
    "Instant",
    "WireDate",
    "WireInstant",
    "assembled",
    "new_event_id",
]

LEDGER_STREAM = "_ledger"
"""Reserved stream for ledger-wide events such as ``rulebook.adopted``."""

_EMPLOYEE_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._:@-]{0,63}$")
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _company_time(moment: datetime) -> datetime:
    try:
        return moment.astimezone(COMPANY_TZ)
    except OverflowError:  # year 1 or 9999 has no company-time equivalent
        raise ValueError(f"{moment.isoformat()} is out of the supported range") from None


def _iso_text(value: Any) -> Any:
    # Lax validation would read a bare number (or a numeric string, as a CSV cell holds) as
    # seconds since 1970 in UTC; the wire format says ISO 8601 with an offset, nothing else.
    # Parsed here, so that strict (wire) validation sees a datetime.
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_INSTANT.match(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(
        "must be an ISO 8601 date and time with an offset, e.g. 2026-07-03T09:12:00+08:00"
    )


_Aware = Annotated[AwareDatetime, BeforeValidator(_iso_text)]

Instant = Annotated[_Aware, AfterValidator(_company_time)]
"""A time-zone-aware datetime, normalised to company time; naive datetimes are rejected."""

EARLIEST = datetime(1970, 1, 1, tzinfo=COMPANY_TZ)
"""No observation occurred before this (company time), nor is anything due before it."""
LATEST_DAY = date(2100, 12, 31)
"""No due date or hiring date lies after this day: far enough for any plan, and every
period, window and deadline the rules compute from it stays a valid date."""
_RANGE = f"{EARLIEST.date().isoformat()} to {LATEST_DAY.isoformat()}, company time"
EVIDENCE_ITEMS = 20
EVIDENCE_LENGTH = 500


def _bounded_instant(moment: datetime) -> datetime:
    try:
        early = moment < EARLIEST
        late = moment.astimezone(COMPANY_TZ).date() > LATEST_DAY
    except OverflowError:  # 0001-01-01 or 9999-12-31 with an offset
        early, late = moment.year < EARLIEST.year, moment.year > EARLIEST.year
    if early or late:
        raise ValueError(f"{moment.isoformat()} is out of the supported range ({_RANGE})")
    return moment


def _bounded_day(day: date) -> date:
    if not EARLIEST.date() <= day <= LATEST_DAY:
        raise ValueError(f"{day.isoformat()} is out of the supported range ({_RANGE})")
    return day


WireInstant = Annotated[_Aware, AfterValidator(_bounded_instant), AfterValidator(_company_time)]
"""An :data:`Instant` an observation may carry: from 1970-01-01 to 2100-12-31 (company time).
``occurred_at`` is bounded further by the ledger's clock when it is stored."""

WireDate = Annotated[date, AfterValidator(_bounded_day)]
"""A calendar date an observation may carry, from 1970-01-01 to 2100-12-31."""

Evidence = Annotated[
    tuple[Annotated[str, Field(min_length=1, max_length=EVIDENCE_LENGTH)], ...],
    Field(max_length=EVIDENCE_ITEMS),
]


def _check_employee_id(value: str) -> str:
    if not _EMPLOYEE_ID.match(value):
        raise ValueError(
            "employee id must be 1-64 letters, digits or ._:@- and not start with a symbol"
        )
    return value


EmployeeId = Annotated[str, AfterValidator(_check_employee_id)]


def new_event_id() -> UUID:
    """A fresh, time-ordered event id (UUIDv7), so that generated ids index with locality."""
    return UUID(bytes=uuid7().bytes)


class EventData(BaseModel):
    """Base of every event type's ``data``.

    Subclasses set ``TYPE`` (the stable dotted name stored in the log), ``SCHEMA_VERSION``,
    and whether the type is ``DERIVED`` (written only by the ledger) or ``LEDGER_WIDE``
    (lives in the reserved ``_ledger`` stream).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str] = ""
    SCHEMA_VERSION: ClassVar[int] = 1
    DERIVED: ClassVar[bool] = False
    LEDGER_WIDE: ClassVar[bool] = False


class Event(BaseModel):
    """One fact in the log: the envelope plus the type's own ``data``.

    Build one with :meth:`Event.of`; parse one from the wire with
    :func:`ledger.events.parse_event`. ``recorded_at``, ``position``, ``version`` and the hash
    are assigned by the store and live on :class:`ledger.store.Recorded`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(default_factory=new_event_id)
    type: str
    schema_version: int = Field(default=1, ge=1)
    employee_id: EmployeeId
    occurred_at: WireInstant
    recorded_by: str = Field(min_length=1, max_length=200)
    source: str | None = Field(default=None, max_length=500)
    evidence: Evidence = ()
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    data: SerializeAsAny[EventData]

    @field_validator("employee_id")
    @classmethod
    def _stream_fits_type(cls, value: str, info: ValidationInfo) -> str:
        # A field validator (not the model one) so that the problem names ``employee_id``.
        from ledger.events.registry import EVENT_TYPES

        type_name = info.data.get("type", "")
        model = EVENT_TYPES.get(type_name)
        ledger_wide = model is not None and model.LEDGER_WIDE
        if ledger_wide and value != LEDGER_STREAM:
            raise ValueError(f"{type_name} events belong to the {LEDGER_STREAM!r} stream")
        if not ledger_wide and value.startswith("_"):
            raise ValueError("employee ids starting with '_' are reserved for the ledger")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Event:
        data_type = type(self.data).TYPE
        if data_type and data_type != self.type:
            raise ValueError(f"type {self.type!r} does not match data of type {data_type!r}")
        return self

    def __eq__(self, other: object) -> bool:
        # The wire union yields per-type subclasses; equality is about content, not class.
        if not isinstance(other, Event):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(self.event_id)

    @classmethod
    def of(
        cls,
        data: EventData,
        *,
        employee_id: str,
        occurred_at: datetime,
        recorded_by: str,
        event_id: UUID | None = None,
        **envelope: Any,
    ) -> Event:
        """Build an event around ``data``, taking ``type`` and ``schema_version`` from it.

        Raises:
            ledger.errors.ValidationFailed: a field of the envelope is invalid.
        """
        from ledger.events.codec import validation_failed
        from ledger.events.registry import ENVELOPES

        model = ENVELOPES.get(type(data).TYPE, cls)

        fields: dict[str, Any] = {
            "type": type(data).TYPE,
            "schema_version": type(data).SCHEMA_VERSION,
            "employee_id": employee_id,
            "occurred_at": occurred_at,
            "recorded_by": recorded_by,
            "data": data,
            **envelope,
        }
        if event_id is not None:
            fields["event_id"] = event_id
        try:
            return model.model_validate(fields)
        except ValueError as exc:
            raise validation_failed(exc) from None


_M = TypeVar("_M", bound=BaseModel)
_new = object.__new__
_set = object.__setattr__


def assembled(model: type[_M], values: dict[str, Any]) -> _M:
    """A ``model`` holding exactly ``values``, every field given, without validating them.

    For values the ledger already holds in the form validation leaves them (rows the store
    wrote and chained, a derivation's own facts): the same ``__dict__``, fields set and
    equality as ``model_construct`` gives, at a fifth of its cost (docs/ARCHITECTURE.md,
    "Read models", "Trusted reads"). The caller answers for the values.
    """
    found = _new(model)
    _set(found, "__dict__", values)
    _set(found, "__pydantic_fields_set__", set(values))
    _set(found, "__pydantic_extra__", None)
    _set(found, "__pydantic_private__", None)
    return found
