"""Turn libxml2's XSD error log into Problems a person can act on: line, element path, a plain reason."""
from __future__ import annotations

import re

from lxml import etree

from .problems import Problem, element_path

MAX_PROBLEMS = 100  # a message broken everywhere gets the first hundred, and a count of the rest

_NAMESPACE = re.compile(r"\{[a-z]+:[^}]*\}")  # {http://...} or {urn:...}, not the {9} of a pattern
_PREFIX = re.compile(r"(?<=/)[^/:\[]+:")
_SUBJECT = re.compile(r"^Element '([^']*)'(?:, attribute '([^']*)')?: (.*)$", re.S)
# libxml2's error type -> [(pattern on the reason, template)]; {el} is the element's local name, {0} and {1} the
# groups. Keyed by type, one message costs one or two regex matches, not a try of every pattern.
_T = etree.ErrorTypes
_ATTRIBUTE_NOT_ALLOWED = [(r"The attribute '(.*)' is not allowed\.", "{el}: attribute {0} is not allowed")]
_REASONS = {
    _T.SCHEMAV_ELEMENT_CONTENT: [
        (r"This element is not expected\. Expected is one of \( (.*) \)\.",
         "element {el} is not allowed here; expected one of: {0}"),
        (r"This element is not expected\. Expected is \( (.*) \)\.", "element {el} is not allowed here; expected {0}"),
        (r"This element is not expected\.", "element {el} is not allowed here"),
        (r"Missing child element\(s\)\. Expected is one of \( (.*) \)\.",
         "{el} is incomplete: a required element is missing, one of: {0}"),
        (r"Missing child element\(s\)\. Expected is \( (.*) \)\.",
         "{el} is incomplete: required element {0} is missing"),
    ],
    _T.SCHEMAV_CVC_PATTERN_VALID: [
        (r"\[facet 'pattern'\] The value '(.*)' is not accepted by the pattern '(.*)'\.",
         "{el}: value '{0}' does not match the required pattern {1}")],
    _T.SCHEMAV_CVC_ENUMERATION_VALID: [
        (r"\[facet 'enumeration'\] The value '(.*)' is not an element of the set \{(.*)\}\.",
         "{el}: value '{0}' is not one of the allowed values {1}")],
    _T.SCHEMAV_CVC_MAXLENGTH_VALID: [
        (r"\[facet 'maxLength'\] The value has a length of '(\d+)'; "
         r"this exceeds the allowed maximum length of '(\d+)'\.",
         "{el}: value is {0} characters long, more than the maximum length {1}")],
    _T.SCHEMAV_CVC_MINLENGTH_VALID: [
        (r"\[facet 'minLength'\] The value has a length of '(\d+)'; "
         r"this underruns the allowed minimum length of '(\d+)'\.",
         "{el}: value is {0} characters long, less than the minimum length {1}")],
    _T.SCHEMAV_CVC_LENGTH_VALID: [
        (r"\[facet 'length'\] The value has a length of '(\d+)'; this differs from the allowed length of '(\d+)'\.",
         "{el}: value is {0} characters long; the length must be {1}")],
    _T.SCHEMAV_CVC_MAXINCLUSIVE_VALID: [
        (r"\[facet 'maxInclusive'\] The value '(.*)' is greater than the maximum value allowed \('(.*)'\)\.",
         "{el}: value {0} is greater than the maximum {1}")],
    _T.SCHEMAV_CVC_MININCLUSIVE_VALID: [
        (r"\[facet 'minInclusive'\] The value '(.*)' is less than the minimum value allowed \('(.*)'\)\.",
         "{el}: value {0} is less than the minimum {1}")],
    _T.SCHEMAV_CVC_TOTALDIGITS_VALID: [
        (r"\[facet 'totalDigits'\] The value '(.*)' has more digits than are allowed \('(\d+)'\)\.",
         "{el}: value {0} has more than {1} digits")],
    _T.SCHEMAV_CVC_FRACTIONDIGITS_VALID: [
        (r"\[facet 'fractionDigits'\] The value '(.*)' has more fractional digits than are allowed \('(\d+)'\)\.",
         "{el}: value {0} has more than {1} decimals")],
    _T.SCHEMAV_CVC_DATATYPE_VALID_1_2_1: [
        (r"'(.*)' is not a valid value of the atomic type '(.*)'\.", "{el}: '{0}' is not a valid value of type {1}")],
    _T.SCHEMAV_CVC_COMPLEX_TYPE_3_2_1: _ATTRIBUTE_NOT_ALLOWED,  # on an element of a complex type
    _T.SCHEMAV_CVC_TYPE_3_1_1: _ATTRIBUTE_NOT_ALLOWED,  # on an element of a simple type
    _T.SCHEMAV_CVC_COMPLEX_TYPE_2_3: [
        (r"Character content other than whitespace is not allowed because the content type is "
         r"'element-only'\.",
         "{el} may only contain elements, not text")],
    _T.SCHEMAV_CVC_ELT_1: [(r"No matching global declaration available for the validation root\.",
                           "root element {el} is not declared by the schema")],
}
_COMPILED_REASONS = {error_type: [(re.compile(f"^{pattern}$", re.S), template) for pattern, template in reasons]
                     for error_type, reasons in _REASONS.items()}
# A type not listed above (another libxml2 may file a message under another type) still gets every pattern.
_EVERY_REASON = [reason for reasons in _COMPILED_REASONS.values() for reason in reasons]


def problems_from_log(log: etree._ListErrorLog, root: etree._Element) -> list[Problem]:
    entries = list(log)
    problems = [_problem(entry, root) for entry in entries[:MAX_PROBLEMS]]
    if len(entries) > MAX_PROBLEMS:
        problems.append(Problem(None, None, f"... and {len(entries) - MAX_PROBLEMS} more schema errors"))
    return problems


def _problem(entry: etree._LogEntry, root: etree._Element) -> Problem:
    path, line = entry.path, entry.line
    if path and "*" in path:
        # Elements without a prefix (a default namespace) have no name in libxml2's path: find the element.
        element = _resolve(root, path)
        path = element_path(element) if element is not None else None
        line = line or (element.sourceline if element is not None else None)
    else:
        path = _local_path(path) if path else None
    return Problem(line or None, path, readable_reason(entry.message, entry.type))


def _local_path(path: str) -> str:
    """/p:Bericht/p:Client/p:Relatie[2] -> /Bericht/Client/Relatie[2] (positions only where siblings share the
    name, as in our paths). Every step has the root's prefix but in the rarest of messages: one replace."""
    local = path.replace("/" + path[1:path.find(":") + 1], "/")
    return _PREFIX.sub("", local) if ":" in local else local


def readable_reason(message: str, error_type: int) -> str:
    """libxml2's schema message (of libxml2's `error_type`) without namespaces and in plainer words."""
    text = _NAMESPACE.sub("", message.strip())
    subject = _SUBJECT.match(text)
    if not subject:
        return text
    element, attribute, reason = subject.groups()
    return (_reworded(_COMPILED_REASONS.get(error_type, ()), element, reason)
            or _reworded(_EVERY_REASON, element, reason)
            or f"{element}{f' attribute {attribute}' if attribute else ''}: {reason}")


def _reworded(reasons: list[tuple[re.Pattern, str]], element: str, reason: str) -> str | None:
    for pattern, template in reasons:
        match = pattern.match(reason)
        if match:
            return template.format(*match.groups(), el=element)
    return None


def _resolve(root: etree._Element, path: str) -> etree._Element | None:
    try:
        found = root.xpath(path, namespaces={prefix: uri for prefix, uri in root.nsmap.items() if prefix})
    except etree.XPathError:
        return None
    return found[0] if found and isinstance(found[0], etree._Element) else None
