"""The rules inside one message (and those needing an outside list): each fires on a variant and holds on another."""
from __future__ import annotations

from datetime import date

import pytest

from connectors.istandaarden import rules
from rules_support import TODAY, add_after, duplicate, fired, load, remove, set_text, variant

STOP = "Client/StopProducten/StopProduct"
START = "Client/StartProducten/StartProduct"
TOEGEWEZEN = "Client/ToegewezenProducten/ToegewezenProduct"
AANGEVRAAGD = "Client/AangevraagdeProducten/AangevraagdProduct"
VERZOEK = "Client/Verzoek"
PRESTATIE = "Declaratie/Clienten/Client/Prestaties/Prestatie"
PRESTATIE_2 = "Declaratie/Clienten/Client/Prestaties/Prestatie[2]"
CONTACT = "Client/Contactgegevens/Contact"

# (rule, example, changes): the variant makes the rule fire.
FIRES = [
    ("TR002", "WMO301", [set_text("Client/Geboortedatum/Datum", "1903-08-12")]),
    ("TR002", "JW305", [set_text("Client/Geboortedatum/Datum", "1900-01-01")]),
    ("TR006", "WMO301", [remove(f"{CONTACT}/Adres/Postcode")]),
    ("TR018", "WMO307", [set_text(f"{STOP}/Einddatum", "2025-04-02")]),
    ("TR061", "WMO301", [set_text(f"{CONTACT}/Soort", "04")]),
    ("TR101", "WMO301", [duplicate(TOEGEWEZEN)]),
    ("TR101", "WMO305", [duplicate(START)]),
    ("TR101", "WMO323", [set_text(f"{PRESTATIE_2}/ProductReferentie/ReferentieNummer", "RN001")]),
    ("TR134", "WMO305", [set_text(f"{START}/Begindatum", "2025-04-06")]),
    ("TR134", "WMO301", [set_text(f"{TOEGEWEZEN}/Toewijzingsdatum", "2023-08-14")]),
    ("TR134", "JW325", [set_text("Header/DeclaratieIdentificatie/Dagtekening", "2023-05-08")]),
    ("TR137", "WMO323", [set_text("Declaratie/DeclaratieDagtekening", "2023-03-31")]),
    ("TR137", "WMO323", [set_text("Declaratie/DeclaratieDagtekening", "2023-05-07")]),
    ("TR302", "WMO301", [duplicate(TOEGEWEZEN, set_text("ToewijzingNummer", "102"))]),
    ("TR302", "JW301", [duplicate(TOEGEWEZEN, set_text("ToewijzingNummer", "999"), remove("Product"))]),
    ("TR315", "WMO323", [add_after(f"{PRESTATIE}/ProductReferentie/ReferentieNummer", "VorigReferentieNummer", "X1"),
                         add_after(f"{PRESTATIE_2}/ProductReferentie/ReferentieNummer", "VorigReferentieNummer",
                                   "X1")]),
    ("TR316", "WMO323", [add_after(f"{PRESTATIE_2}/ProductReferentie/ReferentieNummer", "VorigReferentieNummer",
                                   "RN001")]),
    ("TR335", "WMO323", [set_text(f"{PRESTATIE}/ProductPeriode/Einddatum", "2018-05-05")]),
    ("TR342", "JW325", [set_text("DeclaratieAntwoord/TotaalToegekendBedrag/TotaalBedrag", "30000")]),
    ("TR352", "WMO317", [remove(f"{VERZOEK}/OngewijzigdeProducten"), remove(f"{VERZOEK}/TeWijzigenProducten")]),
    ("TR353", "WMO317", [remove(f"{VERZOEK}/NieuweProducten"), remove(f"{VERZOEK}/TeWijzigenProducten")]),
    ("TR358", "WMO323", [set_text("Declaratie/TotaalIngediendBedrag/TotaalBedrag", "58001")]),
    ("TR358", "WMO323", [set_text(f"{PRESTATIE}/IngediendBedrag/DebetCredit", "C")]),
    ("TR377", "JW319", [remove("Antwoord/Woonplaatsbeginsel")]),
    ("TR380", "WMO317", [set_text(f"{VERZOEK}/TeWijzigenProducten/TeWijzigenProduct/Einddatum", "2023-04-02")]),
    ("TR383", "WMO315", [set_text(f"{AANGEVRAAGD}[2]/ReferentieAanbieder", "42420001")]),
    ("TR386", "WMO315", [set_text(f"{AANGEVRAAGD}[2]/Product/Categorie", "01"),
                         set_text(f"{AANGEVRAAGD}[2]/Product/Code", "ABCDE")]),
    ("TR409", "JW319", [set_text("Antwoord/RedenAfwijzingVerzoek", "7")]),
    ("TR410", "WMO317", [duplicate(f"{VERZOEK}/NieuweProducten/NieuwProduct")]),
    ("TR416", "WMO323", [set_text(f"{PRESTATIE_2}/ToewijzingNummer", "20072"),
                         set_text(f"{PRESTATIE_2}/ProductCode", "01A03")]),
    ("ELFPROEF", "WMO301", [set_text("Client/Bsn", "123456789")]),
    ("ELFPROEF", "JW323", [set_text("Declaratie/Clienten/Client/Bsn", "999900007")]),
    ("TR378", "WMO301", [set_text("Header/Afzender", "0001")]),
    ("TR378", "WMO323", [set_text("Header/Ontvanger", "9999")]),
    ("TR378", "JW325", [set_text("Header/Afzender", "0000")]),
    ("TR346", "WMO323", [set_text(f"{PRESTATIE}/IngediendBedrag/Bedrag", "5001")]),
    ("TR319", "WMO323", [set_text(f"{PRESTATIE}/ProductPeriode/Einddatum", "2023-05-01")]),
]

# (rule, example, changes): a near miss of the variant above that the rule accepts.
HOLDS = [
    ("TR002", "WMO301", [set_text("Client/Geboortedatum/Datum", "1903-08-13")]),
    ("TR002", "WMO301", [set_text("Client/Geboortedatum/Datum", "1900-01-01"),
                         add_after("Client/Geboortedatum/Datum", "DatumGebruik", "3")]),
    ("TR006", "WMO301", [remove(f"{CONTACT}/Adres/Straatnaam")]),
    ("TR018", "WMO307", [set_text(f"{STOP}/Einddatum", "2025-04-03")]),
    ("TR061", "WMO301", [set_text(f"{CONTACT}/Soort", "03")]),
    ("TR101", "WMO301", [duplicate(TOEGEWEZEN, set_text("ToewijzingNummer", "102"))]),
    ("TR101", "WMO305", [duplicate(START, set_text("Begindatum", "2025-04-04"))]),
    ("TR134", "WMO305", [set_text(f"{START}/Begindatum", "2025-04-05")]),
    ("TR137", "WMO323", [set_text("Declaratie/DeclaratieDagtekening", "2023-04-01")]),
    ("TR302", "WMO301", [duplicate(TOEGEWEZEN, set_text("ToewijzingNummer", "102"),
                                   set_text("Ingangsdatum", "2024-01-01"), set_text("Einddatum", "2024-06-30"))]),
    ("TR302", "WMO301", [duplicate(TOEGEWEZEN, set_text("ToewijzingNummer", "102"),
                                   set_text("Product/Code", "01A02"))]),
    ("TR302", "WMO301", [duplicate(TOEGEWEZEN, set_text("ToewijzingNummer", "102"), set_text("Einddatum", "2023-01-01"),
                                   add_after("Einddatum", "RedenWijziging", "13"))]),
    ("TR302", "WMO301", [set_text(f"{TOEGEWEZEN}/Product/Categorie", "11"),
                         duplicate(TOEGEWEZEN, set_text("ToewijzingNummer", "102"))]),
    ("TR315", "WMO323", [add_after(f"{PRESTATIE}/ProductReferentie/ReferentieNummer", "VorigReferentieNummer", "X1"),
                         add_after(f"{PRESTATIE_2}/ProductReferentie/ReferentieNummer", "VorigReferentieNummer",
                                   "X2")]),
    ("TR316", "WMO323", [add_after(f"{PRESTATIE_2}/ProductReferentie/ReferentieNummer", "VorigReferentieNummer",
                                   "RN000")]),
    ("TR335", "WMO323", [set_text(f"{PRESTATIE}/ProductPeriode/Einddatum", "2018-05-06")]),
    ("TR342", "JW325", []),
    ("TR352", "WMO317", [remove(f"{VERZOEK}/OngewijzigdeProducten")]),
    ("TR353", "WMO317", [remove(f"{VERZOEK}/NieuweProducten")]),
    ("TR358", "WMO323", [set_text(f"{PRESTATIE}/IngediendBedrag/DebetCredit", "C"),
                         set_text("Declaratie/TotaalIngediendBedrag/TotaalBedrag", "48000")]),
    ("TR377", "WMO319", []),
    ("TR380", "WMO317", [set_text(f"{VERZOEK}/TeWijzigenProducten/TeWijzigenProduct/Einddatum", "2023-04-03")]),
    ("TR383", "WMO315", []),
    ("TR386", "WMO315", [set_text(f"{AANGEVRAAGD}[2]/Product/Categorie", "01")]),
    ("TR409", "JW319", []),
    ("TR410", "WMO317", [duplicate(f"{VERZOEK}/NieuweProducten/NieuwProduct", set_text("GewensteIngangsdatum",
                                                                                     "2024-01-01"),
                                   set_text("Einddatum", "2024-02-01"))]),
    ("TR416", "WMO323", [set_text(f"{PRESTATIE_2}/ToewijzingNummer", "20072"),
                         set_text(f"{PRESTATIE_2}/ProductCode", "01A03"),
                         set_text(f"{PRESTATIE_2}/IngediendBedrag/DebetCredit", "C")]),
    ("ELFPROEF", "WMO301", []),
    ("TR378", "WMO301", [set_text("Header/Afzender", "0448")]),
    ("TR319", "WMO323", [set_text(f"{PRESTATIE}/ProductPeriode/Begindatum", "2023-03-01")]),
    ("TR346", "WMO323", [set_text(f"{PRESTATIE}/ProductTarief", "1251"),
                         set_text(f"{PRESTATIE}/IngediendBedrag/Bedrag", "5004")]),
]


def _case_id(case):
    return f"{case[0]}-{case[1]}"


@pytest.mark.parametrize("case", FIRES, ids=_case_id)
def test_rule_fires(reference_dir, case):
    code, example, changes = case
    findings = fired(variant(reference_dir, example, *changes))
    assert code in findings, f"{code} did not fire; got {sorted(findings)}"


@pytest.mark.parametrize("case", HOLDS, ids=_case_id)
def test_rule_holds(reference_dir, case):
    code, example, changes = case
    findings = fired(variant(reference_dir, example, *changes))
    assert code not in findings, findings.get(code)


EXAMPLES = ["WMO301", "WMO305", "WMO307", "WMO315", "WMO317", "WMO319", "WMO323", "JW301", "JW305", "JW307",
            "JW315", "JW317", "JW319", "JW325"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_valid_examples_give_no_findings(reference_dir, example):
    assert rules.check_document(load(reference_dir, example), rules.RuleContext(today=TODAY)) == []


def test_jw323_example_repeats_a_referentienummer(reference_dir):
    """The JW323 example has ReferentieNummer RN004 twice for the second client: a real TR101 violation."""
    findings = rules.check_document(load(reference_dir, "JW323"), rules.RuleContext(today=TODAY))
    assert [(f.rule, f.retourcode, f.path, f.location) for f in findings] == [
        ("TR101", "0001", "Header", "Declaratie/Clienten/Client[2]/Prestaties/Prestatie[3]")]


def test_dagtekening_in_the_future_is_8848_at_the_header(reference_dir):
    root = load(reference_dir, "WMO305")  # Dagtekening 2025-04-05
    assert "TR135" not in fired(root, rules.RuleContext(today=date(2025, 4, 5)))
    [finding] = fired(root, rules.RuleContext(today=date(2025, 4, 4)))["TR135"]
    assert (finding.retourcode, finding.path, finding.location) == ("8848", "Header",
                                                                    "Header/BerichtIdentificatie/Dagtekening")


def test_gemeentecode_finding_is_s300(reference_dir):
    [finding] = fired(variant(reference_dir, "JW323", set_text("Header/Ontvanger", "0000")))["TR378"]
    assert (finding.retourcode, finding.path, finding.location) == ("S300", "Header", "Header/Ontvanger")
    assert len(rules.RuleContext(today=TODAY).gemeentecodes) == 342


def test_productcode_must_be_in_the_tenants_list(reference_dir):
    root = load(reference_dir, "WMO301")  # ToegewezenProduct 01 / 01A01
    assert "TR381" not in fired(root, rules.RuleContext(today=TODAY))  # no list configured: not checked
    assert "TR381" not in fired(root, rules.RuleContext(today=TODAY, products={"01": frozenset({"01A01"})}))
    [finding] = fired(root, rules.RuleContext(today=TODAY, products={"01": frozenset({"01A02"})}))["TR381"]
    assert (finding.retourcode, finding.path) == ("S329", "Client/ToegewezenProducten/ToegewezenProduct")


def test_producttarief_must_be_the_contractual_tariff(reference_dir):
    root = load(reference_dir, "WMO323")  # 01A03 at 1250, 01A04 at 1500 per uur
    contract = {"01A03": rules.Tarief(1250, "04"), "01A04": rules.Tarief(1500, "04")}
    assert "TR418" not in fired(root, rules.RuleContext(today=TODAY, tariffs=contract))
    contract["01A04"] = rules.Tarief(1400, "04")
    findings = fired(root, rules.RuleContext(today=TODAY, tariffs=contract))["TR418"]
    assert [(f.retourcode, f.path) for f in findings] == [
        ("0611", "Declaratie/Clienten/Client[1]/Prestaties/Prestatie[2]"),
        ("0611", "Declaratie/Clienten/Client[2]/Prestaties/Prestatie[2]")]


def test_minutes_at_an_hourly_tariff_are_rounded_to_cents(reference_dir):
    minutes = [set_text(f"{PRESTATIE}/Eenheid", "01"), set_text(f"{PRESTATIE}/GeleverdVolume", "90"),
               remove(f"{PRESTATIE}/ProductTarief")]
    contract = rules.RuleContext(today=TODAY, tariffs={"01A03": rules.Tarief(1255, "04")})
    good = variant(reference_dir, "WMO323", *minutes, set_text(f"{PRESTATIE}/IngediendBedrag/Bedrag", "1883"))
    assert "TR346" not in fired(good, contract)  # 1255 * 90 / 60 = 1882.5 -> 1883
    bad = variant(reference_dir, "WMO323", *minutes, set_text(f"{PRESTATIE}/IngediendBedrag/Bedrag", "1882"))
    assert [f.retourcode for f in fired(bad, contract)["TR346"]] == ["9346"]


def test_a_rule_applies_only_to_its_messages(reference_dir):
    # TR018 is listed for 307 only: a 305 is not checked for it even where it has dates.
    assert all(r.applies_to("WMO307") for r in rules.rules_for("iwmo", "WMO307") if r.code == "TR018")
    assert not [r for r in rules.rules_for("iwmo", "WMO305") if r.code == "TR018"]


def test_not_a_message_is_a_clear_error():
    from lxml import etree
    with pytest.raises(rules.NotAnIStandaardenMessage, match="not an iWmo/iJw 3.2 message"):
        rules.check_document(etree.fromstring("<Bericht/>"), rules.RuleContext(today=TODAY))
