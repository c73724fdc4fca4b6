"""What only the PostgreSQL backend promises: clear errors for a server it cannot use, processes sharing a schema."""
from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from store_helpers import entry, postgres_plan

from queues import RetryPolicy, StoreUnavailable, open_store, queue_ops, search, statistics
from queues.codec import IdentityCodec
from queues.schema import LATEST_VERSION
from queues.sql import POSTGRES

pytestmark = pytest.mark.postgres


async def test_an_unreachable_server_is_refused_at_start_without_showing_the_password():
    with pytest.raises(StoreUnavailable) as raised:
        await open_store("postgresql://ketenpoort:s3cret@127.0.0.1:1/gateway", connect_timeout=5).start()
    message = str(raised.value)
    assert "PostgreSQL ketenpoort@127.0.0.1:1/gateway is unreachable: start the server" in message
    assert "s3cret" not in message


async def test_a_missing_database_is_refused_at_start(postgres_dsn):
    url = urlsplit(postgres_dsn)._replace(path="/ketenpoort_no_such_database").geturl()
    with pytest.raises(StoreUnavailable, match="has no such database: create it"):
        await open_store(url, connect_timeout=5).start()


async def test_processes_starting_together_migrate_once(postgres_database):
    stores = await asyncio.gather(*(postgres_database.open() for _ in range(4)))
    assert await postgres_database.rows("SELECT version FROM schema_version") == [(LATEST_VERSION,)]
    result = await stores[0].append(entry())
    assert (await stores[3].get(result.id)).id == result.id


async def test_lease_can_take_its_rows_through_the_partial_index(postgres_database):
    await postgres_database.open()
    query = next(queue_ops.lease(POSTGRES, "inbox:0448", 10, 30, RetryPolicy(), time.time(), IdentityCodec()))
    plan = await postgres_plan(postgres_database, query)
    assert any("queue_items_ready" in step for step in plan), plan


async def test_partner_health_reads_the_delivery_events_through_their_index(postgres_database):
    await postgres_database.open()
    query = next(statistics.delivery_counts(datetime.now(UTC) - timedelta(hours=24)))
    plan = await postgres_plan(postgres_database, query)
    assert any("message_events_event" in step for step in plan), plan
    assert not any("Seq Scan on message_events" in step for step in plan), plan


async def test_the_statuses_are_found_through_their_index(postgres_database):
    await postgres_database.open()
    plan = await postgres_plan(postgres_database, next(search.statuses()))
    assert any("messages_status" in step for step in plan), plan
    assert not any("Seq Scan on messages" in step for step in plan), plan


async def test_the_schema_can_be_given_in_the_url(postgres_database):
    schema = postgres_database.options["schema"]
    store = open_store(f"{postgres_database.url}?schema={schema}&application_name=kp-test")
    async with store:
        await store.append(entry())
    assert await postgres_database.rows("SELECT COUNT(*) FROM messages") == [(1,)]


async def test_a_write_the_server_refuses_is_rolled_back_and_its_connection_serves_the_next_one(
        postgres_database, caplog):
    store = await postgres_database.open(max_pool=1)  # the next write gets the same connection
    with pytest.raises(StoreUnavailable):
        await store.append(entry(bericht_identificatie="\x00 is no text to PostgreSQL"))
    result = await store.append(entry())
    assert (await store.get(result.id)).id == result.id
    assert not [record for record in caplog.records if "active transaction" in record.getMessage()]
