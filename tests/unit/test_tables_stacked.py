"""A table too wide for its width becomes stacked records: no column, id or amount lost."""

from __future__ import annotations

import io
import re

from ledger.cli.tables import Column, render_table

COLUMNS = [
    Column("id"),
    Column("employee"),
    Column("amount", align="right"),
    Column("why", shrink=1, overflow="wrap"),
    *(Column(f"figure {n}", align="right") for n in range(8)),
]
ROW = [
    "85c72d09-6541-5866-87bc-bd515b477bf3",
    "E1001",
    "12,345.67",
    "attendance points reached 6 in the rolling 12 months",
    *(f"{n * 1000}.00" for n in range(8)),
]


def render(width: int, rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    render_table(COLUMNS, rows, title="Wide", width=width, file=buffer, footer=["the end"])
    return buffer.getvalue()


def test_a_table_that_cannot_fit_is_printed_as_records_within_the_width() -> None:
    text = render(80, [ROW, ROW])
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80, text
    assert lines[0] == "Wide" and lines[-1] == "the end"
    for column, cell in zip(COLUMNS, ROW, strict=True):
        assert re.search(rf"^{re.escape(column.header)} +{re.escape(cell[:20])}", text, re.M)
    assert text.count("85c72d09-6541-5866-87bc-bd515b477bf3") == 2
    assert text.count(" 12,345.67") == 2 and text.count("7000.00") == 2
    assert "…" not in text


def test_a_long_value_wraps_at_spaces_under_its_label() -> None:
    text = render(40, [ROW])
    assert max(len(line) for line in text.splitlines()) <= 40, text
    assert "attendance points reached 6 in the" in text.replace("\n" + " " * 10, " ")


def test_a_table_that_fits_stays_a_table() -> None:
    text = render(400, [ROW])
    assert text.count("85c72d09") == 1 and "┃ id" in text
