"""The regulation clauses behind each rule of the default rulebook ``service-standard``.

Every rule id of ``shared/RULEBOOK.md`` maps to one or more :class:`Clause` objects, the first
being the primary one. They are read from ``ledger/regulations/clauses.json``, shipped inside
the package. Each clause is named by the regulation's real title and its section as numbered
in the document; ``Clause.text`` is the clean passage a person reads (simplified characters,
no scraping debris), ``Clause.original`` the verbatim passage of the scraped seed file
``Clause.seed``, kept for traceability. ``tools/clean_clauses.py`` computes ``text`` from
``original`` (pinyin glosses, page furniture and stray spaces removed, OpenCC t2s); the
converter is needed only there and in the tests, not at run time.

ATT-02 and PAY-01 rest on PRC law (劳动合同法 第39条, 工资支付暂行规定 第16条) rather than on
the seeds; their clauses cite the closest seed passage and name the law in ``gloss``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

__all__ = ["CLAUSES", "Clause"]


@dataclass(frozen=True, slots=True)
class Clause:
    """One regulation passage that a rule implements."""

    title: str
    """The regulation's title, e.g. ``"服务到位服从管理制度"``."""
    section: str
    """Section as numbered in the document, e.g. ``"三.(二).2 工作纪律"``."""
    text: str
    """The clean passage in simplified characters."""
    original: str
    """The verbatim passage of the seed file (traditional characters, debris included)."""
    seed: str
    """Seed file the original comes from, e.g. ``"001_6fe9d683d49348b3.txt"``."""
    gloss: str
    """Short English gloss (and the law relied on, where the regulation is not enough)."""

    @property
    def source(self) -> str:
        """Title and section: ``服务到位服从管理制度 三.(二).2 工作纪律``."""
        return f"{self.title} {self.section}"

    def as_json(self) -> dict[str, str]:
        """The clause as the CLI and ``explain`` print it."""
        return {
            "title": self.title,
            "section": self.section,
            "text": self.text,
            "gloss": self.gloss,
            "original": self.original,
            "seed": self.seed,
        }


def _load() -> Mapping[str, tuple[Clause, ...]]:
    raw: dict[str, Any] = json.loads(
        resources.files("ledger.regulations").joinpath("clauses.json").read_text("utf-8")
    )
    return MappingProxyType(
        {
            rule_id: tuple(
                Clause(
                    title=c["title"],
                    section=c["section"],
                    text=c["text"],
                    original=c["original"],
                    seed=c["seed"],
                    gloss=c["gloss"],
                )
                for c in clauses
            )
            for rule_id, clauses in raw["rules"].items()
        }
    )


CLAUSES: Mapping[str, tuple[Clause, ...]] = _load()
"""Rule id -> the clauses it implements, primary clause first."""
