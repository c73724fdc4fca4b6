"""Payloads at rest on each backend: encrypted so a database dump shows no BSN or name, re-encrypted after a key
rotation, and purged by retention with the metadata kept."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from queues import SearchFilters, payload_ops
from queues.audit import RETENTION_PURGE
from queues.encryption import COMPRESSED_VERSION, EncryptingCodec, KeyRing, PayloadIntegrityError, parse_header
from queues.retention import purge_expired_payloads
from store_helpers import entry, postgres_plan

BSN = "999993653"
NAME = "Jansen-Verbeek"
PAYLOAD = f"<Bericht><Client><Bsn>{BSN}</Bsn><Achternaam>{NAME}</Achternaam></Client></Bericht>".encode()
DAY = 86400.0


async def dump(database) -> bytes:
    """Everything an attacker with a copy of the database sees: the raw files (SQLite) or all rows (PostgreSQL)."""
    if database.kind == "sqlite":
        path = Path(database.url.removeprefix("sqlite:///"))
        files = (path, path.with_name(f"{path.name}-wal"))
        raw = b"".join(file.read_bytes() for file in files if file.exists())
        with sqlite3.connect(path) as connection:
            return raw + "\n".join(connection.iterdump()).encode()
    schema = database.options["schema"]
    if shutil.which("pg_dump"):
        return subprocess.run(["pg_dump", "--dbname", database.url, "--schema", schema, "--data-only"],
                              capture_output=True, check=True).stdout
    tables = await database.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = ?", schema)
    return repr([await database.rows(f"SELECT * FROM {name}") for (name,) in tables]).encode()


async def test_a_dump_of_an_encrypted_store_holds_no_bsn_or_name(database, clock):
    ring = KeyRing.generate()
    store = await database.open(clock=clock, payload_codec=EncryptingCodec(ring))
    result = await store.append(entry(payload=PAYLOAD))
    await store.record_event(result.id, "delivered", {"to": "backoffice"})
    assert (await store.get(result.id)).payload == PAYLOAD
    contents = await dump(database)
    assert result.id.encode() in contents  # the dump is real: it holds the message
    for secret in (BSN.encode(), NAME.encode()):
        # Dumps show blobs as hex (pg_dump's bytea, SQLite's X'..'); the raw file holds them as they are.
        assert secret not in contents
        assert secret.hex().encode() not in contents.lower()


async def test_a_payload_moved_to_another_row_does_not_decrypt(database, clock):
    store = await database.open(clock=clock, payload_codec=EncryptingCodec(KeyRing.generate()))
    first = await store.append(entry(payload=PAYLOAD))
    second = await store.append(entry(payload=b"<Bericht>other</Bericht>"))
    [(stolen,)] = await database.rows("SELECT payload FROM messages WHERE id = ?", first.id)
    await database.rows("UPDATE messages SET payload = ? WHERE id = ?", bytes(stolen), second.id)
    with pytest.raises(PayloadIntegrityError, match=second.id):
        await store.get(second.id)


async def test_rewrite_encrypts_plain_payloads_and_moves_old_ones_to_the_new_key(database, clock):
    plain = await database.open(clock=clock)
    plain_id = (await plain.append(entry(payload=PAYLOAD))).id
    ring = KeyRing.generate()
    old = await database.open(clock=clock, payload_codec=EncryptingCodec(ring))
    old_ids = [(await old.append(entry(payload=PAYLOAD + bytes([n])))).id for n in range(5)]

    rotated = ring.rotated()
    store = await database.open(clock=clock, payload_codec=EncryptingCodec(rotated))
    new_id = (await store.append(entry(payload=PAYLOAD))).id
    assert await store.rewrite_payloads(batch_size=2) == 6
    assert await store.rewrite_payloads() == 0
    rows = dict(await database.rows("SELECT id, payload FROM messages"))
    assert {parse_header(bytes(stored))[0] for stored in rows.values()} == {rotated.primary}
    assert all(codec == "aesgcm" for (codec,) in await database.rows("SELECT payload_codec FROM messages"))
    for message_id in (plain_id, new_id):
        assert (await store.get(message_id)).payload == PAYLOAD
    assert [(await store.get(i)).payload for i in old_ids] == [PAYLOAD + bytes([n]) for n in range(5)]


async def test_rewrite_compresses_the_payloads_an_older_gateway_left_uncompressed(database, clock):
    ring = KeyRing.generate()
    store = await database.open(clock=clock, payload_codec=EncryptingCodec(ring))
    ids = [(await store.append(entry(payload=PAYLOAD + bytes([n])))).id for n in range(3)]
    for message_id in ids[:2]:  # as a gateway before compression wrote them: the same key, version 1
        [(payload,)] = await database.rows("SELECT payload FROM messages WHERE id = ?", message_id)
        older = ring.encrypt(ring.decrypt(bytes(payload), f"message:{message_id}"), f"message:{message_id}")
        await database.rows("UPDATE messages SET payload = ? WHERE id = ?", older, message_id)
    assert await store.rewrite_payloads() == 2
    rows = await database.rows("SELECT payload FROM messages")
    assert {parse_header(bytes(stored)).version for (stored,) in rows} == {COMPRESSED_VERSION}
    assert [(await store.get(i)).payload for i in ids] == [PAYLOAD + bytes([n]) for n in range(3)]


async def test_retention_purges_old_payloads_and_keeps_the_metadata(database, clock):
    store = await database.open(clock=clock)
    old_texel = (await store.append(entry(tenant="0448", queue=None, bericht_identificatie="B1"))).id
    old_queued = (await store.append(entry(tenant="0448"))).id
    old_helder = (await store.append(entry(tenant="0400", queue=None))).id
    clock.advance(40 * DAY)
    new_texel = (await store.append(entry(tenant="0448", queue=None))).id

    cutoff = datetime.fromtimestamp(clock.now, UTC) - timedelta(days=30)
    assert await store.purge_payloads("0448", cutoff, batch_size=1) == 1

    purged = await store.get(old_texel)
    assert purged.payload is None
    assert (purged.tenant, purged.message_type, purged.bericht_identificatie) == ("0448", "WMO301", "B1")
    assert [event.event for event in await store.timeline(old_texel)][-1] == "payload.purged"
    assert (await store.search(SearchFilters(bericht_identificatie="B1"))).messages[0].id == old_texel
    for kept in (old_queued, old_helder, new_texel):
        assert (await store.get(kept)).payload is not None
    assert await store.purge_payloads("0448", cutoff) == 0


async def test_retention_finds_the_payloads_left_without_walking_past_those_purged_before(database):
    """After a few years most of a tenant's messages have had their payloads purged. Each batch looks for the oldest
    left through an index of the messages that still have one: through the tenant's index it walked past every
    purged one (a million of them: 6 s per batch, the writer held all along)."""
    await database.open()
    query = next(payload_ops.purge_payloads("0448", 1.0e9, 1.0e9, 500))
    if database.kind == "sqlite":
        with sqlite3.connect(Path(database.url.removeprefix("sqlite:///"))) as connection:
            plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {query.sql}", query.params)]
    else:
        plan = await postgres_plan(database, query)
    assert any("messages_payload_kept" in step for step in plan), plan


async def test_the_retention_pass_purges_per_tenant_and_audits_it(database, clock):
    store = await database.open(clock=clock)
    texel = (await store.append(entry(tenant="0448", queue=None))).id
    helder = (await store.append(entry(tenant="0400", queue=None))).id
    clock.advance(10 * DAY)
    now = datetime.fromtimestamp(clock.now, UTC)

    days = {"0448": 7, "0400": None}
    assert await purge_expired_payloads(store, ["0448", "0400"], days.get, now=now) == {"0448": 1}
    assert (await store.get(texel)).payload is None
    assert (await store.get(helder)).payload is not None
    [record] = await store.audit_records()
    assert (record.action, record.object_id, record.detail["purged"]) == (RETENTION_PURGE, "tenant:0448", 1)
    assert await purge_expired_payloads(store, ["0448"], days.get, now=now) == {"0448": 0}
    assert len(await store.audit_records()) == 1
