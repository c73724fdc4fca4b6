"""Write the project's own Suwinet-Inkijk XSDs and WSDLs from the reference facts of the SuwiML services.

    python tools/generate_suwinet_schemas.py [--reference ../shared/reference/suwinet] [--out schemas/suwinet]

Each `suwinet-<Service>-dict.json` records the service's request (BodyAction) and answer (BodyReaction) elements and
every type they use, in three namespaces: the service's own, the SuwiML Basisschema v0801 and FWI v0205. Written:
- `Basisschema-v0801.xsd` and `FWI-v0205.xsd`: the shared types of all generated services (identical in every dict);
- `<Service>-<version>/<Service>.xsd`: the service's messages and own types;
- `<Service>-<version>/<Service>.wsdl`: SOAP 1.1 document/literal as BKWI publishes it (port type, binding and
  WS-Addressing actions named as in BKWI's WSDLs), without wsdl:service: the address is configuration.
Where the facts are silent: FWI also declares `Fout` (type Melding), the fault detail element BKWI's WSDLs name.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

REPO_DIR = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = REPO_DIR.parent / "shared" / "reference" / "suwinet"
DEFAULT_OUT = REPO_DIR / "schemas" / "suwinet"

XS = "http://www.w3.org/2001/XMLSchema"
BASIS = "http://bkwi.nl/SuwiML/Basisschema/v0801"
FWI = "http://bkwi.nl/SuwiML/FWI/v0205"
PREFIXES = {XS: "xs", BASIS: "basis", FWI: "fwi"}
SERVICE_PREFIX = "smls"
FACET_ORDER = ("length", "minLength", "maxLength", "pattern", "enumeration", "totalDigits", "fractionDigits",
               "minInclusive", "maxInclusive")
# Service → (version, operation, port type, binding), as in BKWI's WSDLs.
SERVICES = {
    "BRPDossierPersoonGSD": ("v0200", "AanvraagPersoon", "BRPInfo", "BRPBinding"),
    "UWVDossierInkomstenGSD": ("v0200", "UWVPersoonsIkvInfo", "UWVIkvInfo", "UWVIkvBinding"),
    "Bijstandsregelingen": ("v0500", "BijstandsregelingenInfo", "BijstandsregelingenInfo", "BijstandsregelingenBinding"),
}
SHARED_FILES = {BASIS: "Basisschema-v0801.xsd", FWI: "FWI-v0205.xsd"}


class Namespaces:
    """Resolves the dict's prefixed names (`v0801:Datum`) to this schema's prefixes (`basis:Datum`)."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self._uris = prefixes

    def split(self, name: str) -> tuple[str | None, str]:
        if ":" not in name:
            return None, name
        prefix, local = name.split(":", 1)
        return (XS if prefix == "xs" else self._uris[prefix]), local

    def ref(self, name: str) -> str:
        uri, local = self.split(name)
        return f"{PREFIXES.get(uri, SERVICE_PREFIX)}:{local}"


def occurs(item: dict) -> str:
    text = f' minOccurs="{item["min"]}"' if item.get("min", 1) != 1 else ""
    maximum = item.get("max", 1)
    if maximum is None:
        return text + ' maxOccurs="unbounded"'
    return text + (f' maxOccurs="{maximum}"' if maximum != 1 else "")


def documentation(item: dict, indent: str) -> list[str]:
    if not item.get("doc"):
        return []
    return [f"{indent}<xs:annotation><xs:documentation>{escape(item['doc'])}</xs:documentation></xs:annotation>"]


def particle(item: dict, names: Namespaces, depth: int) -> list[str]:
    indent = "    " * depth
    if "group" in item:
        lines = [f"{indent}<xs:{item['group']}{occurs(item)}>"]
        for child in item["items"]:
            lines += particle(child, names, depth + 1)
        return lines + [f"{indent}</xs:{item['group']}>"]
    uri, local = names.split(item["name"])
    if uri is not None:
        return [f'{indent}<xs:element ref="{names.ref(item["name"])}"{occurs(item)}/>']
    if "type" in item:
        head = f'{indent}<xs:element name="{local}" type="{names.ref(item["type"])}"{occurs(item)}'
        doc = documentation(item, indent + "    ")
        return [head + ">", *doc, f"{indent}</xs:element>"] if doc else [head + "/>"]
    return [f'{indent}<xs:element name="{local}"{occurs(item)}>', *documentation(item, indent + "    "),
            *complex_type(item, names, depth + 1, None), f"{indent}</xs:element>"]


def complex_type(item: dict, names: Namespaces, depth: int, name: str | None) -> list[str]:
    indent = "    " * depth
    lines = [f"{indent}<xs:complexType{f' name={quoteattr(name)}' if name else ''}>", f"{indent}    <xs:{item['model']}>"]
    for child in item["items"]:
        lines += particle(child, names, depth + 2)
    return lines + [f"{indent}    </xs:{item['model']}>", f"{indent}</xs:complexType>"]


def simple_type(item: dict, names: Namespaces, local: str) -> list[str]:
    unknown = set(item["facets"]) - set(FACET_ORDER)
    if unknown:
        raise ValueError(f"type {item['name']}: facets {sorted(unknown)} are not supported")
    lines = [f'    <xs:simpleType name="{local}">', f'        <xs:restriction base="{names.ref(item["base"])}">']
    for facet in FACET_ORDER:
        values = item["facets"].get(facet)
        for value in values if isinstance(values, list) else ([] if values is None else [values]):
            lines.append(f"            <xs:{facet} value={quoteattr(str(value))}/>")
    return lines + ["        </xs:restriction>", "    </xs:simpleType>"]


def type_definition(name: str, item: dict, names: Namespaces) -> list[str]:
    _, local = names.split(name)
    return simple_type(item, names, local) if "base" in item else complex_type(item, names, 1, local)


def schema_document(namespace: str, comment: str, body: list[str], imports: dict[str, str] | None = None) -> str:
    declarations = " ".join(f'xmlns:{prefix}="{uri}"' for uri, prefix in PREFIXES.items())
    if namespace not in PREFIXES:
        declarations += f' xmlns:{SERVICE_PREFIX}="{namespace}"'
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f"<!-- {comment} -->",
             f'<xs:schema {declarations} targetNamespace="{namespace}" elementFormDefault="unqualified" '
             f'attributeFormDefault="unqualified">']
    lines += [f'    <xs:import namespace="{uri}" schemaLocation="{location}"/>' for uri, location in (imports or {}).items()]
    return "\n".join(lines + body + ["</xs:schema>"]) + "\n"


WSDL = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Ketenpoort's WSDL of Suwinet-Inkijk {service} {version}: SOAP 1.1, document/literal, as BKWI publishes it.
     The endpoint address is configured ([lookups.<service>] url), so this file has no wsdl:service.
     An official BKWI WSDL of the same service can be configured instead ([lookups.<service>] wsdl). -->
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
                  xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
                  xmlns:wsaw="http://www.w3.org/2006/05/addressing/wsdl"
                  xmlns:xs="http://www.w3.org/2001/XMLSchema"
                  xmlns:smls="{namespace}"
                  xmlns:fwi="{fwi}"
                  targetNamespace="{namespace}">
    <wsdl:types>
        <xs:schema>
            <xs:import namespace="{namespace}" schemaLocation="{service}.xsd"/>
            <xs:import namespace="{fwi}" schemaLocation="../{fwi_file}"/>
        </xs:schema>
    </wsdl:types>
    <wsdl:message name="{operation}">
        <wsdl:part name="parameters" element="smls:{operation}"/>
    </wsdl:message>
    <wsdl:message name="{operation}Response">
        <wsdl:part name="parameters" element="smls:{operation}Response"/>
    </wsdl:message>
    <wsdl:message name="AanvraagNietOk">
        <wsdl:part name="parameters" element="fwi:Fout"/>
    </wsdl:message>
    <wsdl:portType name="{port_type}">
        <wsdl:operation name="{operation}">
            <wsdl:input message="smls:{operation}" wsaw:Action="{action}/{operation}"/>
            <wsdl:output message="smls:{operation}Response" wsaw:Action="{action}/{operation}Response"/>
            <wsdl:fault name="AanvraagNietOk" message="smls:AanvraagNietOk" wsaw:Action="{action}/Fout"/>
        </wsdl:operation>
    </wsdl:portType>
    <wsdl:binding name="{binding}" type="smls:{port_type}">
        <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
        <wsaw:UsingAddressing wsdl:required="true"/>
        <wsdl:operation name="{operation}">
            <soap:operation soapAction=""/>
            <wsdl:input>
                <soap:body use="literal"/>
            </wsdl:input>
            <wsdl:output>
                <soap:body use="literal"/>
            </wsdl:output>
            <wsdl:fault name="AanvraagNietOk">
                <soap:fault name="AanvraagNietOk" use="literal"/>
            </wsdl:fault>
        </wsdl:operation>
    </wsdl:binding>
</wsdl:definitions>
"""


def generate(reference: Path, out: Path) -> list[Path]:
    """Write every file into `out`; returns the paths written."""
    shared: dict[str, dict[str, list[str]]] = {BASIS: {}, FWI: {}}
    written = []
    for service, (version, operation, port_type, binding) in SERVICES.items():
        facts = json.loads((reference / f"suwinet-{service}-dict.json").read_text(encoding="utf-8"))
        names = Namespaces(facts["prefixes"])
        namespace = f"http://bkwi.nl/SuwiML/Diensten/{service}/{version}"
        body = []
        for schema_name in ("BodyAction.xsd", "BodyReaction.xsd"):
            body.append(f"    <!-- {schema_name.removesuffix('.xsd')} -->")
            for element in facts["schemas"][schema_name]["elements"]:
                body += particle({**element, "name": names.split(element["name"])[1], "min": 1, "max": 1}, names, 1)
        for name, item in facts["types"].items():
            uri, local = names.split(name)
            if uri == namespace:
                body += type_definition(name, item, names)
            else:
                shared[uri][local] = type_definition(name, item, names)
        folder = out / f"{service}-{version}"
        folder.mkdir(parents=True, exist_ok=True)
        comment = f"Ketenpoort's schema of Suwinet-Inkijk {service} {version}, written from the service's published facts."
        imports = {uri: f"../{location}" for uri, location in SHARED_FILES.items()}
        written.append(_write(folder / f"{service}.xsd", schema_document(namespace, comment, body, imports)))
        written.append(_write(folder / f"{service}.wsdl", WSDL.format(
            service=service, version=version, operation=operation, port_type=port_type, binding=binding,
            namespace=namespace, fwi=FWI, fwi_file=SHARED_FILES[FWI],
            action=f"http://bkwi.nl/SuwiML/Diensten/{service}-{version}",
        )))
    basis = [line for local in sorted(shared[BASIS]) for line in shared[BASIS][local]]
    written.append(_write(out / SHARED_FILES[BASIS], schema_document(
        BASIS, "Ketenpoort's SuwiML Basisschema v0801: the types the configured Suwinet services use, written from "
        "their published facts.", basis)))
    fwi = ['    <xs:element name="FWI" type="fwi:FWI"/>', '    <xs:element name="NietsGevonden" type="xs:anyType"/>',
           "    <!-- the SOAP fault detail of every service (message AanvraagNietOk) -->",
           '    <xs:element name="Fout" type="fwi:Melding"/>']
    fwi += [line for local in sorted(shared[FWI]) for line in shared[FWI][local]]
    written.append(_write(out / SHARED_FILES[FWI], schema_document(
        FWI, "Ketenpoort's SuwiML FWI v0205 (Fout, Waarschuwing, Informatie), written from the published facts.", fwi)))
    return written


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE, help="folder with suwinet-*-dict.json")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    for path in generate(args.reference, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
