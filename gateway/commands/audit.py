"""`ketenpoort audit verify (--config FILE | --store URL)`: check the audit trail's hash chain.

Exit 0 when the chain is intact (the head it prints is worth keeping elsewhere: a rewrite of the whole chain only
shows against a head kept outside the database), 1 naming the first edited, inserted or removed record, 2 when the
store cannot be read.
"""
from __future__ import annotations

import argparse
import asyncio
import sys

from gateway.commands.store_access import add_store_arguments, opened_store, store_url
from gateway.config import ConfigError
from queues import StoreError
from queues.audit import Verification


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="the tamper-evident audit trail", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="audit_action", metavar="ACTION", required=True)
    verify = actions.add_parser(
        "verify", help="check the hash chain; exit 1 naming the first broken record",
        description="Walk the audit trail's hash chain from the first record to the head. Exit 0 when intact, "
        "1 naming the first edited, inserted or removed record, 2 when the store cannot be read.")
    add_store_arguments(verify)
    verify.set_defaults(func=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    try:
        result = asyncio.run(_verify(store_url(args)))
    except (ConfigError, StoreError, ValueError) as error:
        print(f"ketenpoort audit verify: {error}", file=sys.stderr)
        return 2
    print(result.summary(), file=sys.stdout if result.intact else sys.stderr)
    return 0 if result.intact else 1


async def _verify(url: str) -> Verification:
    async with opened_store(url) as store:
        return await store.verify_audit()
