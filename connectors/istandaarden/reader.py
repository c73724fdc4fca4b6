"""Read an incoming iWmo/iJw message: safe parse -> identify -> (validate). Each step is callable on its own;
`check_message` runs them all, for the CLI and anyone who wants one verdict."""
from __future__ import annotations

import functools
from dataclasses import dataclass

from lxml import etree

from . import safe_xml
from .catalogue import MessageType
from .header import Header, identify, read_header
from .problems import MessageError, Problem
from .rules.message import Message
from .safe_xml import DEFAULT_LIMITS, Limits
from .validation import SchemaRegistry


@dataclass  # not frozen: a frozen dataclass costs a microsecond more to create, on every message
class IncomingMessage:
    root: etree._Element  # the Bericht element
    message_type: MessageType

    @functools.cached_property
    def header(self) -> Header:
        """Read on first use: validation does not need it, and reading it costs as much as a tenth of a parse."""
        return read_header(self.root)

    @functools.cached_property
    def rules_view(self) -> Message:
        """The rules' view of the message, made once: the rules and the register's records read the same values."""
        return Message(self.root)

    @property
    def code(self) -> str:
        return self.message_type.code

    @property
    def standard(self) -> str:
        return self.message_type.standard


@dataclass
class CheckResult:
    message: IncomingMessage | None  # None when the data could not be parsed or identified
    problems: list[Problem]

    @property
    def valid(self) -> bool:
        return not self.problems


def read_message(data: bytes, limits: Limits = DEFAULT_LIMITS, *, check_depth: bool = True) -> IncomingMessage:
    """Safe parse and identify; MessageError when the data is not a readable iWmo/iJw 3.2 message.
    `check_depth=False`: see safe_xml.parse."""
    root = safe_xml.parse(data, limits, check_depth=check_depth)
    return IncomingMessage(root, identify(root))


def check_message(data: bytes, registry: SchemaRegistry, limits: Limits = DEFAULT_LIMITS) -> CheckResult:
    """Safe parse, identify and validate against the XSD: every problem found, [] when the message is valid.
    Fast path: a message its XSD accepts is no deeper than MESSAGE_MAX_DEPTH, so the exact depth limit is only
    checked when the XSD rejects the message (the parser itself refuses more than 256 levels)."""
    depth_after = limits.max_depth >= safe_xml.MESSAGE_MAX_DEPTH
    try:
        message = read_message(data, limits, check_depth=not depth_after)
    except MessageError as error:
        return CheckResult(None, error.problems)
    problems = registry.problems(message.root, message.message_type)
    too_deep = depth_after and problems and safe_xml.depth_problem(message.root, limits)
    return CheckResult(None, [too_deep]) if too_deep else CheckResult(message, problems)
