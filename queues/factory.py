"""`open_store(url)`: the store a storage URL names."""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from .store import Store


def open_store(url: str, **options: Any) -> Store:
    """A store for `url`, not started yet: `async with open_store(url) as store: ...`.

    - `sqlite:///relative/path.db` or `sqlite:////absolute/path.db` (as SQLAlchemy spells them): SqliteStore,
      options `busy_timeout`, `min_free_bytes`, `migrate`.
    - `postgresql://user@host:port/database[?schema=NAME]` (or `postgres://`): PostgresStore, options `schema`
      (also from the URL), `min_pool`, `max_pool`, `connect_timeout`, `migrate`.
    Both take `payload_codec`, `retry` (a RetryPolicy), `clock`, `poll_interval`, `write_observer` and
    `slow_write_seconds` (see `Store`).
    """
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = url[len("sqlite:///"):] if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(f"storage URL {url!r} names no file: write sqlite:///relative.db or sqlite:////abs.db")
        from .sqlite_backend import SqliteStore

        return SqliteStore(path, **options)
    if scheme in ("postgresql", "postgres"):
        from .postgres_backend import PostgresStore

        dsn, schema = _without_schema(url)
        if schema is not None:
            options.setdefault("schema", schema)
        return PostgresStore(dsn, **options)
    raise ValueError(f"storage URL {url!r} is neither sqlite:///PATH nor postgresql://...")


def _without_schema(url: str) -> tuple[str, str | None]:
    """The URL without its `schema` query parameter (not one PostgreSQL knows), and that parameter."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [value for key, value in query if key == "schema"]
    if not schemas:
        return url, None
    rest = urlencode([(key, value) for key, value in query if key != "schema"])
    return parts._replace(query=rest).geturl(), schemas[-1]
