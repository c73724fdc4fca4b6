"""Ready-to-send messages for the demo: a Verzoek om toewijzing (315) from the demo provider to a tenant, built in
its JSON form (`json_mapping`) with a fictitious client (a test BSN that passes the 11-proof), dated today."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from lxml import etree

from connectors.istandaarden import catalogue, json_mapping
from connectors.istandaarden.schema_structure import xsd_versions
from connectors.istandaarden.validation import SchemaRegistry

TEST_BSN = "999993653"  # from the range of test BSNs, 11-proof
PRODUCTS = {"iwmo": ("02", "02A01"), "ijw": ("45", "45A04")}  # (Categorie, Code): begeleiding, jeugdhulp


def verzoek_om_toewijzing(standard: str, provider_agb: str, gemeentecode: str, registry: SchemaRegistry,
                          today: date | None = None) -> bytes:
    """A 315 of `standard` from `provider_agb` to `gemeentecode`, with a fresh BerichtIdentificatie."""
    today = today or date.today()
    message = catalogue.by_code(("WMO" if standard == "iwmo" else "JW") + "315")
    basisschema, bericht = xsd_versions(message, registry)
    start = (today.replace(day=1) + timedelta(days=32)).replace(day=1)  # the first of next month
    categorie, code = PRODUCTS[standard]
    document = {"standard": standard, "message": message.code, "Bericht": {
        "Header": {
            "BerichtCode": str(message.berichtcode), "BerichtVersie": "3", "BerichtSubversie": "2",
            "Afzender": provider_agb, "Ontvanger": gemeentecode,
            "BerichtIdentificatie": {"Identificatie": uuid.uuid4().hex[:12], "Dagtekening": today.isoformat()},
            "XsdVersie": {"BasisschemaXsdVersie": basisschema, "BerichtXsdVersie": bericht},
        },
        "Client": {
            "Bsn": TEST_BSN, "Geboortedatum": {"Datum": "1990-05-17"}, "Geslacht": "2",
            "Naam": {"Geslachtsnaam": {"Achternaam": "Demo"}, "Voorletters": "D"},
            "AangevraagdeProducten": {"AangevraagdProduct": [{
                "ReferentieAanbieder": f"DEMO{today:%Y%m%d}",
                "Product": {"Categorie": categorie, "Code": code},
                "ToewijzingIngangsdatum": start.isoformat(),
                "ToewijzingEinddatum": (start + timedelta(days=182)).isoformat(),
                "Verwijzer": {"Type": "01", "Naam": "Huisarts Demo"},
            }]},
        },
    }}
    root = json_mapping.to_xml(document, registry)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
