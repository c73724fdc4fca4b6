"""The copy of a heenbericht into its retour structure, as an XSLT made from the retour schema's declarations.

Every child the retour declares is copied into the retour's namespace (elements of the basisschema keep theirs),
what it does not declare is left out with its content, and every record (berichtklasse) below the Header gets
RetourCodes 0200 as its last child. libxslt does the copy in C: alone, at about a third of the cost of copying
element by element from Python (`retour_records.copy_into`); within the whole message path the difference is below
what bench/pipeline.py can tell on a shared machine. The stylesheet is made and compiled once per process for each
retour message type and schema directory.

`header_only` copies the Header alone: the retour of a message rejected as a whole.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

from lxml import etree

from connectors.istandaarden import catalogue, retourcodes
from connectors.istandaarden.retour_records import HEADER, RETOURCODE, RETOURCODES, has_retourcodes
from connectors.istandaarden.schema_structure import Declaration

XSL = "http://www.w3.org/1999/XSL/Transform"
_HEEN_PREFIX = "heen"  # the heen's namespace in the stylesheet; no message prefix looks like it (wmo315, jw301)


def copy_to_retour(heen: etree._Element, heen_type: catalogue.MessageType, retour: catalogue.MessageType,
                   retour_root: Declaration, *, header_only: bool = False) -> etree._Element:
    """The retour's root element with the copied children of `heen` (its Header still to be completed)."""
    transform = _transform(heen_type.namespace, retour, retour_root)
    return transform(heen, **{"header-only": "true()" if header_only else "false()"}).getroot()


@functools.cache  # the declarations live as long as the process: one stylesheet per retour type and schema directory
def _transform(heen_namespace: str, retour: catalogue.MessageType, retour_root: Declaration) -> etree.XSLT:
    return etree.XSLT(etree.fromstring(stylesheet(heen_namespace, retour, retour_root)))


def stylesheet(heen_namespace: str, retour: catalogue.MessageType, retour_root: Declaration) -> str:
    """The XSLT 1.0 text: one mode per declaration with children, and in it one template per child it declares."""
    basis = catalogue.basisschema_namespace(retour.standard)
    prefixes = {retour.namespace: retour.prefix, basis: retour.standard}
    templates: list[str] = []
    modes: dict[int, str] = {}  # a declaration reached on several paths gets one mode

    def mode_of(declaration: Declaration) -> str:
        mode = modes.get(id(declaration))
        if mode is None:
            mode = modes[id(declaration)] = f"m{len(modes)}"
            for child in declaration.children.values():
                templates.append(_template(child, mode, prefixes, retour.namespace, mode_of))
            templates.append(f'<xsl:template match="*" mode="{mode}"/>')  # not declared: left out
        return mode

    root = f"{retour.prefix}:{retour_root.local_name}"
    children_mode = mode_of(retour_root)
    namespaces = " ".join(f'xmlns:{prefix}="{namespace}"' for namespace, prefix in prefixes.items())
    return (
        f'<xsl:stylesheet version="1.0" xmlns:xsl="{XSL}" xmlns:{_HEEN_PREFIX}="{heen_namespace}" {namespaces} '
        f'exclude-result-prefixes="{_HEEN_PREFIX}">'
        '<xsl:param name="header-only" select="false()"/>'
        f'<xsl:template match="/*"><{root}>'
        f'<xsl:apply-templates select="*[not($header-only) or self::{_HEEN_PREFIX}:{HEADER}]" mode="{children_mode}"/>'
        f'</{root}></xsl:template>'
        + "".join(templates)
        + "</xsl:stylesheet>"
    )


def _template(declaration: Declaration, mode: str, prefixes: dict[str, str], retour_namespace: str,
              mode_of: Callable[[Declaration], str]) -> str:
    prefix = prefixes[declaration.namespace]
    # The retour's own elements stand in the heen's namespace in the heen; the basisschema's in their own.
    source = f"{_HEEN_PREFIX if declaration.namespace == retour_namespace else prefix}:{declaration.local_name}"
    element = f"{prefix}:{declaration.local_name}"
    if not declaration.children:
        body = '<xsl:value-of select="."/>'
    else:
        body = f'<xsl:apply-templates select="*" mode="{mode_of(declaration)}"/>'
        if has_retourcodes(declaration) and declaration.local_name != HEADER:
            codes = f"{prefix}:{RETOURCODES}"
            body += (f"<{codes}><{prefix}:{RETOURCODE}>{retourcodes.GEEN_OPMERKING}</{prefix}:{RETOURCODE}>"
                     f"</{codes}>")
    return f'<xsl:template match="{source}" mode="{mode}"><{element}>{body}</{element}></xsl:template>'
