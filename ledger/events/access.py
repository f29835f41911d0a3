"""The access document's adoption: who may record what, from its position in the log on."""

from __future__ import annotations

import hashlib
from typing import ClassVar

from pydantic import Field, model_validator

from ledger.events.base import EventData

__all__ = ["AccessAdopted"]


class AccessAdopted(EventData):
    """An access document was adopted; it binds every write after its position.

    Carries the whole TOML and its sha256, so ``verify`` can judge every fact by the
    document in force where it was recorded (docs/ARCHITECTURE.md, "Access").
    """

    TYPE: ClassVar[str] = "access.adopted"
    LEDGER_WIDE: ClassVar[bool] = True
    access_id: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)
    document: str = Field(min_length=1, max_length=200_000)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _hash_matches(self) -> AccessAdopted:
        actual = hashlib.sha256(self.document.encode("utf-8")).hexdigest()
        if actual != self.sha256:
            raise ValueError(f"sha256 {self.sha256} does not match the document ({actual})")
        return self
