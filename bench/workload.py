"""The messages the load benchmarks send, and the raw limit they are measured against.

The workload is every valid heenbericht of the reference examples of both standards (read where they lie, never
copied): the care provider's (305, 307, 315, 317, 323) posted to `/istandaarden/{std}/berichten`, the backoffice's
(301, 319) to `/api/v1/tenants/{code}/outbound`; iWmo addressed to Texel (0448), iJw to Den Helder (0400), the demo's
parties; an example the gateway's own rules reject (0001) is left out, so every send is accepted. Without the
reference, the demo's Verzoek om toewijzing (315) of each standard. Each message is a template whose
BerichtIdentificatie (`PLACEHOLDER`), provider AGB code (`AGB_PLACEHOLDER`) and client BSNs (`bsn_placeholder(k)`)
the load generator fills in per send: no send is a duplicate, the sends spread over the providers of the
deployment, and every client is a new one, so the rules' register grows as it would with real traffic instead of
piling every message on one client.

`bare_lxml_rate` is the raw limit: safe-parse and XSD-validate the same bytes with lxml alone, on one core.
"""
from __future__ import annotations

import time
from datetime import date
from dataclasses import dataclass
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
PLACEHOLDER = "PLACEHOLDER0"  # 12 characters, the length of LDT_IdentificatieBericht
AGB_PLACEHOLDER = "AGB_PLAC"  # 8 characters, like an AGB code
TENANT_OF = dict(EXAMPLES)  # standard -> gemeentecode


@dataclass(frozen=True)
class Template:
    code: str  # WMO315, JW301, ...
    standard: str
    tenant: str
    from_backoffice: bool
    xml: bytes  # with PLACEHOLDER as its BerichtIdentificatie

    @property
    def path(self) -> str:
        if self.from_backoffice:
            return f"/api/v1/tenants/{self.tenant}/outbound"
        return f"/istandaarden/{self.standard}/berichten"

    def message(self, number: int, agb: str = DEMO_PROVIDER_AGB) -> bytes:
        """The message to send as the `number`th one (bench/load_generator.py fills in the same way)."""
        return fill(self.xml, number, agb)

    def as_json(self) -> dict:
        return {"code": self.code, "path": self.path, "from_backoffice": self.from_backoffice,
                "xml": self.xml.decode()}


def bsn_placeholder(slot: int) -> str:
    return f"BSN_PLAC{slot}"  # 9 characters, like a BSN


def fill(template: bytes, number: int, agb: str) -> bytes:
    """`template` with BerichtIdentificatie, AGB code and BSNs of the `number`th send (a BSN per client slot)."""
    data = template.replace(PLACEHOLDER.encode(), f"{number:012x}".encode(), 1).replace(
        AGB_PLACEHOLDER.encode(), agb.encode())
    slot = 0
    while (placeholder := bsn_placeholder(slot).encode()) in data:
        data = data.replace(placeholder, test_bsn(number * 4 + slot).encode())
        slot += 1
    return data


def test_bsn(number: int) -> str:
    """A distinct 11-proof BSN for every `number` below 9*10^6 (wrapping after that): seven digits from the
    number, an eighth chosen so that the check digit is not 10, and the check digit."""
    digits = [int(d) for d in f"{1_000_000 + number % 9_000_000:07d}"]
    partial = sum(digit * weight for digit, weight in zip(digits, range(9, 2, -1)))
    eighth = next(d for d in range(10) if (partial + 2 * d) % 11 != 10)
    return "".join(map(str, digits)) + f"{eighth}{(partial + 2 * eighth) % 11}"


def templates() -> list[Template]:
    """The workload's messages; the reference examples when present, else the demo's 315 of each standard."""
    paths = sorted(REFERENCE_EXAMPLES.glob("*-3.2/examples/*.xml"))
    found = []
    for path in paths:
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
        (tenant, AGB_PLACEHOLDER) if from_backoffice else (AGB_PLACEHOLDER, tenant))
    header.find("{*}BerichtIdentificatie/{*}Identificatie").text = PLACEHOLDER
    slots: dict[str, str] = {}
    for bsn in root.iter("{*}Bsn"):
        bsn.text = slots.setdefault(bsn.text, bsn_placeholder(len(slots)))
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Template(message.code, message.standard, tenant, from_backoffice, xml)


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
