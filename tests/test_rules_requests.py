"""Rules across messages on requests (317), answers (319), allocations (301), identification and 325 answers."""
from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from connectors.istandaarden import rules
from connectors.istandaarden.retour import build_retour
from connectors.istandaarden.rules.register import Antwoord, Bericht, Verzoek
from rules_support import (
    AGB, TENANT, add_after, earlier_prestatie, fired_with, load, remove, set_text, toewijzing, variant,
)

TE_WIJZIGEN = "Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct"
ONGEWIJZIGD = "Client/Verzoek/OngewijzigdeProducten/OngewijzigdProduct"
BSN = "999900006"


def verzoek(reference: str, **changes) -> Verzoek:
    return dataclasses.replace(Verzoek("iwmo", TENANT, AGB, BSN, "WMO317", reference, date(2023, 3, 1), "V0"),
                               **changes)


def antwoord(reference: str, verzoek_antwoord: str) -> Antwoord:
    return Antwoord("iwmo", TENANT, AGB, reference, verzoek_antwoord, None, "A0")


def current_toewijzingen(ongewijzigd: dict | None = None, te_wijzigen: dict | None = None) -> list:
    """What the WMO317 example asks about: 10071 unchanged, 10072 (generic begeleiding from the Dagtekening) to
    change; the example's NieuwProduct is 01/01A12 from the Dagtekening."""
    return [
        toewijzing(BSN, "10071", "01A01", **(ongewijzigd or {})),
        toewijzing(BSN, "10072", None, **{"categorie": "02", "ingangsdatum": date(2023, 4, 2), **(te_wijzigen or {})}),
    ]


BUDGET_LATER = [set_text(f"{TE_WIJZIGEN}/GewensteIngangsdatum", "2023-05-01"),
                add_after(f"{TE_WIJZIGEN}/Einddatum", "Budget", "100000")]
OMVANG = [add_after(f"{TE_WIJZIGEN}/Einddatum", "Omvang", "")]

# (rule, example, earlier records, changes of the message): the rule fires / holds.
FIRES = [
    ("TR347", "WMO317", current_toewijzingen() + [verzoek("9003"), antwoord("9003", "1")], []),
    ("TR374", "WMO317", current_toewijzingen() + [verzoek("8000")], []),
    ("TR349", "WMO317", current_toewijzingen() + [toewijzing(BSN, "10073", "01A02")], []),
    ("TR350", "WMO317", current_toewijzingen(), [set_text(f"{ONGEWIJZIGD}/ToewijzingNummer", "99999")]),
    ("TR350", "WMO317", current_toewijzingen({"einddatum": date(2023, 4, 1)}), []),
    ("TR351", "WMO317", current_toewijzingen(), [set_text(f"{TE_WIJZIGEN}/ToewijzingNummer", "99999")]),
    ("TR357", "WMO317", current_toewijzingen(te_wijzigen={"ingangsdatum": date(2023, 3, 1)}), []),
    ("TR373", "WMO317", current_toewijzingen(te_wijzigen={"ingangsdatum": date(2023, 3, 1)}), BUDGET_LATER),
    ("TR411", "WMO317", current_toewijzingen(te_wijzigen={"code": "01A02"}), []),
    ("TR412", "WMO317", current_toewijzingen(), OMVANG),
    ("TR375", "WMO317", current_toewijzingen(te_wijzigen={"categorie": None}), OMVANG),
    ("TR304", "WMO317", [], []),
    ("TR361", "WMO317", current_toewijzingen({"code": "01A12"}), []),
    ("TR361", "WMO317", current_toewijzingen(te_wijzigen={"categorie": "01"}), []),
    ("TR359", "WMO319", [toewijzing(BSN, "10071", "01A01", referentie_aanbieder="9003")], []),
    ("TR360", "WMO319", [antwoord("9003", "2")], [set_text("Antwoord/VerzoekAntwoord", "2")]),
    ("TR365", "WMO319", [antwoord("9003", "1")], []),
    ("TR056", "WMO319", [Bericht("iwmo", "WMO319", TENANT, "876543219", None)], []),
]
HOLDS = [
    ("TR347", "WMO317", current_toewijzingen() + [verzoek("9002"), antwoord("9002", "1")], []),
    ("TR374", "WMO317", current_toewijzingen() + [verzoek("8000"), antwoord("8000", "1")], []),
    ("TR374", "WMO317", current_toewijzingen({"referentie_aanbieder": "8000"}) + [verzoek("8000")], []),
    ("TR374", "WMO317", current_toewijzingen() + [verzoek("8000", bsn="999900018")], []),
    ("TR349", "WMO317", current_toewijzingen() + [toewijzing(BSN, "10073", "01A02", einddatum=date(2023, 4, 1))], []),
    ("TR349", "WMO317", current_toewijzingen() + [toewijzing(BSN, "10073", "01A02", ingangsdatum=date(2023, 6, 1),
                                                             einddatum=date(2023, 6, 1), reden_wijziging="13")], []),
    ("TR350", "WMO317", current_toewijzingen({"einddatum": None}), []),
    ("TR357", "WMO317", current_toewijzingen(te_wijzigen={"ingangsdatum": date(2023, 3, 1)}),
     [set_text(f"{TE_WIJZIGEN}/GewensteIngangsdatum", "2023-04-03")]),
    ("TR373", "WMO317", current_toewijzingen(te_wijzigen={"ingangsdatum": date(2023, 3, 1), "budget": 100000}),
     BUDGET_LATER),
    ("TR411", "WMO317", current_toewijzingen(te_wijzigen={"code": "01A02"}), OMVANG),
    ("TR412", "WMO317", current_toewijzingen(te_wijzigen={"code": "01A02"}), OMVANG),
    ("TR412", "WMO317", current_toewijzingen(te_wijzigen={"einddatum": date(2020, 12, 31)}), OMVANG),
    ("TR361", "WMO317", current_toewijzingen({"code": "01A12", "einddatum": date(2023, 4, 1)}),
     [remove(ONGEWIJZIGD)]),
    ("TR361", "WMO317", current_toewijzingen({"code": "01A12"}),
     [set_text("Client/Verzoek/NieuweProducten/NieuwProduct/GewensteIngangsdatum", "2024-01-01"),
      set_text("Client/Verzoek/NieuweProducten/NieuwProduct/Einddatum", "2024-06-30")]),
    ("TR359", "WMO319", [toewijzing(BSN, "10071", "01A01", referentie_aanbieder="9002")], []),
    ("TR360", "WMO319", [], [set_text("Antwoord/VerzoekAntwoord", "2")]),
    ("TR365", "WMO319", [antwoord("9003", "2")], []),
    ("TR056", "WMO319", [Bericht("iwmo", "WMO319", "0363", "876543219", None)], []),
]


async def _fired(new_register, reference_dir, case):
    code, example, earlier, changes = case
    register = await new_register()
    await register.add(earlier)
    return code, await fired_with(register, variant(reference_dir, example, *changes))


async def test_the_examples_fit_their_history(reference_dir, new_register):
    register = await new_register()
    await register.add(current_toewijzingen())
    assert await fired_with(register, load(reference_dir, "WMO317")) == {}
    assert await fired_with(await new_register(), load(reference_dir, "WMO319")) == {}


@pytest.mark.parametrize("case", FIRES, ids=lambda case: case[0])
async def test_rule_fires(reference_dir, new_register, case):
    code, findings = await _fired(new_register, reference_dir, case)
    assert code in findings, f"{code} did not fire; got {sorted(findings)}"
    expected = next(r.retourcode for r in rules.all_rules("iwmo") if r.code == code)
    assert {f.retourcode for f in findings[code]} == {expected}


@pytest.mark.parametrize("case", HOLDS, ids=lambda case: case[0])
async def test_rule_holds(reference_dir, new_register, case):
    code, findings = await _fired(new_register, reference_dir, case)
    assert code not in findings, findings.get(code)


# -- allocations (WMO301: gemeente 0384 to provider 42420001, ToewijzingNummer 101 with ReferentieAanbieder) --

def allocated(nummer: str = "101", **changes):
    fields = {"tenant": "0384", "agb": "42420001", "ingangsdatum": date(2023, 1, 1), **changes}
    return toewijzing(BSN, nummer, "01A01", **fields)


def requested(**changes) -> Verzoek:
    return verzoek("42420002", agb="42420001", **changes)


REMOVED = [add_after("Client/ToegewezenProducten/ToegewezenProduct/Einddatum", "RedenWijziging", "13")]
ON_101 = {"agb": "42420001", "toewijzingnummer": "101", "code": "01A01"}
ALLOCATION_CASES = [
    ({"TR379"}, [], []),
    (set(), [requested()], []),
    ({"TR379"}, [requested(bsn="999900018")], []),
    ({"TR332"}, [requested(), allocated(bsn="999900018")], []),
    (set(), [requested(), allocated()], []),
    ({"TR385"}, [requested(), allocated(), earlier_prestatie("P1", **ON_101)], REMOVED),
    (set(), [requested(), allocated(), earlier_prestatie("P1", **ON_101),
             earlier_prestatie("P2", "C", vorig_referentienummer="P1", **ON_101)], REMOVED),
    ({"TR056"}, [requested(), Bericht("iwmo", "WMO301", "0384", "123456789012", None)], []),
]


@pytest.mark.parametrize("case", ALLOCATION_CASES, ids=lambda case: "+".join(sorted(case[0])) or "none")
async def test_allocation_rules(reference_dir, new_register, case):
    expected, earlier, changes = case
    register = await new_register()
    await register.add(earlier)
    assert set(await fired_with(register, variant(reference_dir, "WMO301", *changes))) == expected


# -- the Declaratie-antwoord (325) the retour builder makes for the WMO323 example --

async def _answered(new_register, reference_dir, *changes):
    register = await new_register()
    declaratie = load(reference_dir, "WMO323")
    await register.add([toewijzing(b, n, c) for b, n, c in (
        (BSN, "20072", "01A03"), (BSN, "200730", "01A04"), ("999900018", "20074", "01A03"),
        ("999900018", "20073", "01A04"))])
    await register.add(rules.records_from_message(declaratie))
    answer = build_retour(declaratie, {"Prestatie": {"#2": ["9339"]}})
    for change in changes:
        change(answer)
    return await fired_with(register, answer)


async def test_declaratie_antwoord_fits_the_declaratie(reference_dir, new_register):
    assert await _answered(new_register, reference_dir) == {}


PRESTATIE_325 = "DeclaratieAntwoord/Clienten/Client/Prestaties/Prestatie"


@pytest.mark.parametrize("code, change", [
    ("TR366", set_text(f"{PRESTATIE_325}/ProductReferentie/ReferentieNummer", "RN999")),
    ("TR367", set_text(f"{PRESTATIE_325}/GeleverdVolume", "17")),
    ("TR304", set_text("DeclaratieAntwoord/Clienten/Client/Bsn", "999900018")),
])
async def test_declaratie_antwoord_rules_fire(reference_dir, new_register, code, change):
    findings = await _answered(new_register, reference_dir, change)
    assert set(findings) == {code}
    [finding] = findings[code]
    assert finding.path == "DeclaratieAntwoord/Clienten/Client/Prestaties/Prestatie"


async def test_declaratie_for_a_client_without_toewijzing_is_8187(reference_dir, new_register):
    register = await new_register()
    await register.add([toewijzing(BSN, n, c) for n, c in (("20072", "01A03"), ("200730", "01A04"))])
    findings = await fired_with(register, load(reference_dir, "WMO323"))
    assert [(f.retourcode, f.path) for f in findings["TR304"]] == [("8187", "Declaratie/Clienten/Client[2]")]


# Rules that hold in test_the_examples_fit_their_history, test_declaratie_antwoord_fits_the_declaratie (no
# finding at all) and the allocation cases.
BASELINE_HOLDS = {"TR056", "TR304", "TR332", "TR351", "TR366", "TR367", "TR375", "TR379", "TR385"}
ANSWER_FIRES = {"TR366", "TR367", "TR304"}
