"""Test messages of the StUF-koppelvlak Jeugdzorg, written for this project from the jz0100 facts.

Every builder returns the StUF message element (the SOAP Body content). Names, BSNs (9999… test range) and
documents are invented. Parameters follow what the compliancy scenarios vary: children identified by BSN, by
RNI number or not at all (unborn), incomplete dates, several gezagsdragers, one to three attachments.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field

from lxml import etree
from lxml.builder import ElementMaker

from connectors.corv.soap import envelope
from connectors.corv.stuf import BG_NS, JZ_NS, NSMAP, STUF_NS, XMIME_NS as XMIME

XSI = "http://www.w3.org/2001/XMLSchema-instance"
JZ = ElementMaker(namespace=JZ_NS, nsmap={**NSMAP, "xsi": XSI})
BG = ElementMaker(namespace=BG_NS)
StUF = ElementMaker(namespace=STUF_NS)

GEMEENTE = ("0448", "JZA-Texel")
RAAD = ("RvdK", "CORV")
POLITIE = ("Politie", "CORV")


def entity(maker, name: str, entiteittype: str, *children):
    return maker(name, {f"{{{STUF_NS}}}entiteittype": entiteittype}, *children)


def nil(maker, name: str, no_value: str = "waardeOnbekend"):
    return maker(name, {f"{{{XSI}}}nil": "true", f"{{{STUF_NS}}}noValue": no_value})


def extra(**values: str):
    return StUF.extraElementen(*(StUF.extraElement(value, naam=name) for name, value in values.items()))


def stuurgegevens(functie: str, zender: tuple[str, str], ontvanger: tuple[str, str], referentienummer: str):
    return JZ.stuurgegevens(
        StUF.berichtcode("Di01"),
        StUF.zender(StUF.organisatie(zender[0]), StUF.applicatie(zender[1])),
        StUF.ontvanger(StUF.organisatie(ontvanger[0]), StUF.applicatie(ontvanger[1])),
        StUF.referentienummer(referentienummer),
        StUF.tijdstipBericht("20250317101500123"),
        StUF.functie(functie),
    )


@dataclass
class Kind:
    """A child in a VTO: `bsn`, or `rni` (17 digits), or unborn (`ongeboren`); `geboortedatum` may be None
    (unknown: nil) or a year only ("20150000", incomplete)."""

    bsn: str | None = None
    rni: str | None = None
    geboortedatum: str | None = None
    ongeboren: bool = False


@dataclass
class Gezagsdrager:
    """A belanghebbende: a natural person (by BSN) or, with `vestiging`, an organisation."""

    geslachtsnaam: str
    bsn: str | None = None
    telefoon: str | None = None
    vestiging: bool = False
    rol: str = "ouder met gezag"
    geinformeerd: str | None = None
    reden_niet_geinformeerd: str | None = None


@dataclass
class Vto:
    kinderen: list[Kind]
    gezagsdragers: list[Gezagsdrager]
    bijlagen: list[str] = field(default_factory=lambda: ["application/pdf"])
    referentienummer: str = "VTO-0448-000001"


def _kind(kind: Kind):
    identity = []
    if kind.bsn:
        identity.append(BG("inp.bsn", kind.bsn))
    elif kind.rni:
        identity.append(BG("anp.identificatie", kind.rni))
    if kind.geboortedatum is None:
        birth = nil(BG, "geboortedatum")
    elif kind.geboortedatum.endswith("0000"):
        birth = BG.geboortedatum(kind.geboortedatum, {f"{{{STUF_NS}}}indOnvolledigeDatum": "M"})
    else:
        birth = BG.geboortedatum(kind.geboortedatum)
    person = entity(BG, "natuurlijkPersoon", "NPS", *identity, BG.geslachtsnaam("Jansen"), birth)
    return entity(BG, "heeftBetrekkingOp", "ZAKOBJ",
                  BG.gerelateerde(person),
                  BG.omschrijving("Client (ongeboren kind)" if kind.ongeboren else "Client (kind)"))


def _gezagsdrager(drager: Gezagsdrager):
    if drager.vestiging:
        party = entity(BG, "vestiging", "VES", BG.handelsnaamVerkort(drager.geslachtsnaam),
                       BG("sub.telefoonnummer", drager.telefoon or "0201234567"))
    else:
        fields = [BG("inp.bsn", drager.bsn or "999990007"), BG.geslachtsnaam(drager.geslachtsnaam)]
        if drager.telefoon:
            fields.append(BG("sub.telefoonnummer", drager.telefoon))
        party = entity(BG, "natuurlijkPersoon", "NPS", *fields)
    extras = {name: value for name, value in (("indicatieGeinformeerd", drager.geinformeerd),
                                              ("redenNietGeinformeerd", drager.reden_niet_geinformeerd)) if value}
    return entity(BG, "heeftAlsBelanghebbende", "ZAKBTRBLH", BG.gerelateerde(party), BG.omschrijving(drager.rol),
                  *([extra(**extras)] if extras else []))


def _bijlage(index: int, mimetype: str):
    content = base64.b64encode(f"bijlage {index}".encode()).decode()
    document = entity(BG, "gerelateerde", "EDC",
                      BG.identificatie(f"DOC-{index}"),
                      BG("dct.omschrijving", "Verzoek tot onderzoek RvdK" if index == 1 else "Gezinsgeschiedenis"),
                      BG.creatiedatum("20250317"),
                      BG.inhoud(content, {f"{{{XMIME}}}contentType": mimetype,
                                          f"{{{STUF_NS}}}bestandsnaam": f"bijlage{index}"}))
    return entity(BG, "heeftRelevant", "ZAKEDC", document)


def vto_di01(vto: Vto) -> etree._Element:
    """A vtoDi01 from municipality Texel (0448) to the Raad voor de Kinderbescherming."""
    uitvoerende = BG.gerelateerde(
        entity(BG, "medewerker", "MDW", BG.achternaam("de Vries"), BG.telefoonnummer("0222123456")),
        entity(BG, "nietNatuurlijkPersoon", "NNP", BG.statutaireNaam("Gemeente Texel")))
    return JZ.vtoDi01(
        stuurgegevens("vtoDi01", GEMEENTE, RAAD, vto.referentienummer),
        entity(JZ, "object", "ZAK",
               BG.identificatie("0448-VTO-2025-001"),
               BG.startdatum("20250301"),
               BG.registratiedatum("20250317"),
               extra(rolJeugdzorgVerzoeker="gemeente"),
               entity(BG, "isVan", "ZAKZKT", entity(BG, "gerelateerde", "ZKT",
                                                    BG.omschrijvingGeneriek("Overwegen kinderbeschermingsmaatregel"))),
               *(_kind(kind) for kind in vto.kinderen),
               *(_gezagsdrager(drager) for drager in vto.gezagsdragers),
               entity(BG, "heeftAlsUitvoerende", "ZAKBTRUTV", uitvoerende),
               entity(BG, "heeftBetrekkingOpAndere", "ZAKZAKBTR", entity(
                   BG, "gerelateerde", "ZAK", entity(BG, "isVan", "ZAKZKT", entity(
                       BG, "gerelateerde", "ZKT",
                       BG.omschrijvingGeneriek("Uitvoeren onderzoek kinderbeschermingsmaatregel"))))),
               *(_bijlage(index, mimetype) for index, mimetype in enumerate(vto.bijlagen, 1))))


def notificatie_di01(status: str = "Onderzoek afgerond", *, bsn: str | None = "999990019", rni: str | None = None,
                     geboortedatum: str | None = "20150601", moeder: str | None = None,
                     vto_zaak: str | None = "0448-VTO-2025-001", ambtshalve: str | None = None,
                     referentienummer: str = "NOT-000001") -> etree._Element:
    """A notificatieDi01 from the Raad to Texel about one client. The client is identified by `bsn`, or by `rni`
    (then the mother carries it), or only descriptively; `moeder` makes the client an unborn child of her.
    An ambtshalve notificatie (`ambtshalve`: its kind) does not refer to a municipal VTO."""
    client = [BG("inp.bsn", bsn)] if bsn else []
    client += [BG.geslachtsnaam("Jansen"), BG.voornamen("Sem"),
               BG.geboortedatum(geboortedatum) if geboortedatum else nil(BG, "geboortedatum")]
    parts = [entity(BG, "heeftBetrekkingOp", "ZAKOBJ",
                    BG.gerelateerde(entity(BG, "natuurlijkPersoon", "NPS", *client)),
                    BG.omschrijving("Client (ongeboren kind)" if moeder else "Client (kind)"))]
    if moeder or rni:
        identity = BG("anp.identificatie", rni) if rni else BG("inp.bsn", "999990020")
        parts.append(entity(BG, "heeftAlsBelanghebbende", "ZAKBTRBLH", BG.gerelateerde(entity(
            BG, "natuurlijkPersoon", "NPS", identity, BG.geslachtsnaam(moeder or "Jansen"),
            nil(BG, "geboortedatum"))), BG.omschrijving("ouder, gezag niet benoemd")))
    if vto_zaak:
        parts.append(entity(BG, "heeftBetrekkingOpAndere", "ZAKZAKBTR", entity(
            BG, "gerelateerde", "ZAK", BG.identificatie(vto_zaak), entity(BG, "isVan", "ZAKZKT", entity(
                BG, "gerelateerde", "ZKT", BG.omschrijvingGeneriek("Overwegen kinderbeschermingsmaatregel"))))))
    parts.append(entity(BG, "heeft", "ZAKSTT", entity(BG, "gerelateerde", "STT", BG.omschrijving(status)),
                        BG.datumStatusGezet("20250317101500")))
    return JZ.notificatieDi01(
        stuurgegevens("notificatieDi01", RAAD, GEMEENTE, referentienummer),
        entity(JZ, "object", "ZAK",
               BG.identificatie("RVDK-2025-000123"),
               *([extra(soortNotificatie=ambtshalve)] if ambtshalve else []),
               entity(BG, "isVan", "ZAKZKT", entity(BG, "gerelateerde", "ZKT", BG.omschrijvingGeneriek(
                   "Uitvoeren onderzoek kinderbeschermingsmaatregel"))),
               *parts))


def signaal_behandelen():
    return entity(BG, "isVan", "ZAKZKT", entity(BG, "gerelateerde", "ZKT", BG.omschrijvingGeneriek("Signaal behandelen")))


def jeugdige(bsn: str, geslachtsnaam: str, geboortedatum: str):
    return entity(BG, "heeftBetrekkingOp", "ZAKOBJ",
                  BG.gerelateerde(entity(BG, "natuurlijkPersoon", "NPS", BG("inp.bsn", bsn),
                                         BG.geslachtsnaam(geslachtsnaam), BG.geboortedatum(geboortedatum))),
                  BG.omschrijving("jeugdige"))


def initiator(organisatie: str, contactpersoon: str):
    return entity(BG, "heeftAlsInitiator", "ZAKBTRINI",
                  BG.gerelateerde(entity(BG, "nietNatuurlijkPersoon", "NNP", BG.statutaireNaam(organisatie))),
                  entity(BG, "heeftAlsAanspreekpunt", "ZAKBTRINICTP",
                         entity(BG, "gerelateerde", "CTP", BG.naam(contactpersoon))))


def notificatiejr_di01(afzender: tuple[str, str], *, referentienummer: str = "NOTJR-000001") -> etree._Element:
    """A notificatiejrDi01 (jeugdreclassering) from the OM or the Raad to Texel."""
    return JZ.notificatiejrDi01(
        stuurgegevens("notificatiejrDi01", afzender, GEMEENTE, referentienummer),
        entity(JZ, "object", "ZAK",
               extra(soortJeugdreclassering="gedwongen" if afzender[0] == "OM" else "vrijwillig"),
               signaal_behandelen(),
               jeugdige("999990032", "Bakker", "20080212"),
               initiator(afzender[0], "Contactpersoon JR")))


def zorgmelding_di01(*, referentienummer: str = "ZM-000001") -> etree._Element:
    """A zorgmeldingDi01 from the police to Texel, with the melding as a document."""
    melding = base64.b64encode(b"zorgmelding politie").decode()
    return JZ.zorgmeldingDi01(
        stuurgegevens("zorgmeldingDi01", POLITIE, GEMEENTE, referentienummer),
        entity(JZ, "object", "ZAK",
               BG.kenmerk(BG.kenmerk("PL-2025-4711"), BG.bron("Zorgmelding")),
               extra(soortZorgmelding="huiselijk geweld"),
               signaal_behandelen(),
               jeugdige("999990044", "de Groot", "20120405"),
               entity(BG, "heeftAlsBelanghebbende", "ZAKBTRBLH",
                      BG.gerelateerde(entity(BG, "natuurlijkPersoon", "NPS", BG("inp.bsn", "999990056"),
                                             BG.geslachtsnaam("de Groot"))),
                      BG.omschrijving("ouder met gezag")),
               initiator("Politie", "Wijkagent"),
               entity(BG, "heeftRelevant", "ZAKEDC", entity(
                   BG, "gerelateerde", "EDC", BG("dct.omschrijving", "Zorgmelding"), BG.creatiedatum("20250316"),
                   BG.inhoud(melding, {f"{{{XMIME}}}contentType": "application/pdf"})))))


def zorgmelding_terugkoppeling_di01(resultaat: str = "Vervolgactie nodig", *,
                                    referentienummer: str = "ZMTK-000001") -> etree._Element:
    """A zorgmeldingTerugkoppelingDi01 from Texel to the police, answering `zorgmelding_di01`."""
    return JZ.zorgmeldingTerugkoppelingDi01(
        stuurgegevens("zorgmeldingTerugkoppelingDi01", GEMEENTE, POLITIE, referentienummer),
        entity(JZ, "object", "ZAK",
               BG.identificatie("0448-ZM-2025-001"),
               BG.kenmerk(BG.kenmerk("PL-2025-4711"), BG.bron("Zorgmelding")),
               BG.resultaat(BG.omschrijving(resultaat)),
               signaal_behandelen(),
               entity(BG, "heeftBetrekkingOp", "ZAKOBJ",
                      BG.gerelateerde(entity(BG, "natuurlijkPersoon", "NPS", BG("inp.bsn", "999990044"),
                                             BG.geslachtsnaam("de Groot"))),
                      BG.omschrijving("jeugdige")),
               entity(BG, "heeftAlsInitiator", "ZAKBTRINI", entity(
                   BG, "heeftAlsAanspreekpunt", "ZAKBTRINICTP",
                   entity(BG, "gerelateerde", "CTP", BG.naam("Wijkagent"))))))


def answer_from_corv(berichtcode: str, cross_refnummer: str, *, fout: str | None = None) -> etree._Element:
    """CORV's asynchronous answer (Bv01, or Fo01 with foutcode `fout`) to a message Texel sent."""
    header = StUF.stuurgegevens(
        StUF.berichtcode(berichtcode),
        StUF.zender(StUF.organisatie(RAAD[0]), StUF.applicatie(RAAD[1])),
        StUF.ontvanger(StUF.organisatie(GEMEENTE[0]), StUF.applicatie(GEMEENTE[1])),
        StUF.referentienummer(f"CORV-{berichtcode}-{cross_refnummer}"),
        StUF.tijdstipBericht("20250317103000000"),
        StUF.crossRefnummer(cross_refnummer))
    maker = ElementMaker(namespace=STUF_NS, nsmap={"StUF": STUF_NS})
    if fout is None:
        return maker(f"{berichtcode}Bericht", header)
    return maker(f"{berichtcode}Bericht", header, StUF.body(
        StUF.code(fout), StUF.plek("client"), StUF.omschrijving("Inhoudelijke fout in het VTO"),
        StUF.details("kind zonder gezagsdrager")))


def soap_request(message: etree._Element) -> bytes:
    return envelope(message)
