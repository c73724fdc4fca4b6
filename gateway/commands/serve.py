"""`ketenpoort serve --config FILE`: run the gateway."""
from __future__ import annotations

import argparse
import logging
import ssl
import sys
from pathlib import Path

from gateway import event_loop
from gateway.config import ConfigError, load_config
from gateway.security import require_payload_keys
from gateway.server import ServerStartError, gateway_ssl_context, serve_until_stopped

log = logging.getLogger("gateway.serve")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the gateway", description="Run the gateway with the settings of a TOML config file. "
        "A wrong config stops start-up with a message naming the key (exit 2).",
    )
    parser.add_argument("--config", required=True, type=Path, help="the TOML config file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(f"ketenpoort serve: {error}", file=sys.stderr)
        return 2
    settings = config.gateway
    # Built once before start-up too, so a bad certificate or key is reported with the files' names.
    try:
        ssl_context = gateway_ssl_context(settings)
    except (ssl.SSLError, OSError, ValueError) as error:
        print(f"ketenpoort serve: {config.source}: [gateway] TLS files {settings.tls_cert}, {settings.tls_key}: "
              f"{error}", file=sys.stderr)
        return 2
    try:
        require_payload_keys(config)
    except ConfigError as error:
        print(f"ketenpoort serve: {config.source}: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if ssl_context is None:
        log.warning("serving plain HTTP: care providers cannot authenticate without [gateway] tls_cert/tls_key")
    try:
        event_loop.run(serve_until_stopped(config))
    except ServerStartError as error:
        print(f"ketenpoort serve: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # a resource (store, schemas, ...) failed to open: its own message says why
        print(f"ketenpoort serve: start-up failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    return 0
