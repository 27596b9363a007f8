"""Throwaway self-signed certificates: the simulator's own for ``--tls``, and a client's, to
test a PCE that asks for a client certificate (``--client-ca``)."""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .control import LOOPBACK_NAMES, WILDCARD_HOSTS


def _names(host: str) -> list[x509.GeneralName]:
    """localhost and the loopback addresses, plus the host the server was started on, so the
    certificate covers the URL the simulator prints."""
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    if host in WILDCARD_HOSTS or host in LOOPBACK_NAMES:
        return names
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.append(x509.DNSName(host))
    return names


def _certificate(
    key: ec.EllipticCurvePrivateKey,
    common_name: str,
    names: list[x509.GeneralName],
    usage: x509.ObjectIdentifier,
) -> x509.Certificate:
    """Self-signed and marked as its own CA, so it can be given to clients as ``verify=``.

    The CA flag, key usages and key identifiers keep strict verifiers (Python 3.13's
    VERIFY_X509_STRICT) happy with a certificate that is both trust anchor and leaf.
    """
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def write_self_signed(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` (0600) for ``host`` into ``directory``; return both
    paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = _certificate(
        key, "Illumio PCE simulator", _names(host), ExtendedKeyUsageOID.SERVER_AUTH
    )
    return _write(directory, "", certificate, key)


def write_client_certificate(directory: Path) -> tuple[Path, Path]:
    """Write ``client-cert.pem`` and ``client-key.pem`` (0600) into ``directory``: a client
    certificate that is its own CA, so the same file is the simulator's ``--client-ca``."""
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("pairing-provider-client")]
    certificate = _certificate(
        key, "pairing_provider test client", names, ExtendedKeyUsageOID.CLIENT_AUTH
    )
    return _write(directory, "client-", certificate, key)


def _write(
    directory: Path, prefix: str, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> tuple[Path, Path]:
    cert_path = directory / f"{prefix}cert.pem"
    key_path = directory / f"{prefix}key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_path, key_path
