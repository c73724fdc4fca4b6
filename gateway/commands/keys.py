"""`ketenpoort keys init|rotate|reencrypt|list --file F`: the key file for payload encryption at rest."""
from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from gateway.commands.store_access import add_store_arguments, opened_store, store_url
from gateway.config import ConfigError
from queues import StoreError
from queues.audit import KEY_REENCRYPT, AuditEvent
from queues.encryption import EncryptingCodec, KeyRing, KeyRingError, PayloadIntegrityError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("keys", help="encryption keys for payloads at rest", description=__doc__)
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init", help="write a new key file",
        description="Write a new key file (mode 0600) with one data key and the BSN search key. "
        "Refuses to overwrite an existing file. Point [storage] keys_file in the config at it, or put its "
        "content in the KETENPOORT_KEYS environment variable.")
    rotate = actions.add_parser(
        "rotate", help="add a new primary key; old keys stay for decryption",
        description="Add a new data key and make it primary; the old keys stay so older payloads still decrypt. "
        "Running gateways pick the new key up on SIGHUP, when they notice the file changed, or when they first "
        "read a payload written with it. With --reencrypt, then rewrite the stored payloads under it.")
    rotate.add_argument("--reencrypt", action="store_true", help="then re-encrypt the stored payloads (needs "
                        "--config or --store)")
    add_store_arguments(rotate, required=False)
    reencrypt = actions.add_parser(
        "reencrypt", help="rewrite stored payloads under the primary key",
        description="Rewrite, in batches of one transaction each, every stored payload that is not yet under the "
        "primary key (or not encrypted at all). Safe to run while gateways serve, and to run again when "
        "interrupted. Recorded in the audit trail.")
    add_store_arguments(reencrypt)
    for action in (rotate, reencrypt):
        action.add_argument("--batch-size", type=int, default=500, metavar="N", help="payloads per transaction")
    listing = actions.add_parser("list", help="show key ids and dates (never the keys)")
    for action, func in ((init, run_init), (rotate, run_rotate), (reencrypt, run_reencrypt), (listing, run_list)):
        action.add_argument("--file", required=True, type=Path, help="the key file")
        action.set_defaults(func=func)


def run_init(args: argparse.Namespace) -> int:
    ring = KeyRing.generate()
    try:
        ring.save(args.file, create=True)
    except (KeyRingError, OSError) as error:
        return _fail("init", error)
    print(f"wrote {args.file} (mode 0600) with primary key {ring.primary}")
    return 0


def run_rotate(args: argparse.Namespace) -> int:
    if args.reencrypt and not (args.config or args.store):
        print("ketenpoort keys rotate: --reencrypt needs --config FILE or --store URL", file=sys.stderr)
        return 2
    try:
        ring = KeyRing.from_file(args.file).rotated()
        ring.save(args.file)
    except (KeyRingError, OSError) as error:
        return _fail("rotate", error)
    print(f"new primary key {ring.primary}; {len(ring.keys) - 1} older key(s) kept for decryption")
    return run_reencrypt(args) if args.reencrypt else 0


def run_reencrypt(args: argparse.Namespace) -> int:
    try:
        ring = KeyRing.from_file(args.file)
        rewritten = asyncio.run(_reencrypt(store_url(args), ring, args.batch_size))
    except (KeyRingError, PayloadIntegrityError, ConfigError, StoreError, ValueError) as error:
        return _fail("reencrypt", error)
    print(f"re-encrypted {rewritten} payload(s) under key {ring.primary}")
    return 0


async def _reencrypt(url: str, ring: KeyRing, batch_size: int) -> int:
    async with opened_store(url, payload_codec=EncryptingCodec(ring)) as store:
        rewritten = await store.rewrite_payloads(batch_size=batch_size)
        await store.audit(AuditEvent(actor=getpass.getuser(), role="cli", action=KEY_REENCRYPT,
                                     object_id=f"key:{ring.primary}", purpose="key rotation",
                                     detail={"rewritten": rewritten}))
    return rewritten


def run_list(args: argparse.Namespace) -> int:
    try:
        ring = KeyRing.from_file(args.file)
    except KeyRingError as error:
        return _fail("list", error)
    for key in ring.keys.values():
        print(f"{key.id}  created {key.created}{'  primary' if key.id == ring.primary else ''}")
    return 0


def _fail(action: str, error: Exception) -> int:
    message = f"{error.strerror}: {error.filename}" if isinstance(error, OSError) else str(error)
    print(f"ketenpoort keys {action}: {message}", file=sys.stderr)
    return 1
