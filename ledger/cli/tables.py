"""A fast, streaming table renderer for the long listings, and their paging options.

``rich.table.Table`` measures every cell several times and renders the whole table into
one string before printing it; on a listing of a few hundred thousand rows that layout
costs far more than reading the ledger. :func:`render_table` does the same job for plain
text cells in two cheap passes: one over the rows to measure each column (in terminal
cells, so Chinese text aligns), and one that writes the table to the output line by line.

The look follows rich's default box (a heavy header, light body), falling back to ASCII
when the output cannot encode box drawing. When the table is wider than the available
width, the columns marked ``shrink`` are narrowed in their order (1 first) down to a floor
that keeps their header whole: ``"ellipsis"`` columns are cut with ``…``, ``"wrap"``
columns wrap onto more lines at spaces. Columns without ``shrink`` (ids, money, numbers)
are never cut; if the table still does not fit, the borders are dropped for a compact
layout (columns two spaces apart, then one), and past that each row is printed as a
stacked record (one ``header  value`` line per column, values wrapped at spaces), so no
line is longer than the width and no column, id or amount disappears.

Paging (:func:`paging_options`, :class:`Window`) is shared by the listing commands:
``--limit`` and ``--offset`` apply after sorting, in every format, and the table says in a
footer which rows it shows when a limit or an offset cut the list.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Literal, TypeVar

import click
from rich.cells import cell_len, get_character_cell_size
from rich.console import Console

__all__ = [
    "RED",
    "Column",
    "Window",
    "cell_width",
    "paging_options",
    "print_table",
    "render_table",
    "truncate",
    "wrap",
]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., object])

RED = "31"
"""The SGR parameter of a red row (see ``styles`` of :func:`render_table`)."""

# C0 and C1 control characters (but the newline that separates a cell's lines) are dropped,
# a tab becomes a space: nothing in a cell may move the cursor or colour the terminal.
_CONTROLS = {c: None for c in (*range(0x20), *range(0x7F, 0xA0)) if c != 0x0A} | {0x09: 0x20}


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a table.

    Attributes:
        header: The header text; never cut.
        align: ``"right"`` for numbers and money, else ``"left"``.
        shrink: 0 (default) never narrows the column: its cells print whole. 1, 2, ...
            give the order in which columns narrow when the table is too wide (1 first).
        overflow: How a narrowed column fits its cells: ``"ellipsis"`` cuts them with ``…``,
            ``"wrap"`` wraps them onto more lines at spaces (words are only broken when
            longer than the column).
        min_width: A narrowed column keeps at least this many cells (and its header).
    """

    header: str
    align: Literal["left", "right"] = "left"
    shrink: int = 0
    overflow: Literal["ellipsis", "wrap"] = "ellipsis"
    min_width: int = 10


@dataclass(frozen=True, slots=True)
class _Box:
    top: tuple[str, str, str, str]  # left, line, joint, right
    header: tuple[str, str, str]  # left, divider, right
    rule: tuple[str, str, str, str]
    body: tuple[str, str, str]
    bottom: tuple[str, str, str, str]
    ellipsis: str


_UNICODE = _Box(
    top=("┏", "━", "┳", "┓"),
    header=("┃", "┃", "┃"),
    rule=("┡", "━", "╇", "┩"),
    body=("│", "│", "│"),
    bottom=("└", "─", "┴", "┘"),
    ellipsis="…",
)
_ASCII = _Box(
    top=("+", "-", "+", "+"),
    header=("|", "|", "|"),
    rule=("+", "=", "+", "+"),
    body=("|", "|", "|"),
    bottom=("+", "-", "+", "+"),
    ellipsis="...",
)


def _box_for(file: IO[str]) -> _Box:
    encoding = getattr(file, "encoding", None) or "utf-8"
    try:
        "┏━┳┓┃┡╇┩│└─┴┘…–".encode(encoding)
    except (LookupError, UnicodeEncodeError):
        return _ASCII
    return _UNICODE


def _clean(text: str) -> str:
    """``text`` without control characters (a newline stays: it separates lines)."""
    return text if text.isprintable() else text.translate(_CONTROLS)


def cell_width(text: str) -> int:
    """How many terminal cells ``text`` (one line) takes: 2 for each wide (CJK) character."""
    return len(text) if text.isascii() else cell_len(text)


def truncate(text: str, width: int, ellipsis: str = "…") -> str:
    """``text`` cut to at most ``width`` cells, ending in ``ellipsis`` when it was cut."""
    if cell_width(text) <= width:
        return text
    room = width - cell_width(ellipsis)
    if room <= 0:
        return ellipsis[: max(width, 0)]
    if text.isascii():
        return text[:room].rstrip() + ellipsis
    used, end = 0, 0
    for end, character in enumerate(text):  # noqa: B007 - ``end`` is used after the loop
        size = get_character_cell_size(character)
        if used + size > room:
            break
        used += size
    return text[:end].rstrip() + ellipsis


def _chop(text: str, width: int) -> tuple[str, str]:
    """``text`` split after its first ``width`` cells (at least one character first)."""
    if text.isascii():
        return text[: max(width, 1)], text[max(width, 1) :]
    used = 0
    for end, character in enumerate(text):
        used += get_character_cell_size(character)
        if used > width:
            end = max(end, 1)
            return text[:end], text[end:]
    return text, ""


def wrap(text: str, width: int) -> list[str]:
    """``text`` (one line) wrapped at spaces into lines of at most ``width`` cells.

    A word longer than ``width`` is broken between characters; other words stay whole.
    """
    width = max(width, 1)
    if cell_width(text) <= width:
        return [text]
    lines: list[str] = []
    line, used = "", 0
    for word in text.split(" "):
        size = cell_width(word)
        if line and used + 1 + size <= width:
            line, used = f"{line} {word}", used + 1 + size
            continue
        if line:
            lines.append(line)
        line, used = word, size
        while used > width:  # a word wider than the column: break it
            head, line = _chop(line, width)
            lines.append(head)
            used = cell_width(line)
    if line or not lines:
        lines.append(line)
    return lines


def _floor(column: Column, natural: int, rows: Sequence[Sequence[str]], index: int) -> int:
    """The narrowest a shrinking column may get: its header and ``min_width``, and for a
    wrapped column its longest word (so numbers and amounts are never broken)."""
    floor = max(cell_width(column.header), column.min_width)
    if column.overflow == "wrap" and floor < natural:
        for row in rows:
            for line in row[index].split("\n"):
                for word in line.split(" "):
                    if len(word) > floor:  # cheap bound before measuring
                        floor = max(floor, cell_width(word))
    return min(natural, floor)


def _layout(
    columns: Sequence[Column],
    natural: list[int],
    rows: Sequence[Sequence[str]],
    width: int,
) -> tuple[list[int], int]:
    """Column widths and the gap between columns (0 for the box) that fit ``width``.

    The box is tried first, then a borderless layout with two spaces between columns, then
    one space; in each the shrinking columns narrow in order down to their floor. If none
    fits, the narrowest layout is returned, wider than ``width``.
    """
    count = len(columns)
    order = sorted((c.shrink, i) for i, c in enumerate(columns) if c.shrink > 0)
    floors = {i: _floor(columns[i], natural[i], rows, i) for _, i in order}
    widths = list(natural)
    for gap, overhead in ((0, 3 * count + 1), (2, 2 * (count - 1)), (1, count - 1)):
        widths = list(natural)
        excess = sum(widths) + overhead - width
        for _, i in order:
            if excess <= 0:
                break
            cut = min(excess, widths[i] - floors[i])
            widths[i] -= cut
            excess -= cut
        if excess <= 0:
            return widths, gap
    return widths, 1


def _measure(
    columns: Sequence[Column], rows: Iterable[Sequence[str]]
) -> tuple[list[list[str]], list[int], set[int]]:
    """One pass over the rows: the cleaned rows, each column's natural width (header
    included) and the numbers of the rows with a cell of several lines."""
    natural = [cell_width(c.header) for c in columns]
    count = len(columns)
    clean: list[list[str]] = []
    tall: set[int] = set()
    for number, raw in enumerate(rows):
        if len(raw) != count:
            raise ValueError(f"a row of {len(raw)} cells in a table of {count} columns")
        row = [cell if cell.isprintable() else _clean(cell) for cell in raw]
        for i, cell in enumerate(row):
            if cell.isascii():
                size = len(cell)
                if "\n" in cell:
                    tall.add(number)
                    size = max(map(len, cell.split("\n")))
            elif "\n" in cell:
                tall.add(number)
                size = max(cell_len(line) for line in cell.split("\n"))
            else:
                size = cell_len(cell)
            if size > natural[i]:
                natural[i] = size
        clean.append(row)
    return clean, natural, tall


def _fit(text: str, width: int, align: str) -> str:
    """``text`` padded with spaces to exactly ``width`` cells."""
    if text.isascii():
        return text.rjust(width) if align == "right" else text.ljust(width)
    pad = " " * max(width - cell_len(text), 0)
    return pad + text if align == "right" else text + pad


def _sgr(text: str, code: str | None) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if code else text


def render_table(
    columns: Sequence[Column],
    rows: Iterable[Sequence[str]],
    *,
    title: str | None = None,
    width: int = 160,
    file: IO[str] | None = None,
    footer: Sequence[str] = (),
    styles: Sequence[str | None] | None = None,
    color: bool = False,
    empty: str = "no rows",
) -> None:
    """Write a table of text cells to ``file`` (standard output by default), line by line.

    Args:
        columns: The columns, left to right.
        rows: One sequence of strings per row, as many as there are columns; a cell may
            hold several lines separated by ``\\n``. Control characters are dropped.
        title: A line centred above the table.
        width: The width to fit in, in terminal cells (see :class:`Column` for how).
        file: Where to write; standard output by default.
        footer: Lines written under the table (paging notes, for instance).
        styles: Per row, an SGR parameter to colour it with (such as :data:`RED`) or None;
            only used with ``color``.
        color: Use ANSI colour and emphasis (for a terminal).
        empty: The line written instead of the table when there are no rows.

    Raises:
        ValueError: a row has a different number of cells than there are columns.
    """
    stream = sys.stdout if file is None else file
    box = _box_for(stream)
    clean, natural, tall = _measure(columns, rows)
    write = stream.write
    notes = [line if box is _UNICODE else line.replace("–", "-") for line in footer]
    heading = None if title is None else truncate(_clean(title), width, box.ellipsis)
    if not clean:
        for line in (heading, empty, *notes):
            if line is not None:
                write(f"{line}\n")
        return
    widths, gap = _layout(columns, natural, clean, width)
    boxed = gap == 0
    if sum(widths) + gap * (len(widths) - 1) > width:
        _stacked(columns, clean, heading, notes, width, write, box.bottom[1])
        return
    if heading is not None:  # centred over the table, as rich does
        span = sum(widths) + (3 * len(widths) + 1 if boxed else gap * (len(widths) - 1))
        indent = " " * max((span - cell_width(heading)) // 2, 0)
        write(indent + _sgr(heading, "3" if color else None) + "\n")
    aligns = [c.align for c in columns]
    pads = [str.rjust if c.align == "right" else str.ljust for c in columns]
    wrapped = [c.overflow == "wrap" for c in columns]
    cut = [w < n for w, n in zip(widths, natural, strict=True)]
    narrowed = [(i, widths[i]) for i, flag in enumerate(cut) if flag]
    headers = [_fit(c.header, w, c.align) for c, w in zip(columns, widths, strict=True)]
    bold = "1" if color else None
    if boxed:
        left, mid, right = box.body
        start, sep, end = f"{left} ", f" {mid} ", f" {right}"
        write(_rule(box.top, widths) + "\n")
        hl, hm, hr = box.header
        write(f"{hl} " + f" {hm} ".join(_sgr(h, bold) for h in headers) + f" {hr}\n")
        write(_rule(box.rule, widths) + "\n")
    else:
        start, sep, end = "", " " * gap, ""
        write(sep.join(_sgr(h, bold) for h in headers).rstrip() + "\n")
        write(sep.join(box.bottom[1] * w for w in widths) + "\n")
    # The body, the hot loop: a one-line ASCII row that fits is padded with str methods.
    pending: list[str] = []
    plain = list(zip(pads, widths, strict=True))
    style: str | None = None
    for number, row in enumerate(clean):
        if color and styles is not None:
            style = styles[number]
        if number in tall or any(cell_width(row[i]) > w for i, w in narrowed):
            texts = [
                sep.join(_fit(c, w, a) for c, w, a in zip(cells, widths, aligns, strict=True))
                for cells in _cell_lines(row, widths, cut, wrapped, box.ellipsis)
            ]
        elif "".join(row).isascii():
            texts = [sep.join([pad(c, w) for c, (pad, w) in zip(row, plain, strict=True)])]
        else:
            texts = [sep.join(_fit(c, w, a) for c, w, a in zip(row, widths, aligns, strict=True))]
        for text in texts:
            if not boxed:
                text = text.rstrip()
            pending.append(start + _sgr(text, style) + end)
        if len(pending) >= 1024:
            write("\n".join(pending) + "\n")
            pending.clear()
    if pending:
        write("\n".join(pending) + "\n")
    if boxed:
        write(_rule(box.bottom, widths) + "\n")
    for line in notes:
        write(f"{line}\n")


def _stacked(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    heading: str | None,
    notes: Sequence[str],
    width: int,
    write: Callable[[str], object],
    line: str,
) -> None:
    """Rows as records, one ``header  value`` line per column, for a table that cannot fit
    ``width`` side by side. Values wrap at spaces; an empty value is left out."""
    label = max(cell_width(c.header) for c in columns)
    room = max(width - label - 2, 10)
    pending: list[str] = [] if heading is None else [heading]
    for row in rows:
        pending.append(line * min(width, 40))
        for column, cell in zip(columns, row, strict=True):
            if not cell:
                continue
            parts = [part for text in cell.split("\n") for part in wrap(text, room)]
            pending.append(_fit(column.header, label, "left") + "  " + parts[0])
            pending += [" " * (label + 2) + part for part in parts[1:]]
        if len(pending) >= 1024:
            write("\n".join(pending) + "\n")
            pending.clear()
    pending += notes
    if pending:
        write("\n".join(pending) + "\n")


def print_table(
    console: Console,
    columns: Sequence[Column],
    rows: Iterable[Sequence[str]],
    *,
    title: str | None = None,
    footer: Sequence[str] = (),
    styles: Sequence[str | None] | None = None,
    empty: str = "no rows",
) -> None:
    """:func:`render_table` on ``console``'s file, at its width, in colour on a terminal.

    The width is rich's: the terminal's, else ``$COLUMNS``, else what the console was made
    with. A reader that closes the pipe early (``| head``) ends the command as rich does.
    """
    try:
        render_table(
            columns,
            rows,
            title=title,
            width=console.width,
            file=console.file,
            footer=footer,
            styles=styles,
            color=console.color_system is not None and not console.no_color,
            empty=empty,
        )
        console.file.flush()
    except BrokenPipeError:
        console.on_broken_pipe()


def _rule(parts: tuple[str, str, str, str], widths: Sequence[int]) -> str:
    left, line, joint, right = parts
    return left + joint.join(line * (w + 2) for w in widths) + right


def _cell_lines(
    row: Sequence[str],
    widths: Sequence[int],
    cut: Sequence[bool],
    wrapped: Sequence[bool],
    ellipsis: str,
) -> list[list[str]]:
    """The printed lines of one row whose cells hold several lines or must be narrowed."""
    cells: list[list[str]] = []
    for cell, w, narrowed, wraps in zip(row, widths, cut, wrapped, strict=True):
        lines = cell.split("\n")
        if narrowed and wraps:
            lines = [part for line in lines for part in wrap(line, w)]
        elif narrowed:
            lines = [truncate(line, w, ellipsis) for line in lines]
        cells.append(lines)
    height = max(len(lines) for lines in cells)
    return [[lines[i] if i < len(lines) else "" for lines in cells] for i in range(height)]


@dataclass(frozen=True, slots=True)
class Window:
    """Which rows of a sorted listing to show: ``--offset`` skipped, at most ``--limit``."""

    offset: int = 0
    limit: int | None = None

    @property
    def stop(self) -> int | None:
        """The index after the last row shown, or None for "to the end"."""
        return None if self.limit is None else self.offset + self.limit

    def slice(self, items: Sequence[T]) -> Sequence[T]:
        """The rows of ``items`` (already sorted) in the window."""
        if self.offset == 0 and self.limit is None:
            return items
        return items[self.offset : self.stop]

    def footer(self, total: int, shown: int, *, dash: str = "–") -> list[str]:
        """The note that says the list was cut: empty when every row is shown."""
        if shown >= total:
            return []
        if shown == 0:
            if self.offset >= total:
                return [f"showing none of {total:,}: --offset {self.offset:,} is past the end"]
            return [f"showing none of {total:,} (--limit 0)"]
        first, last = self.offset + 1, self.offset + shown
        note = f"showing {first:,}{dash}{last:,} of {total:,}"
        if last < total:
            note += f"; --offset {last} for more"
        return [note]


def paging_options(command: F) -> F:
    """Add ``--limit`` and ``--offset`` to a listing command (keywords ``limit``, ``offset``)."""
    command = click.option(
        "--offset",
        type=click.IntRange(min=0),
        metavar="N",
        default=0,
        show_default=True,
        help="Skip the first N rows (after sorting).",
    )(command)
    return click.option(
        "--limit",
        type=click.IntRange(min=0),
        metavar="N",
        default=None,
        help="Show at most N rows (after sorting); default all.",
    )(command)
