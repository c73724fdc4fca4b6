"""What only the SQLite backend promises: durable group commit, indexed queries, clear errors for a bad file."""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from store_helpers import entry

from queues import (
    RetryPolicy, SearchFilters, StoreError, StoreUnavailable, journal_ops, open_store, queue_ops, search, statistics,
)
from queues import sqlite_backend
from queues.codec import IdentityCodec
from queues.sql import SQLITE, Query


async def writer_pragma(store, name):
    def operation():
        rows = yield Query(f"PRAGMA {name}")
        return rows[0][0]

    return await store._write(operation())


async def test_the_writer_runs_in_wal_mode_with_full_sync_and_journals_savepoints_in_memory(sqlite_database):
    store = await sqlite_database.open()
    assert await writer_pragma(store, "journal_mode") == "wal"
    assert await writer_pragma(store, "synchronous") == 2  # FULL
    # The savepoint of each operation in a group keeps its journal in memory, not in a temporary file.
    assert await writer_pragma(store, "temp_store") == 2  # MEMORY


async def test_an_append_is_committed_when_its_await_returns(sqlite_database, tmp_path):
    store = await sqlite_database.open()
    results = await asyncio.gather(*(store.append(entry(payload=b"%d" % n)) for n in range(50)))
    with sqlite3.connect(tmp_path / "store.db") as other_process:
        stored = {row[0] for row in other_process.execute("SELECT id FROM messages")}
    assert stored == {result.id for result in results}


async def test_concurrent_appends_share_commits(sqlite_database):
    store = await sqlite_database.open()
    before = store.group_commit_stats()
    await asyncio.gather(*(store.append(entry()) for _ in range(200)))
    after = store.group_commit_stats()
    assert after["operations"] - before["operations"] == 200
    assert after["transactions"] - before["transactions"] <= 100


async def test_one_failing_operation_in_a_group_leaves_the_others_committed(sqlite_database, tmp_path):
    store = await sqlite_database.open()

    def failing():
        yield Query("INSERT INTO schema_version (version) VALUES (?)", [-1])
        raise ValueError("this operation fails halfway")

    results = await asyncio.gather(store.append(entry(payload=b"before")), store._write(failing()),
                                   store.append(entry(payload=b"after")), return_exceptions=True)
    assert isinstance(results[1], ValueError)
    assert store.group_commit_stats()["transactions"] >= 1
    with sqlite3.connect(tmp_path / "store.db") as other_process:
        stored = {row[0] for row in other_process.execute("SELECT id FROM messages")}
        half_done = other_process.execute("SELECT count(*) FROM schema_version WHERE version = -1").fetchone()[0]
    assert stored == {results[0].id, results[2].id}
    assert half_done == 0


async def test_closing_finishes_the_writes_already_submitted(sqlite_database, tmp_path):
    store = await sqlite_database.open()
    appends = [asyncio.ensure_future(store.append(entry(payload=b"%d" % n))) for n in range(50)]
    await asyncio.sleep(0)  # each append has handed its operation to the writer
    await store.close()
    results = await asyncio.gather(*appends)
    with sqlite3.connect(tmp_path / "store.db") as other_process:
        stored = {row[0] for row in other_process.execute("SELECT id FROM messages")}
    assert stored == {result.id for result in results}


async def test_a_write_waits_for_another_process_lock_without_holding_up_the_event_loop(sqlite_database, tmp_path):
    store = await sqlite_database.open(busy_timeout=10)
    holder = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        append = asyncio.ensure_future(store.append(entry(payload=b"waits")))
        started = time.monotonic()
        for _ in range(20):  # the loop serves other work on time while the write waits for the lock
            await asyncio.sleep(0.01)
        assert time.monotonic() - started < 1.0
        assert not append.done()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    result = await asyncio.wait_for(append, 10)
    assert (await store.get(result.id)).payload == b"waits"


async def test_a_lock_held_past_the_busy_timeout_fails_that_write_clearly_and_the_next_one_succeeds(
        sqlite_database, tmp_path):
    store = await sqlite_database.open(busy_timeout=0.2)
    holder = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailable, match=r"store\.db is locked by another process"):
            await store.append(entry())
    finally:
        holder.close()
    result = await store.append(entry(payload=b"later"))
    assert (await store.get(result.id)).payload == b"later"


async def test_a_store_is_written_only_from_the_event_loop_that_opened_it(sqlite_database):
    store = await sqlite_database.open()

    def other_loop():
        return asyncio.run(store.append(entry()))

    with pytest.raises(StoreError, match="another event loop"):
        await asyncio.to_thread(other_loop)


# Every query the gateway runs per message or per poll must use an index, whatever the number of rows.
NOW = time.time()
INDEXED_QUERIES = {
    "lease": lambda: queue_ops.lease(SQLITE, "inbox:0448", 10, 30, RetryPolicy(), NOW, IdentityCodec()),
    "next visible": lambda: queue_ops.next_visible_at("inbox:0448"),
    "dead letters of a queue": lambda: queue_ops.dead_letters("inbox:0448", 10, NOW),
    "get": lambda: journal_ops.get("some-id", NOW, IdentityCodec()),
    "timeline": lambda: journal_ops.timeline("some-id"),
    "partner health": lambda: statistics.delivery_counts(datetime.now(UTC) - timedelta(hours=24)),
    **{
        f"search and count by {name}": SearchFilters(**{name: value})
        for name, value in [
            ("tenant", "0448"), ("partner", "12345678"), ("message_type", "WMO301"),
            ("status", "queued"), ("retourcode", "8001"), ("bericht_identificatie", "4711"),
            ("correlation_id", "x"),
        ]
    },
}


@pytest.mark.parametrize("name", INDEXED_QUERIES)
async def test_queries_use_indexes(sqlite_database, tmp_path, name):
    store = await sqlite_database.open()
    await asyncio.gather(*(store.append(entry(retourcodes=("8001",))) for _ in range(50)))
    subject = INDEXED_QUERIES[name]
    if isinstance(subject, SearchFilters):
        cursor = search.encode_cursor(NOW, "01900000-0000-7000-8000-000000000000")
        operations = [search.search(subject, 10, cursor, NOW), search.count(subject)]
    else:
        operations = [subject()]
    with sqlite3.connect(tmp_path / "store.db") as connection:
        for operation in operations:
            query = next(operation)
            plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {query.sql}", query.params)]
            assert not [step for step in plan if re.fullmatch(r"SCAN \w+", step)], (query.sql, plan)
            assert any("INDEX" in step for step in plan), (query.sql, plan)


async def test_the_statuses_are_found_through_their_index(sqlite_database, tmp_path):
    """The console's status filter lists the statuses present: one index look-up per status, not a pass over a
    journal of years (the count for "N messages match" stops at a limit for the same reason)."""
    await sqlite_database.open()
    query = next(search.statuses())
    with sqlite3.connect(tmp_path / "store.db") as connection:
        plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {query.sql}", query.params)]
    reads = [step for step in plan if re.match(r"(SCAN|SEARCH) (messages|m)\b", step)]
    assert reads and all("USING COVERING INDEX messages_status" in step for step in reads), plan


def held_read(release: threading.Event):
    """A read that keeps its thread until `release` is set: a console report at a million messages, in small."""
    yield Query("SELECT COUNT(*) FROM messages", ())
    release.wait(30)


@contextlib.asynccontextmanager
async def reads_held(store, how_many: int, lane):
    """`how_many` reads held on `lane` (store._read or store._report) until the block ends."""
    release = threading.Event()
    held = [asyncio.ensure_future(lane(held_read(release))) for _ in range(how_many)]
    await asyncio.sleep(0.2)  # the reads have taken their threads
    try:
        yield
    finally:
        release.set()
        await asyncio.gather(*held)


async def test_the_message_paths_reads_do_not_wait_behind_the_operators_reports(sqlite_database):
    """The console's figures of a month keep a read busy for seconds at a million messages (a cold cache:
    minutes); a consumer's long poll, a message's detail and the readiness probe must not wait for them."""
    store = await sqlite_database.open()
    appended = await store.append(entry())
    async with reads_held(store, sqlite_backend.REPORTERS, store._report):
        await asyncio.wait_for(store.wait_for_messages("inbox:0448", timeout=5), timeout=2)
        assert (await asyncio.wait_for(store.get(appended.id), timeout=2)).id == appended.id
        await asyncio.wait_for(store.ping(), timeout=2)


async def test_reads_run_side_by_side(sqlite_database):
    """Reports of two operators at once, and reads beside a slow one, each on a connection of its own."""
    store = await sqlite_database.open()
    appended = await store.append(entry())
    async with reads_held(store, sqlite_backend.REPORTERS - 1, store._report):
        assert (await asyncio.wait_for(store.statuses(), timeout=2)) == ["received"]
    async with reads_held(store, sqlite_backend.READERS - 1, store._read):
        assert (await asyncio.wait_for(store.get(appended.id), timeout=2)).id == appended.id
    async with reads_held(store, sqlite_backend.READERS, store._read):
        await asyncio.wait_for(store.ping(), timeout=2)


# bad files: a clear error at start-up


async def test_a_locked_database_is_refused_at_start(sqlite_database, tmp_path):
    await (await sqlite_database.open()).close()
    holder = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable, match=r"store\.db is locked by another process: stop"):
            await sqlite_database.open(busy_timeout=0.1)
    finally:
        holder.close()


@contextlib.contextmanager
def read_only(path):
    """chmod is no obstacle to root, so root also makes the file immutable."""
    path.chmod(0o444)
    immutable = os.geteuid() == 0
    if immutable and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("running as root and chattr +i is not available: cannot make a file read-only")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o644)


async def test_a_read_only_database_is_refused_at_start(sqlite_database, tmp_path):
    await (await sqlite_database.open()).close()
    with read_only(tmp_path / "store.db"):
        with pytest.raises(StoreUnavailable, match=r"store\.db is read-only for this process: make the file"):
            await sqlite_database.open()


async def test_a_corrupt_database_is_refused_at_start(sqlite_database, tmp_path):
    (tmp_path / "store.db").write_bytes(b"this is not a database " * 100)
    with pytest.raises(StoreUnavailable, match=r"store\.db is corrupt or not a SQLite database: restore it"):
        await sqlite_database.open()


async def test_a_missing_directory_is_refused_at_start(tmp_path):
    with pytest.raises(StoreUnavailable, match=r"directory .*/missing of SQLite database x\.db does not exist"):
        await open_store(f"sqlite:///{tmp_path}/missing/x.db").start()


async def test_a_nearly_full_disk_is_refused_at_start(sqlite_database):
    with pytest.raises(StoreUnavailable, match=r"MiB free, less than the .* MiB needed: free disk space"):
        await sqlite_database.open(min_free_bytes=2**62)


async def test_a_full_database_fails_the_write_clearly_and_keeps_what_was_committed(sqlite_database):
    store = await sqlite_database.open()
    first = await store.append(entry())
    pages = await writer_pragma(store, "page_count")
    await writer_pragma(store, f"max_page_count = {pages + 2}")
    with pytest.raises(StoreUnavailable, match="disk is full"):
        await store.append(entry(payload=b"x" * 100_000))
    assert (await store.get(first.id)).payload == entry().payload


def test_a_storage_url_without_a_file_is_refused():
    with pytest.raises(ValueError, match="names no file"):
        open_store("sqlite://")
    with pytest.raises(ValueError, match="neither sqlite"):
        open_store("mysql://localhost/x")
