"""Read an incoming iWmo/iJw message: safe parse -> identify -> (validate). Each step is callable on its own;
`check_message` runs them all, for the CLI and anyone who wants one verdict."""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from . import safe_xml
from .catalogue import MessageType
from .header import Header, identify, read_header
from .problems import MessageError, Problem
from .safe_xml import DEFAULT_LIMITS, Limits
from .validation import SchemaRegistry


@dataclass(frozen=True)
class IncomingMessage:
    root: etree._Element  # the Bericht element
    message_type: MessageType
    header: Header

    @property
    def code(self) -> str:
        return self.message_type.code

    @property
    def standard(self) -> str:
        return self.message_type.standard


@dataclass(frozen=True)
class CheckResult:
    message: IncomingMessage | None  # None when the data could not be parsed or identified
    problems: list[Problem]

    @property
    def valid(self) -> bool:
        return not self.problems


def read_message(data: bytes, limits: Limits = DEFAULT_LIMITS) -> IncomingMessage:
    """Safe parse and identify; MessageError when the data is not a readable iWmo/iJw 3.2 message."""
    root = safe_xml.parse(data, limits)
    return IncomingMessage(root, identify(root), read_header(root))


def check_message(data: bytes, registry: SchemaRegistry, limits: Limits = DEFAULT_LIMITS) -> CheckResult:
    """Safe parse, identify and validate against the XSD: every problem found, [] when the message is valid."""
    try:
        message = read_message(data, limits)
    except MessageError as error:
        return CheckResult(None, error.problems)
    return CheckResult(message, registry.problems(message.root, message.message_type))
