"""Clean the regulation clauses the rules cite: ``ledger/regulations/clauses.json``.

Each clause in that file keeps ``original``, the verbatim passage of the scraped seed file
(``shared/seeds/NNN_*.txt``), next to ``text``, the clean passage a person reads. This script
computes ``text`` (and the simplified ``section`` and the regulation's ``title``) from the
original, and writes the file again; ``--check`` only reports whether the file is current
(exit 1 if not). Run it after editing an ``original``::

    .venv/bin/python tools/clean_clauses.py          # rewrite
    .venv/bin/python tools/clean_clauses.py --check  # CI / tests

Cleaning does only this, in order (``tests/unit/test_clauses.py`` holds it to that):

1. drops the pinyin glosses the scraper inserted after characters (``應(yīng)`` → ``應``);
2. applies the :data:`REPAIRS`, each a garbled sequence of the seed and its reading;
3. drops a leading item number (``1、``, ``2.``: the section names it), joins line breaks,
   removes the spaces the scraper put between characters and punctuation, and makes ASCII
   ``,;:`` between Chinese text full-width;
4. converts traditional characters to simplified ones with OpenCC (``t2s``), the maintained
   converter: no hand table.

OpenCC is needed here (and in the tests), not at run time: the cleaned texts are committed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "ledger" / "regulations" / "clauses.json"

TITLES: dict[str, str] = {
    "000_7e493357c9b270e4.txt": "公司优质服务规范细则",
    "001_6fe9d683d49348b3.txt": "服务到位服从管理制度",
    "002_46624b0ada36de4f.txt": "客户服务五要素细则",
    "003_43e159517f9c6ad1.txt": "公司服务规范",
    "004_998454e574dc36de.txt": "服务规章制度",
}
"""Seed file -> the regulation's real title (seed 000 is a collection of texts of that name)."""

REPAIRS: dict[str, str] = {
    # Seed 001: "适当的奖励" garbled by the scraper (mojibake of a glossed 當(dàng)的獎勵).
    "適當?shù)莫剟睢": "適當的獎勵",
    # Seed 000 三.1: an opening quotation mark with no closing one.
    "执行情况,“各科室": "执行情况,各科室",
}
"""Garbled sequences of the seeds and what they read as; nothing else is changed by hand."""

PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
"""A pinyin gloss as seed 001 has them: ``(yīng)``, ``(wù)``."""

ITEM_NUMBER = re.compile(r"^\d+[、.]")
CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’《》"
SPACE_NEAR_CJK = re.compile(rf"\s+(?=[{CJK}])|(?<=[{CJK}])\s+")
ASCII_PUNCT = re.compile(rf"(?<=[{CJK}\w)])([,;:])(?=[{CJK}\w(])")
FULL_WIDTH = {",": "，", ";": "；", ":": "："}


@cache
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """``text`` in simplified characters (OpenCC t2s)."""
    return str(_converter().convert(text))


def clean(original: str) -> str:
    """The clean, simplified reading of a verbatim seed passage (steps 1-4 above)."""
    text = PINYIN.sub("", original)
    for garbled, reading in REPAIRS.items():
        text = text.replace(garbled, reading)
    text = ITEM_NUMBER.sub("", text.strip())
    text = SPACE_NEAR_CJK.sub("", text)
    text = re.sub(r"\s+", " ", text)
    text = ASCII_PUNCT.sub(lambda m: FULL_WIDTH[m.group(1)], text)
    return simplified(text)


def cleaned(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (the JSON document) with every derived field recomputed."""
    rules: dict[str, Any] = {}
    for rule_id, clauses in data["rules"].items():
        rules[rule_id] = [
            {
                "seed": c["seed"],
                "title": TITLES[c["seed"]],
                "section": simplified(c["section"]),
                "text": clean(c["original"]),
                "original": c["original"],
                "gloss": c["gloss"],
            }
            for c in clauses
        ]
    return {"about": data["about"], "rules": rules}


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if stale")
    parser.add_argument("--data", type=Path, default=DATA, help="the clauses file")
    args = parser.parse_args(argv)
    current = args.data.read_text(encoding="utf-8")
    wanted = render(cleaned(json.loads(current)))
    if current == wanted:
        print(f"{args.data}: up to date")
        return 0
    if args.check:
        print(f"{args.data}: stale; run tools/clean_clauses.py", file=sys.stderr)
        return 1
    args.data.write_text(wanted, encoding="utf-8")
    print(f"{args.data}: rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
