"""The messages the load benchmarks send, and the raw limit they are measured against.

The workload is every valid heenbericht of the reference examples of both standards (read where they lie, never
copied): the care provider's (305, 307, 315, 317, 323) posted to `/istandaarden/{std}/berichten`, the backoffice's
(301, 319) to `/api/v1/tenants/{code}/outbound`; iWmo addressed to Texel (0448), iJw to Den Helder (0400), the demo's
parties; an example the gateway's own rules reject (0001) is left out. Without the reference, the demo's Verzoek
om toewijzing (315) of each standard.

Each message is a template: its BerichtIdentificatie, the provider's AGB code, and every value that identifies a
client or a case (Bsn, ToewijzingNummer, ReferentieAanbieder, DeclaratieNummer, ReferentieNummer,
VorigReferentieNummer) are placeholders that `fill` replaces per send. So no send is a duplicate, sends spread over
the deployment's providers, and every send is a new client and case: the rules' register grows as it would with
real traffic, instead of piling every message onto the one client and ToewijzingNummer of an example.

`bare_lxml_rate` is the raw limit: parse and XSD-validate the same messages with lxml alone, on one core.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lxml import etree

from connectors.istandaarden import catalogue
from connectors.istandaarden.rules import RuleContext, check_document, rejects_message
from connectors.istandaarden.validation import DEFAULT_SCHEMAS_DIR
from gateway.demo import EXAMPLES
from gateway.demo_messages import verzoek_om_toewijzing
from gateway.pki import DEMO_PROVIDER_AGB

REFERENCE_EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "reference" / "istandaarden"
KNOWN_INVALID = {"JW315", "JW318"}  # facts of the reference: an impossible date, a misplaced RetourCode
IDENTIFICATIE, AGB = "@ID@", "@AGB@"
# What identifies a client or a case, by element: how a fresh value is made (see `fresh_value`).
CASE_VALUES = {"Bsn": "bsn", "ToewijzingNummer": "nummer", "ReferentieAanbieder": "text",
               "DeclaratieNummer": "text", "ReferentieNummer": "text", "VorigReferentieNummer": "text"}
TENANT_OF = dict(EXAMPLES)  # standard -> gemeentecode


@dataclass(frozen=True)
class Template:
    code: str  # WMO315, JW301, ...
    standard: str
    tenant: str
    from_backoffice: bool
    xml: bytes  # with the placeholders
    slots: tuple[tuple[str, str, int], ...]  # (placeholder, kind of value, slot number)

    @property
    def path(self) -> str:
        if self.from_backoffice:
            return f"/api/v1/tenants/{self.tenant}/outbound"
        return f"/istandaarden/{self.standard}/berichten"

    def message(self, number: int, agb: str = DEMO_PROVIDER_AGB) -> bytes:
        """The message to send as the `number`th one (bench/load_generator.py fills in the same way)."""
        return fill(self.xml, self.slots, number, agb)

    def as_json(self) -> dict:
        return {"code": self.code, "path": self.path, "from_backoffice": self.from_backoffice,
                "xml": self.xml.decode(), "slots": self.slots}


def fill(xml: bytes, slots, number: int, agb: str) -> bytes:
    """The template with the values of the `number`th send (`number` below 2^44: twelve hex digits)."""
    data = xml.replace(IDENTIFICATIE.encode(), f"{number:012x}".encode()).replace(AGB.encode(), agb.encode())
    for placeholder, kind, slot in slots:
        data = data.replace(placeholder.encode(), fresh_value(kind, slot, number).encode())
    return data


def fresh_value(kind: str, slot: int, number: int) -> str:
    """A value of `kind` for the slot'th distinct value of a message, unique per send (wrapping after 10^6 to 10^7
    sends): an 11-proof BSN, a ToewijzingNummer (LDT_Nummer, 9 digits), or a reference of 12 characters."""
    if kind == "bsn":
        return test_bsn(number * 16 + slot % 16)
    if kind == "nummer":
        return str(number % 10**7 * 100 + slot)
    return f"{slot % 10}{number % 2**44:011x}"


def test_bsn(number: int) -> str:
    """A distinct 11-proof BSN for every `number` below 9*10^6 (wrapping after that): seven digits from the
    number, an eighth chosen so that the check digit is not 10, and the check digit."""
    digits = [int(d) for d in f"{1_000_000 + number % 9_000_000:07d}"]
    partial = sum(digit * weight for digit, weight in zip(digits, range(9, 2, -1)))
    eighth = next(d for d in range(10) if (partial + 2 * d) % 11 != 10)
    return "".join(map(str, digits)) + f"{eighth}{(partial + 2 * eighth) % 11}"


def templates() -> list[Template]:
    """The workload's messages; the reference examples when present, else the demo's 315 of each standard."""
    found = []
    for path in sorted(REFERENCE_EXAMPLES.glob("*-3.2/examples/*.xml")):
        message = catalogue.by_code(path.stem)
        root = etree.parse(str(path)).getroot()
        if message.retour_code is None or path.stem in KNOWN_INVALID or _rejected(root):
            continue
        found.append(_template(root, message))
    if found:
        return found
    from connectors.istandaarden.validation import SchemaRegistry

    registry = SchemaRegistry()
    return [_template(etree.fromstring(verzoek_om_toewijzing(standard, DEMO_PROVIDER_AGB, tenant, registry)),
                      catalogue.by_code(("WMO" if standard == "iwmo" else "JW") + "315"))
            for standard, tenant in EXAMPLES]


def _rejected(root: etree._Element) -> bool:
    return rejects_message(check_document(root, RuleContext(today=date.today())))


def _template(root: etree._Element, message: catalogue.MessageType) -> Template:
    """The message addressed to or from the demo's tenant of its standard, with the placeholders."""
    header = root.find("{*}Header")
    tenant = TENANT_OF[message.standard]
    from_backoffice = message.sender == catalogue.GEMEENTE
    header.find("{*}Afzender").text, header.find("{*}Ontvanger").text = (
        (tenant, AGB) if from_backoffice else (AGB, tenant))
    header.find("{*}BerichtIdentificatie/{*}Identificatie").text = IDENTIFICATIE
    placeholders: dict[tuple[str, str], tuple[str, str, int]] = {}
    for element in root.iter(etree.Element):
        kind = CASE_VALUES.get(etree.QName(element).localname)
        if kind and element.text and element.text.strip():
            slot = placeholders.setdefault((kind, element.text.strip()), (f"@{kind}{len(placeholders)}@", kind,
                                                                          len(placeholders)))
            element.text = slot[0]
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Template(message.code, message.standard, tenant, from_backoffice, xml, tuple(placeholders.values()))


def describe(workload: list[Template]) -> str:
    sizes = [len(t.xml) for t in workload]
    return (f"{len(workload)} messages ({', '.join(t.code for t in workload)}), "
            f"{min(sizes)}..{max(sizes)} bytes, mean {sum(sizes) / len(sizes):.0f}")


def bare_lxml_rate(workload: list[Template], seconds: float = 2.0) -> float:
    """Messages per second that lxml alone parses (no DTD, no entities, no network) and validates against their
    compiled XSD, cycling through the workload on one core for about `seconds`."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    schemas = {}
    for template in workload:
        message = catalogue.by_code(template.code)
        path = DEFAULT_SCHEMAS_DIR / message.standard / catalogue.RELEASE / message.schema_file
        schemas[template.code] = etree.XMLSchema(etree.parse(str(path)))
    messages = [(schemas[t.code], t.message(number)) for number, t in enumerate(workload)]
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for schema, data in messages:
            if not schema.validate(etree.fromstring(data, parser)):
                raise AssertionError(f"a workload message is not valid: {schema.error_log.last_error}")
        done += len(messages)
    return done / elapsed
