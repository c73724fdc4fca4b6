"""What can go wrong when a connector asks a chain partner something: one exception per kind of failure.

Messages name the partner and what went wrong; they never contain the subject's BSN or other personal data.
"""
from __future__ import annotations


class LookupFailed(Exception):
    """Base of every lookup failure; `partner` names the partner service (e.g. "BRPDossierPersoonGSD")."""

    def __init__(self, partner: str, message: str) -> None:
        super().__init__(f"{partner}: {message}")
        self.partner = partner


class NotFound(LookupFailed):
    """The partner answered, and knows nothing about this subject."""


class PartnerFault(LookupFailed):
    """The partner answered with a fault or error message: `code` and `detail` are the partner's own words."""

    def __init__(self, partner: str, code: str, detail: str) -> None:
        super().__init__(partner, f"fault {code}: {detail}")
        self.code = code
        self.detail = detail


class Timeout(LookupFailed):
    """No (complete) answer within the configured time."""


class MalformedAnswer(LookupFailed):
    """An answer that is not XML/JSON, not a SOAP envelope, or not valid against the service's schema."""


class TlsError(LookupFailed):
    """The mutual TLS handshake failed: the partner rejected our certificate, or we rejected theirs."""


class PartnerUnreachable(LookupFailed):
    """No connection could be made (refused, DNS, reset before an answer)."""
