"""TLS contexts for mutual TLS, as a server towards partners and as a client towards them."""
from __future__ import annotations

import ssl
from collections.abc import Iterable
from pathlib import Path


def server_ssl_context(
    cert: Path,
    key: Path,
    client_ca_files: Iterable[Path],
    *,
    crl: Path | None = None,
    require_client_cert: bool = True,
) -> ssl.SSLContext:
    """A server context that verifies client certificates against `client_ca_files`.

    With `require_client_cert=False` a client may connect without a certificate (bearer-token clients), but a
    certificate that is presented must still verify; routes that need one check for it themselves. Without
    client CA files (and not required) client certificates are not asked for at all.
    With `crl`, leaf certificates are checked against it: every client CA then needs its CRL in that file.
    """
    # Not create_default_context: that would also trust the system's public CAs for client certificates.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=str(cert), keyfile=str(key))
    client_ca_files = list(client_ca_files)
    if not client_ca_files:
        if require_client_cert:
            raise ValueError("a server context for mutual TLS needs at least one client CA file")
        context.verify_mode = ssl.CERT_NONE
        return context
    context.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    for ca_file in client_ca_files:
        context.load_verify_locations(cafile=str(ca_file))
    if crl is not None:
        context.load_verify_locations(cafile=str(crl))
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    return context


def client_ssl_context(
    ca_file: Path | None = None, cert: Path | None = None, key: Path | None = None
) -> ssl.SSLContext:
    """A client context that verifies the server against `ca_file` (system CAs when None) and hostname.

    With `cert` and `key` it presents that client certificate (mutual TLS).
    """
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_file) if ca_file else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert is not None:
        context.load_cert_chain(certfile=str(cert), keyfile=str(key) if key else None)
    return context


def peer_certificate_der(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> bytes | None:
    """The verified client certificate of a connection as DER, or None when the client sent none."""
    if ssl_object is None:
        return None
    return ssl_object.getpeercert(binary_form=True)
