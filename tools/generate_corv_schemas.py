"""Write the project's own StUF-koppelvlak Jeugdzorg (jz0100) XSDs and WSDL from the reference dictionary.

    python tools/generate_corv_schemas.py [--dictionary PATH] [--out schemas/corv/jz0100]

The dictionary (`../shared/reference/corv/dictionary-jz0100-1.0.9.json`) records every type of the official
release flattened: a derived type lists its own content, not its base. So the generated types are flat too, and
they never derive by restriction from a base content model; the official release's restriction that strict XSD 1.0
processors reject (see `connectors/corv/schemas.py`) therefore does not occur here, and lxml and xmlschema (XSD 1.0)
both load these files.

Where the dictionary is silent, the generator follows StUF 03.01 practice, each case named below:
- an element of a simple-content type with `StUF:noValue` is nillable (StUF sends unknown values as xsi:nil + noValue);
- a type with an empty content list is a wildcard (`FoutdetailsXML`: free XML detail of a fault);
- `extraElement` has the required `naam` attribute (the dictionary keeps only its text content);
- `BSN-e` takes its value type from `BSN` (the dictionary lost that base);
- the StUF answer messages (Bv01/Bv03/Bv04, Fo01/Fo02/Fo03) are built from the dictionary's Berichtcode, Systeem,
  Refnummer, Tijdstip, Melding and Foutbericht types.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

REPO_DIR = Path(__file__).resolve().parents[1]
DEFAULT_DICTIONARY = REPO_DIR.parent / "shared" / "reference" / "corv" / "dictionary-jz0100-1.0.9.json"
DEFAULT_OUT = REPO_DIR / "schemas" / "corv" / "jz0100"

NAMESPACES = {
    "jz0100": ("JZ", "http://www.stufstandaarden.nl/koppelvlak/jz0100", "jz0100_msg.xsd"),
    "stuf0301": ("StUF", "http://www.egem.nl/StUF/StUF0301", "stuf0301.xsd"),
    "0310": ("BG", "http://www.egem.nl/StUF/sector/bg/0310", "bg0310_ent.xsd"),
    "xmlmime": ("xmime", "http://www.w3.org/2005/05/xmlmime", "xmlmime.xsd"),
}
XS = "http://www.w3.org/2001/XMLSchema"

# The five jz-berichten: element local name → type in the dictionary.
MESSAGE_ROOTS = (
    "jz0100:VTO-Di01",
    "jz0100:NotificatieDi01",
    "jz0100:NotificatiejrDi01",
    "jz0100:ZorgmeldingDi01",
    "jz0100:ZorgmeldingTerugkoppelingDi01",
)
# StUF answers: berichtcode → (kind, dictionary berichtcode type). The dictionary spells Fo01's type "F001".
ANSWERS = {
    "Bv01": ("bevestiging", "stuf0301:BerichtcodeBv01"),
    "Bv03": ("bevestiging", "stuf0301:BerichtcodeBv03"),
    "Bv04": ("bevestiging", None),
    "Fo01": ("fout", "stuf0301:BerichtcodeF001"),
    "Fo02": ("fout", "stuf0301:BerichtcodeFo02"),
    "Fo03": ("fout", "stuf0301:BerichtcodeFo03"),
}
ANSWER_TYPES = ("stuf0301:Systeem", "stuf0301:Refnummer", "stuf0301:Tijdstip", "stuf0301:Melding",
                "stuf0301:Foutbericht", "stuf0301:Berichtcode")
NO_VALUE = "stuf0301:noValue"

# Operations of the ontvangAsynchroon service: operation name → (namespace key, root element local name).
OPERATIONS = (
    ("vtoDi01", "jz0100", "vtoDi01"),
    ("notificatieDi01", "jz0100", "notificatieDi01"),
    ("notificatiejrDi01", "jz0100", "notificatiejrDi01"),
    ("zorgmeldingDi01", "jz0100", "zorgmeldingDi01"),
    ("zorgmeldingTerugkoppelingDi01", "jz0100", "zorgmeldingTerugkoppelingDi01"),
    ("bv01Bericht", "stuf0301", "Bv01Bericht"),
    ("fo01Bericht", "stuf0301", "Fo01Bericht"),
)


def ns_of(qname: str) -> str:
    return qname.split(":", 1)[0]


def local(qname: str) -> str:
    return qname.split(":", 1)[1]


def qref(qname: str) -> str:
    """A dictionary name (`0310:ZAK-vto`, `xs:string`) as a QName in the generated files."""
    prefix, name = qname.split(":", 1)
    return qname if prefix == "xs" else f"{NAMESPACES[prefix][0]}:{name}"


class Generator:
    def __init__(self, dictionary: dict) -> None:
        self.types: dict = dictionary["types"]
        self.elements = {local(e["type"]): local(e["name"]) for e in
                         dictionary["schemas"]["jz0100_msg_jzberichten.xsd"]["elements"]}
        self.types["0310:BSN-e"]["simple_content"] = dict(self.types["0310:BSN"])
        self.extra_simple: dict[str, dict] = {}  # value types defined inline in a simple_content
        self.attributes: dict[str, object] = {}  # qualified global attributes: name → type
        code_types = [code_type for _, code_type in ANSWERS.values() if code_type]
        self.selected = self._closure(list(MESSAGE_ROOTS) + list(ANSWER_TYPES) + code_types)

    # -- which types ------------------------------------------------------------------------------------------
    def _closure(self, roots: list[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(roots)
        while stack:
            name = stack.pop()
            if name in seen or name.startswith("xs:"):
                continue
            seen.add(name)
            stack.extend(self._references(self.types[name]))
        return seen

    def _references(self, node) -> list[str]:
        found = []
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("type", "base") and isinstance(value, str):
                    found.append(value)
                elif key == "name" and isinstance(value, str) and value in self.types and "base" in node:
                    found.append(value)
                elif key == "attributes":
                    for attribute_type in value.values():
                        found.extend([attribute_type] if isinstance(attribute_type, str)
                                     else self._references(attribute_type))
                elif isinstance(value, (dict, list)):
                    found.extend(self._references(value))
        elif isinstance(node, list):
            for value in node:
                found.extend(self._references(value))
        return [name for name in found if name in self.types or name.startswith("xs:")]

    # -- simple types -----------------------------------------------------------------------------------------
    @staticmethod
    def _facets(facets: dict, indent: str) -> list[str]:
        lines = []
        for facet, value in facets.items():
            values = value if isinstance(value, list) else [value]
            lines.extend(f"{indent}<xs:{facet} value={quoteattr(str(v))}/>" for v in values)
        return lines

    def simple_type(self, name: str, definition: dict) -> list[str]:
        base = definition.get("base", "xs:string")
        body = self._facets(definition.get("facets", {}), "      ")
        lines = [f'  <xs:simpleType name="{local(name)}">', *self._doc(definition, "    ")]
        if body:
            lines += [f'    <xs:restriction base="{qref(base)}">', *body, "    </xs:restriction>"]
        else:
            lines.append(f'    <xs:restriction base="{qref(base)}"/>')
        return lines + ["  </xs:simpleType>"]

    @staticmethod
    def _doc(definition: dict, indent: str) -> list[str]:
        if not definition.get("doc"):
            return []
        return [f"{indent}<xs:annotation><xs:documentation>{escape(definition['doc'])}</xs:documentation>"
                "</xs:annotation>"]

    # -- attributes -------------------------------------------------------------------------------------------
    def attribute_lines(self, attributes: dict, indent: str) -> list[str]:
        lines = []
        for name, attribute_type in attributes.items():
            self.attributes[name] = attribute_type
            lines.append(f'{indent}<xs:attribute ref="{qref(name)}"/>')
        return lines

    def global_attribute(self, name: str, attribute_type) -> list[str]:
        if isinstance(attribute_type, str):
            return [f'  <xs:attribute name="{local(name)}" type="{qref(attribute_type)}"/>']
        facets = self._facets(attribute_type.get("facets", {}), "        ")
        return [f'  <xs:attribute name="{local(name)}">', "    <xs:simpleType>",
                f'      <xs:restriction base="{qref(attribute_type["base"])}">', *facets,
                "      </xs:restriction>", "    </xs:simpleType>", "  </xs:attribute>"]

    # -- complex types ----------------------------------------------------------------------------------------
    def complex_type(self, name: str, definition: dict) -> list[str]:
        lines = [f'  <xs:complexType name="{local(name)}">', *self._doc(definition, "    ")]
        if "simple_content" in definition:
            lines += self._simple_content(name, definition)
        else:
            model = definition.get("model", "sequence")
            items = definition.get("items", [])
            if items:
                lines += [f"    <xs:{model}>", *self._particles(name, items, "      "), f"    </xs:{model}>"]
            else:
                lines += ["    <xs:sequence>",
                          '      <xs:any namespace="##any" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>',
                          "    </xs:sequence>"]
            lines += self.attribute_lines(definition.get("attributes", {}), "    ")
        return lines + ["  </xs:complexType>"]

    def _simple_content(self, name: str, definition: dict) -> list[str]:
        content = definition["simple_content"]
        attributes = definition.get("attributes", {})
        base = content.get("base")
        if isinstance(base, str) and base in self.types and "simple_content" in self.types[base]:
            if attributes != self.types[base].get("attributes", {}):
                raise ValueError(f"{name}: restricts {base} but changes its attributes")
            facets = self._facets(content.get("facets", {}), "        ")
            return ["    <xs:simpleContent>", f'      <xs:restriction base="{qref(base)}">', *facets,
                    "      </xs:restriction>", "    </xs:simpleContent>"]
        value_type = content["name"]
        if not value_type.startswith("xs:") and value_type not in self.types:
            self.extra_simple[value_type] = content
        return ["    <xs:simpleContent>", f'      <xs:extension base="{qref(value_type)}">',
                *self.attribute_lines(attributes, "        "), "      </xs:extension>", "    </xs:simpleContent>"]

    def _particles(self, owner: str, items: list, indent: str) -> list[str]:
        lines = []
        for item in items:
            occurs = self._occurs(item)
            if "group" in item:
                lines += [f"{indent}<xs:{item['group']}{occurs}>",
                          *self._particles(owner, item["items"], indent + "  "), f"{indent}</xs:{item['group']}>"]
            elif "simpleContent" in item:
                lines += self._extra_element(item, occurs, indent)
            elif ns_of(item["name"]) != ns_of(owner):
                lines.append(f'{indent}<xs:element ref="{qref(item["name"])}"{occurs}/>')
            else:
                item_type = self.types.get(item["type"], {})
                nillable = ' nillable="true"' if "simple_content" in item_type and NO_VALUE in item_type.get(
                    "attributes", {}) else ""
                lines.append(f'{indent}<xs:element name="{local(item["name"])}" type="{qref(item["type"])}"'
                             f"{occurs}{nillable}/>")
        return lines

    def _extra_element(self, item: dict, occurs: str, indent: str) -> list[str]:
        self.attributes[NO_VALUE] = "stuf0301:NoValue"
        return [f'{indent}<xs:element name="{local(item["name"])}"{occurs} nillable="true">',
                f"{indent}  <xs:complexType>", f"{indent}    <xs:simpleContent>",
                f'{indent}      <xs:extension base="{qref(item["simpleContent"]["name"])}">',
                f'{indent}        <xs:attribute name="naam" type="xs:string" use="required"/>',
                f'{indent}        <xs:attribute ref="StUF:noValue"/>',
                f"{indent}      </xs:extension>", f"{indent}    </xs:simpleContent>",
                f"{indent}  </xs:complexType>", f"{indent}</xs:element>"]

    @staticmethod
    def _occurs(item: dict) -> str:
        text = ""
        if item.get("min", 1) != 1:
            text += f' minOccurs="{item["min"]}"'
        maximum = item.get("max", 1)
        if maximum != 1:
            text += f' maxOccurs="{"unbounded" if maximum is None else maximum}"'
        return text

    # -- StUF answers -----------------------------------------------------------------------------------------
    def answer_declarations(self) -> list[str]:
        lines = []
        for code, (kind, code_type) in ANSWERS.items():
            if code_type is None:
                lines += self.simple_type(f"stuf0301:Berichtcode{code}",
                                          {"base": "stuf0301:Berichtcode", "facets": {"enumeration": [code]},
                                           "doc": f"Berichtcode = {code}"})
                code_type = f"stuf0301:Berichtcode{code}"
            # As StUF's generic Stuurgegevens: only the berichtcode is required (a fault about an unreadable
            # message knows nothing else).
            header = [{"name": "stuf0301:berichtcode", "type": code_type}] + [
                {"name": f"stuf0301:{name}", "min": 0, "type": f"stuf0301:{type_name}"}
                for name, type_name in (("zender", "Systeem"), ("ontvanger", "Systeem"),
                                        ("referentienummer", "Refnummer"), ("tijdstipBericht", "Tijdstip"),
                                        ("crossRefnummer", "Refnummer"))]
            lines += self.complex_type(f"stuf0301:Stuurgegevens{code}", {"items": header})
            content = [{"name": "stuf0301:stuurgegevens", "type": f"stuf0301:Stuurgegevens{code}"}]
            if kind == "bevestiging":
                content.append({"name": "stuf0301:melding", "min": 0, "max": None, "type": "stuf0301:Melding"})
            else:
                content.append({"name": "stuf0301:body", "type": "stuf0301:Foutbericht"})
            lines += self.complex_type(f"stuf0301:{code}Bericht", {"items": content})
            lines.append(f'  <xs:element name="{code}Bericht" type="StUF:{code}Bericht"/>')
        return lines

    # -- files ------------------------------------------------------------------------------------------------
    def schema_body(self, key: str) -> list[str]:
        body: list[str] = []
        for name in sorted(n for n in self.selected if ns_of(n) == key):
            definition = self.types[name]
            body += self.complex_type(name, definition) if definition.get("kind") == "complex" \
                else self.simple_type(name, definition)
        if key == "jz0100":
            body += [f'  <xs:element name="{self.elements[local(root)]}" type="JZ:{local(root)}"/>'
                     for root in MESSAGE_ROOTS]
        if key == "stuf0301":
            body += self.answer_declarations()
            body += ['  <xs:element name="extraElementen" type="StUF:ExtraElementen"/>']
        return body

    def global_body(self, key: str) -> list[str]:
        """Global attributes and inline value types, known only after every schema body is generated."""
        body = []
        for name in sorted(n for n in self.attributes if ns_of(n) == key):
            body += self.global_attribute(name, self.attributes[name])
        for name in sorted(n for n in self.extra_simple if ns_of(n) == key):
            body += self.simple_type(name, self.extra_simple[name])
        return body

    @staticmethod
    def wrap(key: str, body: list[str]) -> str:
        prefix, namespace, _ = NAMESPACES[key]
        others = [o for o in ("stuf0301", "0310", "xmlmime") if o != key]
        used = [o for o in others if any(f'"{NAMESPACES[o][0]}:' in line for line in body)]
        declarations = "".join(f'\n           xmlns:{NAMESPACES[o][0]}="{NAMESPACES[o][1]}"' for o in used)
        imports = [f'  <xs:import namespace="{NAMESPACES[o][1]}" schemaLocation="{NAMESPACES[o][2]}"/>'
                   for o in used]
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- Generated by tools/generate_corv_schemas.py from the '
                f"StUF-koppelvlak Jeugdzorg 1.0.9 facts. Do not edit. -->\n"
                f'<xs:schema xmlns:xs="{XS}" xmlns:{prefix}="{namespace}"{declarations}\n'
                f'           targetNamespace="{namespace}" elementFormDefault="qualified" '
                f'attributeFormDefault="unqualified" version="1.0.9">\n'
                + "\n".join(imports + body) + "\n</xs:schema>\n")

    def write(self, out: Path) -> list[str]:
        out.mkdir(parents=True, exist_ok=True)
        bodies = {key: self.schema_body(key) for key in ("jz0100", "0310", "stuf0301")}
        bodies["xmlmime"] = []
        written = []
        for key, body in bodies.items():
            path = out / NAMESPACES[key][2]
            path.write_text(self.wrap(key, body + self.global_body(key)), encoding="utf-8")
            written.append(path.name)
        (out / "ontvangAsynchroon.wsdl").write_text(wsdl(), encoding="utf-8")
        written.append("ontvangAsynchroon.wsdl")
        manifest = {"standard": "corv", "release": "jz0100 1.0.9", "files": sorted(written),
                    "entry": NAMESPACES["jz0100"][2], "wsdl": "ontvangAsynchroon.wsdl",
                    "messages": [self.elements[local(r)] for r in MESSAGE_ROOTS] + [f"{c}Bericht" for c in ANSWERS]}
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return written + ["manifest.json"]


def wsdl() -> str:
    """The ontvangAsynchroon service: every Di01 (and Bv01/Fo01) in, Bv03 out, Fo03 as SOAP fault."""
    jz, stuf = NAMESPACES["jz0100"][1], NAMESPACES["stuf0301"][1]
    messages, operations, bindings = [], [], []
    for operation, key, element in OPERATIONS:
        prefix = NAMESPACES[key][0]
        messages.append(f'  <wsdl:message name="{operation}"><wsdl:part name="body" element="{prefix}:{element}"/>'
                        "</wsdl:message>")
        operations.append(f'    <wsdl:operation name="{operation}">\n      <wsdl:input message="JZ:{operation}"/>\n'
                          '      <wsdl:output message="JZ:Bv03"/>\n'
                          '      <wsdl:fault name="Fo03" message="JZ:Fo03"/>\n    </wsdl:operation>')
        bindings.append(f'    <wsdl:operation name="{operation}">\n'
                        f'      <soap:operation soapAction="{jz}/{operation}" style="document"/>\n'
                        '      <wsdl:input><soap:body use="literal"/></wsdl:input>\n'
                        '      <wsdl:output><soap:body use="literal"/></wsdl:output>\n'
                        '      <wsdl:fault name="Fo03"><soap:fault name="Fo03" use="literal"/></wsdl:fault>\n'
                        "    </wsdl:operation>")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by tools/generate_corv_schemas.py. Do not edit. SOAP 1.1, document/literal. -->
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
                  xmlns:xs="{XS}" xmlns:JZ="{jz}" xmlns:StUF="{stuf}"
                  targetNamespace="{jz}" name="ontvangAsynchroon">
  <wsdl:types>
    <xs:schema targetNamespace="{jz}/wsdl">
      <xs:import namespace="{jz}" schemaLocation="jz0100_msg.xsd"/>
      <xs:import namespace="{stuf}" schemaLocation="stuf0301.xsd"/>
    </xs:schema>
  </wsdl:types>
{chr(10).join(messages)}
  <wsdl:message name="Bv03"><wsdl:part name="body" element="StUF:Bv03Bericht"/></wsdl:message>
  <wsdl:message name="Fo03"><wsdl:part name="body" element="StUF:Fo03Bericht"/></wsdl:message>
  <wsdl:portType name="OntvangAsynchroon_PortType">
{chr(10).join(operations)}
  </wsdl:portType>
  <wsdl:binding name="OntvangAsynchroon_Binding" type="JZ:OntvangAsynchroon_PortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
{chr(10).join(bindings)}
  </wsdl:binding>
  <wsdl:service name="OntvangAsynchroon">
    <wsdl:port name="OntvangAsynchroonPort" binding="JZ:OntvangAsynchroon_Binding">
      <soap:address location="https://localhost/corv/ontvangAsynchroon"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dictionary", type=Path, default=DEFAULT_DICTIONARY)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.dictionary.is_file():
        print(f"dictionary not found: {args.dictionary}", file=sys.stderr)
        return 2
    written = Generator(json.loads(args.dictionary.read_text(encoding="utf-8"))).write(args.out)
    print(f"wrote {len(written)} files to {args.out}: {', '.join(written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
