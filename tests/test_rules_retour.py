"""Findings placed in the retour message by the retour builder."""
from __future__ import annotations

from datetime import date

from connectors.istandaarden import rules
from connectors.istandaarden.retour import build_retour
from connectors.istandaarden.rules.register import Declaratie
from connectors.istandaarden.rules.retour_codes import retour_codes
from rules_support import TODAY, load, set_text, variant


def _codes_at(retour, record_path: str) -> list[str]:
    steps = "/".join("{*}" + step for step in record_path.split("/"))
    return [code.text for code in retour.find(steps).findall("{*}RetourCodes/{*}RetourCode")]


async def test_codes_land_on_the_records_they_address(reference_dir):
    heen = load(reference_dir, "WMO323")
    register = rules.InMemoryRegister()
    await register.add([Declaratie("iwmo", "0384", "65656055", "DN001", date(2023, 3, 1), date(2023, 3, 31), None,
                                   "D0")])
    findings = await rules.check_message(heen, rules.RuleContext(today=TODAY), register)
    codes = retour_codes(heen, findings)
    assert codes["DeclaratieAntwoord"] == {"#1": ["9333"]}
    assert codes["Prestatie"] == {"#1": ["9338"], "#2": ["9338"], "#3": ["9338"], "#4": ["9338"]}
    rejected = build_retour(heen, codes)
    assert _codes_at(rejected, "DeclaratieAntwoord") == ["9333"]
    del codes["DeclaratieAntwoord"]  # a rejected Declaratie-antwoord carries no Prestaties: look at them alone
    retour = build_retour(heen, codes)
    assert _codes_at(retour, "DeclaratieAntwoord/Clienten/Client[2]/Prestaties/Prestatie[2]") == ["9338"]
    assert _codes_at(retour, "DeclaratieAntwoord") == ["0200"]


def test_technical_rejection_gives_a_header_only_retour(reference_dir):
    heen = variant(reference_dir, "WMO305", set_text("Client/Bsn", "123456789"),
                   set_text("Client/StartProducten/StartProduct/Begindatum", "2025-04-09"))
    findings = rules.check_document(heen, rules.RuleContext(today=date(2025, 4, 1)))
    assert {f.rule for f in findings} == {"ELFPROEF", "TR134", "TR135"}
    codes = retour_codes(heen, findings)
    assert codes == {"Header": ["0001", "8848"]}
    retour = build_retour(heen, codes)
    assert _codes_at(retour, "Header") == ["0001", "8848"]
    assert retour.find("{*}Client") is None
