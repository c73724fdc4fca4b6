"""Empty registers of the technical rules for a test: in memory (the reference) or in a store on each backend."""
from __future__ import annotations

import secrets
from pathlib import Path

from connectors.istandaarden import rules
from gateway.rules_register import StoreRegister
from queues import Store, open_store
from queues.encryption import EncryptingCodec, KeyRing
from queues.register_ops import REGISTER_TABLES


class PostgresSchemas:
    """PostgreSQL schemas for registers, kept for the session: creating and migrating a schema takes far longer
    than emptying the register tables of one a test gave back."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.free: list[str] = []
        self.all: list[str] = []

    def take(self) -> tuple[str, bool]:
        """A schema and whether it was used before (and needs emptying)."""
        if self.free:
            return self.free.pop(), True
        self.all.append(f"kp_test_{secrets.token_hex(6)}")
        return self.all[-1], False

    async def drop_all(self) -> None:
        import asyncpg

        connection = await asyncpg.connect(self.dsn)
        try:
            for schema in self.all:
                await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        finally:
            await connection.close()


class RegisterMaker:
    """`await maker()` gives a new empty register of one kind ("memory", "sqlite" or "postgresql"); `close`
    closes the stores it opened."""

    def __init__(self, kind: str, directory: Path, schemas: PostgresSchemas | None = None) -> None:
        self.kind = kind
        self.directory = directory
        self.schemas = schemas
        self.stores: list[Store] = []
        self.taken: list[str] = []

    async def __call__(self):
        if self.kind == "memory":
            return rules.InMemoryRegister()
        codec = EncryptingCodec(KeyRing.generate())
        if self.kind == "sqlite":
            return StoreRegister(await self._open(f"sqlite:///{self.directory / f'register{len(self.stores)}.db'}",
                                                  payload_codec=codec))
        schema, used = self.schemas.take()
        self.taken.append(schema)
        store = await self._open(self.schemas.dsn, schema=schema, payload_codec=codec)
        if used:
            await _empty_register(self.schemas.dsn, schema)
        return StoreRegister(store)

    async def _open(self, url: str, **options) -> Store:
        store = open_store(url, **options)
        await store.start()
        self.stores.append(store)
        return store

    async def close(self) -> None:
        for store in self.stores:
            await store.close()
        if self.schemas is not None:
            self.schemas.free += self.taken


async def _empty_register(dsn: str, schema: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        await connection.execute("; ".join(f"DELETE FROM register_{kind}" for kind in REGISTER_TABLES))
    finally:
        await connection.close()
