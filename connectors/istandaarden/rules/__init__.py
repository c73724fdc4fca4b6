"""The technical rules (TR) of iWmo/iJw 3.2 that give the retourcodes.

    context = RuleContext(today=date.today(), products=..., tariffs=...)
    findings = await check_message(root, context, register)   # or check_document(root, context): no register
    codes = retour_codes(root, findings)                      # for retour.build_retour(root, codes)
    records = records_from_message(root, findings)            # what an accepted message adds to the register

`catalogue.all_rules()` lists every rule of the standards with `implemented` true/false.
"""
from connectors.istandaarden.rules import (  # noqa: F401  (importing registers the check functions)
    antwoord_history, client, contract, dates, declaratie, declaratie_history, overlap, prestatie, regie,
    toewijzing_history, verzoek, verzoek_history, volume,
)
from connectors.istandaarden.rules.catalogue import Rule, all_rules, coverage, rules_for
from connectors.istandaarden.rules.engine import (
    check_across_messages, check_document, check_message, rejects_message,
)
from connectors.istandaarden.rules.extract import records_from_message
from connectors.istandaarden.rules.memory import InMemoryRegister
from connectors.istandaarden.rules.message import Message, NotAnIStandaardenMessage
from connectors.istandaarden.rules.model import Finding, RuleContext, Tarief
from connectors.istandaarden.rules.register import Register
from connectors.istandaarden.rules.retour_codes import retour_codes

__all__ = [
    "Finding", "InMemoryRegister", "Message", "NotAnIStandaardenMessage", "Register", "Rule", "RuleContext",
    "Tarief", "all_rules", "check_across_messages", "check_document", "check_message", "coverage",
    "records_from_message",
    "rejects_message", "retour_codes", "rules_for",
]
