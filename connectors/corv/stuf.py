"""StUF 03.01 as CORV uses it: stuurgegevens, foutcodes, and the Bv03 / Fo03 answers to an asynchronous message."""
from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass

from lxml import etree

STUF_NS = "http://www.egem.nl/StUF/StUF0301"
JZ_NS = "http://www.stufstandaarden.nl/koppelvlak/jz0100"
BG_NS = "http://www.egem.nl/StUF/sector/bg/0310"
XMIME_NS = "http://www.w3.org/2005/05/xmlmime"
NSMAP = {"StUF": STUF_NS, "JZ": JZ_NS, "BG": BG_NS, "xmime": XMIME_NS}
_S = f"{{{STUF_NS}}}"

# StUF 03.01 foutcodes this connector answers with: code → (plek, omschrijving). "client" means the sender's
# message is at fault, "server" that we are.
FOUTCODES = {
    "StUF010": ("client", "Combinatie van ontvangende organisatie, applicatie en administratie onbekend"),
    "StUF016": ("client", "Combinatie zender en referentienummer niet uniek"),
    "StUF025": ("server", "Berichtcode niet ondersteund"),
    "StUF046": ("server", "Opslaan bericht niet mogelijk"),
    "StUF055": ("client", "Berichtbody is niet conform schema in sectormodel"),
    "StUF058": ("server", "Proces voor afhandelen bericht geeft fout"),
}
_GEMEENTECODE = re.compile(r"(?:GM)?(\d{4})")


@dataclass(frozen=True)
class Systeem:
    """A zender or ontvanger: organisatie, applicatie, and optionally administratie and gebruiker."""

    organisatie: str | None
    applicatie: str | None
    administratie: str | None = None
    gebruiker: str | None = None


@dataclass(frozen=True)
class Stuurgegevens:
    berichtcode: str
    zender: Systeem
    ontvanger: Systeem
    referentienummer: str | None
    tijdstip_bericht: str | None
    cross_refnummer: str | None = None
    entiteittype: str | None = None
    functie: str | None = None

    @property
    def duplicate_key(self) -> str:
        """StUF requires referentienummer to be unique per zender: this key identifies a message for that check."""
        return "\x1f".join(("corv", self.zender.organisatie or "", self.zender.applicatie or "",
                            self.referentienummer or ""))


@dataclass(frozen=True)
class StufFout:
    """A StUF fault: foutcode, plek (client|server), omschrijving and a readable detail."""

    code: str
    details: str = ""
    omschrijving: str = ""
    plek: str = ""

    def __post_init__(self) -> None:
        plek, omschrijving = FOUTCODES.get(self.code, ("server", self.code))
        object.__setattr__(self, "plek", self.plek or plek)
        object.__setattr__(self, "omschrijving", self.omschrijving or omschrijving)


class StufFault(Exception):
    """Raised by the checks of an incoming message; carries the fault to answer with (and what is known of it)."""

    def __init__(self, fout: StufFout, stuurgegevens: Stuurgegevens | None = None) -> None:
        super().__init__(f"{fout.code} {fout.omschrijving}: {fout.details}")
        self.fout = fout
        self.stuurgegevens = stuurgegevens


def _text(parent: etree._Element | None, name: str) -> str | None:
    if parent is None:
        return None
    child = parent.find(_S + name)
    return child.text if child is not None and child.text else None


def _systeem(element: etree._Element | None) -> Systeem:
    return Systeem(*(_text(element, name) for name in ("organisatie", "applicatie", "administratie", "gebruiker")))


def read_stuurgegevens(message: etree._Element) -> Stuurgegevens:
    """The stuurgegevens of a message (a jz Di01 or a StUF Bv/Fo message); missing parts are None."""
    header = next((child for child in message if etree.QName(child).localname == "stuurgegevens"), None)
    return Stuurgegevens(
        berichtcode=_text(header, "berichtcode") or "",
        zender=_systeem(header.find(_S + "zender") if header is not None else None),
        ontvanger=_systeem(header.find(_S + "ontvanger") if header is not None else None),
        referentienummer=_text(header, "referentienummer"),
        tijdstip_bericht=_text(header, "tijdstipBericht"),
        cross_refnummer=_text(header, "crossRefnummer"),
        entiteittype=_text(header, "entiteittype"),
        functie=_text(header, "functie"),
    )


def gemeentecode(systeem: Systeem, applicaties: dict[str, str] | None = None) -> str | None:
    """The municipality a zender/ontvanger stands for: its organisatie when that is a CBS gemeentecode ("0448" or
    "GM0448"), else the gemeentecode configured for its applicatie (a JZA shared by several municipalities)."""
    match = _GEMEENTECODE.fullmatch((systeem.organisatie or "").strip())
    if match:
        return match.group(1)
    return (applicaties or {}).get(systeem.applicatie or "")


def tijdstip(moment: datetime.datetime | None = None) -> str:
    """A StUF tijdstip: yyyymmddhhmmssmmm (17 digits), local time as StUF prescribes."""
    moment = moment or datetime.datetime.now()
    return moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}"


def new_referentienummer() -> str:
    return uuid.uuid4().hex


def _add_systeem(parent: etree._Element, name: str, systeem: Systeem) -> None:
    element = etree.SubElement(parent, _S + name)
    for field_name in ("organisatie", "applicatie", "administratie", "gebruiker"):
        value = getattr(systeem, field_name)
        if value:
            etree.SubElement(element, _S + field_name).text = value


def _answer_header(parent: etree._Element, berichtcode: str, received: Stuurgegevens | None) -> None:
    """Stuurgegevens of an answer: zender and ontvanger swapped, crossRefnummer = the received referentienummer."""
    header = etree.SubElement(parent, _S + "stuurgegevens")
    etree.SubElement(header, _S + "berichtcode").text = berichtcode
    if received is None:
        return
    _add_systeem(header, "zender", received.ontvanger)
    _add_systeem(header, "ontvanger", received.zender)
    etree.SubElement(header, _S + "referentienummer").text = new_referentienummer()
    etree.SubElement(header, _S + "tijdstipBericht").text = tijdstip()
    if received.referentienummer:
        etree.SubElement(header, _S + "crossRefnummer").text = received.referentienummer


def build_bv03(received: Stuurgegevens) -> etree._Element:
    """The Bv03Bericht that confirms receipt of an asynchronous message."""
    answer = etree.Element(_S + "Bv03Bericht", nsmap={"StUF": STUF_NS})
    _answer_header(answer, "Bv03", received)
    return answer


def build_fo03(fout: StufFout, received: Stuurgegevens | None) -> etree._Element:
    """The Fo03Bericht for a message that cannot be accepted. Without usable stuurgegevens (a message that is not
    even readable) the stuurgegevens hold only the berichtcode."""
    answer = etree.Element(_S + "Fo03Bericht", nsmap={"StUF": STUF_NS})
    _answer_header(answer, "Fo03", received)
    body = etree.SubElement(answer, _S + "body")
    etree.SubElement(body, _S + "code").text = fout.code
    etree.SubElement(body, _S + "plek").text = fout.plek
    etree.SubElement(body, _S + "omschrijving").text = fout.omschrijving[:200]
    if fout.details:
        etree.SubElement(body, _S + "details").text = fout.details[:1000]
    return answer


def read_fout(answer: etree._Element) -> StufFout:
    """The fault in a Fo01/Fo02/Fo03 message."""
    body = answer.find(_S + "body")
    return StufFout(code=_text(body, "code") or "", details=_text(body, "details") or "",
                    omschrijving=_text(body, "omschrijving") or "", plek=_text(body, "plek") or "")
