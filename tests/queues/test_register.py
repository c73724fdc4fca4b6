"""The register of the technical rules in the store, on each backend: written in the transaction of its message,
BSNs only as keyed hashes and sealed, and every query the rules make served by an index."""
from __future__ import annotations

import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from queues import StoreError
from queues.encryption import EncryptingCodec, KeyRing, PayloadIntegrityError
from queues.register_ops import RegisterRow, select
from store_helpers import entry, postgres_plan
from test_payload_protection import dump

BSN, OTHER_BSN = "999993653", "999990019"


def toewijzing(nummer: str = "20072", bsn: str = BSN, **changes) -> RegisterRow:
    values = dict(
        standard="iwmo", tenant="0448", agb="12345678", bsn=bsn, toewijzingnummer=nummer, referentie_aanbieder=None,
        categorie="01", code="01A03", toewijzingsdatum=date(2022, 12, 1), ingangsdatum=date(2023, 1, 1),
        einddatum=None, reden_wijziging=None, volume=16, eenheid="04", frequentie="4", budget=None,
        identificatie="T1",
    )
    return RegisterRow("toewijzing", values | changes)


def bericht(identificatie: str = "T1") -> RegisterRow:
    return RegisterRow("bericht", dict(standard="iwmo", message="WMO301", afzender="0448",
                                       identificatie=identificatie, dagtekening=date(2023, 1, 2)))


@pytest.fixture
async def store(database, clock):
    return await database.open(clock=clock, payload_codec=EncryptingCodec(KeyRing.generate()))


async def test_rows_go_with_the_append_of_their_message(store):
    result = await store.append(entry(idempotency_key="k1"), register=[bericht(), toewijzing()])
    assert result.created
    [row] = await store.register_rows("toewijzing", {"bsn": BSN})
    assert (row["bsn"], row["ingangsdatum"], row["einddatum"], row["volume"]) == (BSN, date(2023, 1, 1), None, 16)
    again = await store.append(entry(idempotency_key="k1"), register=[toewijzing("20073")])
    assert (again.created, again.id) == (False, result.id)
    assert [r["toewijzingnummer"] for r in await store.register_rows("toewijzing", {})] == ["20072"]


async def test_a_row_that_does_not_fit_undoes_the_append(store):
    with pytest.raises(ValueError, match="register toewijzing row: ingangsdatum may not be empty"):
        await store.append(entry(), register=[bericht(), toewijzing(ingangsdatum=None)])
    assert await store.count() == 0
    assert await store.register_rows("bericht", {}) == []


@pytest.mark.parametrize("row, error", [
    (RegisterRow("aanvraag", {}), "the register has no kind of record 'aanvraag'"),
    (RegisterRow("bericht", {"standard": "iwmo"}), "register bericht row lacks 'afzender'"),
    (RegisterRow("bericht", {**bericht().values, "naam": "Jansen"}), "register bericht row has no field 'naam'"),
    (toewijzing(volume="16"), "register toewijzing: volume must be int, not str"),
    (toewijzing(ingangsdatum="2023-01-01"), "register toewijzing: ingangsdatum must be date, not str"),
    (toewijzing(bsn="99999365"[:5]), "register toewijzing row: bsn is not a BSN"),
])
async def test_rows_that_do_not_fit_are_named(store, row, error):
    with pytest.raises(ValueError, match=re.escape(error)):
        await store.add_to_register([row])


async def test_queries_name_unknown_kinds_and_fields(store):
    with pytest.raises(ValueError, match="register toewijzing has no field 'naam'"):
        await store.register_rows("toewijzing", {"naam": "Jansen"})


async def test_a_store_without_a_key_ring_refuses_register_rows(database, clock):
    store = await database.open(clock=clock)
    with pytest.raises(StoreError, match="has no key ring: the register keeps BSNs"):
        await store.append(entry(), register=[toewijzing()])
    with pytest.raises(StoreError, match="has no key ring"):
        await store.register_rows("toewijzing", {})
    assert await store.count() == 0


async def test_a_dump_of_the_register_holds_no_bsn(database, store):
    await store.append(entry(), register=[bericht(), toewijzing(), toewijzing("20073", OTHER_BSN)])
    contents = await dump(database)
    assert b"20073" in contents  # the dump is real: it holds the register
    for bsn in (BSN, OTHER_BSN):
        assert bsn.encode() not in contents
        assert bsn.encode().hex().encode() not in contents.lower()
    assert [r["bsn"] for r in await store.register_rows("toewijzing", {})] == [BSN, OTHER_BSN]


async def test_a_sealed_bsn_moved_to_another_row_does_not_open(database, store):
    await store.add_to_register([toewijzing("1"), toewijzing("2", OTHER_BSN)])
    [(sealed,)] = await database.rows("SELECT bsn_sealed FROM register_toewijzing WHERE toewijzingnummer = '1'")
    await database.rows("UPDATE register_toewijzing SET bsn_sealed = ? WHERE toewijzingnummer = '2'", bytes(sealed))
    with pytest.raises(PayloadIntegrityError, match="authentication failed"):
        await store.register_rows("toewijzing", {"toewijzingnummer": "2"})


async def test_a_clients_rows_open_its_bsn_once(store, monkeypatch):
    """A Toewijzing's Prestaties of five years are hundreds of rows of one client: one hash, one BSN to open."""
    await store.add_to_register([toewijzing(str(number)) for number in range(5)] + [toewijzing("9", OTHER_BSN)])
    keys = store.register_keys()
    opened = []

    def decrypt(sealed: bytes, context: str) -> bytes:
        opened.append(context)
        return type(keys).decrypt(keys, sealed, context)

    monkeypatch.setattr(keys, "decrypt", decrypt)
    rows = await store.register_rows("toewijzing", {"tenant": "0448"})
    assert [row["bsn"] for row in rows] == [BSN] * 5 + [OTHER_BSN]
    assert len(opened) == len(set(opened)) == 2


# (kind, fields given) of each query the rules make (connectors/istandaarden/rules/*_history.py, regie.py).
RULE_QUERIES = [
    ("bericht", ("standard", "message", "afzender", "identificatie")),
    ("toewijzing", ("standard", "tenant", "agb", "bsn", "toewijzingnummer")),
    ("toewijzing", ("standard", "tenant", "agb", "bsn")),
    ("toewijzing", ("standard", "tenant", "agb", "referentie_aanbieder")),
    ("toewijzing", ("standard", "tenant", "toewijzingnummer")),
    ("start", ("standard", "tenant", "agb", "bsn")),
    ("stop", ("standard", "tenant", "agb", "bsn")),
    ("verzoek", ("standard", "agb", "tenant", "bsn", "referentie_aanbieder")),
    ("verzoek", ("standard", "agb", "tenant", "bsn")),
    ("verzoek", ("standard", "agb", "referentie_aanbieder")),
    ("antwoord", ("standard", "tenant", "agb", "referentie_aanbieder")),
    ("declaratie", ("standard", "agb", "declaratienummer")),
    ("prestatie", ("standard", "agb", "tenant", "referentienummer")),
    ("prestatie", ("standard", "agb", "referentienummer")),
    ("prestatie", ("standard", "agb", "tenant", "toewijzingnummer")),
    ("prestatie", ("standard", "agb", "vorig_referentienummer")),
]


# Each query finds a client's or a key's rows through its index, never all rows of a provider or gemeente (those
# grow with every message, and so would the time per message).
SELECTIVE = ("bsn_hash", "toewijzingnummer", "referentie_aanbieder", "referentienummer", "vorig_referentienummer",
             "declaratienummer", "identificatie")


async def test_every_query_of_the_rules_uses_an_index(database, store):
    values = {"bsn": BSN, "standard": "iwmo"}
    for kind, fields in RULE_QUERIES:
        query = next(select(kind, {name: values.get(name, "1") for name in fields}, store.register_keys()))
        if database.kind == "sqlite":
            with sqlite3.connect(Path(database.url.removeprefix("sqlite:///"))) as connection:
                plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {query.sql}", query.params)]
            assert not [step for step in plan if re.fullmatch(r"SCAN \w+", step)], (kind, fields, plan)
        else:
            plan = await postgres_plan(database, query)
            assert not [step for step in plan if "Seq Scan" in step], (kind, fields, plan)
        indexed = [step for step in plan if re.search(r"(USING|Index).* register_", step)]
        # A prestatie has two more: the checks for a Declaratie-antwoord that rejected it.
        assert len(indexed) >= (3 if kind == "prestatie" else 1), (kind, fields, plan)
        searched = _search_of_the_table(plan, kind)
        assert any(re.search(rf"\b{name}\b", searched) for name in SELECTIVE), (kind, fields, plan)


def _search_of_the_table(plan: list[str], kind: str) -> str:
    """What the index search on the queried table itself (alias r) matches on, apart from the subqueries."""
    for number, step in enumerate(plan):
        if step.startswith("SEARCH r "):  # SQLite
            return step
        if re.search(rf" on register_{kind} r\b", step):  # PostgreSQL: the scan, then its Index Cond
            return next((line for line in plan[number + 1:] if "Index Cond" in line), "")
    return ""


async def test_rows_of_several_kinds_and_long_runs_keep_their_order_and_a_duplicate_writes_none(store):
    """On PostgreSQL short runs of a kind go into the statement of their message, the rest after it."""
    identificaties = [f"T{number}" for number in range(1, 8)]
    rows = [*(bericht(identificatie) for identificatie in identificaties[:5]), toewijzing("20072"),
            *(bericht(identificatie) for identificatie in identificaties[5:]), toewijzing("20073", bsn=OTHER_BSN)]
    assert (await store.append(entry(idempotency_key="k1"), register=rows)).created
    assert not (await store.append(entry(idempotency_key="k1"), register=[bericht("T9"), toewijzing("20079")])).created
    assert [row["identificatie"] for row in await store.register_rows("bericht", {})] == identificaties
    assert [(row["toewijzingnummer"], row["bsn"]) for row in await store.register_rows("toewijzing", {})] == [
        ("20072", BSN), ("20073", OTHER_BSN)]
