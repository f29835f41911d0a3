"""The streaming table renderer of the listings (ledger.cli.tables) and its paging window."""

from __future__ import annotations

import io

import pytest
from rich.cells import cell_len

from ledger.cli.tables import (
    RED,
    Column,
    Window,
    cell_width,
    render_table,
    truncate,
    wrap,
)

COLUMNS = (
    Column("id"),
    Column("employee"),
    Column("amount", align="right"),
    Column("rule"),
    Column("why", shrink=1),
)
ROWS = [
    ("a1b2c3d4", "E1001", "5200.00", "ATT-01", "late 12 minutes on 2026-07-03, third this month"),
    ("ffff0000", "张三", "50.00", "SVC-01", "顾客投诉属实：服务态度冷淡，记警告一次并罚款五十元"),
    ("0000abcd", "E2", "", "REC-04", "good deed: commendation"),
]


def render(columns: tuple[Column, ...] = COLUMNS, rows: object = ROWS, **options: object) -> str:
    buffer = io.StringIO()  # no encoding: box drawing, as on a UTF-8 terminal
    render_table(columns, rows, file=buffer, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


def body(text: str) -> list[str]:
    """The lines of the table proper: those that start with a border."""
    return [line for line in text.splitlines() if line[:1] in ("│", "┃")]


def test_cells_are_measured_in_terminal_cells() -> None:
    assert cell_width("E1001") == 5
    assert cell_width("张三") == 4
    assert cell_width("张三 E1") == 7


def test_every_line_has_the_same_width_with_chinese_text() -> None:
    text = render(width=200)
    lines = text.splitlines()
    assert lines[0] == "Consequences" or lines[0].startswith("┏")
    table = [line for line in lines if line[:1] in "┏┃┡│└"]
    assert len(table) == 3 + 3 + 1  # top, header, rule; three rows; bottom
    assert len({cell_len(line) for line in table}) == 1
    # The column borders sit in the same cell column on every line, CJK rows included.
    positions = {
        tuple(i for i, cell in enumerate(_cells(line)) if cell in ("│", "┃"))
        for line in body(text)
    }
    assert len(positions) == 1


def _cells(line: str) -> list[str]:
    """The characters of ``line``, a wide one followed by an empty cell."""
    out: list[str] = []
    for character in line:
        out.append(character)
        if cell_len(character) == 2:
            out.append("")
    return out


def test_numbers_are_right_aligned_and_text_left_aligned() -> None:
    rows = body(render(width=200))
    header, first, second, third = rows
    assert "│ 5200.00 │" in first
    assert "│   50.00 │" in second
    assert "│         │" in third  # no amount: blank, not "None"
    assert "┃  amount ┃" in header  # the header follows its column
    assert "│ E1001    │" in first
    assert "│ 张三     │" in second  # 4 cells of text, 4 of padding


def test_a_table_that_fits_is_printed_whole() -> None:
    text = render(width=200)
    for row in ROWS:
        for cell in row:
            assert cell in text
    assert "…" not in text


def test_shrinking_to_80_columns_cuts_only_the_free_text_and_keeps_money_and_header() -> None:
    wide = (
        "x9y8z7w6",
        "E3000",
        "123456789.00",
        "PAY-01",
        "a very long explanation " * 10,
    )
    text = render(rows=[*ROWS, wide], width=80)
    lines = text.splitlines()
    assert all(cell_len(line) <= 80 for line in lines), text
    assert "…" in text
    for amount in ("5200.00", "50.00", "123456789.00"):
        assert amount in text  # whole, never "5200…"
    assert "5200…" not in text and "12345…" not in text
    for row in (*ROWS, wide):
        assert row[0] in text and row[3] in text  # ids and rules whole too
    header = next(line for line in lines if "amount" in line)
    for name in ("id", "employee", "amount", "rule", "why"):
        assert name in header


def test_when_even_the_shrunk_box_is_too_wide_the_borders_go_and_money_stays() -> None:
    text = render(width=50)
    assert "┃" not in text and "│" not in text
    assert "5200.00" in text and "50.00" in text
    header = text.splitlines()[0]
    assert header.split() == ["id", "employee", "amount", "rule", "why"]


def test_columns_that_may_not_shrink_overflow_rather_than_be_cut() -> None:
    text = render(width=20)
    assert "5200.00" in text and "a1b2c3d4" in text and "SVC-01" in text


def test_the_free_text_column_shrinks_first_then_the_next() -> None:
    columns = (Column("code"), Column("note", shrink=2), Column("why", shrink=1))
    rows = [("A", "n" * 30, "w" * 30)]
    text = render(columns, rows, width=60)
    (row,) = body(text)[1:]
    cells = [c.strip() for c in row.strip("│").split("│")]
    assert cells[1] == "n" * 30  # the note fits once "why" gave up its room
    assert cells[2].endswith("…") and len(cells[2]) < 30


def test_the_header_of_a_shrunk_column_stays_whole() -> None:
    columns = (Column("employee"), Column("explanation", shrink=1, min_width=3))
    text = render(columns, [("E1", "x" * 100)], width=30)
    assert "explanation" in text
    assert "x" * 10 + "…" in text


def test_an_empty_table_says_so() -> None:
    text = render(rows=[], title="Consequences (0)", empty="no consequences")
    assert text.splitlines() == ["Consequences (0)", "no consequences"]
    assert "no rows" in render(rows=[])


def test_title_and_footer_surround_the_table() -> None:
    text = render(title="Consequences (3)", footer=["showing 1–3 of 9"], width=200)
    lines = text.splitlines()
    assert lines[0].strip() == "Consequences (3)"
    assert lines[0].startswith(" " * 10)  # centred over the table, as rich does
    assert lines[-1] == "showing 1–3 of 9"


def test_cells_of_several_lines_and_control_characters() -> None:
    columns = (Column("who"), Column("what"))
    text = render(columns, [("E1", "first\nsecond"), ("E2", "bell\x07 and\tescape\x1b[31m")])
    rows = body(text)[1:]
    assert rows[0].startswith("│ E1 ") and "first" in rows[0]
    assert rows[1].startswith("│    ") and "second" in rows[1]
    assert "\x07" not in text and "\x1b" not in text and "\t" not in text
    assert "bell and escape[31m" in text


def test_colour_only_when_asked() -> None:
    rows = [("E1", "x"), ("E2", "y")]
    columns = (Column("who"), Column("what"))
    assert "\x1b" not in render(columns, rows, styles=[RED, None])
    coloured = render(columns, rows, styles=[RED, None], color=True)
    assert "\x1b[31m" in coloured
    (red,) = [line for line in coloured.splitlines() if "\x1b[31m" in line]
    assert "E1" in red


def test_ascii_when_the_output_cannot_encode_box_drawing() -> None:
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="ascii", newline="\n")
    rows = [r[:3] for r in ROWS[::2]]
    render_table(COLUMNS[:3], rows, file=buffer, width=40, footer=["showing 1–2 of 3"])
    buffer.flush()
    raw = buffer.buffer
    assert isinstance(raw, io.BytesIO)
    text = raw.getvalue().decode("ascii")
    assert "| a1b2c3d4 | E1001    | 5200.00 |" in text
    assert text.splitlines()[0].startswith("+--")
    assert text.splitlines()[-1] == "showing 1-2 of 3"


def test_a_row_with_the_wrong_number_of_cells_is_refused() -> None:
    with pytest.raises(ValueError, match="2 cells in a table of 5 columns"):
        render(rows=[("a", "b")])


def test_the_output_is_written_line_by_line_not_as_one_string() -> None:
    writes: list[str] = []

    class Recorder(io.StringIO):
        def write(self, text: str) -> int:
            writes.append(text)
            return len(text)

    rows = [(f"{n:08x}", "E1", f"{n}.00", "ATT-01", "late") for n in range(5000)]
    render_table(COLUMNS, rows, file=Recorder(), width=120)
    assert len(writes) > 5
    assert max(len(w) for w in writes) < len("".join(writes)) / 2


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("abcdef", 10, "abcdef"),
        ("abcdef", 6, "abcdef"),
        ("abcdef", 4, "abc…"),
        ("ab cdef", 4, "ab…"),  # no dangling space before the ellipsis
        ("张三李四", 5, "张三…"),
        ("张三李四", 6, "张三…"),  # a wide character never half-shown
        ("abc", 1, "…"),
        ("abc", 0, ""),
    ],
)
def test_truncate(text: str, width: int, expected: str) -> None:
    assert truncate(text, width) == expected
    assert cell_width(truncate(text, width)) <= width


def test_wrap_keeps_words_and_amounts_whole() -> None:
    lines = wrap("warning 50.00 -> 80.00; demerit 100.00 -> 120.00", 16)
    assert all(cell_width(line) <= 16 for line in lines)
    assert " ".join(lines) == "warning 50.00 -> 80.00; demerit 100.00 -> 120.00"
    assert wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert wrap("张三李四王五", 5) == ["张三", "李四", "王五"]


def test_a_wrapped_column_never_breaks_an_amount() -> None:
    columns = (Column("employee"), Column("money", overflow="wrap", shrink=1, min_width=4))
    money = "fines 1234567.00 -> 1234999.00; bonuses 5.00 -> 6.00"
    text = render(columns, [("E1", money)], width=20)
    assert "1234567.00" in text and "1234999.00" in text


def test_window_slices_after_sorting_and_explains_the_cut() -> None:
    rows = list(range(1234))
    assert Window().slice(rows) == rows
    assert Window().footer(1234, 1234) == []
    first = Window(limit=50)
    assert list(first.slice(rows)) == list(range(50))
    assert first.footer(1234, 50) == ["showing 1–50 of 1,234; --offset 50 for more"]
    last = Window(offset=1200, limit=50)
    assert list(last.slice(rows)) == list(range(1200, 1234))
    assert last.footer(1234, 34) == ["showing 1,201–1,234 of 1,234"]
    past = Window(offset=2000)
    assert list(past.slice(rows)) == []
    assert past.footer(1234, 0) == ["showing none of 1,234: --offset 2,000 is past the end"]
    assert Window(limit=0).footer(1234, 0) == ["showing none of 1,234 (--limit 0)"]
