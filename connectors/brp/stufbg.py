"""The BRP through StUF-BG 3.10: ask npsLv01 (gelijk inp.bsn), read npsLa01 or a Fo02 fault."""
from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any

import zeep
from lxml import etree

from connectors.brp.person import compact, partial_date
from connectors.common.bsn import check_bsn
from connectors.common.endpoint import PartnerEndpoint
from connectors.common.errors import MalformedAnswer, NotFound, PartnerFault
from connectors.common.lookup import check_purpose
from connectors.common.soap import SoapFault, SoapOperation

PARTNER = "StUF-BG"
BG = "http://www.egem.nl/StUF/sector/bg/0310"
STUF = "http://www.egem.nl/StUF/StUF0301"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
DEFAULT_WSDL = Path(__file__).resolve().parents[2] / "schemas" / "stuf-bg" / "bg0310-nps.wsdl"
# Some BRP gateways answer an unknown BSN with a bare SOAP fault carrying this text instead of an empty La01.
NOT_FOUND_FAULT = "object niet gevonden"

_NIL = zeep.xsd.Nil
# What we ask for (scope): every attribute the person shape has.
_SCOPE = {
    "entiteittype": "NPS",
    **{name: _NIL for name in (
        "inp.bsn", "geslachtsnaam", "voorvoegselGeslachtsnaam", "voorletters", "voornamen",
        "geslachtsaanduiding", "geboortedatum", "inp.geboorteplaats", "inp.geboorteLand", "overlijdensdatum",
        "inp.gemeenteVanInschrijving",
    )},
    "verblijfsadres": {name: _NIL for name in (
        "wpl.woonplaatsNaam", "gor.straatnaam", "aoa.postcode", "aoa.huisnummer", "aoa.huisletter",
        "aoa.huisnummertoevoeging",
    )},
    "inp.heeftAlsEchtgenootPartner": [{
        "entiteittype": "NPSNPSHUW",
        "gerelateerde": {"entiteittype": "NPS", **{name: _NIL for name in (
            "inp.bsn", "geslachtsnaam", "voorvoegselGeslachtsnaam", "voornamen",
        )}},
    }],
}


class StufBgClient:
    """A `PersonLookup` on a StUF-BG 3.10 BRP service.

    `zender` and `ontvanger` are the StUF systems (organisatie, applicatie, administratie, gebruiker) as agreed
    with the BRP supplier; the caller of a lookup, when given, goes in zender/gebruiker.
    """

    def __init__(
        self, endpoint: PartnerEndpoint, *, zender: dict[str, str] | None = None,
        ontvanger: dict[str, str] | None = None,
    ) -> None:
        self._zender = zender or {"applicatie": "Ketenpoort"}
        self._ontvanger = ontvanger or {"applicatie": "BRP"}
        self._soap = SoapOperation(PARTNER, endpoint.wsdl or DEFAULT_WSDL, "npsLv01", endpoint, _fault_error)

    async def lookup(self, bsn: str, purpose: str, *, caller: str | None = None) -> dict[str, Any]:
        check_bsn(bsn)
        check_purpose(purpose)
        zender = {**self._zender, "gebruiker": caller} if caller else self._zender
        reply = await self._soap.call(
            stuurgegevens={
                "berichtcode": "Lv01",
                "zender": zender,
                "ontvanger": self._ontvanger,
                "referentienummer": uuid.uuid4().hex,
                "tijdstipBericht": datetime.datetime.now().strftime("%Y%m%d%H%M%S%f")[:17],
                "entiteittype": "NPS",
            },
            parameters={"sortering": 0, "indicatorVervolgvraag": False, "maximumAantal": 1},
            gelijk={"entiteittype": "NPS", "inp.bsn": {"_value_1": bsn}},
            scope={"object": _SCOPE},
        )
        objects = [obj for obj in reply.payload.iterfind(f"{{{BG}}}antwoord/{{{BG}}}object") if len(obj)]
        if not objects:
            raise NotFound(PARTNER, "npsLa01 without a person")
        person = _person(objects[0])
        if person.get("burgerservicenummer", bsn) != bsn:
            raise MalformedAnswer(PARTNER, "npsLa01 answers about another person than asked")
        return person

    async def close(self) -> None:
        await self._soap.close()


def _fault_error(fault: SoapFault) -> Exception:
    if fault.detail is not None and fault.detail.tag == f"{{{STUF}}}Fo02Bericht":
        body = fault.detail.find(f"{{{STUF}}}body")
        if body is not None:
            details = _text(body, f"{{{STUF}}}details")
            description = _text(body, f"{{{STUF}}}omschrijving") or fault.message
            return PartnerFault(
                PARTNER, _text(body, f"{{{STUF}}}code") or "Fo02", f"{description} ({details})" if details else description
            )
    if fault.message.lower() == NOT_FOUND_FAULT:
        return NotFound(PARTNER, fault.message)
    return PartnerFault(PARTNER, fault.code or "soap:Fault", fault.message)


def _person(obj: etree._Element) -> dict[str, Any]:
    address = obj.find(f"{{{BG}}}verblijfsadres")
    return compact({
        "burgerservicenummer": _text(obj, "inp.bsn"),
        "naam": _naam(obj),
        "geslacht": _text(obj, "geslachtsaanduiding"),
        "geboorte": {
            "datum": _date(obj, "geboortedatum"),
            "plaats": _text(obj, "inp.geboorteplaats"),
            "land": _text(obj, "inp.geboorteLand"),
        },
        "overlijden": {"datum": _date(obj, "overlijdensdatum")},
        "verblijfplaats": None if address is None else {
            "straat": _text(address, "gor.straatnaam"),
            "huisnummer": _int(_text(address, "aoa.huisnummer")),
            "huisletter": _text(address, "aoa.huisletter"),
            "huisnummertoevoeging": _text(address, "aoa.huisnummertoevoeging"),
            "postcode": _text(address, "aoa.postcode"),
            "woonplaats": _text(address, "wpl.woonplaatsNaam"),
        },
        "gemeenteVanInschrijving": _text(obj, "inp.gemeenteVanInschrijving"),
        "partners": [
            {"burgerservicenummer": _text(partner, "inp.bsn"), "naam": _naam(partner)}
            for partner in obj.iterfind(f"{{{BG}}}inp.heeftAlsEchtgenootPartner/{{{BG}}}gerelateerde")
        ],
    })


def _naam(obj: etree._Element) -> dict[str, str | None]:
    return {
        "voornamen": _text(obj, "voornamen"),
        "voorletters": _text(obj, "voorletters"),
        "voorvoegsel": _text(obj, "voorvoegselGeslachtsnaam"),
        "geslachtsnaam": _text(obj, "geslachtsnaam"),
    }


def _text(parent: etree._Element, name: str) -> str | None:
    element = parent.find(name if name.startswith("{") else f"{{{BG}}}{name}")
    if element is None or element.get(XSI_NIL) in ("true", "1"):
        return None
    return (element.text or "").strip() or None


def _date(obj: etree._Element, name: str) -> str | None:
    """StUF dates are yyyymmdd; StUF:indOnvolledigeDatum says which part is unknown (J year, M month, D day)."""
    text = _text(obj, name)
    if text is None or len(text) != 8:
        return None
    unknown = obj.find(f"{{{BG}}}{name}").get(f"{{{STUF}}}indOnvolledigeDatum", "V")
    year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
    if unknown == "J":
        return None
    if unknown == "M":
        return partial_date(year)
    if unknown == "D":
        return partial_date(year, month)
    return partial_date(year, month, day)


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None
