"""The official CORV compliancy scenarios (testset 1.0.1, sheet "JZA": a municipal application over StUF/SOAP).

Every step row of the sheet is one test, parametrised from the CSV. The municipality is Texel (0448); CORV's
test platform (STP/DKA) is a pytest-httpserver over mutual TLS that checks what it receives against the schemas
and answers Bv04 (received) or Fo03, as the scenarios describe.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree
from pytest_httpserver import HTTPServer
from werkzeug import Response

import corv_messages as m
from connectors.corv import soap
from connectors.corv.inbound import MemoryDuplicateRegister, Receiver
from connectors.corv.outbound import CorvClient
from connectors.corv.schemas import default_schema_set
from connectors.corv.stuf import StufFout, build_bv03, build_fo03, read_stuurgegevens
from gateway.tls import client_ssl_context, server_ssl_context

CSV_PATH = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "corv" / \
    "corv-compliancy-scenarios-1.0.1.csv"


@dataclass(frozen=True)
class Step:
    scenario: str
    volgnummer: int
    berichttype: str
    actie: str

    @property
    def id(self) -> str:
        return f"{self.scenario.replace(' ', '')}-{self.volgnummer}-{self.berichttype.split()[0]}"


def jza_steps() -> list[Step]:
    """The step rows of sheet JZA (columns: sheet, row, then the sheet's cells)."""
    steps, scenario = [], None
    with open(CSV_PATH, encoding="utf-8", newline="") as handle:
        for sheet, _row, *cells in csv.reader(handle):
            if sheet != "JZA" or not cells:
                continue
            if cells[0].startswith("SCN"):
                scenario = cells[0].strip()
            elif cells[0].isdigit() and len(cells) >= 4 and scenario:
                steps.append(Step(scenario, int(cells[0]), cells[2].strip(), cells[3]))
    return steps


def _steps_or_reason():
    if not CSV_PATH.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"compliancy scenarios not found at {CSV_PATH}"))]
    return [pytest.param(step, id=step.id) for step in jza_steps()]


# The VTOs of SCN 1 (step → what its Actie asks for) and SCN 2.
MOEDER = m.Gezagsdrager("Jansen", bsn="999990081", telefoon="0612345678")
VADERS = [m.Gezagsdrager(f"Vader{i}", bsn=bsn) for i, bsn in enumerate(("999990093", "999990111", "999990123"), 1)]
DRIE_KINDEREN = [m.Kind(bsn=bsn, geboortedatum="20150601") for bsn in ("999990019", "999990020", "999990032")]
VTOS = {
    ("SCN 1 - vto 1", 1): m.Vto([m.Kind(bsn="999990019", geboortedatum="20150601")],
                               [m.Gezagsdrager("Smit", bsn="999990135", telefoon="0612345678", rol="voogd")]),
    ("SCN 1 - vto 1", 5): m.Vto([m.Kind(rni="12345678901234567", geboortedatum=None)],
                               [m.Gezagsdrager("Stichting Jeugdbescherming", vestiging=True)]),
    ("SCN 1 - vto 1", 9): m.Vto([m.Kind(ongeboren=True, geboortedatum="20251001")], [MOEDER]),
    ("SCN 1 - vto 1", 13): m.Vto([m.Kind(ongeboren=True, geboortedatum="20251001"),
                                 m.Kind(bsn="999990019", geboortedatum="20150000")], [MOEDER, VADERS[0]]),
    ("SCN 1 - vto 1", 17): m.Vto([m.Kind(ongeboren=True, geboortedatum="20251001"), *DRIE_KINDEREN], [MOEDER]),
    ("SCN 1 - vto 1", 21): m.Vto(DRIE_KINDEREN[:1], [MOEDER],
                                bijlagen=["application/pdf", "image/jpeg", "application/msword"]),
    ("SCN 1 - vto 1", 25): m.Vto(DRIE_KINDEREN, [
        m.Gezagsdrager(d.geslachtsnaam, bsn=d.bsn, geinformeerd="false") for d in [MOEDER, *VADERS]]),
    ("SCN 1 - vto 1", 29): m.Vto(DRIE_KINDEREN, [
        m.Gezagsdrager(MOEDER.geslachtsnaam, bsn=MOEDER.bsn, geinformeerd="false",
                       reden_niet_geinformeerd="veiligheid van het kind"),
        *(m.Gezagsdrager(d.geslachtsnaam, bsn=d.bsn, geinformeerd="true") for d in VADERS)]),
    ("SCN 1 - vto 1", 33): m.Vto(DRIE_KINDEREN, [
        m.Gezagsdrager(d.geslachtsnaam, bsn=d.bsn, geinformeerd="true") for d in (MOEDER, VADERS[0])]),
    ("SCN 2 - vto 2", 1): m.Vto([m.Kind(bsn="999990019", geboortedatum="20150601")], [MOEDER]),
}
# Incoming messages (step → builder), and for a Bv03 step the message it confirms (the step before it).
INCOMING = {
    ("SCN 3 - not 1", 1): lambda: m.notificatie_di01("Intake afgerond", referentienummer="NOT-1"),
    ("SCN 3 - not 1", 3): lambda: m.notificatie_di01("Onderzoek afgerond", referentienummer="NOT-3"),
    ("SCN 3 - not 1", 5): lambda: m.notificatie_di01(bsn=None, rni="12345678901234567", geboortedatum=None,
                                                     referentienummer="NOT-5"),
    ("SCN 3 - not 1", 7): lambda: m.notificatie_di01(bsn=None, geboortedatum=None,
                                                     moeder="Çelik-Ærøe Ŀœuvre", referentienummer="NOT-7"),
    ("SCN 3 - not 1", 9): lambda: m.notificatie_di01(bsn=None, referentienummer="NOT-9"),
    ("SCN 3 - not 1", 11): lambda: m.notificatie_di01("Zaak afgerond", referentienummer="NOT-11"),
    ("SCN 4 - not 2", 1): lambda: m.notificatie_di01(vto_zaak=None, ambtshalve="Ambtshalve onderzoek gestart",
                                                     referentienummer="NOT-AMB-1"),
    ("SCN 4 - not 2", 3): lambda: m.notificatie_di01(vto_zaak=None, ambtshalve="Ambtshalve onderzoek afgerond",
                                                     referentienummer="NOT-AMB-3"),
    ("SCN 6 - zm 1", 1): lambda: m.zorgmelding_di01(referentienummer="ZM-1"),
    ("SCN 8 - zm 2", 1): lambda: m.zorgmelding_di01(referentienummer="ZM-4"),
    ("SCN 8 - zm 2", 5): lambda: m.zorgmelding_di01(referentienummer="ZM-4"),
    ("SCN 9 - notjr 1", 1): lambda: m.notificatiejr_di01(("OM", "CORV"), referentienummer="NOTJR-1"),
    ("SCN 9 - notjr 1", 3): lambda: m.notificatiejr_di01(("RvdK", "CORV"), referentienummer="NOTJR-3"),
}


@pytest.fixture(scope="module")
def stp(dev_pki):
    """CORV's test platform: mutual TLS, schema check, Bv04 or Fo03; it keeps what it received."""
    context = server_ssl_context(dev_pki.server.cert, dev_pki.server.key, [dev_pki.ca_cert])
    server = HTTPServer(host="localhost", port=0, ssl_context=context)
    server.received = []

    def answer(request):
        message = soap.body_payload(request.get_data())
        server.received.append(message)
        problems = default_schema_set().validate(message)
        received = read_stuurgegevens(message)
        if problems:
            fout = build_fo03(StufFout("StUF055", str(problems[0])), received)
            return Response(soap.fault_envelope("Client", fout.findtext(".//{*}omschrijving"), fout), 500)
        bv04 = build_bv03(received)
        bv04.tag = bv04.tag.replace("Bv03", "Bv04")
        bv04.find("{*}stuurgegevens/{*}berichtcode").text = "Bv04"
        return Response(soap.envelope(bv04), 200, content_type=soap.CONTENT_TYPE)

    server.expect_request("/corv/ontvangAsynchroon", method="POST").respond_with_handler(answer)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture(scope="module")
def client(stp, dev_pki):
    context = client_ssl_context(dev_pki.ca_cert, dev_pki.gateway_client.cert, dev_pki.gateway_client.key)
    return CorvClient(context, stp.url_for("/corv/ontvangAsynchroon"))


def receive(message: etree._Element, register=None):
    return Receiver(gemeentecodes={"0448"}).handle(m.soap_request(message), register or MemoryDuplicateRegister())


def confirmed_message(step: Step) -> etree._Element:
    """The incoming message a Bv03 step confirms: the step before it, or for SCN 2 the Fo01 on our VTO."""
    if step.scenario == "SCN 2 - vto 2":
        return m.answer_from_corv("Fo01", VTOS[(step.scenario, 1)].referentienummer, fout="StUF058")
    if step.scenario == "SCN 10 - zmtk 1" or step.scenario == "SCN 1 - vto 1":
        return m.answer_from_corv("Bv01", "ZMTK-1" if "zmtk" in step.scenario else "VTO-1")
    return INCOMING[(step.scenario, step.volgnummer - 1)]()


def outgoing(scenario: str, volgnummer: int) -> etree._Element:
    """What the municipality sends in a step: a VTO, a zorgmeldingTerugkoppeling or its Bv01 on a zorgmelding."""
    if (scenario, volgnummer) in VTOS:
        return m.vto_di01(VTOS[(scenario, volgnummer)])
    if "zmtk" in scenario:
        return m.zorgmelding_terugkoppeling_di01("Vervolgactie nodig", referentienummer="ZMTK-1")
    return m.answer_from_corv("Bv01", "ZM-1")


@pytest.mark.parametrize("step", _steps_or_reason())
async def test_jza_scenario_step(step: Step, stp, client):
    kind, key = step.berichttype.split()[0].replace("-", ""), (step.scenario, step.volgnummer)
    if kind in ("vtoDi01", "zorgmeldingTerugkoppelingDi01") or (kind == "Bv01" and "TTA stuurt" in step.actie):
        message = outgoing(*key)
        result = await client.send(message)
        assert result.accepted, result.fout
        assert etree.tostring(stp.received[-1], method="c14n", exclusive=True) == \
            etree.tostring(message, method="c14n", exclusive=True)
    elif kind == "Bv04":
        # The STP's technical confirmation of what the municipality sent in the step before.
        message = outgoing(step.scenario, step.volgnummer - 1)
        result = await client.send(message)
        assert (result.berichtcode, result.accepted) == ("Bv04", True)
        assert result.stuurgegevens.cross_refnummer == read_stuurgegevens(message).referentienummer
    elif kind in ("Bv01", "Fo01"):
        answer = receive(confirmed_message(step) if kind == "Fo01" else m.answer_from_corv("Bv01", "VTO-1"))
        assert answer.accepted and answer.received.gemeentecode == "0448"
        if kind == "Fo01":
            assert answer.received.stuurgegevens.cross_refnummer == VTOS[(step.scenario, 1)].referentienummer
    elif key in INCOMING:
        answer = receive(INCOMING[key]())
        assert answer.status == 200 and answer.accepted, answer.fout
        assert answer.received.name == kind and answer.received.gemeentecode == "0448"
    elif kind == "Bv03":
        message = confirmed_message(step)
        answer = receive(message)
        bv03 = soap.body_payload(answer.body)
        assert default_schema_set().validate(bv03) == []
        sent = read_stuurgegevens(message)
        confirmation = read_stuurgegevens(bv03)
        assert (confirmation.berichtcode, confirmation.cross_refnummer) == ("Bv03", sent.referentienummer)
        assert (confirmation.zender, confirmation.ontvanger) == (sent.ontvanger, sent.zender)
    elif kind == "Fo03":
        register = MemoryDuplicateRegister()
        first = receive(INCOMING[(step.scenario, 1)](), register)
        again = receive(INCOMING[(step.scenario, 5)](), register)
        assert first.accepted and not again.accepted
        fo03 = soap.fault_detail(soap.body_payload(again.body))
        assert fo03.findtext("{*}body/{*}code") == "StUF016"
        assert default_schema_set().validate(fo03) == []
    else:
        pytest.fail(f"no test for step {step}")
