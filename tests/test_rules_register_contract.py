"""Every Register answers as the in-memory reference does: these tests, like the rule scenarios of
test_rules_register.py and test_rules_requests.py, run on InMemoryRegister and on the store's register on SQLite
and PostgreSQL (the `new_register` fixture)."""
from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date

import pytest

from connectors.istandaarden.rules.register import (
    Afwijzing, Antwoord, Bericht, Declaratie, Prestatie, Start, Stop, Toewijzing, Verzoek,
)
from gateway.rules_register import StoreRegister
from queues import Appending, MessageEntry, RegisterReader, open_store
from queues.encryption import EncryptingCodec, KeyRing
from queues.register_ops import REGISTER_TABLES
from rules_support import AGB, TENANT, earlier_prestatie, toewijzing

BSN, OTHER_BSN = "999900006", "999900018"
START = Start("ijw", TENANT, AGB, BSN, "300201", "55", "55A11", date(2026, 1, 1), date(2026, 2, 1), "1", "S1")
STOP = Stop("ijw", TENANT, AGB, BSN, None, None, None, None, date(2026, 2, 1), "20", date(2026, 6, 30), "1", "E1")
VERZOEK = Verzoek("iwmo", TENANT, AGB, BSN, "WMO315", "R1", date(2023, 3, 1), "V1")
ANTWOORD = Antwoord("iwmo", TENANT, AGB, "R1", "2", "01", "A1")
DECLARATIE = Declaratie("iwmo", TENANT, AGB, "DN000", date(2023, 4, 1), date(2023, 4, 30), None, "D0")
BERICHT = Bericht("iwmo", "WMO323", AGB, "D0", date(2023, 5, 2))


async def test_records_come_back_as_they_were_added(new_register):
    register = await new_register()
    allocated = toewijzing(BSN, "20072", "01A03", referentie_aanbieder="R1", budget=12345)
    declared = earlier_prestatie("RN1", tarief=None)
    await register.add([BERICHT, allocated, START, STOP, VERZOEK, ANTWOORD, DECLARATIE, declared])
    assert await register.message_seen("iwmo", "WMO323", AGB, "D0")
    assert await register.toewijzingen("iwmo", TENANT) == [allocated]
    assert await register.starts("ijw", TENANT, AGB, BSN) == [START]
    assert await register.stops("ijw", TENANT, AGB, BSN) == [STOP]
    assert await register.verzoeken("iwmo", AGB) == [VERZOEK]
    assert await register.antwoorden("iwmo", TENANT, AGB, "R1") == [ANTWOORD]
    assert await register.declaraties("iwmo", AGB, "DN000") == [DECLARATIE]
    assert await register.prestaties("iwmo", AGB) == [declared]


async def test_filters_narrow_and_lists_keep_the_order_added(new_register):
    register = await new_register()
    first, second, third = (dataclasses.replace(VERZOEK, referentie_aanbieder=f"R{n}", bsn=bsn)
                            for n, bsn in ((3, BSN), (1, OTHER_BSN), (2, BSN)))
    await register.add([first, second])
    await register.add([third, dataclasses.replace(VERZOEK, tenant="0363", referentie_aanbieder="R4")])
    assert await register.verzoeken("iwmo", AGB, tenant=TENANT) == [first, second, third]
    assert await register.verzoeken("iwmo", AGB, tenant=TENANT, bsn=BSN) == [first, third]
    assert await register.verzoeken("iwmo", AGB, bsn=OTHER_BSN, referentie_aanbieder="R1") == [second]
    assert await register.verzoeken("iwmo", AGB, bsn=OTHER_BSN, referentie_aanbieder="R3") == []
    assert await register.verzoeken("ijw", AGB) == []
    assert await register.verzoeken("iwmo", "99999999") == []
    assert await register.verzoeken("iwmo", AGB, bsn="no BSN") == []


async def test_a_later_toewijzing_with_the_number_replaces_the_earlier_and_moves_last(new_register):
    register = await new_register()
    first, other, elsewhere = (toewijzing(BSN, "1", "01A03"), toewijzing(BSN, "2", "01A03"),
                               toewijzing(BSN, "1", "01A03", tenant="0363"))
    await register.add([first, other, elsewhere])
    changed = dataclasses.replace(first, einddatum=date(2023, 6, 30), identificatie="T2")
    other_changed = dataclasses.replace(other, einddatum=date(2023, 6, 30), identificatie="T2")
    latest = dataclasses.replace(first, einddatum=date(2023, 7, 31), identificatie="T3")
    await register.add([changed, other_changed, latest])
    assert await register.toewijzingen("iwmo", TENANT) == [other_changed, latest]
    assert await register.toewijzingen("iwmo", "0363", toewijzingnummer="1") == [elsewhere]
    assert await register.toewijzingen("iwmo", TENANT, agb=AGB, bsn=BSN, toewijzingnummer="1") == [latest]
    assert await register.toewijzingen("iwmo", TENANT, bsn=OTHER_BSN) == []


async def test_a_declaratie_antwoord_rejects_one_prestatie_or_the_whole_declaratie(new_register):
    register = await new_register()
    p1, p2 = earlier_prestatie("RN1"), earlier_prestatie("RN2")
    other_declaratie = earlier_prestatie("RN3", declaratienummer="DN001")
    other_tenant = earlier_prestatie("RN4", tenant="0363")
    await register.add([p1, p2, other_declaratie, other_tenant])
    await register.add([Afwijzing("iwmo", TENANT, AGB, "DN001", "RN1", "A1"),  # names RN1 under another number
                        Afwijzing("iwmo", TENANT, "99999999", "DN000", "RN2", "A1"),
                        Afwijzing("ijw", TENANT, AGB, "DN000", "RN2", "A1")])
    assert await register.prestaties("iwmo", AGB) == [p2, other_declaratie, other_tenant]
    await register.add([Afwijzing("iwmo", TENANT, AGB, "DN000", None, "A2")])
    assert await register.prestaties("iwmo", AGB) == [other_declaratie, other_tenant]
    assert await register.prestaties("iwmo", AGB, tenant="0363", toewijzingnummer="20072") == [other_tenant]
    assert await register.prestaties("iwmo", AGB, referentienummer="RN2") == []


async def test_prestaties_are_found_by_each_of_their_numbers(new_register):
    register = await new_register()
    debet = earlier_prestatie("RN1")
    credit = earlier_prestatie("RN2", "C", vorig_referentienummer="RN1")
    await register.add([debet, credit, earlier_prestatie("RN3", toewijzingnummer="20073")])
    assert await register.prestaties("iwmo", AGB, referentienummer="RN2") == [credit]
    assert await register.prestaties("iwmo", AGB, vorig_referentienummer="RN1") == [credit]
    assert await register.prestaties("iwmo", AGB, tenant=TENANT, toewijzingnummer="20072") == [debet, credit]


async def test_a_message_is_seen_only_with_its_type_sender_and_identificatie(new_register):
    register = await new_register()
    await register.add([BERICHT])
    assert await register.message_seen("iwmo", "WMO323", AGB, "D0")
    for other in (("ijw", "WMO323", AGB, "D0"), ("iwmo", "WMO301", AGB, "D0"), ("iwmo", "WMO323", "1", "D0"),
                  ("iwmo", "WMO323", AGB, "D1")):
        assert not await register.message_seen(*other)


@pytest.mark.parametrize("cls", [Bericht, Toewijzing, Start, Stop, Verzoek, Antwoord, Declaratie, Prestatie,
                                 Afwijzing], ids=lambda cls: cls.__name__)
def test_the_store_has_a_column_for_every_field_of_a_record(cls):
    """The store cannot import the record classes: its tables must follow them (REGISTER_TABLES)."""
    expected = {}
    for name, hint in typing.get_type_hints(cls).items():
        optional = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
        base = next(arg for arg in typing.get_args(hint) if arg is not type(None)) if optional else hint
        kind = "bsn" if name == "bsn" else {str: "text", int: "int", date: "date"}[base]
        expected[name] = kind + ("?" if optional else "")
    assert REGISTER_TABLES[cls.__name__.lower()] == expected


async def test_in_one_check_a_query_asked_again_gets_the_records_made_the_first_time(tmp_path):
    """Several rules ask for the Prestaties of one Toewijzing; in the check's transaction the register stands still,
    so the records are made once, and a rule that changes its list changes no other rule's."""
    store = open_store(f"sqlite:///{tmp_path / 'register.db'}", payload_codec=EncryptingCodec(KeyRing.generate()))
    await store.start()
    try:
        declared = [earlier_prestatie("RN1"), earlier_prestatie("RN2", bsn=OTHER_BSN)]
        await StoreRegister(store).add(declared)
        asked = {"tenant": TENANT, "toewijzingnummer": "20072"}

        async def check(reader: RegisterReader) -> Appending:
            register = StoreRegister(store, reader)
            first = await register.prestaties("iwmo", AGB, **asked)
            first.pop()
            again = await register.prestaties("iwmo", AGB, **asked)
            assert again == declared and again[0] is first[0]
            assert await register.prestaties("iwmo", AGB, referentienummer="RN2") == declared[1:]
            return Appending(MessageEntry(payload=b"<Bericht/>", standard="iwmo", message_type="WMO323",
                                          direction="inbound", tenant=TENANT, partner=AGB))

        _, appended = await store.append_checked("rules:iwmo:aanbieder", check)
        assert appended.created
    finally:
        await store.close()
