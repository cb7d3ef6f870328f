"""Throwaway certificates for work dirs (node side; needs `cryptography`).

Each certificate is self-signed and acts as its own trust anchor: the
server trusts exactly `task_api_client_cert.pem` and the client trusts
exactly `task_api_server_cert.pem`, as the contract describes.
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

from golem_task_api.wire import tls

_VALIDITY = datetime.timedelta(days=30)


def _self_signed(common_name: str, server: bool) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
    )
    cert = builder.sign(key, hashes.SHA256())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def write_pem(path: Path, data: bytes, private: bool) -> None:
    """Keys are created with mode 600 so they are never readable by others."""
    mode = 0o600 if private else 0o644
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as file:
        os.fchmod(file.fileno(), mode)
        file.write(data)


@dataclass(frozen=True)
class TlsMaterial:
    """One server identity and one client identity (P-256), as PEM.

    Generated once and written into many work dirs: a node has one identity,
    and making keys per app is most of what TLS costs a local run per subtask.
    """

    server_cert: bytes
    server_key: bytes
    client_cert: bytes
    client_key: bytes

    @classmethod
    def generate(cls) -> TlsMaterial:
        server_cert, server_key = _self_signed("localhost", server=True)
        client_cert, client_key = _self_signed("golem-task-api-client", server=False)
        return cls(server_cert, server_key, client_cert, client_key)

    def write(self, work_dir: Path) -> None:
        """All four TLS files into `work_dir`; keys are readable by the owner only."""
        work_dir.mkdir(parents=True, exist_ok=True)
        write_pem(work_dir / tls.SERVER_CERT, self.server_cert, private=False)
        write_pem(work_dir / tls.SERVER_KEY, self.server_key, private=True)
        write_pem(work_dir / tls.CLIENT_CERT, self.client_cert, private=False)
        write_pem(work_dir / tls.CLIENT_KEY, self.client_key, private=True)


def write_tls_files(work_dir: Path) -> None:
    """Fresh throwaway certificates for one work dir (an identity of its own)."""
    TlsMaterial.generate().write(work_dir)
