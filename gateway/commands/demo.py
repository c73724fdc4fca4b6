"""`ketenpoort demo [--port P] [--dir DIR]`: write a demo set-up (see gateway.demo) and serve it until Ctrl-C."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gateway.commands import serve
from gateway.demo import prepare_demo, usage


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="run a demo gateway with two tenants, one provider and dev certificates",
        description="Write a demo configuration (tenants Texel 0448 and Den Helder 0400, provider 12345678, "
        "development certificates, SQLite, tokens) and example messages into DIR, write DIR/demo.json for "
        "scripts, and serve the gateway until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=8443, help="port on 127.0.0.1 (default 8443)")
    parser.add_argument("--dir", type=Path, default=Path("demo"), help="where the demo files go (default ./demo)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.port <= 65535:
        print(f"ketenpoort demo: --port {args.port} is not a port number (1 to 65535)", file=sys.stderr)
        return 2
    try:
        files = prepare_demo(args.dir, args.port)
    except OSError as error:
        print(f"ketenpoort demo: cannot write the demo files in {args.dir}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(usage(files), flush=True)
    return serve.run(argparse.Namespace(config=files.config))
