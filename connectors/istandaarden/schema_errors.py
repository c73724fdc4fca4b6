"""Turn libxml2's XSD error log into Problems a person can act on: line, element path, a plain reason."""
from __future__ import annotations

import re

from lxml import etree

from .problems import Problem, element_path

MAX_PROBLEMS = 100  # a message broken everywhere gets the first hundred, and a count of the rest

_NAMESPACE = re.compile(r"\{[a-z]+:[^}]*\}")  # {http://...} or {urn:...}, not the {9} of a pattern
_PREFIX = re.compile(r"(?<=/)[^/:\[]+:")
_SUBJECT = re.compile(r"^Element '([^']*)'(?:, attribute '([^']*)')?: (.*)$", re.S)
# (pattern on the reason, template); {el} is the element's local name, {a} and {b} the groups.
_REASONS = [
    (r"This element is not expected\. Expected is one of \( (.*) \)\.",
     "element {el} is not allowed here; expected one of: {a}"),
    (r"This element is not expected\. Expected is \( (.*) \)\.", "element {el} is not allowed here; expected {a}"),
    (r"This element is not expected\.", "element {el} is not allowed here"),
    (r"Missing child element\(s\)\. Expected is one of \( (.*) \)\.",
     "{el} is incomplete: a required element is missing, one of: {a}"),
    (r"Missing child element\(s\)\. Expected is \( (.*) \)\.", "{el} is incomplete: required element {a} is missing"),
    (r"\[facet 'pattern'\] The value '(.*)' is not accepted by the pattern '(.*)'\.",
     "{el}: value '{a}' does not match the required pattern {b}"),
    (r"\[facet 'enumeration'\] The value '(.*)' is not an element of the set \{(.*)\}\.",
     "{el}: value '{a}' is not one of the allowed values {b}"),
    (r"\[facet 'maxLength'\] The value has a length of '(\d+)'; this exceeds the allowed maximum length of '(\d+)'\.",
     "{el}: value is {a} characters long, more than the maximum length {b}"),
    (r"\[facet 'minLength'\] The value has a length of '(\d+)'; this underruns the allowed minimum length of '(\d+)'\.",
     "{el}: value is {a} characters long, less than the minimum length {b}"),
    (r"\[facet 'length'\] The value has a length of '(\d+)'; this differs from the allowed length of '(\d+)'\.",
     "{el}: value is {a} characters long; the length must be {b}"),
    (r"\[facet 'maxInclusive'\] The value '(.*)' is greater than the maximum value allowed \('(.*)'\)\.",
     "{el}: value {a} is greater than the maximum {b}"),
    (r"\[facet 'minInclusive'\] The value '(.*)' is less than the minimum value allowed \('(.*)'\)\.",
     "{el}: value {a} is less than the minimum {b}"),
    (r"\[facet 'totalDigits'\] The value '(.*)' has more digits than are allowed \('(\d+)'\)\.",
     "{el}: value {a} has more than {b} digits"),
    (r"\[facet 'fractionDigits'\] The value '(.*)' has more fractional digits than are allowed \('(\d+)'\)\.",
     "{el}: value {a} has more than {b} decimals"),
    (r"'(.*)' is not a valid value of the atomic type '(.*)'\.", "{el}: '{a}' is not a valid value of type {b}"),
    (r"The attribute '(.*)' is not allowed\.", "{el}: attribute {a} is not allowed"),
    (r"Character content other than whitespace is not allowed because the content type is 'element-only'\.",
     "{el} may only contain elements, not text"),
    (r"No matching global declaration available for the validation root\.",
     "root element {el} is not declared by the schema"),
]
_COMPILED_REASONS = [(re.compile(f"^{pattern}$", re.S), template) for pattern, template in _REASONS]


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
        # /p:Bericht/p:Client/p:Relatie[2]: positions only where siblings share the name, as in our paths
        path = _PREFIX.sub("", path) if path else None
    return Problem(line or None, path, readable_reason(entry.message))


def readable_reason(message: str) -> str:
    """libxml2's schema message without namespaces and in plainer words."""
    text = _NAMESPACE.sub("", message.strip())
    subject = _SUBJECT.match(text)
    if not subject:
        return text
    element, attribute, reason = subject.groups()
    for pattern, template in _COMPILED_REASONS:
        match = pattern.match(reason)
        if match:
            return template.format(el=element, **dict(zip("ab", match.groups())))
    return f"{element}{f' attribute {attribute}' if attribute else ''}: {reason}"


def _resolve(root: etree._Element, path: str) -> etree._Element | None:
    try:
        found = root.xpath(path, namespaces={prefix: uri for prefix, uri in root.nsmap.items() if prefix})
    except etree.XPathError:
        return None
    return found[0] if found and isinstance(found[0], etree._Element) else None
