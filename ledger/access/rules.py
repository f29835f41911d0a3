"""Who may record one fact: the roles of the access document in force, and the separation of
duties built in whatever the roles say. Pure: the same for a write and for ``verify``.

Table (docs/ARCHITECTURE.md, "Access"), for an actor recording a fact of ``type`` on
employee E's stream:

=====================================================  ==========================================
the fact                                                allowed when
=====================================================  ==========================================
``sanction.*``, ``grade.*``, ``payroll.*``, ``ledger.*``  never: the ledger derives them
``appeal.decided``, ``correction.retracted`` on E       never by ``employee:E`` (own stream)
``appeal.decided`` on E's sanction                      the actor recorded none of its causing facts
                                                        (four eyes), and a role grants it
``appeal.filed`` on E                                   actor is ``employee:E`` (self-service),
                                                        or a role grants it
``access.adopted``                                      the actor holds ``admin``
anything else                                           one of the actor's roles grants the type
=====================================================  ==========================================
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ledger.access.document import ADMIN, AccessDocument
from ledger.store.base import is_ledger_only

__all__ = ["SELF_SERVICE", "Verdict", "employee_actor", "judge"]

SELF_SERVICE = "self-service"
"""The "role" that lets ``employee:E`` file an appeal on their own stream."""

_NOT_ON_OWN_STREAM = frozenset({"appeal.decided", "correction.retracted"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer for one fact: the role that allows it, or the right that is missing."""

    role: str | None = None
    missing: str | None = None

    @property
    def allowed(self) -> bool:
        """Whether the fact may be recorded."""
        return self.missing is None


def employee_actor(employee_id: str) -> str:
    """The actor an employee acts as (``employee:E1001``)."""
    return f"employee:{employee_id}"


def judge(
    document: AccessDocument,
    actor: str,
    type_name: str,
    employee_id: str,
    *,
    causing_recorders: Collection[str] = (),
) -> Verdict:
    """Whether ``actor`` may record a ``type_name`` fact on ``employee_id``'s stream.

    Args:
        causing_recorders: for ``appeal.decided``, who recorded the facts that caused the
            sanction appealed against.
    """
    own = actor == employee_actor(employee_id)
    if is_ledger_only(type_name):
        return Verdict(missing="only the ledger derives it")
    if own and type_name in _NOT_ON_OWN_STREAM:
        return Verdict(
            missing=f"nobody records {type_name} on their own stream (separation of duties)"
        )
    if type_name == "appeal.decided" and actor in causing_recorders:
        return Verdict(
            missing="four eyes: the decider of an appeal may not have recorded a fact that "
            "caused the sanction"
        )
    if type_name == "appeal.filed" and own:
        return Verdict(role=SELF_SERVICE)
    held = document.roles_of(actor)
    if type_name == "access.adopted":
        if ADMIN in held:
            return Verdict(role=ADMIN)
        return Verdict(
            missing=f"the {ADMIN} role, which adopts the next access document "
            f"({document.label}: {_holding(actor, held)})"
        )
    role = document.role_granting(actor, type_name)
    if role is None:
        return Verdict(
            missing=f"a role granting {type_name} ({document.label}: {_holding(actor, held)})"
        )
    return Verdict(role=role)


def _holding(actor: str, held: tuple[str, ...]) -> str:
    if not held:
        return f"{actor} is not among its actors"
    return f"{actor} holds {', '.join(held)}"
