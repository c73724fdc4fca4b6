"""The rules across messages, against each Register (`new_register`): each fires on a variant and holds on another."""
from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from connectors.istandaarden import rules
from connectors.istandaarden.rules.register import Declaratie, Prestatie, Toewijzing
from rules_support import (
    AGB, CONTEXT, TENANT, accepted, add_after, earlier_prestatie, fired_with, load, remove, set_text, toewijzing,
    variant,
)

P1 = "Declaratie/Clienten/Client/Prestaties/Prestatie"  # Client 999900006, ToewijzingNummer 20072, 01/01A03


async def declaratie_register(new_register, first: dict | None = None, extra: list | None = None):
    """The four ToegewezenProducten the WMO323 example declares; `first` changes the one of its first Prestatie."""
    register = await new_register()
    await register.add([
        dataclasses.replace(toewijzing("999900006", "20072", "01A03"), **(first or {})),
        toewijzing("999900006", "200730", "01A04"),
        toewijzing("999900018", "20074", "01A03"),
        toewijzing("999900018", "20073", "01A04"),
    ] + (extra or []))
    return register


async def test_the_declaratie_example_fits_its_toewijzingen(reference_dir, new_register):
    assert await fired_with(await declaratie_register(new_register), load(reference_dir, "WMO323")) == {}


CREDIT_P1 = [set_text(f"{P1}/IngediendBedrag/DebetCredit", "C"),
             set_text("Declaratie/TotaalIngediendBedrag/TotaalBedrag", "48000"),
             add_after(f"{P1}/ProductReferentie/ReferentieNummer", "VorigReferentieNummer", "OLD1")]
MINUTES_P1 = [set_text(f"{P1}/Eenheid", "01"), set_text(f"{P1}/GeleverdVolume", "240")]

# (rule, changes of the first Prestatie's Toewijzing, earlier records, changes of the message)
FIRES = [
    ("TR338", {"toewijzingnummer": "99999"}, [], []),
    ("TR338", {"bsn": "999900018"}, [], []),
    ("TR339", {"categorie": "02"}, [], []),
    ("TR340", {"code": "01A99"}, [], []),
    ("TR341", {"eenheid": "14"}, [], []),
    ("TR384", {"reden_wijziging": "13"}, [], []),
    ("TR307", {"ingangsdatum": date(2023, 4, 2)}, [], []),
    ("TR308", {"einddatum": date(2023, 4, 29)}, [], []),
    ("TR387", {}, [], [set_text(f"{P1}/ProductPeriode/Begindatum", "2023-04-02")]),
    ("TR388", {}, [], [set_text(f"{P1}/ProductPeriode/Einddatum", "2023-04-29")]),
    ("TR321", {"volume": 3}, [], []),
    ("TR321", {"volume": 3}, [], MINUTES_P1),
    ("TR322", {"volume": 10, "frequentie": "6"}, [earlier_prestatie("OLD1", volume=7)], []),
    ("TR369", {"budget": 4999}, [], []),
    ("TR369", {"budget": 6000}, [earlier_prestatie("OLD1", bedrag=1001)], []),
    ("TR333", {}, [Declaratie("iwmo", "0363", AGB, "DN001", date(2023, 3, 1), date(2023, 3, 31), None, "D0")], []),
    ("TR314", {}, [earlier_prestatie("RN001", begindatum=date(2023, 3, 1), einddatum=date(2023, 3, 31))], []),
    ("TR323", {}, [], CREDIT_P1),
    ("TR389", {}, [earlier_prestatie("OLD1")], []),
    ("TR390", {}, [earlier_prestatie("OLD1"), earlier_prestatie("OLD2", "C", vorig_referentienummer="OLD1")],
     CREDIT_P1),
]
HOLDS = [
    ("TR341", {}, [], MINUTES_P1),
    ("TR307", {"ingangsdatum": date(2023, 4, 1)}, [], []),
    ("TR308", {"einddatum": None}, [], []),
    ("TR387", {"ingangsdatum": date(2023, 4, 2)}, [], [set_text(f"{P1}/ProductPeriode/Begindatum", "2023-04-02")]),
    ("TR388", {"einddatum": date(2023, 4, 29)}, [], [set_text(f"{P1}/ProductPeriode/Einddatum", "2023-04-29")]),
    ("TR321", {"volume": 4}, [], []),
    ("TR321", {"volume": 4}, [], MINUTES_P1),
    ("TR321", {"volume": 1, "frequentie": "2"}, [], []),  # huishoudelijke hulp: up to 6 weeks in a month
    ("TR322", {"volume": 10, "frequentie": "6"}, [earlier_prestatie("OLD1", volume=6)], []),
    ("TR322", {"volume": 10, "frequentie": "6"},
     [earlier_prestatie("OLD1", volume=7), earlier_prestatie("OLD2", "C", volume=7, vorig_referentienummer="OLD1")],
     []),
    ("TR369", {"budget": 5000}, [], []),
    ("TR333", {}, [Declaratie("iwmo", "0384", "99999999", "DN001", date(2023, 3, 1), date(2023, 3, 31), None,
                              "D0")], []),
    ("TR323", {}, [earlier_prestatie("OLD1")], CREDIT_P1),
    ("TR389", {}, [earlier_prestatie("OLD1"), earlier_prestatie("OLD2", "C", vorig_referentienummer="OLD1")], []),
    ("TR389", {}, [earlier_prestatie("OLD1", begindatum=date(2023, 3, 1), einddatum=date(2023, 3, 31))], []),
    ("TR390", {}, [earlier_prestatie("OLD1")], CREDIT_P1),
]


def _case_id(case):
    return case[0]


async def _run(new_register, reference_dir, case):
    code, first, earlier, changes = case
    register = await declaratie_register(new_register, first, earlier)
    return code, await fired_with(register, variant(reference_dir, "WMO323", *changes))


@pytest.mark.parametrize("case", FIRES, ids=_case_id)
async def test_rule_fires(reference_dir, new_register, case):
    code, findings = await _run(new_register, reference_dir, case)
    assert code in findings, f"{code} did not fire; got {sorted(findings)}"
    assert all(f.path.startswith("Declaratie") for f in findings[code])
    expected = next(r.retourcode for r in rules.all_rules("iwmo") if r.code == code)
    assert {f.retourcode for f in findings[code]} == {expected}


@pytest.mark.parametrize("case", HOLDS, ids=_case_id)
async def test_rule_holds(reference_dir, new_register, case):
    code, findings = await _run(new_register, reference_dir, case)
    assert code not in findings, findings.get(code)


async def test_finding_addresses_the_prestatie(reference_dir, new_register):
    _, findings = await _run(new_register, reference_dir, FIRES[2])  # TR339 on the first Prestatie
    [finding] = findings["TR339"]
    assert (finding.retourcode, finding.path, finding.klasse, finding.location) == (
        "9339", "Declaratie/Clienten/Client[1]/Prestaties/Prestatie[1]", "Prestatie",
        "Declaratie/Clienten/Client[1]/Prestaties/Prestatie[1]/ProductCategorie")


# -- start and stop (iJw): the JW301 example allocates, JW305 starts and JW307 stops between the same parties --

def jw(reference_dir, name, *changes):
    """The example between the parties of the JW301 example: provider 42420001 and gemeente 0384."""
    return variant(reference_dir, name, set_text("Header/Afzender", "42420001"), set_text("Header/Ontvanger", "0384"),
                   *changes)


START, STOP = "Client/StartProducten/StartProduct", "Client/StopProducten/StopProduct"


def both(path: str, first: str, second: str | None = None):
    """Set a value in both products of the JW305 or JW307 example."""
    return [set_text(path, first), set_text(path.replace("Product/", "Product[2]/", 1), second or first)]


REFERENCES = "Client/ToegewezenProducten/ToegewezenProduct/ReferentieAanbieder"
A = ("JW301", remove(REFERENCES), remove(REFERENCES))  # allocated without a request: no ReferentieAanbieder
S, T = ("JW305",), ("JW307",)  # the examples as they are
RESTART = ("JW305", *both(f"{START}/Begindatum", "2026-04-04", "2026-04-14"))
TEMPORARY_STOP = ("JW307", *both(f"{STOP}/RedenBeeindiging", "20"))
# (expected rules, earlier messages, the message checked): a variant is a tuple (example, *changes).
SCENARIOS = [
    ({"TR019"}, [], S),
    ({"TR074"}, [A, S], S),
    (set(), [A, S], ("JW305", *both(f"{START}/StatusAanlevering", "2"))),
    ({"TR326"}, [A, S], RESTART),
    (set(), [A, S, T], RESTART),
    (set(), [A, S], ("JW305", *both(f"{START}/StatusAanlevering", "3"))),
    ({"TR063"}, [A], ("JW305", *both(f"{START}/StatusAanlevering", "3"))),
    ({"TR071"}, [A, S, T], ("JW305", *both(f"{START}/StatusAanlevering", "3"))),
    (set(), [A, S], T),
    ({"TR382", "TR069"}, [A], T),
    ({"TR074", "TR415"}, [A, S, T], T),
    ({"TR413"}, [A, S, TEMPORARY_STOP], ("JW307", *both(f"{STOP}/RedenBeeindiging", "20"),
                                         *both(f"{STOP}/Einddatum", "2026-07-18"))),
    ({"TR414"}, [A, S, TEMPORARY_STOP], ("JW307", *both(f"{STOP}/Einddatum", "2026-07-16"))),
    (set(), [A, S, TEMPORARY_STOP], ("JW307", *both(f"{STOP}/Einddatum", "2026-07-18"))),
    (set(), [A, S, T], ("JW307", *both(f"{STOP}/StatusAanlevering", "3"))),
    ({"TR063"}, [A, S], ("JW307", *both(f"{STOP}/StatusAanlevering", "3"))),
]


@pytest.mark.parametrize("case", SCENARIOS, ids=lambda case: "+".join(sorted(case[0])) or "none")
async def test_start_and_stop_scenarios(reference_dir, new_register, case):
    """The earlier messages accepted (A: the JW301 example allocating 300201 and 300202), then one checked."""
    expected, earlier, checked = case
    register = await new_register()
    for number, (name, *changes) in enumerate(earlier):
        identified = [*changes, set_text("Header/BerichtIdentificatie/Identificatie", f"ID{number}")]
        root = variant(reference_dir, name, *identified) if name == "JW301" else jw(reference_dir, name, *identified)
        assert await accepted(register, root) == []
    name, *changes = checked
    findings = await rules.check_message(jw(reference_dir, name, *changes), CONTEXT, register)
    assert {f.rule for f in findings} == expected
    assert all(f.path.startswith(("Client/StartProducten/StartProduct[", "Client/StopProducten/StopProduct["))
               for f in findings)


# -- extracting register records --

def test_records_of_a_toewijzing(reference_dir):
    records = rules.records_from_message(load(reference_dir, "JW301"))
    assert [type(r).__name__ for r in records] == ["Bericht", "Toewijzing", "Toewijzing"]
    first = records[1]
    assert (first.standard, first.tenant, first.agb, first.toewijzingnummer, first.categorie, first.code) == (
        "ijw", "0384", "42420001", "300201", "55", "55A11")


def test_rejected_records_are_not_recorded(reference_dir):
    root = load(reference_dir, "JW301")
    product = rules.Finding("TR019", "9019", "Client/ToegewezenProducten/ToegewezenProduct[1]", "", "")
    kept = rules.records_from_message(root, [product])
    assert [r.toewijzingnummer for r in kept if isinstance(r, Toewijzing)] == ["300202"]
    whole = rules.Finding("TR101", "0001", "Header", "", "")
    assert rules.records_from_message(root, [whole]) == []


def test_records_of_a_declaratie_and_its_answer(reference_dir):
    declaratie = rules.records_from_message(load(reference_dir, "WMO323"))
    prestaties = [r for r in declaratie if isinstance(r, Prestatie)]
    assert [(p.bsn, p.referentienummer, p.signed_bedrag) for p in prestaties][:2] == [
        ("999900006", "RN001", 5000), ("999900006", "RN002", 24000)]
    answer = rules.records_from_message(load(reference_dir, "JW325"))
    assert [r.referentienummer for r in answer if type(r).__name__ == "Afwijzing"] == ["RN001", "RN002", "RN003"]


async def test_a_later_toewijzing_replaces_the_earlier(reference_dir, new_register):
    register = await declaratie_register(new_register)
    await register.add([toewijzing("999900006", "20072", "01A03", einddatum=date(2023, 4, 15))])
    [current] = await register.toewijzingen("iwmo", TENANT, toewijzingnummer="20072")
    assert current.einddatum == date(2023, 4, 15)


async def test_rejected_prestaties_do_not_count(reference_dir, new_register):
    register = await declaratie_register(new_register, extra=[earlier_prestatie("OLD1")])
    assert await register.prestaties("iwmo", AGB, referentienummer="OLD1")
    await register.add([rules.records_from_message(load(reference_dir, "WMO323"))[0]])
    from connectors.istandaarden.rules.register import Afwijzing
    await register.add([Afwijzing("iwmo", TENANT, AGB, "DN000", "OLD1", "A1")])
    assert await register.prestaties("iwmo", AGB, referentienummer="OLD1") == []


# Rules that hold in test_the_declaratie_example_fits_its_toewijzingen, which expects no finding at all.
BASELINE_HOLDS = {"TR338", "TR339", "TR340", "TR384", "TR314", "TR304", "TR056"}
