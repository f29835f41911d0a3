"""The explicit registry from stable type name to data model, and the wire union built on it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, TypeAdapter, create_model

from ledger.events import (
    access,
    attendance,
    conduct,
    corrections,
    derived,
    development,
    employee,
    service,
    task,
)
from ledger.events.base import Event, EventData

__all__ = ["EVENT_TYPES", "OBSERVATION_TYPES", "TypeRegistry", "wire_adapter"]


class TypeRegistry(Mapping[str, type[EventData]]):
    """Maps stable type names to data models; rejects duplicates and unnamed models."""

    def __init__(self, models: Iterable[type[EventData]]) -> None:
        self._models: dict[str, type[EventData]] = {}
        for model in models:
            if not model.TYPE:
                raise ValueError(f"{model.__name__} has no TYPE")
            if model.TYPE in self._models:
                raise ValueError(f"event type {model.TYPE!r} registered twice")
            self._models[model.TYPE] = model

    def __getitem__(self, name: str) -> type[EventData]:
        return self._models[name]

    def __iter__(self) -> Any:
        return iter(self._models)

    def __len__(self) -> int:
        return len(self._models)


EVENT_TYPES = TypeRegistry(
    [
        employee.Hired,
        employee.WageChanged,
        employee.Transferred,
        employee.Separated,
        employee.QualificationAssessed,
        attendance.LateArrival,
        attendance.EarlyDeparture,
        attendance.PostLeft,
        attendance.Absence,
        attendance.LeaveTaken,
        service.ComplaintReceived,
        service.ComplaintReplied,
        service.ComplaintResolved,
        service.ComplaintVerified,
        service.ComplaintDismissed,
        service.ApologyMade,
        service.CustomerPraised,
        service.FirstResponseTimed,
        service.PhoneAnswered,
        service.ServiceEvaluated,
        service.ServiceInspected,
        conduct.Violation,
        conduct.PropertyDamaged,
        task.TaskAssigned,
        task.TaskCompleted,
        task.TaskRefused,
        task.AuthorityExceeded,
        task.MeetingMissed,
        development.TrainingCompleted,
        development.SuggestionAdopted,
        development.SupervisionReported,
        development.GoodDeed,
        corrections.Retracted,
        corrections.AppealFiled,
        corrections.AppealDecided,
        derived.RulebookAdopted,
        access.AccessAdopted,
        derived.SanctionIssued,
        derived.SanctionVoided,
        derived.SanctionRevoked,
        derived.SanctionReinstated,
        derived.Ticked,
        derived.GradeAssigned,
        derived.PayrollClosed,
        derived.CheckpointIssued,
    ]
)
"""Every event type the ledger knows, by stable name."""

OBSERVATION_TYPES: tuple[str, ...] = tuple(
    name for name, model in EVENT_TYPES.items() if not model.DERIVED and not model.LEDGER_WIDE
)
"""Types other systems may record (everything but ledger-written events)."""


def _envelope_for(model: type[EventData]) -> type[Event]:
    name = "".join(part.title() for part in model.TYPE.replace("_", ".").split(".")) + "Event"
    envelope: type[Event] = create_model(
        name,
        __base__=Event,
        __doc__=f"A `{model.TYPE}` event. {(model.__doc__ or '').strip()}",
        type=(Literal[model.TYPE], Field(description="stable type name")),  # type: ignore[arg-type]
        data=(model, ...),
    )
    return envelope


ENVELOPES: dict[str, type[Event]] = {
    name: _envelope_for(model) for name, model in EVENT_TYPES.items()
}


def wire_adapter(names: Iterable[str] | None = None) -> TypeAdapter[Event]:
    """A validator for the wire format: a union of envelopes discriminated on ``type``."""
    chosen = [ENVELOPES[n] for n in (names if names is not None else EVENT_TYPES)]
    union = Annotated[Union[tuple(chosen)], Discriminator("type")]  # type: ignore[valid-type]  # noqa: UP007
    return TypeAdapter(union)  # type: ignore[arg-type]
