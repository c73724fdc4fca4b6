"""The XML <-> JSON round trip on generated messages: variations of the examples (values within the facets,
repeated records, dropped optional elements) map to JSON and back to an equivalent document, valid when the
variation was."""
from __future__ import annotations

import copy
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from connectors.istandaarden import catalogue
from connectors.istandaarden.json_mapping import to_json, to_xml
from connectors.istandaarden.schema_structure import children, message_root
from connectors.istandaarden.validation import SchemaRegistry
from istandaarden_examples import canonical, example_params, load

EXAMPLES = [p.values[0] for p in example_params() if p.values[0] is not None]
REGISTRY = SchemaRegistry()
# Characters XML 1.0 can carry, with the ones escaping and whitespace handling get wrong most often.
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("&<>\"' \t\n"), max_size=12)

pytestmark = pytest.mark.skipif(not EXAMPLES, reason="reference examples not found")


def _declared(root: etree._Element) -> list[tuple[etree._Element, object]]:
    """Every element of the message with its declaration in the message's schema."""
    pairs = []

    def walk(element, xsd):
        pairs.append((element, xsd))
        declarations = children(xsd)
        for child in element.iterchildren(etree.Element):
            walk(child, declarations[etree.QName(child).localname])

    walk(root, message_root(catalogue.by_namespace(etree.QName(root).namespace)))
    return pairs


def _value(xsd_type) -> st.SearchStrategy[str]:
    """A value for a simple type, mostly within its facets (the property holds for any value)."""
    if xsd_type.enumeration:
        return st.sampled_from(xsd_type.enumeration)
    primitive = xsd_type.primitive_type.local_name
    if primitive == "date":
        return st.dates().map(lambda d: d.isoformat())
    if primitive == "time":
        return st.times().map(lambda t: t.strftime("%H:%M:%S"))
    if primitive == "decimal":
        low = int(xsd_type.min_value) if xsd_type.min_value is not None else 0
        high = int(xsd_type.max_value) if xsd_type.max_value is not None else 10 ** 6
        return st.integers(low, high).map(str) | st.integers(0, 99).map(lambda n: f"{n:03d}")
    if xsd_type.patterns and all(re.fullmatch(r"[\[\]0-9A-Za-z{},\-]+", p) for p in xsd_type.patterns.regexps):
        return st.sampled_from(xsd_type.patterns.regexps).flatmap(lambda p: st.from_regex(p, fullmatch=True))
    return TEXT


@st.composite
def variations(draw) -> etree._Element:
    root = copy.deepcopy(load(draw(st.sampled_from(EXAMPLES))))
    for _ in range(draw(st.integers(1, 6))):
        pairs = _declared(root)[1:]
        element, xsd = draw(st.sampled_from(pairs))
        siblings = list(element.getparent().iterchildren(element.tag))
        action = draw(st.sampled_from(["value", "repeat", "drop"]))
        if action == "value" and not children(xsd):
            element.text = draw(_value(xsd.type))
        elif action == "repeat" and xsd.is_multiple() and (xsd.max_occurs is None or len(siblings) < xsd.max_occurs):
            element.addnext(copy.deepcopy(element))
        elif action == "drop" and len(siblings) > xsd.min_occurs:
            element.getparent().remove(element)
    return root


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variations())
def test_generated_messages_survive_the_round_trip(original):
    message = catalogue.by_namespace(etree.QName(original).namespace)
    again = to_xml(json.loads(json.dumps(to_json(original))))
    assert canonical(again) == canonical(original)
    assert (REGISTRY.problems(again, message) == []) == (REGISTRY.problems(original, message) == [])
