"""What the SQL backends (SQLite, PostgreSQL) share: reading events by :class:`ReadFilter`
and paging projection rows, written once with the backend's parameter mark.

docs/ARCHITECTURE.md, "Store contract": reads stream in pages along an index (position, or
``(stream_id, version)`` within a stream), the paging cursor starting at the range's edge;
``projection_page`` and ``projection_count`` answer a half-open key range in key order from
the ``(name, key)`` primary key (or the ``(name, employee_id)`` index).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ledger.store.base import ReadFilter, Recorded, Row, _iso, recorded_of_row, uuid_of

__all__ = ["COLUMNS", "FROM", "LAST", "PAGE", "SQLBackend", "row_of", "text_time"]

PAGE = 2000
"""Rows per query of a streamed read."""
LEAF_PAGE = 20_000
"""Rows per query of :meth:`SQLBackend.leaf_entries` (four short columns a row)."""
LAST = 1 << 62
"""A cursor past every position and version (newest-first reads start there)."""
COLUMNS = (
    "e.position, e.event_id, s.employee_id, e.version, e.type, e.schema_version, e.occurred_at, "
    "e.recorded_at, e.recorded_by, e.source, e.evidence, e.correlation_id, e.causation_id, "
    "e.data, e.hash"
)
FROM = "FROM events e JOIN streams s ON s.id = e.stream_id"


def row_of(values: Sequence[Any]) -> Row:
    """A :class:`Row` from the columns of :data:`COLUMNS`."""
    return Row._make((values[0], uuid_of(values[1]), *values[2:]))


def text_time(moment: Any) -> str:
    """An instant as the backends store it (ISO 8601, company time)."""
    return _iso(moment)


class SQLBackend:
    """Mixin for an :class:`~ledger.store.EventStore` whose ``_query`` runs SQL."""

    MARK = "?"
    """The backend's parameter placeholder (``?`` for sqlite3, ``%s`` for psycopg)."""

    if TYPE_CHECKING:

        def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

        def head(self) -> int: ...

    def _stream_id(self, employee_id: str) -> int | None:
        rows = self._query(f"SELECT id FROM streams WHERE employee_id = {self.MARK}", [employee_id])
        return int(rows[0][0]) if rows else None

    def _types_clause(self, types: Iterable[str]) -> tuple[str, list[Any]]:
        """``e.type`` among ``types``, as a clause and its parameters."""
        chosen = sorted(types)
        return f"e.type IN ({','.join([self.MARK] * len(chosen))})", list(chosen)

    def _rows(self, flt: ReadFilter) -> Iterator[Row]:
        for values in self._values(flt):
            yield row_of(values)

    def read(self, flt: ReadFilter | None = None, /, **bounds: Any) -> Iterator[Recorded]:
        """:meth:`EventStore.read`, decoding each row straight from its columns (no
        :class:`Row` in between: a tenth of the cost of a trusted read)."""
        for values in self._values(flt or ReadFilter(**bounds)):
            yield recorded_of_row(values)

    def read_partly(self, flt: ReadFilter, decode: Container[str]) -> Iterator[Recorded | Row]:
        """:meth:`EventStore.read_partly`, straight from the columns."""
        for values in self._values(flt):
            yield recorded_of_row(values) if values[4] in decode else row_of(values)

    def _values(self, flt: ReadFilter) -> Iterator[Sequence[Any]]:
        """The columns of :data:`COLUMNS` of each row ``flt`` selects, as the driver gives
        them."""
        if flt.limit == 0:
            return
        mark = self.MARK
        where: list[str] = []
        params: list[Any] = []
        key = "e.position"
        if flt.employee_id is not None:
            stream = self._stream_id(flt.employee_id)
            if stream is None:
                return
            where.append(f"e.stream_id = {mark}")
            params.append(stream)
            # Within a stream version order is position order, and the (stream_id, version)
            # index serves it: "the last 20 events" reads 20 index entries, not the stream.
            key = "e.version"
        if flt.types is not None:
            clause, values = self._types_clause(flt.types)
            where.append(clause)
            params.extend(values)
        # recorded_at is monotonic with position: turn its bounds into position bounds.
        first = max(flt.from_position, 1)
        if flt.recorded_from is not None:
            first = max(first, self._first_position_after(text_time(flt.recorded_from), False))
        last = flt.to_position
        if flt.recorded_to is not None:
            bound = self._first_position_after(text_time(flt.recorded_to), True) - 1
            last = bound if last is None else min(last, bound)
        occurred_from, occurred_to = flt.occurred_from, flt.occurred_to
        for clause, value in (
            (f"e.position >= {mark}", first if first > 1 else None),
            (f"e.position <= {mark}", last),
            (f"e.version > {mark}", flt.after_version),
            (f"e.version <= {mark}", flt.to_version),
            (f"e.occurred_at >= {mark}", text_time(occurred_from) if occurred_from else None),
            (f"e.occurred_at <= {mark}", text_time(occurred_to) if occurred_to else None),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        step, order = ("<", "DESC") if flt.reverse else (">", "")
        sql = (
            f"SELECT {COLUMNS} {FROM} WHERE {' AND '.join([f'{key} {step} {mark}', *where])} "
            f"ORDER BY {key} {order} LIMIT {mark}"
        )
        # The paging cursor is also the index's first bound: start it at the range's edge
        # (SQLite searches the rowid from one lower bound only, and would pick 0 over it).
        if key == "e.position":
            cursor = (last + 1 if last is not None else LAST) if flt.reverse else first - 1
        elif flt.after_version is not None and not flt.reverse:
            cursor = flt.after_version
        else:
            cursor = LAST if flt.reverse else 0
        left = flt.limit
        column = 3 if key == "e.version" else 0
        while True:
            size = PAGE if left is None else min(PAGE, left)
            page = self._query(sql, [cursor, *params, size])
            yield from page
            if left is not None:
                left -= len(page)
            if len(page) < size or left == 0:
                return
            cursor = page[-1][column]

    def leaf_entries(
        self, from_position: int = 1, to_position: int | None = None
    ) -> Iterator[tuple[int, str, str, str]]:
        """``(position, employee_id, occurred_at, hash)`` in position order, four columns
        read in pages of ``LEAF_PAGE`` (the Merkle tree's input; docs/ARCHITECTURE.md,
        "Signed checkpoints")."""
        mark = self.MARK
        last = LAST if to_position is None else to_position
        sql = (
            f"SELECT e.position, s.employee_id, e.occurred_at, e.hash {FROM} "
            f"WHERE e.position > {mark} AND e.position <= {mark} ORDER BY e.position LIMIT {mark}"
        )
        cursor = max(from_position, 1) - 1
        while True:
            page = self._query(sql, [cursor, last, LEAF_PAGE])
            for values in page:
                yield values[0], values[1], values[2], values[3]
            if len(page) < LEAF_PAGE:
                return
            cursor = page[-1][0]

    def _first_position_after(self, moment: str, inclusive: bool) -> int:
        """The first position whose recorded_at is >= ``moment`` (> when ``inclusive``)."""
        low, high = 1, self.head() + 1
        while low < high:
            middle = (low + high) // 2
            rows = self._query(
                f"SELECT recorded_at FROM events WHERE position = {self.MARK}", [middle]
            )
            value = rows[0][0] if rows else moment
            if value > moment or (value == moment and not inclusive):
                high = middle
            else:
                low = middle + 1
        return low

    def _projection_where(
        self, name: str, employee_id: str | None, key_from: str | None, key_to: str | None
    ) -> tuple[list[str], list[Any]]:
        mark = self.MARK
        where, params = [f"name = {mark}"], [name]
        for clause, value in (
            (f"employee_id = {mark}", employee_id),
            (f"key >= {mark}", key_from),
            (f"key < {mark}", key_to),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        return where, params

    def projection_rows(
        self, name: str, employee_id: str | None = None
    ) -> Iterator[tuple[str, str, str]]:
        """One projection's rows (of one employee) in key order (the employee index: schema v4)."""
        mark = self.MARK
        if employee_id is None:
            rows = self._query(
                f"SELECT key, employee_id, value FROM projection_rows WHERE name = {mark} "
                "ORDER BY key",
                [name],
            )
        else:
            rows = self._query(
                "SELECT key, employee_id, value FROM projection_rows "
                f"WHERE name = {mark} AND employee_id = {mark} ORDER BY key",
                [name, employee_id],
            )
        yield from rows

    def projection_page(
        self,
        name: str,
        *,
        employee_id: str | None = None,
        key_from: str | None = None,
        key_to: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Iterator[tuple[str, str, str]]:
        """Rows of ``name`` with ``key_from <= key < key_to``, in key order (a page)."""
        if limit == 0:
            return
        mark = self.MARK
        where, params = self._projection_where(name, employee_id, key_from, key_to)
        left = limit
        skip = offset
        after: str | None = None
        while True:
            size = PAGE if left is None else min(PAGE, left)
            clauses = [*where, f"key > {mark}"] if after is not None else where
            page = self._query(
                f"SELECT key, employee_id, value FROM projection_rows WHERE "
                f"{' AND '.join(clauses)} ORDER BY key LIMIT {mark} OFFSET {mark}",
                [*params, *([after] if after is not None else []), size, skip],
            )
            yield from page
            if left is not None:
                left -= len(page)
            if len(page) < size or left == 0:
                return
            after, skip = page[-1][0], 0

    def projection_count(
        self,
        name: str,
        *,
        employee_id: str | None = None,
        key_from: str | None = None,
        key_to: str | None = None,
    ) -> int:
        """How many rows :meth:`projection_page` would give without offset and limit."""
        where, params = self._projection_where(name, employee_id, key_from, key_to)
        rows = self._query(
            f"SELECT count(*) FROM projection_rows WHERE {' AND '.join(where)}", params
        )
        return int(rows[0][0])
