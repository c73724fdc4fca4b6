"""`ketenpoort retour [--codes JSON] [--reject] FILE`: the retour message for an iWmo/iJw 3.2 heenbericht."""
from __future__ import annotations

import argparse
import json
from datetime import date

from connectors.istandaarden.retour import RetourError, RetourIdentity, build_retour, retour_message_for
from connectors.istandaarden.validation import SchemaRegistry
from gateway.commands.message_io import (
    check_valid, invalid, read_bytes, read_valid_message, run_reporting, usage, write_xml,
)

CODES_HELP = """\
--codes is a JSON object from record class to retourcodes (codelist WJ001). A class is an element of the retour
that carries RetourCodes: Header, Client, ToegewezenProduct, Relatie, Contact, StartProduct, StopProduct,
AangevraagdProduct, Verzoek, OngewijzigdProduct, TeWijzigenProduct, NieuwProduct, Antwoord, Woonplaatsbeginsel,
DeclaratieAntwoord, Prestatie. The value is a list of codes for every record of the class, or an object from
record to codes, where a record is "#N" (the Nth of its class in the message, from 1) or its key (its first value:
ToewijzingNummer, Bsn, Nummer, ReferentieNummer, ReferentieAanbieder, ...). Records without codes get 0200.
A code on the Header rejects the whole message (the retour is the Header alone). The answer to a Declaratie
(323 -> 325) carries only the Prestaties with a code (a code on a Client: all its Prestaties).

  ketenpoort retour --codes '{"ToegewezenProduct": {"300201": ["9332"]}}' JW301.xml
  ketenpoort retour --codes '{"Prestatie": {"RN002": ["9339", "9340"], "#3": ["0611"]}}' JW323.xml
  ketenpoort retour --codes @codes.json WMO305.xml

Exit 0 with the retour on stdout; 1 when the message is invalid or not a heenbericht; 2 on usage errors
(including --codes that do not fit the message or WJ001)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "retour", help="print the retour message for an iWmo/iJw 3.2 heenbericht",
        description="Print the retour message (302, 306, 308, 316, 318, 320, or the Declaratie-antwoord 325) for "
        "a valid heenbericht (301 ... 323), valid against the retour XSD: the heenbericht's content with "
        "RetourCodes on every record, 0200 where there is no remark.",
        epilog=CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="the heenbericht (XML); - for stdin")
    parser.add_argument("--codes", metavar="JSON", help="retourcodes per record class (see below); @FILE reads a file")
    parser.add_argument("--reject", action="store_true", help="technical rejection: 0001 on the Header")
    parser.add_argument("--identificatie", metavar="ID", help="IdentificatieRetour (default: a fresh one)")
    parser.add_argument("--dagtekening", metavar="YYYY-MM-DD", help="DagtekeningRetour (default: today)")
    parser.set_defaults(func=lambda args: run_reporting("retour", lambda: run(args)))


def run(args: argparse.Namespace) -> int:
    codes = _codes(args.codes)
    identity = _identity(args)
    registry = SchemaRegistry()
    heen = read_valid_message(args.file, registry)
    try:
        retour_message_for(heen)
    except RetourError as error:
        raise invalid(args.file, [error]) from None
    try:
        retour = build_retour(heen, codes, identity=identity, registry=registry, rejected=args.reject)
    except RetourError as error:
        raise usage(f"--codes: {error}") from None
    check_valid(retour, registry, args.file)
    write_xml(retour)
    return 0


def _codes(option: str | None) -> dict | None:
    if option is None:
        return None
    text = read_bytes(option[1:]).decode("utf-8", "replace") if option.startswith("@") else option
    try:
        codes = json.loads(text)
    except json.JSONDecodeError as error:
        raise usage(f"--codes is not valid JSON: {error}") from None
    if not isinstance(codes, dict):
        raise usage('--codes must be a JSON object such as {"Client": ["9019"]}')
    return codes


def _identity(args: argparse.Namespace) -> RetourIdentity:
    defaults = RetourIdentity()
    try:
        dagtekening = date.fromisoformat(args.dagtekening) if args.dagtekening else defaults.dagtekening
    except ValueError:
        raise usage(f"--dagtekening {args.dagtekening!r} is not a date YYYY-MM-DD") from None
    identificatie = args.identificatie or defaults.identificatie
    if not 1 <= len(identificatie) <= 12 or not identificatie.strip():
        raise usage("--identificatie must be 1 to 12 characters, not only spaces")
    return RetourIdentity(identificatie, dagtekening)
