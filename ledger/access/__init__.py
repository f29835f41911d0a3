"""Who may write what: the access document, the rules it and the built-in separation of
duties apply, and the checks on every write (docs/ARCHITECTURE.md, "Access")."""

from ledger.access.document import ADMIN, AccessDocument, AdoptedAccess, load_access
from ledger.access.guard import WriteGuard, access_at, access_in_force
from ledger.access.rules import SELF_SERVICE, Verdict, employee_actor, judge

__all__ = [
    "ADMIN",
    "SELF_SERVICE",
    "AccessDocument",
    "AdoptedAccess",
    "Verdict",
    "WriteGuard",
    "access_at",
    "access_in_force",
    "employee_actor",
    "judge",
    "load_access",
]
