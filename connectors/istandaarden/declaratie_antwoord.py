"""The Declaratie-antwoord (325): the gemeente's answer to a Declaratie (323).

Unlike the other retour messages it is a message of its own (sent by the gemeente, so Afzender and Ontvanger are
the Declaratie's swapped, with its own BerichtIdentificatie and XsdVersie) that refers to the Declaratie through
DeclaratieIdentificatie and XsdVersieDeclaratie. Following TR342 it carries only the afgewezen Prestaties
(a Prestatie or Client with a code other than 0200/8001), under their Client, and
TotaalToegekendBedrag = TotaalIngediendBedrag - the afgewezen Prestaties (debet counts up, credit down).
- a code on the Header: the answer is the Header alone;
- a code on DeclaratieAntwoord: the Declaratie is afgewezen as a whole, no Prestaties, TotaalToegekendBedrag 0;
- a code on a Client: all its Prestaties are afgewezen; those without a code of their own get 0233;
- no Prestatie afgewezen: DeclaratieAntwoord gets 8001 (Declaratie is volledig toegewezen).
"""
from __future__ import annotations

from lxml import etree

from connectors.istandaarden import catalogue, retourcodes
from connectors.istandaarden.retour_records import HEADER, CodeAssignment, RetourError, append_retourcodes, copy_into
from connectors.istandaarden.schema_structure import Declaration

HEEN_NUMBER = 323
DECLARATIE = "Declaratie"
ANTWOORD = "DeclaratieAntwoord"
RENAMES = {DECLARATIE: ANTWOORD}
_SIGN = {"D": 1, "C": -1}


def build(heen: etree._Element, retour: catalogue.MessageType, retour_root: Declaration,
          assignment: CodeAssignment, identity, versions: tuple[str, str]) -> etree._Element:
    """The 325 for the Declaratie `heen`; `identity` is a retour.RetourIdentity, `versions` the 325's XSD versions."""
    source = _Source(heen)
    basis = catalogue.basisschema_namespace(retour.standard)
    root = etree.Element(retour_root.name, nsmap={retour.prefix: retour.namespace, retour.standard: basis})
    out = _Writer(retour.namespace, basis)
    header = out.sub(root, HEADER)
    heen_header = source.child(heen, HEADER)
    out.sub(header, "BerichtCode", str(retour.berichtcode))
    for name in ("BerichtVersie", "BerichtSubversie"):
        out.sub(header, name, source.child(heen_header, name).text)
    out.sub(header, "Afzender", source.child(heen_header, "Ontvanger").text)
    out.sub(header, "Ontvanger", source.child(heen_header, "Afzender").text)
    out.pair(header, "BerichtIdentificatie", ("Identificatie", identity.identificatie),
             ("Dagtekening", identity.dagtekening.isoformat()))
    out.pair(header, "XsdVersie", ("BasisschemaXsdVersie", versions[0]), ("BerichtXsdVersie", versions[1]))
    out.copy_basis(header, "DeclaratieIdentificatie", source.child(heen_header, "BerichtIdentificatie"))
    if identity.xslt_versie:
        out.sub(header, "XsltVersie", identity.xslt_versie)
    out.copy_basis(header, "XsdVersieDeclaratie", source.child(heen_header, "XsdVersie"))
    append_retourcodes(header, retour.namespace, assignment.codes_for(heen_header))
    if assignment.has_remark(heen_header):
        return root
    _antwoord(root, source, source.child(heen, DECLARATIE), retour_root.children[ANTWOORD], assignment, out)
    return root


def _antwoord(root: etree._Element, source: "_Source", declaratie: etree._Element, xsd: Declaration,
              assignment: CodeAssignment, out: "_Writer") -> None:
    antwoord = out.sub(root, ANTWOORD)
    out.sub(antwoord, "DeclaratieNummer", source.child(declaratie, "DeclaratieNummer").text)
    ingediend = source.child(declaratie, "TotaalIngediendBedrag")
    out.copy_basis(antwoord, "TotaalIngediendBedrag", ingediend)
    codes = assignment.codes_for(declaratie)
    if assignment.has_remark(declaratie):
        _totaal(out, antwoord, 0)
        append_retourcodes(antwoord, out.namespace, codes)
        return
    afgewezen = _afgewezen(source, declaratie, assignment)
    afgewezen_bedrag = sum(_bedrag(source, prestatie) for _, prestaties in afgewezen for prestatie in prestaties)
    _totaal(out, antwoord, _signed(source, ingediend, "TotaalBedrag") - afgewezen_bedrag)
    if afgewezen:
        if retourcodes.DECLARATIE_VOLLEDIG_TOEGEWEZEN in codes:
            raise RetourError(ANTWOORD, "8001 (Declaratie is volledig toegewezen) while Prestaties are afgewezen")
        _clienten(antwoord, source, afgewezen, xsd.children["Clienten"], assignment, out)
    append_retourcodes(antwoord, out.namespace, codes or (
        retourcodes.GEEN_OPMERKING if afgewezen else retourcodes.DECLARATIE_VOLLEDIG_TOEGEWEZEN,))


def _afgewezen(source: "_Source", declaratie: etree._Element,
               assignment: CodeAssignment) -> list[tuple[etree._Element, list[etree._Element]]]:
    """(Client, its afgewezen Prestaties) for every Client with at least one."""
    result = []
    for client in source.child(declaratie, "Clienten").iterchildren(etree.Element):
        prestaties = list(source.child(client, "Prestaties").iterchildren(etree.Element))
        if not assignment.has_remark(client):
            prestaties = [p for p in prestaties if assignment.has_remark(p)]
        if prestaties:
            result.append((client, prestaties))
    return result


def _clienten(antwoord: etree._Element, source: "_Source", afgewezen, xsd: Declaration, assignment: CodeAssignment,
              out: "_Writer") -> None:
    clienten = out.sub(antwoord, "Clienten")
    xsd_prestatie = xsd.children["Client"].children["Prestaties"].children["Prestatie"]

    def not_assessed_by_default(element: etree._Element) -> tuple[str, ...]:
        return assignment.codes_for(element) or (retourcodes.NIET_BEOORDEELD,)

    for client, prestaties in afgewezen:
        answer = out.sub(clienten, "Client")
        out.sub(answer, "Bsn", source.child(client, "Bsn").text)
        container = out.sub(answer, "Prestaties")
        for prestatie in prestaties:
            copy_into(prestatie, container, xsd_prestatie, not_assessed_by_default)
        append_retourcodes(answer, out.namespace, assignment.codes_for(client))


def _totaal(out: "_Writer", antwoord: etree._Element, amount: int) -> None:
    out.pair(antwoord, "TotaalToegekendBedrag", ("TotaalBedrag", str(abs(amount))),
             ("DebetCredit", "D" if amount >= 0 else "C"))


def _bedrag(source: "_Source", prestatie: etree._Element) -> int:
    return _signed(source, source.child(prestatie, "IngediendBedrag"), "Bedrag")


def _signed(source: "_Source", bedrag_met_dc: etree._Element, amount_name: str) -> int:
    amount = source.basis_child(bedrag_met_dc, amount_name).text.strip()
    return _SIGN[source.basis_child(bedrag_met_dc, "DebetCredit").text.strip()] * int(amount)


class _Source:
    """Finding children of the (valid) Declaratie by local name."""

    def __init__(self, heen: etree._Element):
        self._namespace = etree.QName(heen).namespace
        self._basis = catalogue.basisschema_namespace(catalogue.by_namespace(self._namespace).standard)

    def child(self, parent: etree._Element, name: str) -> etree._Element:
        return self._found(parent, f"{{{self._namespace}}}{name}")

    def basis_child(self, parent: etree._Element, name: str) -> etree._Element:
        return self._found(parent, f"{{{self._basis}}}{name}")

    @staticmethod
    def _found(parent: etree._Element, tag: str) -> etree._Element:
        found = parent.find(tag)
        if found is None:
            raise RetourError(f"line {parent.sourceline}", f"{etree.QName(tag).localname} missing in "
                                                            f"{etree.QName(parent).localname}: is the Declaratie valid?")
        return found


class _Writer:
    """Writing 325 elements: message elements in the 325 namespace, their parts in the basisschema."""

    def __init__(self, namespace: str, basis: str):
        self.namespace = namespace
        self._basis = basis

    def sub(self, parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{self.namespace}}}{name}")
        element.text = text
        return element

    def pair(self, parent: etree._Element, name: str, *parts: tuple[str, str]) -> None:
        element = self.sub(parent, name)
        for local, text in parts:
            etree.SubElement(element, f"{{{self._basis}}}{local}").text = text

    def copy_basis(self, parent: etree._Element, name: str, source: etree._Element) -> None:
        self.pair(parent, name, *((etree.QName(c).localname, c.text) for c in source.iterchildren(etree.Element)))
