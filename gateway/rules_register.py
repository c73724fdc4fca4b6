"""The Register of the technical rules across messages (connectors.istandaarden.rules), kept in the store.

The store knows the register's tables, not the rules' record classes: a record goes in as a `RegisterRow` of its
fields (`register_rows`) and comes back from the row's fields. BSNs are stored as keyed hashes and sealed under
the store's key ring (queues.register_ops), so a store without a key ring has no register (`has_register`).

The rows of an accepted message belong in the transaction that journals it, as the `Appending` that the check
returns to `Store.append_checked`: `Appending(entry, with_entries, register_rows(records))`.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from connectors.istandaarden.rules.register import (
    Antwoord, Bericht, Declaratie, Prestatie, Record, Start, Stop, Toewijzing, Verzoek,
)
from queues import RegisterReader, Store, StoreError
from queues.register_ops import RegisterRow

log = logging.getLogger(__name__)


def register_rows(records: Iterable[Record]) -> list[RegisterRow]:
    """The records as rows for `Store.append(..., register=...)` or `Store.add_to_register`."""
    # A shallow copy: the fields are strings, numbers and dates (dataclasses.asdict deep-copies each one).
    return [RegisterRow(type(record).__name__.lower(), dict(vars(record))) for record in records]


def has_register(store: Store) -> bool:
    """Whether `store` can keep the register: not without a key ring to protect BSNs with (said in a warning)."""
    try:
        store.register_keys()
    except StoreError as error:
        log.warning("the technical rules across messages are not checked: %s", error)
        return False
    return True


class StoreRegister:
    """Implements the rules' Register protocol on the store (InMemoryRegister is the reference). It reads through
    `reader` when given: inside `Store.append_checked`, in the transaction that appends (technical_rules.py)."""

    def __init__(self, store: Store, reader: RegisterReader | None = None) -> None:
        self.store = store
        self.reader = reader or store
        # Through a reader the register stands still (one check), so a query asked again, as several rules ask the
        # Prestaties of one Toewijzing, gets the records made the first time (frozen: safe to share).
        self._made: dict[tuple[type, tuple[tuple[str, Any], ...]], list[Any]] | None = {} if reader else None

    async def add(self, records: list[Record]) -> None:
        await self.store.add_to_register(register_rows(records))

    async def _records(self, cls: type, **where: Any) -> list[Any]:
        key = (cls, tuple(where.items()))
        records = None if self._made is None else self._made.get(key)
        if records is None:
            records = [cls(**row) for row in await self.reader.register_rows(cls.__name__.lower(), where)]
            if self._made is not None:
                self._made[key] = records
        return list(records)

    async def message_seen(self, standard: str, message: str, afzender: str, identificatie: str) -> bool:
        return bool(await self._records(Bericht, standard=standard, message=message, afzender=afzender,
                                        identificatie=identificatie))

    async def toewijzingen(self, standard, tenant, *, agb=None, bsn=None, toewijzingnummer=None,
                           referentie_aanbieder=None) -> list[Toewijzing]:
        return await self._records(Toewijzing, standard=standard, tenant=tenant, agb=agb, bsn=bsn,
                                   toewijzingnummer=toewijzingnummer, referentie_aanbieder=referentie_aanbieder)

    async def starts(self, standard, tenant, agb, bsn) -> list[Start]:
        return await self._records(Start, standard=standard, tenant=tenant, agb=agb, bsn=bsn)

    async def stops(self, standard, tenant, agb, bsn) -> list[Stop]:
        return await self._records(Stop, standard=standard, tenant=tenant, agb=agb, bsn=bsn)

    async def verzoeken(self, standard, agb, *, tenant=None, bsn=None, referentie_aanbieder=None) -> list[Verzoek]:
        return await self._records(Verzoek, standard=standard, agb=agb, tenant=tenant, bsn=bsn,
                                   referentie_aanbieder=referentie_aanbieder)

    async def antwoorden(self, standard, tenant, agb, referentie_aanbieder) -> list[Antwoord]:
        return await self._records(Antwoord, standard=standard, tenant=tenant, agb=agb,
                                   referentie_aanbieder=referentie_aanbieder)

    async def declaraties(self, standard, agb, declaratienummer) -> list[Declaratie]:
        return await self._records(Declaratie, standard=standard, agb=agb, declaratienummer=declaratienummer)

    async def prestaties(self, standard, agb, *, tenant=None, toewijzingnummer=None, referentienummer=None,
                         vorig_referentienummer=None) -> list[Prestatie]:
        """Rejected Prestaties are left out by the store (register_ops)."""
        return await self._records(Prestatie, standard=standard, agb=agb, tenant=tenant,
                                   toewijzingnummer=toewijzingnummer, referentienummer=referentienummer,
                                   vorig_referentienummer=vorig_referentienummer)
