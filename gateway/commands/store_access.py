"""For verbs that work on the store directly: `--config FILE` or `--store URL`, and the store opened without
migrating it (a command line tool never changes the schema under a running gateway)."""
from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from gateway.config import load_config
from queues import Store, open_store


def add_store_arguments(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    where = parser.add_mutually_exclusive_group(required=required)
    where.add_argument("--config", type=Path, metavar="FILE", help="the gateway's config file (its [storage] url)")
    where.add_argument("--store", metavar="URL", help="a storage URL: sqlite:///PATH or postgresql://...")


def store_url(args: argparse.Namespace) -> str:
    """The URL named by --store or by the config's [storage]; raises ConfigError for a broken config."""
    return args.store or load_config(args.config).storage.url


@asynccontextmanager
async def opened_store(url: str, **options: Any) -> AsyncIterator[Store]:
    """The store at `url`, started without migrations; raises StoreError (or ValueError for a bad URL)."""
    store = open_store(url, migrate=False, **options)
    await store.start()
    try:
        yield store
    finally:
        await store.close()
