"""Our Suwinet and StUF-BG schemas and WSDLs: written from the reference facts, loadable offline, true to the examples."""
from __future__ import annotations

import filecmp
import importlib.util

import pytest
import zeep
from xmlschema.extras.wsdl import Wsdl11Document

from connectors.brp.stufbg import DEFAULT_WSDL as STUF_BG_WSDL
from connectors.common.safe_xml import parse_xml
from connectors.suwinet.services import SCHEMAS_DIR, SERVICES
from lookup_support import REPO_DIR, SOAP_ENV, render_stuf_bg_example

WSDLS = [(service.default_wsdl, service.operation) for service in SERVICES.values()] + [(STUF_BG_WSDL, "npsLv01")]


class OfflineTransport:
    """A zeep transport that fails the test on any attempt to fetch something that is not a local file."""

    def load(self, url: str) -> bytes:
        assert "://" not in url or url.startswith("file://"), f"tried to fetch {url}"
        return open(url.removeprefix("file://"), "rb").read()


@pytest.mark.parametrize("wsdl, operation", WSDLS, ids=lambda value: getattr(value, "name", value))
def test_wsdl_loads_offline_in_zeep_and_xmlschema(wsdl, operation):
    document = zeep.wsdl.Document(str(wsdl), OfflineTransport())
    assert [binding for binding in document.bindings.values() if operation in binding.all()]
    assert Wsdl11Document(str(wsdl), allow="local").schema.maps.elements


def test_suwinet_schemas_are_what_the_generator_writes_from_the_reference(reference_dir, tmp_path):
    spec = importlib.util.spec_from_file_location("generator", REPO_DIR / "tools" / "generate_suwinet_schemas.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)

    written = generator.generate(reference_dir / "suwinet", tmp_path)

    for path in written:
        committed = SCHEMAS_DIR / path.relative_to(tmp_path)
        assert filecmp.cmp(path, committed, shallow=False), f"{committed} differs from what the generator writes"


def test_stuf_bg_reference_answers_are_valid_against_our_schema(reference_dir):
    schema = Wsdl11Document(str(STUF_BG_WSDL), allow="local").schema
    examples = sorted((reference_dir / "stuf-bg" / "examples").glob("*.xml"))
    answers = 0
    for example in examples:
        body = parse_xml(render_stuf_bg_example(reference_dir, example.name)).find(f"{{{SOAP_ENV}}}Body")
        payload = body[0]
        if payload.tag == f"{{{SOAP_ENV}}}Fault":
            continue
        errors = [f"{error.path}: {error.reason}" for error in schema.iter_errors(payload)]
        assert errors == [], example.name
        answers += 1
    assert answers >= 6
