"""The BRP through the Haal Centraal BRP Personen API: `POST /personen` with RaadpleegMetBurgerservicenummer.

The purpose travels as the `x-doelbinding` protocollering header, the caller as `x-gebruiker`.
"""
from __future__ import annotations

import json
from typing import Any

from connectors.brp.person import compact, partial_date
from connectors.common.bsn import check_bsn
from connectors.common.endpoint import PartnerEndpoint, PartnerSession
from connectors.common.errors import MalformedAnswer, NotFound, PartnerFault
from connectors.common.lookup import check_purpose

PARTNER = "Haal Centraal BRP Personen"
FIELDS = [
    "burgerservicenummer", "naam", "geslacht", "geboorte", "overlijden", "verblijfplaats",
    "gemeenteVanInschrijving", "partners.burgerservicenummer", "partners.naam",
]


class HaalCentraalClient:
    """A `PersonLookup` on the Haal Centraal BRP Personen API. `endpoint.url` is the full `.../personen` URL."""

    def __init__(
        self, endpoint: PartnerEndpoint, *, origin_oin: str | None = None, verwerking: str | None = None,
        api_key: str | None = None,
    ) -> None:
        self._session = PartnerSession(PARTNER, endpoint)
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        for header, value in (("x-origin-oin", origin_oin), ("x-verwerking", verwerking), ("X-API-KEY", api_key)):
            if value:
                self._headers[header] = value

    async def lookup(self, bsn: str, purpose: str, *, caller: str | None = None) -> dict[str, Any]:
        check_bsn(bsn)
        headers = {**self._headers, "x-doelbinding": check_purpose(purpose)}
        if caller:
            headers["x-gebruiker"] = caller
        question = {"type": "RaadpleegMetBurgerservicenummer", "burgerservicenummer": [bsn], "fields": FIELDS}
        answer = await self._session.post(json.dumps(question).encode(), headers)
        try:
            data = json.loads(answer.body)
        except ValueError:
            raise MalformedAnswer(PARTNER, f"HTTP {answer.status} answer is not JSON") from None
        if answer.status != 200:
            raise _problem(answer.status, data)
        personen = data.get("personen") if isinstance(data, dict) else None
        if not isinstance(personen, list) or not all(isinstance(persoon, dict) for persoon in personen):
            raise MalformedAnswer(PARTNER, "answer has no list 'personen'")
        if not personen:
            raise NotFound(PARTNER, "no person with this BSN")
        person = _person(personen[0])
        if person.get("burgerservicenummer") != bsn:
            raise MalformedAnswer(PARTNER, "answer is about another person than asked")
        return person

    async def close(self) -> None:
        await self._session.close()


def _problem(status: int, data: Any) -> PartnerFault:
    """An API error answer (application/problem+json: title, detail, code, invalidParams)."""
    problem = data if isinstance(data, dict) else {}
    detail = " ".join(str(problem[key]) for key in ("title", "detail") if problem.get(key)) or "no problem details"
    invalid = [f"{param.get('name')}: {param.get('reason')}" for param in problem.get("invalidParams") or []
               if isinstance(param, dict)]
    if invalid:
        detail += f" ({'; '.join(invalid)})"
    return PartnerFault(PARTNER, str(problem.get("code") or f"HTTP {status}"), detail)


def _person(persoon: dict[str, Any]) -> dict[str, Any]:
    address = _dict(_dict(persoon, "verblijfplaats"), "verblijfadres")
    return compact({
        "burgerservicenummer": persoon.get("burgerservicenummer"),
        "naam": _naam(_dict(persoon, "naam")),
        "geslacht": _dict(persoon, "geslacht").get("code"),
        "geboorte": {
            "datum": _date(_dict(persoon, "geboorte")),
            "plaats": _dict(_dict(persoon, "geboorte"), "plaats").get("omschrijving"),
            "land": _dict(_dict(persoon, "geboorte"), "land").get("code"),
        },
        "overlijden": {"datum": _date(_dict(persoon, "overlijden"))},
        "verblijfplaats": {
            "straat": address.get("korteStraatnaam") or address.get("officieleStraatnaam"),
            "huisnummer": address.get("huisnummer"),
            "huisletter": address.get("huisletter"),
            "huisnummertoevoeging": address.get("huisnummertoevoeging"),
            "postcode": address.get("postcode"),
            "woonplaats": address.get("woonplaats"),
        },
        "gemeenteVanInschrijving": _dict(persoon, "gemeenteVanInschrijving").get("code"),
        "partners": [
            {"burgerservicenummer": partner.get("burgerservicenummer"), "naam": _naam(_dict(partner, "naam"))}
            for partner in persoon.get("partners") or [] if isinstance(partner, dict)
        ],
    })


def _naam(naam: dict[str, Any]) -> dict[str, Any]:
    return {key: naam.get(key) for key in ("voornamen", "voorletters", "voorvoegsel", "geslachtsnaam")}


def _date(event: dict[str, Any]) -> str | None:
    """Haal Centraal dates: {"type": "Datum", "datum": "1980-09-15"}, JaarMaandDatum, JaarDatum, DatumOnbekend."""
    datum = _dict(event, "datum")
    if datum.get("type") == "Datum":
        return datum.get("datum")
    return partial_date(datum.get("jaar"), datum.get("maand"))


def _dict(parent: dict[str, Any], key: str) -> dict[str, Any]:
    value = parent.get(key)
    return value if isinstance(value, dict) else {}
