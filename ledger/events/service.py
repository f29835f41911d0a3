"""Service facts: complaints and their lifecycle, praise, response times, evaluations, checks."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ledger.events.base import EventData

__all__ = [
    "ApologyMade",
    "ComplaintDismissed",
    "ComplaintId",
    "ComplaintReceived",
    "ComplaintReplied",
    "ComplaintResolved",
    "ComplaintVerified",
    "CustomerPraised",
    "FirstResponseTimed",
    "PhoneAnswered",
    "ServiceEvaluated",
    "ServiceInspected",
]

ComplaintId = str


class _Complaint(EventData):
    complaint_id: str = Field(min_length=1, max_length=100)


class ComplaintReceived(_Complaint):
    """A complaint reached its first-question handler (首问负责), the subject of this event."""

    TYPE: ClassVar[str] = "service.complaint_received"
    channel: str = Field(min_length=1, max_length=100)


class ComplaintReplied(_Complaint):
    """The handler replied to the complainant."""

    TYPE: ClassVar[str] = "service.complaint_replied"


class ComplaintResolved(_Complaint):
    """The handler resolved the complaint."""

    TYPE: ClassVar[str] = "service.complaint_resolved"


class ComplaintVerified(_Complaint):
    """The complaint against this employee was investigated and found true (经查属实)."""

    TYPE: ClassVar[str] = "service.complaint_verified"
    severity: Literal["minor", "major", "serious"]


class ComplaintDismissed(_Complaint):
    """The complaint was investigated and not substantiated."""

    TYPE: ClassVar[str] = "service.complaint_dismissed"


class ApologyMade(_Complaint):
    """The employee apologised to the complainant (赔礼道歉)."""

    TYPE: ClassVar[str] = "service.apology_made"


class CustomerPraised(EventData):
    """A customer praised the employee (表扬)."""

    TYPE: ClassVar[str] = "service.customer_praised"
    channel: str = Field(min_length=1, max_length=100)
    note: str | None = Field(default=None, max_length=2000)


class FirstResponseTimed(EventData):
    """Seconds until a visitor was first attended to (首问 five-minute rule)."""

    TYPE: ClassVar[str] = "service.first_response_timed"
    seconds: int = Field(ge=0, le=7 * 24 * 3600)


class PhoneAnswered(EventData):
    """A phone call was picked up after ``rings`` rings (three-ring rule)."""

    TYPE: ClassVar[str] = "service.phone_answered"
    rings: int = Field(ge=1, le=1000)


class ServiceEvaluated(EventData):
    """A 360-degree evaluation score."""

    TYPE: ClassVar[str] = "service.evaluated"
    rater: Literal["customer", "peer", "supervisor", "self"]
    score: int = Field(ge=0, le=100)


class ServiceInspected(EventData):
    """A self-check, company inspection or spot check of the employee's service."""

    TYPE: ClassVar[str] = "service.inspected"
    inspection: Literal["self_check", "company", "spot_check"]
    passed: bool
    clause: str | None = Field(default=None, max_length=500)
