"""A check and the append it decides on, in one write transaction (`Store.append_checked`).

The technical rules across messages read the register, and the message they accept writes to it: two messages
checked side by side could both pass a rule on what the other adds (a DeclaratieNummer used twice, TR333). A check
that runs inside the write transaction reads what every earlier holder of its key appended, committed or not yet,
and no other holder of that key reads or writes until this transaction ends. The wait for the commit (the fsync)
then holds up nobody: the next check runs in the same transaction or the next one.

The check is a coroutine. Its register reads are steps of the transaction's operation: `RegisterReader.register_rows`
awaits the query, which goes up to the backend's driver, and the driver sends the rows back, just as asyncio's Task
drives a coroutine that awaits a future. A future the check awaits itself (work in a thread, for a large message)
goes up the same way and the driver awaits it, with the transaction open.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from . import register_ops
from .model import AppendResult, MessageEntry
from .register_ops import BsnKeys, RegisterRow
from .sql import Operation

T = TypeVar("T")


@dataclass(frozen=True)
class Appending:
    """What `Store.append` takes, as one value: what a check decided to journal."""

    entry: MessageEntry
    with_entries: Sequence[MessageEntry] = ()
    register: Sequence[RegisterRow] = ()


A = TypeVar("A", bound=Appending)


class _Steps:
    """An operation awaited inside a check: its queries go to the driver of the transaction."""

    def __init__(self, operation: Operation[T]) -> None:
        self.operation = operation

    def __await__(self) -> Generator[Any, Any, Any]:
        return (yield from self.operation)


class RegisterReader:
    """The register as a check reads it: inside the transaction of `Store.append_checked`. One reader serves one
    check, during which the register does not change (the check's own rows are appended after it): a query asked
    again, or one within a query asked before, is answered from the first answer without a statement (on
    PostgreSQL, a round trip)."""

    def __init__(self, keys: Callable[[], BsnKeys]) -> None:
        self._keys = keys
        self._answers: dict[tuple[str, frozenset[tuple[str, Any]]], list[dict[str, Any]]] = {}

    async def register_rows(self, kind: str, where: Mapping[str, Any]) -> list[dict[str, Any]]:
        """As `Store.register_rows`, with what earlier checks in this transaction appended."""
        named = {name: value for name, value in where.items() if value is not None}
        conditions = frozenset(named.items())
        rows = self._answered(kind, conditions)
        if rows is None:
            # Asked as wide as its index goes (all rows of a client), so that the next query on it needs no statement.
            wide = register_ops.index_conditions(kind, named)
            self._answers[(kind, frozenset(wide.items()))] = await _Steps(register_ops.select(kind, wide, self._keys()))
            rows = self._answered(kind, conditions)
        return [dict(row) for row in rows]

    def _answered(self, kind: str, conditions: frozenset[tuple[str, Any]]) -> list[dict[str, Any]] | None:
        """The answer of a query asked before whose conditions are some or all of these, narrowed to the rest (the
        Toewijzingen of a client, then those with one ToewijzingNummer); None when none was asked."""
        rows = self._answers.get((kind, conditions))
        if rows is not None:
            return rows
        for (asked_kind, asked), rows in self._answers.items():
            if asked_kind == kind and asked < conditions:
                rest = conditions - asked
                return [row for row in rows if all(row[name] == value for name, value in rest)]
        return None


def checked_append(
    check: Callable[[RegisterReader], Awaitable[A]],
    reader: RegisterReader,
    append: Callable[[Appending], Operation[AppendResult]],
) -> Operation[tuple[A, AppendResult]]:
    appending = yield from check(reader).__await__()
    return appending, (yield from append(appending))
