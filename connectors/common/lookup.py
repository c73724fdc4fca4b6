"""The interface every lookup backend offers the gateway: one subject, one purpose, one answer."""
from __future__ import annotations

from typing import Any, Protocol


class PersonLookup(Protocol):
    """Looks up what a chain partner knows about one person (by BSN), for a stated purpose (doelbinding).

    Raises `InvalidBsn` before any call for a bad BSN, `ValueError` for an empty purpose, and a
    `connectors.common.errors.LookupFailed` subclass when the partner cannot answer.
    """

    async def lookup(self, bsn: str, purpose: str, *, caller: str | None = None) -> dict[str, Any]: ...

    async def close(self) -> None: ...


def check_purpose(purpose: object) -> str:
    """The purpose (doelbinding) of a lookup is mandatory: Suwinet's norms require it in every audit record."""
    if not isinstance(purpose, str) or not purpose.strip():
        raise ValueError("a lookup needs a purpose (doelbinding)")
    return purpose.strip()
