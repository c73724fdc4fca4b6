"""The technical rules (TR) of iWmo/iJw 3.2 as the pipeline runs them: the `RuleContext` of each tenant, the
register of the rules across messages, and one sender's check+append at a time.

A tenant's context has its products and tariffs from the config (converted once per tenant, not per message), the
CBS gemeentecodes of the rules package and today's date (TR135).
"""
from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import date

from connectors.istandaarden.reader import IncomingMessage
from connectors.istandaarden.rules import Finding, Register, RuleContext, Tarief, check_message
from gateway.config import Config, Tenant
from gateway.keyed_locks import KeyedLocks
from queues import Store


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
    """`register` None checks only what one message and the outside lists show."""

    def __init__(self, config: Config, store: Store, register: Register | None) -> None:
        self.contexts = RuleContexts(config)
        self.store = store
        self.register = register
        self.locks = KeyedLocks()

    async def check(self, message: IncomingMessage, tenant: str | None) -> list[Finding]:
        """Every rule the catalogue has for this message type, with the lists of its tenant and the register."""
        return await check_message(message.root, self.contexts.for_tenant(tenant), self.register)

    @contextlib.asynccontextmanager
    async def turn(self, message: IncomingMessage, sender: str) -> AsyncIterator[None]:
        """The turn of this message's sender for its check and the append that writes the register: two messages
        could otherwise both pass a rule on what the other adds (a DeclaratieNummer used twice, TR333). Those rules
        read what the same sender sent before (its DeclaratieNummers, starts, ToewijzingNummers), so one lock per
        standard and sender suffices: in this process, then in the store for the other processes on its database
        (PostgreSQL). Without a register there is nothing to wait for."""
        if self.register is None:
            yield
            return
        kind = message.message_type
        key = (kind.standard, kind.sender, sender)
        async with self.locks.hold(key), self.store.exclusive("rules:" + ":".join(key)):
            yield
