"""Certificates for a cluster's mutual TLS: the user's files, or throwaway ones.

Dask checks every peer against one CA (no host names). A throwaway set is one
CA and one leaf it signed, good as server and client, written with the key
readable by its owner only; a cluster on one machine needs nothing more.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distributed.security import Security

_VALIDITY = datetime.timedelta(days=7)


@dataclass(frozen=True)
class ClusterCerts:
    """The CA every peer must be signed by, and this peer's certificate and key."""

    ca: Path
    cert: Path
    key: Path

    def security(self) -> Security:
        from distributed.security import Security

        return Security(
            tls_ca_file=str(self.ca),
            tls_client_cert=str(self.cert),
            tls_client_key=str(self.key),
            require_encryption=True,
        )

    def cli_args(self) -> list[str]:
        """The options `dask scheduler` and `dask worker` take for the same files."""
        return [
            "--tls-ca-file",
            str(self.ca),
            "--tls-cert",
            str(self.cert),
            "--tls-key",
            str(self.key),
        ]

    def missing(self) -> str | None:
        """One line naming the first file that is not there, or None."""
        for what, path in (("CA", self.ca), ("certificate", self.cert), ("key", self.key)):
            if not path.is_file():
                return f"the cluster {what} file {path} does not exist"
        return None


def throwaway(directory: Path) -> ClusterCerts:
    """A fresh CA and a leaf it signed (server and client use) in `directory`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    from golem_task_api.node.certs import write_pem

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "golem-cluster-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "golem-cluster-peer")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    certs = ClusterCerts(directory / "ca.pem", directory / "peer.pem", directory / "peer-key.pem")
    write_pem(certs.ca, ca.public_bytes(pem), private=False)
    write_pem(certs.cert, leaf.public_bytes(pem), private=False)
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_pem(certs.key, key_pem, private=True)
    return certs
