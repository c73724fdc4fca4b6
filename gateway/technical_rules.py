"""The technical rules (TR) of iWmo/iJw 3.2 as the pipeline runs them: the `RuleContext` of each tenant, the
register of the rules across messages, and one sender's check+append at a time, in the transaction that appends.

A tenant's context has its products and tariffs from the config (converted once per tenant, not per message), the
CBS gemeentecodes of the rules package and today's date (TR135).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar

from connectors.istandaarden.reader import IncomingMessage
from connectors.istandaarden.rules import (
    Finding, RuleContext, Tarief, check_across_messages, check_document,
)
from gateway.config import Config, Tenant
from gateway.rules_register import StoreRegister
from queues import Appending, AppendResult, RegisterReader, Store

A = TypeVar("A", bound=Appending)


class RuleContexts:
    def __init__(self, config: Config, today: Callable[[], date] = date.today) -> None:
        self.config = config
        self.today = today
        self._contexts: dict[str | None, RuleContext] = {}

    def for_tenant(self, gemeentecode: str | None) -> RuleContext:
        """The context for messages of `gemeentecode`; without lists for a tenant not configured (or None)."""
        today = self.today()
        tenant = self.config.tenant(gemeentecode) if gemeentecode else None
        key = tenant.gemeentecode if tenant else None  # one entry per configured tenant, at most
        context = self._contexts.get(key)
        if context is None:
            context = self._contexts[key] = _context(tenant, today)
        elif context.today != today:  # past midnight: the same lists, a new date
            context = self._contexts[key] = dataclasses.replace(context, today=today)
        return context


def _context(tenant: Tenant | None, today: date) -> RuleContext:
    if tenant is None:
        return RuleContext(today=today)
    tariffs = None if tenant.tariffs is None else {
        code: Tarief(tariff.bedrag, tariff.eenheid) for code, tariff in tenant.tariffs.items()}
    return RuleContext(today=today, products=tenant.products, tariffs=tariffs)


class TechnicalRules:
    """`with_register` False checks only what one message and the outside lists show (a store without a key ring
    keeps no register: `rules_register.has_register`)."""

    def __init__(self, config: Config, store: Store, with_register: bool) -> None:
        self.contexts = RuleContexts(config)
        self.store = store
        self.with_register = with_register

    async def check_and_append(self, message: IncomingMessage, tenant: str | None, sender: str,
                               decide: Callable[[list[Finding]], Awaitable[A]]) -> tuple[A, AppendResult]:
        """Check every rule the catalogue has for this message type, with the lists of its tenant and the register,
        and append what `decide` makes of the findings, in one transaction (`Store.append_checked`) that no other
        message of the same standard and sender enters before this one is journaled: two messages could otherwise
        both pass a rule on what the other adds (a DeclaratieNummer used twice, TR333). Those rules read what the
        same sender sent before (its DeclaratieNummers, starts, ToewijzingNummers), so one key per standard and
        sender suffices. Without a register there is nothing to keep apart. The rules that need nothing but the
        message and the lists run before the transaction: the shorter it is, the sooner the next one begins."""
        context = self.contexts.for_tenant(tenant)
        kind = message.message_type
        key = ":".join(("rules", kind.standard, kind.sender, sender)) if self.with_register else None
        checked = message.rules_view
        findings = check_document(checked, context)

        async def check(reader: RegisterReader) -> A:
            if not self.with_register:
                return await decide(findings)
            register = StoreRegister(self.store, reader)
            return await decide(findings + await check_across_messages(checked, context, register))

        return await self.store.append_checked(key, check)
