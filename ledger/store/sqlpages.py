"""Paging through projection rows in SQL, shared by the SQL backends (SQLite, PostgreSQL).

docs/ARCHITECTURE.md, "Store contract": ``projection_page`` and ``projection_count`` answer
a half-open key range in key order from the ``(name, key)`` primary key (or the
``(name, employee_id)`` index), in pages: the first skips ``offset`` rows, the next ones
resume after the last key seen. The backends differ only in their parameter mark.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["ProjectionPages"]

_PAGE = 2000


class ProjectionPages:
    """Mixin for an :class:`~ledger.store.EventStore` whose ``_query`` runs SQL."""

    MARK = "?"
    """The backend's parameter placeholder (``?`` for sqlite3, ``%s`` for psycopg)."""

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError

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
            size = _PAGE if left is None else min(_PAGE, left)
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
