"""The machine description, the issue's targets and the Markdown table of a benchmark run."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["commit", "machine", "render", "targets"]

Row = dict[str, Any]
REFERENCE = "es-aggregates"
FLOOR = "raw-floor"


def _first(path: str, prefix: str) -> str:
    try:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def commit() -> str:
    """The ledger's git commit, flagged when ``ledger/`` has uncommitted changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "ledger"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return f"{head}{' + uncommitted ledger/ changes' if dirty else ''}"


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    kb = _first("/proc/meminfo", "MemTotal").split()[0]
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": _first("/proc/cpuinfo", "model name"),
        "memory_gib": round(int(kb) / 2**20, 1) if kb.isdigit() else None,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "eventsourcing": _version("eventsourcing"),
        "pydantic": _version("pydantic"),
        "ledger_commit": commit(),
        "load_before": os.getloadavg(),
    }


def _by_key(rows: list[Row]) -> dict[str, Row]:
    return {row["key"]: row for row in rows}


def _rate(row: Row | None) -> float | None:
    if not row or "error" in row or "na" in row or not row.get("seconds"):
        return None
    return float(row["count"]) / float(row["seconds"])


def targets(rows: list[Row]) -> list[dict[str, Any]]:
    """The issue's targets (defined at 1M events / 10k employees) against this run."""
    by = _by_key(rows)
    found: list[dict[str, Any]] = []

    def check(name: str, value: float | None, goal: float, unit: str, lower: bool) -> None:
        met = None if value is None else (value < goal if lower else value >= goal)
        found.append({"target": name, "value": value, "goal": goal, "unit": unit, "met": met})

    imp, ref = _rate(by.get("ledger-import")), _rate(by.get(REFERENCE))
    check("ledger import ≥ 1.5× eventsourcing", imp / ref if imp and ref else None, 1.5, "×", False)
    check("replay ≥ 100k events/s", _rate(by.get("ledger-replay")), 100_000, "events/s", False)
    replay = by.get("ledger-replay", {})
    rss = max(replay.get("peak_rss_kb", 0), replay.get("workers_peak_rss_kb", 0)) / 1024
    check("replay peak RSS < 300 MB", rss if _rate(replay) else None, 300, "MB", True)
    for key, name in (("latency-scorecard", "scorecard"), ("latency-explain", "explain")):
        row = by.get(key, {})
        check(f"{name} p50 < 20 ms", row.get("p50_ms"), 20, "ms", True)
    return found


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _notes(row: Row) -> str:
    if "error" in row:
        return f"**error**: {row['error']}"
    if "na" in row:
        return f"n/a ({row['na']})"
    parts = []
    for key in ("derived", "employees", "sanctions", "aggregates"):
        if key in row:
            parts.append(f"{key} {row[key]:,}")
    if "projections" in row:
        parts.append("projections: " + ", ".join(row["projections"]))
    if "totals" in row:
        parts.append(f"differing employees {row['totals'].get('employees_differing')}")
    if row.get("workers_peak_rss_kb"):
        parts.append(f"workers' peak RSS {row['workers_peak_rss_kb'] / 1024:.0f} MB")
    if "proofs" in row:
        proofs = row["proofs"]
        parts.append(
            f"next checkpoint (+1,000 events, cache extended) {proofs['checkpoint_warm_s']:.2f} s"
            f"; verify --checkpoint's tree and consistency proof {proofs['verify_tree_s']:.2f} s"
            f"; inclusion proof p50 {_ms(proofs['inclusion']['p50_ms'])}, max "
            f"{_ms(proofs['inclusion']['max_ms'])}"
        )
    if row.get("server_cpu_seconds") is not None:
        parts.append(f"PostgreSQL server CPU {row['server_cpu_seconds']:.1f} s")
    return "; ".join(parts)


def _mb(kb: float) -> str:
    return f"{kb / 1024:,.0f} MB"


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value / 1000:,.1f} s" if value >= 10_000 else f"{value:,.0f} ms"


def _writers_notes(row: Row, single: float | None) -> str:
    runs, imports = row["runs"], row["n"]
    walls = ", ".join(f"{s:.1f}" for s in row["run_seconds"])
    where = "database" if "PostgreSQL" in row.get("label", "") else "file"
    parts = [
        f"{runs} run{'s' if runs > 1 else ''} into a fresh {where} ({walls} s)",
        f"{row['waited']} of {imports} imports waited for the lock (`on_wait`)",
        f"lock held p50 {_ms(row['held']['p50_ms'])}, max {_ms(row['held']['max_ms'])} "
        f"per import, in all {row['held_total_s']:.1f} s of {row['seconds']:.1f} s",
        f"validation before the lock p50 {_ms(row['validate']['p50_ms'])}",
        f"every event stored once ({row['count'] // runs:,} per run, none already present): "
        + ("yes" if row["stored_once"] else "**NO**"),
        "`store.verify().ok`: " + ("yes" if row["verify_ok"] else "**NO**"),
        f"in position order each {where} holds {'/'.join(map(str, row['writer_blocks']))} "
        f"runs of one writer's events for {imports // runs} imports (none interleaved)",
        f"derived {row['derived']:,} per run",
        *(
            [f"PostgreSQL server CPU {row['server_cpu_seconds']:.1f} s"]
            if row.get("server_cpu_seconds") is not None
            else []
        ),
        f"writers' peak RSS {_mb(row['writers_peak_rss_kb'])} each "
        f"(together ≤ {_mb(row['writers_peak_rss_sum_kb'])})",
    ]
    rate = _rate(row)
    if rate and single:
        parts.append(f"{rate / single:.2f} × this run's single-process `ledger import` events/s")
    return "; ".join(parts)


def _threads_notes(row: Row) -> str:
    one = row.get("sequential", {})
    rate, alone = _rate(row), _rate(one)
    parts = [
        f"{row['present']:,} of {row['expected']:,} events present, "
        "`ledger.audit.verify(ledger).ok`: " + ("yes" if row["audit_ok"] else "**NO**"),
        f"{row['waited']} of {row['n']} calls waited for another thread (`on_wait`)",
        f"lock wait p50 {_ms(row['lock_wait']['p50_ms'])}, p99 {_ms(row['lock_wait']['p99_ms'])}",
        f"lock held p50 {_ms(row['held']['p50_ms'])}, in all {row['held_total_s']:.1f} s "
        f"of {row['seconds']:.1f} s",
        f"first thread done after {row['first_done_s']:.1f} s",
        f"derived {row['derived']:,}",
    ]
    if rate and alone:
        parts.append(f"**{rate / alone:.2f} ×** the one-thread events/s below")
    return "; ".join(parts)


def _sequential_notes(row: Row) -> str:
    return "; ".join(
        [
            f"{row['present']:,} of {row['expected']:,} events present, "
            "`ledger.audit.verify(ledger).ok`: " + ("yes" if row["audit_ok"] else "**NO**"),
            f"lock held in all {row['held_total_s']:.1f} s",
            f"derived {row['derived']:,}",
        ]
    )


FEED_TARGET = 1.3
"""Issue 11: the last files' CPU per event at most this many times the first files'."""


def _feed_notes(row: Row) -> str:
    fifths = " / ".join(f"{v:,.0f}" for v in row.get("fifths_us_per_event", []))
    parts = [f"µs/event by fifth of the files: {fifths}"]
    if row.get("gc_cpu_seconds") is not None:
        parts.append(f"garbage collector {row['gc_cpu_seconds']:.1f} CPU s")
    if row.get("history_quarters"):
        parts.append(
            f"after {row['history_quarters']} earlier quarters imported at once "
            f"({row['history_cpu_seconds']:.1f} CPU s, not counted)"
        )
    if row["step"] == "feed-raw":
        parts.append("the floor: no derivation, no validation")
    elif row["step"] == "feed-es":
        parts.append(
            f"snapshots {row['snapshots']:,}; events read back by `get` {row['replayed']:,}"
        )
    else:
        parts.append(f"derived {row['derived']:,}")
        made = row.get("derivations")
        if made:
            parts.append(
                f"reconciliations resumed {made.get('resumed', 0):,} (from the prior state "
                f"{made.get('prior', 0):,}), in full {made.get('full', 0):,}"
            )
        if row.get("tick"):
            parts.append(
                f"imports {row['import_cpu_seconds']:.1f} of {row['cpu_seconds']:.1f} CPU s, "
                "ticks the rest"
            )
    return "; ".join(parts)


def _feed_table(rows: list[Row]) -> list[str]:
    """One line per daily feed row; ``× eventsourcing`` is against the eventsourcing feed
    row with the same number of files."""
    edge = next((r["edge"] for r in rows if "edge" in r), 3)
    out = [
        f"| daily feed (issue 11) | files | events | wall s | CPU s | events/s | × eventsourcing "
        f"| first {edge}: CPU s/file | first {edge}: µs/event | last {edge}: CPU s/file "
        f"| last {edge}: µs/event | last / first (target ≤ {FEED_TARGET}) | peak RSS MB | notes |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    refs = {
        (r.get("files"), r.get("history_quarters", 0)): _rate(r)
        for r in rows
        if r["step"] == "feed-es" and "error" not in r and "na" not in r
    }
    for row in rows:
        if "error" in row or "na" in row:
            out.append(f"| {row['label']} | " + "– | " * 12 + f"{_notes(row)} |")
            continue
        rate, ref = _rate(row), refs.get((row.get("files"), row.get("history_quarters", 0)))
        ratio = row.get("last_over_first")
        judged = _fmt(ratio, 2)
        if ratio is not None and row["step"] == "feed-ledger":
            judged += " (met)" if ratio <= FEED_TARGET else " (**not met**)"
        rss = row.get("peak_rss_kb")
        out.append(
            f"| {row['label']} | {_fmt(row.get('files'))} | {_fmt(row.get('count'))} | "
            f"{_fmt(row.get('seconds'), 1)} | {_fmt(row.get('cpu_seconds'), 1)} | "
            f"{_fmt(rate)} | "
            f"{_fmt(rate / ref if rate and ref and row['step'] != 'feed-es' else None, 2)} | "
            f"{_fmt(row.get('first_cpu_s'), 2)} | {_fmt(row.get('first_us_per_event'))} | "
            f"{_fmt(row.get('last_cpu_s'), 2)} | {_fmt(row.get('last_us_per_event'))} | "
            f"{judged} | {_fmt(rss / 1024 if rss else None)} | {_feed_notes(row)} |"
        )
    return out


def _concurrency_table(rows: list[Row], single: float | None) -> list[str]:
    out = [
        "| concurrency (issue 10) | events | wall s | CPU s | events/s | percentiles of | n "
        "| p50 ms | p99 ms | max ms | peak RSS MB | notes |",
        "|---|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|---|",
    ]
    for row in rows:
        lines = [row]
        if isinstance(row.get("sequential"), dict):
            lines.append({**row["sequential"], "peak_rss_kb": row.get("peak_rss_kb")})
        for line in lines:
            if "error" in line or "na" in line:
                notes = _notes(line)
            elif line is not row:
                notes = _sequential_notes(line)
            elif row["step"] == "concurrency-writers":
                notes = _writers_notes(line, single)
            else:
                notes = _threads_notes(line)
            rate = _rate(line)
            rss = line.get("peak_rss_kb")
            out.append(
                f"| {line['label']} | {_fmt(line.get('count'))} | "
                f"{_fmt(line.get('seconds'), 1)} | {_fmt(line.get('cpu_seconds'), 1)} | "
                f"{_fmt(rate)} | {line.get('percentiles_of', '–')} | {_fmt(line.get('n'))} | "
                f"{_fmt(line.get('p50_ms'), 1)} | {_fmt(line.get('p99_ms'), 1)} | "
                f"{_fmt(line.get('max_ms'), 1)} | {_fmt(rss / 1024 if rss else None)} | {notes} |"
            )
    return out


def _listing_table(rows: list[Row], by: dict[str, Row]) -> list[str]:
    """One line per listing (issue 11): the median of the repeated calls (read models
    current), the ratio of its CPU time to the raw sqlite3 reference's, the first call (read
    models caught up from nothing)."""
    out = [
        "| listing (issue 11) | rows | wall s | CPU s | × raw sqlite3 (CPU) | first call wall s "
        "| first call CPU s | peak RSS MB | notes |",
        "|---|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for row in rows:
        raw = by.get(row["key"].replace("listing-", "listing-raw-", 1))
        ratio = None
        if row["step"] == "listing" and raw and raw.get("cpu_seconds") and "error" not in row:
            ratio = row["cpu_seconds"] / raw["cpu_seconds"]
        rss = row.get("peak_rss_kb")
        out.append(
            f"| {row['label']} | {_fmt(row.get('rows'))} | {_fmt(row.get('seconds'), 2)} | "
            f"{_fmt(row.get('cpu_seconds'), 2)} | {_fmt(ratio, 1)} | "
            f"{_fmt(row.get('first_seconds'), 2)} | {_fmt(row.get('first_cpu_seconds'), 2)} | "
            f"{_fmt(rss / 1024 if rss else None)} | {_notes(row)} |"
        )
    return out


def render(result: dict[str, Any]) -> str:
    """The run as Markdown: machine, throughput table, latency table, targets."""
    params, box, rows = result["params"], result["machine"], result["rows"]
    by = _by_key(rows)
    ref, floor = _rate(by.get(REFERENCE)), _rate(by.get(FLOOR))
    out = [
        f"### {params['events']:,} events / {params['employees']:,} employees "
        f"({params['ids']} ids, reference batch {params['batch']:,}; "
        f"run took {params['total_seconds']:.0f} s)",
        "",
        f"Machine: {box['cpus']} CPUs ({box['cpu_model']}), {box['memory_gib']} GiB, "
        f"Python {box['python']}, SQLite {box['sqlite']}, eventsourcing {box['eventsourcing']}, "
        f"pydantic {box['pydantic']}, ledger {box['ledger_commit']}; load average "
        f"{box['load_before'][0]:.2f} before, {box['load_after'][0]:.2f} after.",
    ]
    if any(not row["step"].startswith(("feed-", "latency-", "concurrency-")) for row in rows):
        out += [
            "",
            "| step | events | wall s | CPU s | events/s | × eventsourcing | × floor "
            "| peak RSS MB | notes |",
            "|---|--:|--:|--:|--:|--:|--:|--:|---|",
        ]
    latencies, concurrent, feeds, listings = [], [], [], []
    for row in rows:
        if row["step"].startswith("listing"):
            listings.append(row)
            continue
        if row["step"].startswith("feed-"):
            feeds.append(row)
            continue
        if row["step"].startswith("latency-"):
            latencies.append(row)
            continue
        if row["step"].startswith("concurrency-"):
            concurrent.append(row)
            continue
        rate = _rate(row)
        out.append(
            f"| {row['label']} | {_fmt(row.get('count'))} | {_fmt(row.get('seconds'), 1)} | "
            f"{_fmt(row.get('cpu_seconds'), 1)} | {_fmt(rate)} | "
            f"{_fmt(rate / ref if rate and ref else None, 2)} | "
            f"{_fmt(rate / floor if rate and floor else None, 2)} | "
            f"{_fmt(row.get('peak_rss_kb', 0) / 1024 if 'peak_rss_kb' in row else None)} | "
            f"{_notes(row)} |"
        )
    if latencies:
        out += [
            "",
            "| call (random employees / sanctions) | samples | p50 ms | p95 ms | max ms "
            "| peak RSS MB | notes |",
            "|---|--:|--:|--:|--:|--:|---|",
        ]
        for row in latencies:
            samples = f"{row['count']} of {row['population']:,}" if "population" in row else "–"
            out.append(
                f"| {row['label']} | {samples} | {_fmt(row.get('p50_ms'), 1)} | "
                f"{_fmt(row.get('p95_ms'), 1)} | {_fmt(row.get('max_ms'), 1)} | "
                f"{_fmt(row.get('peak_rss_kb', 0) / 1024 if 'peak_rss_kb' in row else None)} | "
                f"{_notes(row)} |"
            )
    if listings:
        out += ["", *_listing_table(listings, by)]
    if concurrent:
        out += ["", *_concurrency_table(concurrent, _rate(by.get("ledger-import")))]
    if feeds:
        out += ["", *_feed_table(feeds)]
    spans: list[tuple[str, str, Any]] = []  # (first key, last key, commit)
    for row in rows:
        if spans and spans[-1][2] == row.get("commit"):
            spans[-1] = (spans[-1][0], row["key"], row.get("commit"))
        else:
            spans.append((row["key"], row["key"], row.get("commit")))
    if len(spans) > 1:
        changes = "; ".join(f"{a}…{b} at {c}" if a != b else f"{a} at {c}" for a, b, c in spans)
        out += ["", f"**The ledger's code changed during the run**: {changes}."]
    out += ["", "| target (set for 1M events / 10k employees) | this run | met |", "|---|--:|---|"]
    for t in result["targets"]:
        digits = 2 if t["unit"] == "×" else 0
        value = "–" if t["value"] is None else f"{_fmt(t['value'], digits)} {t['unit']}"
        met = {True: "yes", False: "**no**", None: "n/a"}[t["met"]]
        out.append(f"| {t['target']} | {value} | {met} |")
    return "\n".join(out) + "\n"
