"""The access document: roles grant event types (globs on the dotted name), actors hold roles.

Adopted into the log like a rulebook (``access.adopted``, the whole TOML and its sha256),
it binds every write after its position (docs/ARCHITECTURE.md, "Access")::

    id = "access"
    version = 1

    [roles]              # role -> event types it may record
    admin = ["rulebook.adopted", "access.adopted"]
    hr = ["employee.*", "conduct.*", "correction.retracted"]
    attendance = ["attendance.*"]

    [actors]             # actor -> roles
    "hr:H01" = ["admin", "hr"]
    "system:badge" = ["attendance"]

Loading validates it and names every problem: unknown keys, a role an actor holds that is
not defined, a pattern that matches no event type or only types the ledger writes itself,
and a document that leaves nobody with ``admin`` (then no one could adopt the next one).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from importlib import resources
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from ledger.errors import FieldProblem, ValidationFailed
from ledger.events import EVENT_TYPES
from ledger.events.codec import problems_of
from ledger.store.base import LEDGER_ACTOR, is_ledger_only

__all__ = [
    "ADMIN",
    "GRANTABLE_TYPES",
    "AccessDocument",
    "AdoptedAccess",
    "company_access_document",
    "load_access",
]

ADMIN = "admin"
"""The role that adopts the next access document (a document must give it to someone)."""

GRANTABLE_TYPES: tuple[str, ...] = tuple(t for t in EVENT_TYPES if not is_ledger_only(t))
"""Types a role may grant: every observation, ``rulebook.adopted`` and ``access.adopted``."""

RoleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
Actor = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=False)]
_PATTERN = re.compile(r"^[a-z*?\[\]_.!-]+$")


class AccessDocument(BaseModel):
    """Who may record what: ``roles`` (role -> type patterns), ``actors`` (actor -> roles)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)
    roles: dict[RoleName, tuple[str, ...]]
    actors: dict[Actor, tuple[RoleName, ...]]

    @property
    def label(self) -> str:
        """``access v1`` (the id, then the version): how refusals name the document."""
        return f"{self.id} v{self.version}"

    def roles_of(self, actor: str) -> tuple[str, ...]:
        """The roles ``actor`` holds (none when not listed)."""
        return self.actors.get(actor, ())

    def role_granting(self, actor: str, type_name: str) -> str | None:
        """The first of ``actor``'s roles whose patterns match ``type_name``, if any."""
        if is_ledger_only(type_name):
            return None
        for role in self.roles_of(actor):
            if any(fnmatchcase(type_name, p) for p in self.roles.get(role, ())):
                return role
        return None

    def problems(self) -> list[FieldProblem]:
        """What is wrong with the document beyond its shape (empty: it is valid)."""
        found: list[FieldProblem] = []
        for role, patterns in self.roles.items():
            for n, pattern in enumerate(patterns):
                found += _pattern_problems(f"roles.{role}[{n}]", pattern)
        for actor, held in self.actors.items():
            if actor == LEDGER_ACTOR:
                found.append(
                    FieldProblem(
                        f"actors.{actor}", f"{LEDGER_ACTOR!r} is the derivation path's name"
                    )
                )
            for role in held:
                if role not in self.roles:
                    known = ", ".join(sorted(self.roles)) or "none"
                    found.append(
                        FieldProblem(f"actors.{actor}", f"unknown role {role!r} (roles: {known})")
                    )
        if ADMIN not in self.roles:
            found.append(FieldProblem(f"roles.{ADMIN}", "missing: the admin role must be defined"))
        elif not any(fnmatchcase("access.adopted", p) for p in self.roles[ADMIN]):
            found.append(FieldProblem(f"roles.{ADMIN}", "must grant access.adopted"))
        if not any(ADMIN in held for held in self.actors.values()):
            found.append(
                FieldProblem(
                    "actors",
                    "nobody holds the admin role: no one could adopt the next access document",
                )
            )
        return found


def _pattern_problems(where: str, pattern: str) -> list[FieldProblem]:
    if not _PATTERN.match(pattern):
        return [FieldProblem(where, f"{pattern!r} is not a pattern on dotted type names")]
    matched = [t for t in EVENT_TYPES if fnmatchcase(t, pattern)]
    if not matched:
        return [FieldProblem(where, f"{pattern!r} matches no event type (see `ledger schema`)")]
    if all(is_ledger_only(t) for t in matched):
        return [
            FieldProblem(
                where,
                f"{pattern!r} matches only types the ledger writes itself "
                f"({', '.join(matched)}); no role may grant them",
            )
        ]
    return []


def _named(problem: FieldProblem) -> FieldProblem:
    """A key's problem (pydantic's ``roles.X.[key]``) said of the key, in words."""
    if "should match pattern" in problem.message:
        field = problem.field.removesuffix(".[key]")
        return FieldProblem(
            field, "not a role name: lowercase letters, digits, - and _, starting with a letter"
        )
    return FieldProblem(problem.field.removesuffix(".[key]"), problem.message)


@dataclass(frozen=True, slots=True)
class AdoptedAccess:
    """An access document as adopted: parsed, its text, its sha256, and where it binds from.

    Attributes:
        position: the position of its ``access.adopted`` event (0 before it is recorded);
            it binds every write after that position.
        adopted_by: who adopted it.
    """

    document: AccessDocument
    text: str
    sha256: str
    position: int = 0
    adopted_by: str = ""

    @property
    def label(self) -> str:
        """The document's id and version."""
        return self.document.label


def load_access(text: str, *, source: str = "<access>") -> AdoptedAccess:
    """Parse and validate an access document.

    Raises:
        ValidationFailed: not TOML, a key unknown or missing, or any problem
            :meth:`AccessDocument.problems` finds; each names its key.
    """
    return _load(text, source)


@lru_cache(maxsize=16)
def _load(text: str, source: str) -> AdoptedAccess:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationFailed.single("", f"not valid TOML: {exc}", where=source) from None
    try:
        document = AccessDocument.model_validate(raw)
    except ValidationError as exc:
        raise ValidationFailed([_named(p) for p in problems_of(exc)], where=source) from None
    problems = document.problems()
    if problems:
        raise ValidationFailed(problems, where=source)
    return AdoptedAccess(document, text, hashlib.sha256(text.encode("utf-8")).hexdigest())


def company_access_document() -> str:
    """The TOML of a realistic access document (the demo company's), shipped with the
    package: roles for HR, supervisors, corrections, appeals and each feeding system."""
    return resources.files("ledger.rulebooks").joinpath("company-access.toml").read_text("utf-8")
