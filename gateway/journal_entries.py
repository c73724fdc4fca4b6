"""What the journal keeps of an iWmo/iJw message and of the retour the gateway made for it: the entries
`gateway.pipeline` appends, the key that tells a message sent again, and the names of the queues and statuses.

Queues (names other modules rely on):
- `inbox:<gemeentecode>`       what the tenant's backoffice reads: accepted heenberichten of providers (305, 307,
                               315, 317, 323) and the providers' retours (302, 320) to the tenant's messages.
- `retour:<standard>:<agb>`    retours the gateway made for a provider's heenberichten (306, 308, 316, 318, 325;
                               the Header alone with 0001 for a technically rejected message).
- `outbound:<standard>:<agb>`  heenberichten of a backoffice to a provider (301, 319).

Journal status of a message (`MessageRecord.status`):
- "accepted"         a provider's heenbericht or retour, or a backoffice's outbound message, passed every check;
- "rejected"         refused (unreadable header, not authorised, XSD-invalid, or retourcode 0001 from the rules);
                     journaled without a queue so operators see it, the reason in the timeline;
- "created"          a retour the gateway made;
- "acked", "dead-lettered"   set by the store; "delivered" after a successful push;
- "retour received"  an outbound message whose retour (302, 320) came in; its retourcodes are on it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from lxml import etree

from connectors.istandaarden.catalogue import AANBIEDER, GEMEENTE, RETOUR
from connectors.istandaarden.header import identify
from connectors.istandaarden.reader import IncomingMessage
from queues import MessageEntry

ACCEPTED, REJECTED, CREATED, RETOUR_RECEIVED = "accepted", "rejected", "created", "retour received"


def inbox_queue(gemeentecode: str) -> str:
    return f"inbox:{gemeentecode}"


def retour_queue(standard: str, agb: str) -> str:
    return f"retour:{standard}:{agb}"


def outbound_queue(standard: str, agb: str) -> str:
    return f"outbound:{standard}:{agb}"


@dataclass(frozen=True)
class Parties:
    """Who a message is between: the tenant (gemeentecode) and the provider (AGB code), as its Header says."""

    tenant: str | None
    provider: str | None


def parties_of(message: IncomingMessage) -> Parties:
    """Tenant and provider from the Header: a gemeente's message goes from tenant to provider, a provider's the
    other way round; a retour keeps the Afzender and Ontvanger of the heenbericht it answers."""
    header, kind = message.header, message.message_type
    gemeente_sent_heen = (kind.sender == GEMEENTE) == (kind.direction != RETOUR)
    if gemeente_sent_heen:
        return Parties(tenant=header.afzender, provider=header.ontvanger)
    return Parties(tenant=header.ontvanger, provider=header.afzender)


def message_entry(message: IncomingMessage, data: bytes, parties: Parties, tenant: str | None, *, status: str,
                  queue: str | None = None, **fields: Any) -> MessageEntry:
    """The entry of a message as received; `tenant` is the gemeente it is journaled under (None: not served here)."""
    kind, header = message.message_type, message.header
    return MessageEntry(
        payload=data, standard=kind.standard, message_type=kind.code,
        direction="inbound" if kind.sender == AANBIEDER else "outbound",
        tenant=tenant, partner=parties.provider, status=status, queue=queue,
        bericht_identificatie=header.identificatie,
        dagtekening=header.dagtekening.isoformat() if header.dagtekening else None,
        meta={"sha256": hashlib.sha256(data).hexdigest()}, **fields,
    )


def retour_entry(heen: IncomingMessage, parties: Parties, retour: etree._Element) -> MessageEntry:
    """The entry of the retour the gateway made for `heen`, on the provider's retour queue."""
    kind = identify(retour)
    return MessageEntry(
        payload=etree.tostring(retour, xml_declaration=True, encoding="UTF-8"), standard=kind.standard,
        message_type=kind.code, direction="outbound", tenant=parties.tenant, partner=parties.provider,
        status=CREATED, queue=retour_queue(kind.standard, parties.provider),
        bericht_identificatie=heen.header.identificatie,
        dagtekening=heen.header.dagtekening.isoformat() if heen.header.dagtekening else None,
        retourcodes=retourcodes_of(retour),
    )


def idempotency_key(standard: str, sender: str | None, identificatie: str | None, dagtekening: date | None,
                    kind: str = "heen") -> str | None:
    if not (sender and identificatie and dagtekening):
        return None
    return f"{standard}:{kind}:{sender}:{identificatie}:{dagtekening.isoformat()}"


def retourcodes_of(root: etree._Element) -> tuple[str, ...]:
    return tuple(sorted({code.text.strip() for code in root.iter("{*}RetourCode") if code.text}))
