"""The register the technical rules across messages read: allocations, starts, stops, requests, answers and
declarations of accepted messages, one table per kind of record, written in the transaction that journals the
message they came from (see `with_rows`).

A row is a mapping of field name to value (str, int, date or None) as `REGISTER_TABLES` lists them. A BSN is never
stored as given: the row keeps its keyed hash (the key ring's search key), which queries match, and the BSN sealed
with AES-GCM under the key ring and bound to that hash, so rows read back whole. Without a key ring there is no
secret to protect BSNs with, and the store refuses register rows (see `Store.register_keys`).

REGISTER_TABLES made the tables of schema version 3 (`register_tables`); a later change to a table is a new
migration plus a change here (the old migration would then fail on the new columns, so a missed one shows at once).
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from .model import AppendResult
from .sql import Dialect, Operation, Query, placeholders

# Column types: text, int, date (ISO text), bsn (bsn_hash + bsn_sealed); a trailing "?" allows NULL.
_COMMON = {"standard": "text", "tenant": "text", "agb": "text"}
_PRODUCT = {"toewijzingnummer": "text?", "categorie": "text?", "code": "text?", "toewijzing_ingangsdatum": "date?",
            "begindatum": "date"}
REGISTER_TABLES: dict[str, dict[str, str]] = {
    "bericht": {"standard": "text", "message": "text", "afzender": "text", "identificatie": "text",
                "dagtekening": "date?"},
    "toewijzing": {**_COMMON, "bsn": "bsn", "toewijzingnummer": "text", "referentie_aanbieder": "text?",
                   "categorie": "text?", "code": "text?", "toewijzingsdatum": "date?", "ingangsdatum": "date",
                   "einddatum": "date?", "reden_wijziging": "text?", "volume": "int?", "eenheid": "text?",
                   "frequentie": "text?", "budget": "int?", "identificatie": "text"},
    "start": {**_COMMON, "bsn": "bsn", **_PRODUCT, "status_aanlevering": "text", "identificatie": "text"},
    "stop": {**_COMMON, "bsn": "bsn", **_PRODUCT, "reden_beeindiging": "text", "einddatum": "date",
             "status_aanlevering": "text", "identificatie": "text"},
    "verzoek": {**_COMMON, "bsn": "bsn", "message": "text", "referentie_aanbieder": "text", "dagtekening": "date?",
                "identificatie": "text"},
    "antwoord": {**_COMMON, "referentie_aanbieder": "text", "verzoek_antwoord": "text", "reden_afwijzing": "text?",
                 "identificatie": "text"},
    "declaratie": {**_COMMON, "declaratienummer": "text", "begindatum": "date", "einddatum": "date",
                   "dagtekening": "date?", "identificatie": "text"},
    "prestatie": {**_COMMON, "bsn": "bsn", "declaratienummer": "text", "referentienummer": "text",
                  "vorig_referentienummer": "text?", "toewijzingnummer": "text", "categorie": "text", "code": "text",
                  "begindatum": "date", "einddatum": "date", "volume": "int", "eenheid": "text", "tarief": "int?",
                  "bedrag": "int", "debet_credit": "text", "identificatie": "text"},
    # A 325 rejected one Prestatie (referentienummer) or, when referentienummer is NULL, the whole Declaratie.
    "afwijzing": {**_COMMON, "declaratienummer": "text", "referentienummer": "text?", "identificatie": "text"},
}
# One index per way the rules query a table (equality on each column, rows in `seq` order); each starts with standard.
_INDEXES: dict[str, list[tuple[str, ...]]] = {
    "bericht": [("standard", "message", "afzender", "identificatie")],
    "toewijzing": [("standard", "tenant", "agb", "bsn_hash")],
    "start": [("standard", "tenant", "agb", "bsn_hash")],
    "stop": [("standard", "tenant", "agb", "bsn_hash")],
    "verzoek": [("standard", "agb", "tenant", "bsn_hash"), ("standard", "agb", "referentie_aanbieder")],
    "antwoord": [("standard", "tenant", "agb", "referentie_aanbieder")],
    "declaratie": [("standard", "agb", "declaratienummer")],
    "prestatie": [("standard", "agb", "referentienummer"), ("standard", "agb", "vorig_referentienummer"),
                  ("standard", "agb", "toewijzingnummer", "tenant")],
    "afwijzing": [("standard", "agb", "referentienummer"), ("standard", "agb", "tenant", "declaratienummer")],
}
# A later Toewijzing with the same number replaces the earlier one: at most one row per key.
_REPLACED_ON = {"toewijzing": ("standard", "tenant", "toewijzingnummer")}
# Both SQLite and PostgreSQL take up to 32766 parameters per statement; a row has at most 20.
_ROWS_PER_INSERT = 500
_ROWS_PER_PART = 4  # most messages have one or a few rows of a kind; more go in statements of their own
# Prestaties a Declaratie-antwoord rejected do not count (InMemoryRegister.prestaties is the reference).
_NOT_REJECTED = (
    " AND NOT EXISTS (SELECT 1 FROM register_afwijzing a WHERE a.standard = r.standard AND a.agb = r.agb"
    " AND a.referentienummer = r.referentienummer)"
    " AND NOT EXISTS (SELECT 1 FROM register_afwijzing a WHERE a.standard = r.standard AND a.agb = r.agb"
    " AND a.tenant = r.tenant AND a.declaratienummer = r.declaratienummer AND a.referentienummer IS NULL)"
)


@dataclass(frozen=True)
class _Field:
    """A field of REGISTER_TABLES, read once: its name, base type (text, int, date, bsn) and whether it may be None."""

    name: str
    base: str
    nullable: bool


_PYTHON_TYPES = {"text": str, "bsn": str, "int": int, "date": date}
_FIELDS = {kind: {name: _Field(name, kind_of_value.rstrip("?"), kind_of_value.endswith("?"))
                  for name, kind_of_value in fields.items()} for kind, fields in REGISTER_TABLES.items()}
_SQL_TYPES = {"text": "TEXT", "int": "BIGINT", "date": "TEXT"}


def _column_types(fields: Mapping[str, _Field]) -> dict[str, str]:
    """PostgreSQL's type of each column, for the parameters of `with_parts` (no INSERT VALUES to take them from)."""
    types: dict[str, str] = {}
    for field in fields.values():
        if field.base == "bsn":
            types.update(bsn_hash="TEXT", bsn_sealed="BYTEA")
        else:
            types[field.name] = _SQL_TYPES[field.base]
    return types


_COLUMN_TYPES = {kind: _column_types(fields) for kind, fields in _FIELDS.items()}
# What `select` reads of a kind: its columns in order (taken by position), its date fields, its BSN field or None.
_READ = {kind: (tuple(_COLUMN_TYPES[kind]), tuple(name for name, field in fields.items() if field.base == "date"),
                next((name for name, field in fields.items() if field.base == "bsn"), None))
         for kind, fields in _FIELDS.items()}


class BsnKeys(Protocol):
    """What the register needs of the key ring (encryption.KeyRing or KeyRingSource)."""

    def bsn_search_key(self, bsn: str) -> str: ...

    def encrypt(self, plaintext: bytes, context: str) -> bytes: ...

    def decrypt(self, blob: bytes, context: str) -> bytes: ...


@dataclass(frozen=True)
class RegisterRow:
    """One record for the register: `kind` names its table (a key of REGISTER_TABLES), `values` its fields."""

    kind: str
    values: Mapping[str, Any]


def register_tables(d: Dialect) -> list[str]:
    """The migration that adds the register (schema version 3)."""
    statements = []
    for kind, fields in _FIELDS.items():
        columns = [f"seq {d.serial_key}"]
        for field in fields.values():
            not_null = "" if field.nullable else " NOT NULL"
            if field.base == "bsn":
                columns += [f"bsn_hash TEXT{not_null}", f"bsn_sealed {d.blob}{not_null}"]
            else:
                columns.append(f"{field.name} {_SQL_TYPES[field.base]}{not_null}")
        statements.append(f"CREATE TABLE register_{kind} ({', '.join(columns)})")
        statements += [f"CREATE INDEX register_{kind}_{'_'.join(key[1:])} ON register_{kind} ({', '.join(key)}, seq)"
                       for key in _INDEXES[kind]]
    statements += [f"CREATE UNIQUE INDEX register_{kind}_key ON register_{kind} ({', '.join(key)})"
                   for kind, key in _REPLACED_ON.items()]
    return statements


def toewijzing_reference_index(d: Dialect) -> list[str]:
    """Schema version 5: Toewijzingen by ReferentieAanbieder (TR on an Antwoord op verzoek, 319) without reading every
    Toewijzing of the provider, which grow with every 301."""
    return ["CREATE INDEX register_toewijzing_referentie_aanbieder ON register_toewijzing "
            "(standard, tenant, agb, referentie_aanbieder, seq) WHERE referentie_aanbieder IS NOT NULL"]


def with_parts(rows: Sequence[RegisterRow], keys: BsnKeys) -> tuple[list[Query], list[RegisterRow]]:
    """PostgreSQL: the rows as parts of the WITH that journals their message (`journal_ops.insert_message_at_once`),
    which writes them only when it writes the message: one round trip fewer per kind. Returns those parts, and the
    rows that must go after it (`with_rows`): those that replace others (a DELETE first), and those of a kind with
    many (each number of rows is another statement to prepare)."""
    of_kind: dict[str, list[RegisterRow]] = {}
    for row in rows:
        of_kind.setdefault(row.kind, []).append(row)
    parts: list[Query] = []
    later: list[RegisterRow] = []
    for kind, run in of_kind.items():  # a kind's rows all in one place, in their order
        if kind in _REPLACED_ON or len(run) > _ROWS_PER_PART:
            later += run
            continue
        columns = [_columns(row, keys) for row in run]
        names = list(columns[0])
        types = _COLUMN_TYPES[kind]
        values = ", ".join(
            f"({position}, {', '.join(f'?::{types[name]}' for name in names)})" for position in range(len(columns)))
        parts.append(Query(
            f"register_{len(parts)} AS (INSERT INTO register_{kind} ({', '.join(names)}) SELECT {', '.join(names)} "
            f"FROM message, (VALUES {values}) AS new (position, {', '.join(names)}) ORDER BY new.position)",
            [row[name] for row in columns for name in names]))
    return parts, later


def with_rows(append: Operation[AppendResult], rows: Sequence[RegisterRow], keys: BsnKeys) -> Operation[AppendResult]:
    """The journal append, then the register rows of its message, in its transaction (none for a duplicate)."""
    result = yield from append
    if result.created:
        yield from add(rows, keys)
    return result


def add(rows: Sequence[RegisterRow], keys: BsnKeys) -> Operation[None]:
    """Insert the rows in their order, a run of rows of one kind in one statement; a row that does not fit its
    table raises ValueError (and undoes the whole transaction)."""
    for kind, run in itertools.groupby(rows, key=lambda row: row.kind):
        columns = [_columns(row, keys) for row in run]
        if kind in _REPLACED_ON:
            columns = yield from _replace(kind, columns)
        names = list(columns[0])
        for start in range(0, len(columns), _ROWS_PER_INSERT):
            batch = columns[start:start + _ROWS_PER_INSERT]
            values = ", ".join([f"({placeholders(len(names))})"] * len(batch))
            yield Query(f"INSERT INTO register_{kind} ({', '.join(names)}) VALUES {values}",
                        [row[name] for row in batch for name in names])


def _replace(kind: str, columns: list[dict[str, Any]]) -> Operation[list[dict[str, Any]]]:
    """Delete the rows the new ones replace; of new rows with one key, the last one stays (at its place)."""
    key = _REPLACED_ON[kind]
    latest: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in columns:
        values = tuple(row[name] for name in key)
        latest.pop(values, None)
        latest[values] = row
    for values in latest:
        yield Query(f"DELETE FROM register_{kind} WHERE {' AND '.join(f'{name} = ?' for name in key)}", values)
    return list(latest.values())


def index_conditions(kind: str, conditions: Mapping[str, Any]) -> dict[str, Any]:
    """Of `conditions` (field: value), those on the columns of the first index of `kind` that they name all columns
    of: a wider query that costs the same index scan. All of them when they name no index whole."""
    for index in _INDEXES[kind]:
        names = ["bsn" if column == "bsn_hash" else column for column in index]
        if all(name in conditions for name in names):
            return {name: conditions[name] for name in names}
    return dict(conditions)


def select(kind: str, where: Mapping[str, Any], keys: BsnKeys) -> Operation[list[dict[str, Any]]]:
    """The rows of `kind` whose fields equal the values in `where` (None: any value), in the order added.
    Prestaties a Declaratie-antwoord rejected are left out."""
    fields = _fields(kind)
    conditions: dict[str, Any] = {}
    for name, value in where.items():
        field = fields.get(name)
        if field is None:
            raise ValueError(f"register {kind} has no field {name!r}")
        if value is None:
            continue
        if field.base == "bsn":
            conditions["bsn_hash"] = _bsn_hash(value, keys)
            if conditions["bsn_hash"] is None:
                return []  # no row holds what is no BSN
        else:
            conditions[name] = _stored(kind, field, value)
    where_sql = " AND ".join(f"r.{name} = ?" for name in conditions) or "1 = 1"
    extra = _NOT_REJECTED if kind == "prestatie" else ""
    columns = ", ".join(f"r.{column}" for column in _READ[kind][0])
    rows = yield Query(f"SELECT {columns} FROM register_{kind} r WHERE {where_sql}{extra} ORDER BY r.seq",
                       list(conditions.values()))
    opened: dict[str, str] = {}  # a client's rows share one hash, so its BSN is opened once
    return [_values(kind, row, keys, opened) for row in rows]


def _fields(kind: str) -> dict[str, _Field]:
    if kind not in _FIELDS:
        raise ValueError(f"the register has no kind of record {kind!r} (known: {', '.join(REGISTER_TABLES)})")
    return _FIELDS[kind]


def _columns(row: RegisterRow, keys: BsnKeys) -> dict[str, Any]:
    """The row's values as its table's columns."""
    fields = _fields(row.kind)
    if row.values.keys() != fields.keys():
        missing = sorted(set(fields) - set(row.values))
        extra = sorted(set(row.values) - set(fields))
        what = f"lacks {missing[0]!r}" if missing else f"has no field {extra[0]!r}"
        raise ValueError(f"register {row.kind} row {what}")
    columns: dict[str, Any] = {}
    for name, field in fields.items():
        value = row.values[name]
        if value is None:
            if not field.nullable:
                raise ValueError(f"register {row.kind} row: {name} may not be empty")
            columns[name] = None
        elif field.base == "bsn":
            hashed = _bsn_hash(_stored(row.kind, field, value), keys)
            if hashed is None:
                raise ValueError(f"register {row.kind} row: {name} is not a BSN (8 or 9 digits)")
            columns["bsn_hash"] = hashed
            columns["bsn_sealed"] = keys.encrypt(value.encode("ascii"), _seal_context(hashed))
        else:
            columns[name] = _stored(row.kind, field, value)
    return columns


def _stored(kind: str, field: _Field, value: Any) -> Any:
    """A value as stored (a date as ISO text), after checking its type."""
    if not isinstance(value, _PYTHON_TYPES[field.base]) or isinstance(value, (bool, datetime)):
        raise ValueError(f"register {kind}: {field.name} must be {field.base}, not {type(value).__name__}")
    return value.isoformat() if field.base == "date" else value


def _bsn_hash(bsn: str, keys: BsnKeys) -> str | None:
    """The keyed hash a BSN is stored and found under; None for what is no BSN."""
    try:
        return keys.bsn_search_key(bsn)
    except ValueError:
        return None


def _seal_context(bsn_hash: str) -> str:
    """A sealed BSN opens only beside its own hash."""
    return f"register-bsn:{bsn_hash}"


def _values(kind: str, row: Sequence[Any], keys: BsnKeys, opened: dict[str, str]) -> dict[str, Any]:
    """The fields of a row `select` read; `opened` holds the BSNs opened so far by their hash (equal keyed hashes,
    equal BSNs)."""
    columns, dates, bsn = _READ[kind]
    values = dict(zip(columns, row))
    for name in dates:
        if values[name] is not None:
            values[name] = date.fromisoformat(values[name])
    if bsn is not None:
        bsn_hash, sealed = values.pop("bsn_hash"), values.pop("bsn_sealed")
        if bsn_hash not in opened:
            opened[bsn_hash] = keys.decrypt(bytes(sealed), _seal_context(bsn_hash)).decode("ascii")
        values[bsn] = opened[bsn_hash]
    return values
