"""`ketenpoort certs init --dir DIR`: write a development PKI."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gateway.pki import CertificateFiles, create_dev_pki


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("certs", help="development certificates", description=__doc__)
    actions = parser.add_subparsers(dest="certs_action", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init",
        help="write a development CA, a localhost server certificate and partner certificates",
        description="Write a development CA, a server certificate for localhost/127.0.0.1/::1 and client "
        "certificates for the demo provider (AGB 12345678), a second provider, CORV, Suwinet and BRP, plus an "
        "expired, a revoked and an other-CA certificate for tests. Existing files are replaced. "
        "Private keys are written with mode 0600. For development only.",
    )
    init.add_argument("--dir", required=True, type=Path, help="directory to write into (created if missing)")
    init.set_defaults(func=run_init)


def run_init(args: argparse.Namespace) -> int:
    try:
        pki = create_dev_pki(args.dir)
    except OSError as error:
        print(f"ketenpoort certs init: cannot write {args.dir}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"CA certificate      {pki.ca_cert}")
    print(f"CRL                 {pki.crl}")
    for label, files in (
        ("server (localhost)", pki.server),
        ("gateway client", pki.gateway_client),
        ("provider", pki.provider),
        ("second provider", pki.second_provider),
        ("CORV", pki.corv),
        ("Suwinet", pki.suwinet),
        ("BRP", pki.brp),
        ("expired", pki.expired),
        ("revoked", pki.revoked),
        ("other CA client", pki.other_ca_client),
    ):
        print(_describe(label, files))
    return 0


def _describe(label: str, files: CertificateFiles) -> str:
    return f"{label:<19} {files.cert}  serialNumber={files.serial_number}  sha256={files.fingerprint}"
