"""What differs between the SQL of the two backends, and the steps an operation yields to its driver.

Every store operation is written once, as a generator that yields `Query` and `Wake` steps and receives each query's
rows back (the `*_ops.py` modules). The SQLite group-commit writer drives it inside its group transaction; the
PostgreSQL backend drives it with asyncpg inside one transaction. Queries use `?` placeholders. A write operation may
also yield what the check of `Store.append_checked` awaits besides its queries (`awaited`): the write drivers await
it.
"""
from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Query:
    sql: str
    params: Sequence[Any] = ()


@dataclass(frozen=True)
class Wake:
    """Tell consumers waiting on `queue` that a message may be available once this transaction commits."""

    queue: str


Step = Query | Wake
Operation = Generator[Step, Any, T]


def awaited(step: object) -> bool:
    """Whether a step is a future the check of `Store.append_checked` awaits (or the bare yield of
    `asyncio.sleep(0)`): the driver awaits it (`settle`) and sends None back."""
    return step is None or isinstance(step, asyncio.Future)


async def settle(step: asyncio.Future[Any] | None) -> None:
    """Until the step is done; its result or exception goes to the check when the driver sends None back."""
    await (asyncio.sleep(0) if step is None else asyncio.wait((step,)))


@dataclass(frozen=True)
class Dialect:
    name: str
    real: str
    blob: str
    serial_key: str
    # Row locks for read-then-update inside a transaction; SQLite needs none: its writer is alone.
    for_update: str
    skip_locked: str
    # PostgreSQL takes a list as one array parameter; SQLite needs a placeholder per value.
    array_parameters: bool
    # PostgreSQL runs INSERTs inside WITH: rows that belong together go in one statement, one round trip. SQLite's
    # statements cost no round trip (and it cannot).
    writes_in_with: bool

    def in_list(self, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """`column <this>` matches any of `values` (not empty): the SQL after the column, and its parameters."""
        if self.array_parameters:
            return "= ANY(?)", [list(values)]
        return f"IN ({placeholders(len(values))})", list(values)

    def in_pairs(self, pairs: Sequence[tuple[Any, Any]]) -> tuple[str, list[Any]]:
        """`(column, column) <this>` matches any of `pairs` (not empty), as `in_list` does for one column."""
        if self.array_parameters:
            return "IN (SELECT * FROM unnest(?::text[], ?::text[]))", [[a for a, _ in pairs], [b for _, b in pairs]]
        return f"IN (VALUES {', '.join(['(?, ?)'] * len(pairs))})", [value for pair in pairs for value in pair]


SQLITE = Dialect(
    name="sqlite",
    real="REAL",
    blob="BLOB",
    serial_key="INTEGER PRIMARY KEY",
    for_update="",
    skip_locked="",
    array_parameters=False,
    writes_in_with=False,
)

POSTGRES = Dialect(
    name="postgresql",
    real="DOUBLE PRECISION",
    blob="BYTEA",
    serial_key="BIGSERIAL PRIMARY KEY",
    for_update="FOR UPDATE",
    skip_locked="FOR UPDATE SKIP LOCKED",
    array_parameters=True,
    writes_in_with=True,
)


@functools.lru_cache(maxsize=512)
def numbered_placeholders(sql: str) -> str:
    """`?` → `$1, $2, ...` for asyncpg (our SQL has no `?` inside string literals)."""
    counter = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(counter)}", sql)


def placeholders(count: int) -> str:
    return ", ".join("?" * count)
