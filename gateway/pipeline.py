"""The iWmo/iJw message path, top to bottom: receive → safe parse → identify → authorise → validate (XSD) →
rules (TR) → journal+enqueue (one transaction) → answer.

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

Idempotency: a provider's message is known by standard, sender, BerichtIdentificatie (IdentificatieRetour for a
retour) and its Dagtekening. Posting the same one again is not accepted twice: the answer is 200 with the first
message's id and `"duplicate": true` (409 when the content differs from the first one).
"""
