"""Database locations: a SQLite path (or ``sqlite:///PATH``) or a PostgreSQL URL.

Pure string work, no driver imported: the CLI and :func:`ledger.store.open_store` decide the
backend with these before anything is opened.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ledger.errors import UsageError

__all__ = ["POSTGRES_SCHEMES", "display_location", "is_postgres_url", "sqlite_path"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
POSTGRES_SCHEMES = ("postgresql", "postgres")


def is_postgres_url(location: str | Path) -> bool:
    """Whether ``location`` names a PostgreSQL database (``postgresql://…``)."""
    found = _SCHEME.match(str(location))
    return found is not None and found.group(1).lower() in POSTGRES_SCHEMES


def sqlite_path(location: str | Path) -> str:
    """The SQLite file (or ``:memory:``) a location names.

    ``sqlite:///ledger.db`` is ``ledger.db`` (relative) and ``sqlite:////srv/ledger.db`` is
    ``/srv/ledger.db``, as in SQLAlchemy; anything without a scheme is a path.

    Raises:
        UsageError: the location has a scheme this ledger does not know, or is PostgreSQL's.
    """
    text = str(location)
    found = _SCHEME.match(text)
    if found is None:
        return text
    scheme = found.group(1).lower()
    if scheme == "sqlite":
        rest = text[found.end() :]
        if not rest.startswith("/") or rest == "/":
            raise UsageError(f"{text}: a SQLite URL is sqlite:///PATH (three slashes)")
        return rest[1:]
    if scheme in POSTGRES_SCHEMES:
        raise UsageError(f"{text}: is a PostgreSQL URL, not a SQLite file")
    raise UsageError(
        f"{text}: unknown database URL scheme {scheme!r}: give a file path, sqlite:///PATH "
        "or postgresql://HOST/DBNAME"
    )


def display_location(location: str | Path) -> str:
    """``location`` fit to print: a URL's password is masked."""
    text = str(location)
    if _SCHEME.match(text) is None:
        return text
    try:
        parts = urlsplit(text)
        password = parts.password
    except ValueError:
        return text
    if password is None:
        return text
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
