"""Development PKI: a CA, a server certificate for localhost and chain partners' certificates.

Partner identity sits in the certificate subject the way PKIoverheid certificates carry it:
`serialNumber` holds the AGB code (care providers) or an OIN (government services), `CN` the name.
For development and tests only; deployments bring their own certificates.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEMO_PROVIDER_AGB = "12345678"
SECOND_PROVIDER_AGB = "87654321"
# OIN-like 20-digit numbers; the "99" block is not handed out, so they never clash with a real organisation.
CORV_OIN = "00000099000000000001"
SUWINET_OIN = "00000099000000000002"
BRP_OIN = "00000099000000000003"
GATEWAY_OIN = "00000099000000000010"

LOCAL_HOSTNAMES = ("localhost", "127.0.0.1", "::1")
VALID_DAYS = 825


@dataclass(frozen=True)
class CertificateFiles:
    """A PEM certificate and its PEM private key, with the identity in its subject."""

    cert: Path
    key: Path
    common_name: str
    serial_number: str
    fingerprint: str


@dataclass(frozen=True)
class DevPki:
    """Every file `create_dev_pki` writes (absolute paths)."""

    directory: Path
    ca_cert: Path
    ca_key: Path
    crl: Path
    server: CertificateFiles
    gateway_client: CertificateFiles
    provider: CertificateFiles
    second_provider: CertificateFiles
    corv: CertificateFiles
    suwinet: CertificateFiles
    brp: CertificateFiles
    expired: CertificateFiles
    revoked: CertificateFiles
    other_ca_cert: Path
    other_ca_client: CertificateFiles


def certificate_fingerprint(certificate: x509.Certificate | bytes | Path) -> str:
    """SHA-256 fingerprint as lowercase hex without separators.

    Accepts a loaded certificate, DER bytes (as `SSLObject.getpeercert(binary_form=True)` gives) or a PEM file.
    """
    return _load_certificate(certificate).fingerprint(hashes.SHA256()).hex()


def normalize_fingerprint(text: str) -> str:
    """`AB:CD:...` or `abcd...` → `abcd...`, so configured fingerprints compare with computed ones."""
    return text.replace(":", "").replace(" ", "").lower()


def subject_serial_number(certificate: x509.Certificate | bytes | Path) -> str | None:
    """The subject's serialNumber attribute (AGB code or OIN), or None when absent."""
    attributes = _load_certificate(certificate).subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return str(attributes[0].value) if attributes else None


def create_dev_pki(directory: Path | str) -> DevPki:
    """Write a fresh development PKI into `directory` (created if missing), replacing earlier files."""
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = _new_key()
    ca_cert = _self_signed_ca(ca_key, "Ketenpoort Development CA")
    _write(directory, "ca", ca_cert, ca_key)
    other_key = _new_key()
    other_cert = _self_signed_ca(other_key, "Unrelated Development CA")
    _write(directory, "other-ca", other_cert, other_key)

    def partner(stem: str, common_name: str, serial_number: str, **options) -> CertificateFiles:
        return create_partner_certificate(
            directory / "ca.pem", directory / "ca.key", directory, stem,
            common_name=common_name, serial_number=serial_number, **options,
        )

    now = datetime.datetime.now(datetime.timezone.utc)
    revoked = partner("revoked", "Ingetrokken Zorgaanbieder", "11111111")
    crl = _write_crl(directory / "ca.crl.pem", ca_cert, ca_key, [_load_certificate(revoked.cert)], now)
    return DevPki(
        directory=directory,
        ca_cert=directory / "ca.pem",
        ca_key=directory / "ca.key",
        crl=crl,
        server=partner("server", "localhost", GATEWAY_OIN),
        gateway_client=partner("gateway-client", "Ketenpoort Gateway", GATEWAY_OIN),
        provider=partner("provider", "Zorgaanbieder Demo", DEMO_PROVIDER_AGB),
        second_provider=partner("second-provider", "Tweede Zorgaanbieder", SECOND_PROVIDER_AGB),
        corv=partner("corv", "CORV", CORV_OIN),
        suwinet=partner("suwinet", "Suwinet-Inkijk BKWI", SUWINET_OIN),
        brp=partner("brp", "BRP Bevragen", BRP_OIN),
        expired=partner(
            "expired", "Verlopen Zorgaanbieder", "22222222",
            not_valid_before=now - datetime.timedelta(days=30), valid_days=1,
        ),
        revoked=revoked,
        other_ca_cert=directory / "other-ca.pem",
        other_ca_client=create_partner_certificate(
            directory / "other-ca.pem", directory / "other-ca.key", directory, "other-ca-client",
            common_name="Zorgaanbieder Andere CA", serial_number=DEMO_PROVIDER_AGB,
        ),
    )


def create_partner_certificate(
    ca_cert: Path,
    ca_key: Path,
    directory: Path,
    stem: str,
    *,
    common_name: str,
    serial_number: str,
    organization: str | None = None,
    hostnames: tuple[str, ...] = LOCAL_HOSTNAMES,
    not_valid_before: datetime.datetime | None = None,
    valid_days: int = VALID_DAYS,
) -> CertificateFiles:
    """Issue a certificate signed by the CA in `ca_cert`/`ca_key`; writes `stem.pem` and `stem.key`.

    The certificate is good for both TLS client and server use (with `hostnames` as subjectAltNames), so a fake
    partner in a test can serve with the same certificate it calls with.
    """
    issuer_cert = _load_certificate(Path(ca_cert))
    issuer_key = serialization.load_pem_private_key(Path(ca_key).read_bytes(), password=None)
    key = _new_key()
    start = not_valid_before or datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization or common_name),
        x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
    ])
    cert = (
        _builder(subject, issuer_cert.subject, key, start, valid_days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_encipherment=False, content_commitment=False, data_encipherment=False,
                key_agreement=True, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(x509.SubjectAlternativeName([_general_name(name) for name in hostnames]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()), critical=False
        )
        .sign(issuer_key, hashes.SHA256())
    )
    cert_path, key_path = _write(Path(directory), stem, cert, key)
    return CertificateFiles(
        cert=cert_path.resolve(),
        key=key_path.resolve(),
        common_name=common_name,
        serial_number=serial_number,
        fingerprint=certificate_fingerprint(cert),
    )


def _load_certificate(certificate: x509.Certificate | bytes | Path) -> x509.Certificate:
    if isinstance(certificate, x509.Certificate):
        return certificate
    if isinstance(certificate, Path):
        return x509.load_pem_x509_certificate(certificate.read_bytes())
    return x509.load_der_x509_certificate(certificate)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, start: datetime.datetime, days: int
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _self_signed_ca(key: ec.EllipticCurvePrivateKey, common_name: str) -> x509.Certificate:
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ketenpoort development"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
    ])
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    return (
        _builder(name, name, key, start, VALID_DAYS * 2)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_encipherment=False, content_commitment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )


def _write_crl(
    path: Path,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    revoked: list[x509.Certificate],
    now: datetime.datetime,
) -> Path:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - datetime.timedelta(minutes=5))
        .next_update(now + datetime.timedelta(days=VALID_DAYS))
    )
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(cert.serial_number).revocation_date(now).build()
        )
    path.write_bytes(builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    return path


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _write(
    directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> tuple[Path, Path]:
    cert_path = directory / f"{stem}.pem"
    key_path = directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Created with 0600 from the start, so the key is never readable by others, not even briefly.
    key_path.unlink(missing_ok=True)
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_bytes)
    return cert_path, key_path
