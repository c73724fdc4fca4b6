"""Building blocks the chain connectors share: BSN check, partner endpoints over mutual TLS, SOAP calls, errors."""
