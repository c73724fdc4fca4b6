"""Fuzzing the message path with mutations of valid messages (byte flips, truncation, a duplicated element, random
unicode in text or between bytes): reading, identifying, XSD validation, the technical rules and the retour raise
nothing but the defined errors, the gateway's pipeline always answers, and CORV's receiver answers a Bv03 or a Fo03.

A few hundred examples per test on CI; `KETENPOORT_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz_messages.py` for a
longer run.
"""
from __future__ import annotations

import asyncio
import copy
import os
from datetime import date

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from gateway_support import addressed
from istandaarden_examples import KNOWN_INVALID, REFERENCE_DIR
from lxml import etree

import corv_messages as m
from connectors.corv.inbound import Receiver
from connectors.corv.stuf import StufFault
from connectors.istandaarden import catalogue
from connectors.istandaarden.problems import MessageError
from connectors.istandaarden.reader import read_message
from connectors.istandaarden.retour import RetourError, build_retour
from connectors.istandaarden.rules import RuleContext, check_message, retour_codes
from connectors.istandaarden.safe_xml import Limits
from connectors.istandaarden.validation import SchemaRegistry
from gateway.metrics import Metrics
from gateway.pipeline import Pipeline
from gateway.pipeline_metrics import PipelineMetrics
from gateway.services import schema_registry, store_for

EXAMPLES = int(os.environ.get("KETENPOORT_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("KETENPOORT_FUZZ_EXAMPLES"),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])
REGISTRY = SchemaRegistry()
LIMITS = Limits(max_bytes=1024 * 1024, max_depth=100)
EXAMPLE_FILES = sorted((REFERENCE_DIR / "istandaarden").glob("*-3.2/examples/*.xml"))
needs_examples = pytest.mark.skipif(not EXAMPLE_FILES, reason=f"reference examples not found under {REFERENCE_DIR}")


def duplicated_element(data: bytes, pick: int) -> bytes:
    """`data` with one of its elements (not the root) copied next to itself."""
    root = etree.fromstring(data)
    elements = [element for element in root.iter(etree.Element) if element is not root]
    element = elements[pick % len(elements)]
    element.addnext(copy.deepcopy(element))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def replaced_text(data: bytes, pick: int, text: str) -> bytes:
    """`data` with the text of one leaf element replaced by `text` (XML-escaped, so still well-formed)."""
    root = etree.fromstring(data)
    leaves = [element for element in root.iter(etree.Element) if len(element) == 0]
    leaves[pick % len(leaves)].text = "".join(char for char in text if _xml_char(char))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def retyped_character(data: bytes, pick: int, position: int, choice: int) -> bytes:
    """`data` with one character of a leaf's text replaced by another of its kind (digit, letter): often still
    valid by the XSD, so the rules and the retour see odd but well-typed values."""
    root = etree.fromstring(data)
    leaves = [element for element in root.iter(etree.Element) if len(element) == 0 and element.text]
    leaf = leaves[pick % len(leaves)]
    text = leaf.text
    index = position % len(text)
    alphabet = "0123456789" if text[index].isdigit() else "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    leaf.text = text[:index] + alphabet[choice % len(alphabet)] + text[index + 1:]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _xml_char(char: str) -> bool:
    code = ord(char)
    return code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    """One valid message, mutated one to three times; mostly in ways that keep it well-formed, so that many get
    past the parser into validation, the rules and the retour."""
    data = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "duplicate", "duplicate", "text",
                                     "retype", "retype", "retype", "retype"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data = data[:position] + bytes([data[position] ^ draw(st.integers(1, 255))]) + data[position + 1:]
        elif kind == "truncate":
            data = data[:position]
        elif kind == "duplicate":
            data = _if_well_formed(data, duplicated_element, draw(st.integers(0, 10_000)))
        elif kind == "text":
            data = _if_well_formed(data, replaced_text, draw(st.integers(0, 10_000)), draw(st.text(max_size=40)))
        elif kind == "retype":
            data = _if_well_formed(data, retyped_character, *(draw(st.integers(0, 10_000)) for _ in range(3)))
        else:
            data = data[:position] + draw(st.text(min_size=1, max_size=20)).encode("utf-8", "surrogatepass") \
                + data[position:]
    return data


def _if_well_formed(data: bytes, mutation, *args) -> bytes:
    try:
        return mutation(data, *args)
    except (etree.XMLSyntaxError, ValueError):  # an earlier mutation broke it: keep it broken
        return data


def through_the_message_path(data: bytes) -> str:
    """What the pipeline does with a provider's message, step by step; the step that stopped it."""
    try:
        message = read_message(data, LIMITS)
    except MessageError as error:
        assert error.problems and all(problem.message for problem in error.problems)
        return "unreadable"
    problems = REGISTRY.problems(message.root, message.message_type)
    if problems:
        assert all(problem.message for problem in problems)
        return "invalid"
    findings = asyncio.run(check_message(message.root, RuleContext(today=date(2026, 1, 15))))
    if message.message_type.retour_code is None:
        return "valid"
    try:
        retour = build_retour(message.root, retour_codes(message.root, findings), registry=REGISTRY)
    except RetourError:
        return "no retour"
    assert REGISTRY.validate(retour) == []
    return "retour"


@needs_examples
@FUZZ
@given(data=mutated([path.read_bytes() for path in EXAMPLE_FILES]))
def test_mutated_istandaarden_messages_meet_only_defined_errors(data):
    event(through_the_message_path(data))


@needs_examples
@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[path.stem for path in EXAMPLE_FILES])
def test_the_unmutated_examples_go_the_whole_way(path):
    assert through_the_message_path(path.read_bytes()) in ("valid", "retour", "invalid")


PROVIDER_SEEDS = [addressed(path) for path in EXAMPLE_FILES
                  if path.name not in KNOWN_INVALID and catalogue.by_code(path.stem).sender == catalogue.AANBIEDER]


@pytest.fixture
def pipeline(gateway_config):
    """The gateway's pipeline on a SQLite store, and the event loop it runs on."""
    loop = asyncio.new_event_loop()
    store = store_for(gateway_config)
    loop.run_until_complete(store.start())
    yield Pipeline(gateway_config, store, schema_registry(gateway_config), PipelineMetrics(Metrics().registry)), loop
    loop.run_until_complete(store.close())
    loop.close()


@needs_examples
@FUZZ
@given(data=mutated(PROVIDER_SEEDS))
def test_the_pipeline_answers_every_mutated_provider_message(pipeline, gateway_config, data):
    pipeline, loop = pipeline
    provider = gateway_config.provider("12345678")
    standard = "ijw" if b"ijw" in data[:400].lower() else "iwmo"
    answer = loop.run_until_complete(pipeline.receive_from_provider(provider, standard, data))
    event(str(answer.status))
    assert answer.status in (200, 202, 400, 403, 409, 422), answer
    assert answer.status < 400 or all(error["message"] for error in answer.body["errors"])


CORV_SEEDS = [m.soap_request(message) for message in (
    m.notificatie_di01(), m.zorgmelding_di01(), m.notificatiejr_di01(("OM", "CORV")),
    m.vto_di01(m.Vto([m.Kind(bsn="999990019", geboortedatum="20150601")],
                     [m.Gezagsdrager("Smit", bsn="999990135")])),
)]


@pytest.fixture(scope="module")
def receiver():
    return Receiver(applicaties={"JZA-Kop": "0448"}, max_bytes=1024 * 1024)


@FUZZ
@given(data=mutated(CORV_SEEDS))
def test_mutated_corv_requests_get_a_bv03_or_a_fo03(receiver, data):
    try:
        received = receiver.check(data)
    except StufFault as fault:
        assert fault.fout.code.startswith("StUF") and b"Fo03Bericht" in receiver.reject(fault)
        return
    assert b"Bv03Bericht" in receiver.accept(received)


@needs_examples
@pytest.mark.parametrize("dagtekening", ["0026-04-15", "0001-01-01", "9999-12-31"])
def test_found_by_fuzzing_a_dagtekening_at_the_ends_of_the_calendar_is_checked_not_crashed_on(dagtekening):
    root = etree.fromstring(addressed(REFERENCE_DIR / "istandaarden" / "ijw-3.2" / "examples" / "JW305.xml"))
    root.find("{*}Header/{*}BerichtIdentificatie/{*}Dagtekening").text = dagtekening
    assert through_the_message_path(etree.tostring(root)) == "retour"
