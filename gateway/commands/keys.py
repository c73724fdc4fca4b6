"""`ketenpoort keys init|rotate|list --file F`: the key file for payload encryption at rest."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from queues.encryption import KeyRing, KeyRingError


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
        "read a payload written with it.")
    listing = actions.add_parser("list", help="show key ids and dates (never the keys)")
    for action, func in ((init, run_init), (rotate, run_rotate), (listing, run_list)):
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
    try:
        ring = KeyRing.from_file(args.file).rotated()
        ring.save(args.file)
    except (KeyRingError, OSError) as error:
        return _fail("rotate", error)
    print(f"new primary key {ring.primary}; {len(ring.keys) - 1} older key(s) kept for decryption")
    return 0


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
