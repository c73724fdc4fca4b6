"""The person shape both BRP backends answer with, named after the Haal Centraal BRP Personen API.

```
{"burgerservicenummer": "999992314",
 "naam": {"voornamen", "voorletters", "voorvoegsel", "geslachtsnaam"},
 "geslacht": "M" | "V" | "O",
 "geboorte": {"datum": "1980-09-15" | "1980-09" | "1980", "plaats", "land"},   # land: the BRP landcode (6030)
 "overlijden": {"datum"},
 "verblijfplaats": {"straat", "huisnummer", "huisletter", "huisnummertoevoeging", "postcode", "woonplaats"},
 "gemeenteVanInschrijving": "0363",
 "partners": [{"burgerservicenummer", "naam": {...}}]}
```
Absent or unknown values are left out, never null.
"""
from __future__ import annotations

from typing import Any


def compact(value: Any) -> Any:
    """`value` with None, empty strings, empty dicts and empty lists removed, recursively."""
    if isinstance(value, dict):
        cleaned = {key: compact(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in (None, "", {}, [])}
    if isinstance(value, list):
        return [item for item in (compact(item) for item in value) if item not in (None, "", {}, [])]
    return value


def partial_date(year: int | None, month: int | None = None, day: int | None = None) -> str | None:
    """An ISO 8601 date, or its year-month or year part when the BRP knows no more (onvolledige datum)."""
    if not year:
        return None
    if not month:
        return f"{year:04d}"
    if not day:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"
