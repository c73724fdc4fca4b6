"""Derive the types of an iStandaarden retour message from the types of its heenbericht.

The dictionary of iWmo 3.2 only has the heen-messages. In iJw 3.2 every retour message is its heenbericht with:
- the Header extended with the retour's identification (IdentificatieRetour, DagtekeningRetour, XsltVersie,
  XsdVersieRetour) and an optional RetourCodes;
- every berichtklasse (a type that is not a mere list of one repeating element) ending in a required RetourCodes;
- the Root's content optional (a retour of a rejected header carries only the Header);
- for the Declaratie (323 -> 325): a Declaratie-antwoord, sent by the gemeente, that carries the totals and
  RetourCodes instead of the Declaratie.
tests/test_istandaarden_schemas.py checks that these rules rebuild the iJw retour types from the iJw heen types.
"""
from __future__ import annotations

import copy

RETOURCODE_DOC = (
    "Gecodeerde aanduiding in een retourbericht van het resultaat van de beoordeling van een (deel van het) "
    "ontvangen bericht."
)
# (name, min, max, basisschema type, documentation)
_RETOUR_HEADER = (
    ("IdentificatieRetour", 1, 1, "LDT_IdentificatieBericht",
     "Naam of nummer ter identificatie van een retourbericht."),
    ("DagtekeningRetour", 1, 1, "LDT_Datum", "Dagtekening van het retourbericht."),
    ("XsltVersie", 0, 1, "LDT_Versie", "Volgnummer van de formele uitgifte van een versie van de XSLT's die zijn "
                                       "ingezet voor de controle van het heenbericht."),
    ("XsdVersieRetour", 1, 1, "CDT_XsdVersie", "Volgnummer van de formele uitgifte van een versie van de XSD's die "
                                               "zijn ingezet voor het opstellen van het retourbericht."),
)
_ANSWER_HEADER = (
    ("DeclaratieIdentificatie", 1, 1, "CDT_BerichtIdentificatie", "DeclaratieIdentificatie dient om het "
     "declaratie-antwoordbericht en het eerder verstuurde declaratiebericht aan elkaar te koppelen."),
    ("XsltVersie", 0, 1, "LDT_Versie", None),
    ("XsdVersieDeclaratie", 1, 1, "CDT_XsdVersie", None),
)
DECLARATIE = "Declaratie"
DECLARATIE_ANTWOORD = "DeclaratieAntwoord"


def derive_retour(types: dict[str, dict], heen: str, retour: str, basis: str, berichtcode: int) -> dict[str, dict]:
    """The retour's types (qualified names `retour:Local`) from the heenbericht's types (`heen:Local`)."""
    heen_types = {name.split(":", 1)[1]: t for name, t in types.items() if name.startswith(heen + ":")}
    is_answer = DECLARATIE in heen_types
    derived = {f"{retour}:RetourCodes": _retourcodes_type(retour, basis)}
    for local, heen_type in heen_types.items():
        derived_type = _renamed(heen_type, heen, retour)
        items = derived_type["items"]
        if local == "Header":
            _derive_header(items, retour, basis, berichtcode, is_answer)
        elif local == "Root":
            _derive_root(derived_type, retour)
        elif local == DECLARATIE:
            local, derived_type = DECLARATIE_ANTWOORD, _declaratie_antwoord(derived_type, retour)
        elif not _is_list(derived_type):
            items.append(_retourcodes_item(retour, 1))
        derived[f"{retour}:{local}"] = derived_type
    return derived


def _renamed(heen_type: dict, heen: str, retour: str) -> dict:
    """A copy with the heenbericht's prefix replaced by the retour's in element names and type references."""
    renamed = copy.deepcopy(heen_type)
    for item in renamed["items"]:
        for key in ("name", "type"):
            if key in item and item[key].startswith(heen + ":"):
                item[key] = retour + item[key][len(heen):]
    return renamed


def _is_list(complex_type: dict) -> bool:
    """A list class (Relaties, ToegewezenProducten, Clienten...): one element that repeats. It has no RetourCodes."""
    items = complex_type["items"]
    return len(items) == 1 and items[0]["max"] is None


def _retourcodes_type(retour: str, basis: str) -> dict:
    code = {"name": f"{retour}:RetourCode", "min": 1, "max": None, "doc": RETOURCODE_DOC,
            "type": f"{basis}:LDT_RetourCode"}
    return {"kind": "complex", "model": "sequence", "items": [code]}


def _retourcodes_item(retour: str, minimum: int) -> dict:
    return {"name": f"{retour}:RetourCodes", "min": minimum, "max": 1, "type": f"{retour}:RetourCodes"}


def _item(retour: str, basis: str, name: str, minimum: int, maximum: int, basis_type: str, doc: str | None) -> dict:
    item = {"name": f"{retour}:{name}", "min": minimum, "max": maximum}
    if doc:
        item["doc"] = doc
    item["type"] = f"{basis}:{basis_type}"
    return item


def _derive_header(items: list[dict], retour: str, basis: str, berichtcode: int, is_answer: bool) -> None:
    items[0]["simpleType"]["facets"]["pattern"] = [str(berichtcode)]
    if is_answer:
        # The Declaratie-antwoord is a message of its own from the gemeente: Afzender and Ontvanger swap.
        sender, receiver = _by_local_name(items, "Afzender"), _by_local_name(items, "Ontvanger")
        for key in ("type", "doc"):
            sender[key], receiver[key] = receiver[key], sender[key]
    extra = _ANSWER_HEADER if is_answer else _RETOUR_HEADER
    items.extend(_item(retour, basis, *spec) for spec in extra)
    items.append(_retourcodes_item(retour, 1 if is_answer else 0))


def _derive_root(root: dict, retour: str) -> None:
    content = root["items"][1]
    content["min"] = 0
    if content["name"] == f"{retour}:{DECLARATIE}":
        content["name"] = content["type"] = f"{retour}:{DECLARATIE_ANTWOORD}"


def _declaratie_antwoord(declaratie: dict, retour: str) -> dict:
    """Declaratie -> DeclaratieAntwoord: number, submitted and awarded totals, the answered Clienten, RetourCodes."""
    number = copy.deepcopy(_by_local_name(declaratie["items"], "DeclaratieNummer"))
    if "simpleType" in number:
        number["type"] = number.pop("simpleType")["base"]
    submitted = _by_local_name(declaratie["items"], "TotaalIngediendBedrag")
    awarded = dict(submitted, name=f"{retour}:TotaalToegekendBedrag",
                   doc="Het bedrag dat in zijn totaliteit toegekend is.")
    clienten = dict(_by_local_name(declaratie["items"], "Clienten"), min=0)
    return {"kind": "complex", "doc": "Gegevens over het antwoord op een ingediende declaratie.", "model": "sequence",
            "items": [number, submitted, awarded, clienten, _retourcodes_item(retour, 1)]}


def _by_local_name(items: list[dict], local: str) -> dict:
    return next(item for item in items if item["name"].split(":", 1)[1] == local)
