"""Summarise a ``py-spy record --format raw`` profile: the top functions by self and total time.

Usage::

    py-spy record --format raw -r 200 -o bench/out/import.raw -- \\
        python bench/steps.py ledger-import --data bench/out/quarter-....jsonl --db bench/out/p.db
    python bench/hotspots.py bench/out/import.raw [--top 25] [--under Ledger.import_file]

Each raw line is ``frame;frame;...;frame count`` (outermost first); a frame reads
``function (file:line)``. Self time counts the innermost frame; total time counts every
distinct function on the stack once. ``--under`` keeps only stacks through that function.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:]*)(?::\d+)?\)$")


def _name(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    file = match["file"]
    for marker in ("site-packages/", "/main/", "lib/python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{match['func']} ({file})"


def summarise(path: Path, under: str | None) -> tuple[int, Counter[str], Counter[str]]:
    """Total samples, and samples per function as innermost frame and anywhere on the stack."""
    total, own, inclusive = 0, Counter[str](), Counter[str]()
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_name(f) for f in stack.split(";")]
        if under and not any(under in f for f in frames):
            continue
        samples = int(count)
        total += samples
        own[frames[-1]] += samples
        for name in set(frames):
            inclusive[name] += samples
    return total, own, inclusive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--under", default=None, help="only stacks through this function")
    args = parser.parse_args(argv)
    total, own, inclusive = summarise(args.raw, args.under)
    if not total:
        print("no samples")
        return 1
    for title, table in (("self", own), ("total", inclusive)):
        print(f"\n{title} time ({total} samples)")
        for name, samples in table.most_common(args.top):
            print(f"{100 * samples / total:5.1f}%  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
