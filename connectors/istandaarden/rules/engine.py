"""Checking a message against the rules that apply to it."""
from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from connectors.istandaarden.rules.catalogue import Rule, rules_for
from connectors.istandaarden.rules.message import Message
from connectors.istandaarden.rules.model import HEADER, Finding, RuleContext, Violation
from connectors.istandaarden.rules.register import Register

TECHNISCH_AFGEKEURD = "0001"


def _message(document: etree._Element | etree._ElementTree | Message) -> Message:
    if isinstance(document, Message):
        return document
    if isinstance(document, etree._ElementTree):
        document = document.getroot()
    return Message(document)


def _findings(message: Message, rule: Rule, violations: Iterable[Violation]) -> list[Finding]:
    findings = []
    for violation in violations:
        record = violation.record
        if rule.retourcode == TECHNISCH_AFGEKEURD or record is None or record is message.root:
            path = HEADER
        else:
            path = message.path_of(record)
        at = violation.at if violation.at is not None else record
        location = message.path_of(at) if at is not None and at is not message.root else HEADER
        findings.append(Finding(rule.code, rule.retourcode, path, location, violation.detail))
    return findings


def check_document(document: etree._Element | etree._ElementTree | Message, context: RuleContext) -> list[Finding]:
    """The findings of every implemented rule that needs nothing but the message and the context.

    Raises NotAnIStandaardenMessage when the root is not an iWmo/iJw 3.2 message.
    """
    message = _message(document)
    findings = []
    for rule in rules_for(message.standard, message.code):
        if not rule.check.uses_register:
            findings += _findings(message, rule, rule.check.function(message, context))
    return findings


async def check_message(document: etree._Element | etree._ElementTree | Message, context: RuleContext,
                        register: Register | None = None) -> list[Finding]:
    """All findings for a message: `check_document` plus, given a register, the rules across messages.

    The register holds what earlier accepted messages said (see `register.records_from_message`); the message being
    checked must not be in it yet.
    """
    message = _message(document)
    findings = check_document(message, context)
    if register is not None:
        findings += await check_across_messages(message, context, register)
    return findings


async def check_across_messages(document: etree._Element | etree._ElementTree | Message, context: RuleContext,
                                register: Register) -> list[Finding]:
    """The findings of the rules across messages alone: `check_message` is `check_document` plus these, so a caller
    may run the rules that need no register apart, e.g. before it takes the register's turn."""
    message = _message(document)
    findings = []
    for rule in rules_for(message.standard, message.code):
        if rule.check.uses_register:
            findings += _findings(message, rule, await rule.check.function(message, context, register))
    return findings


def rejects_message(findings: Iterable[Finding]) -> bool:
    """Whether the findings reject the whole message (retourcode 0001)."""
    return any(f.retourcode == TECHNISCH_AFGEKEURD for f in findings)
