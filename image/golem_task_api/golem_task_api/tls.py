"""The TLS files of a work dir and the gRPC credentials built from them.

If all three server-side files exist the server requires mutual TLS,
otherwise it serves plaintext (the contract's rule); the client follows the
same rule so both sides agree without configuration.
"""

from dataclasses import dataclass
from pathlib import Path

import grpc

SERVER_CERT = "task_api_server_cert.pem"
SERVER_KEY = "task_api_server_key.pem"
CLIENT_CERT = "task_api_client_cert.pem"
CLIENT_KEY = "task_api_client_key.pem"

SERVER_SIDE_FILES = (SERVER_CERT, SERVER_KEY, CLIENT_CERT)
ALL_FILES = (SERVER_CERT, SERVER_KEY, CLIENT_CERT, CLIENT_KEY)


def tls_enabled(work_dir: Path) -> bool:
    return all((work_dir / name).is_file() for name in SERVER_SIDE_FILES)


def server_credentials(work_dir: Path) -> grpc.ServerCredentials | None:
    """Mutual-TLS credentials, or None for plaintext."""
    if not tls_enabled(work_dir):
        return None
    return grpc.ssl_server_credentials(
        [((work_dir / SERVER_KEY).read_bytes(), (work_dir / SERVER_CERT).read_bytes())],
        root_certificates=(work_dir / CLIENT_CERT).read_bytes(),
        require_client_auth=True,
    )


@dataclass(frozen=True)
class ClientTls:
    credentials: grpc.ChannelCredentials
    #: The name grpcio checks the server certificate against, taken from the
    #: certificate itself: the contract says clients do not check host names.
    target_name: str


def client_tls(work_dir: Path) -> ClientTls | None:
    """Credentials for a node's client, or None when the server is plaintext."""
    if not tls_enabled(work_dir):
        return None
    server_cert = (work_dir / SERVER_CERT).read_bytes()
    credentials = grpc.ssl_channel_credentials(
        root_certificates=server_cert,
        private_key=(work_dir / CLIENT_KEY).read_bytes(),
        certificate_chain=(work_dir / CLIENT_CERT).read_bytes(),
    )
    return ClientTls(credentials, certificate_name(server_cert))


def certificate_name(pem: bytes) -> str:
    """A name the certificate is valid for: a DNS SAN, else the CN, else an IP SAN."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    cert = x509.load_pem_x509_certificate(pem)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if san is not None:
        dns_names = san.get_values_for_type(x509.DNSName)
        if dns_names:
            return dns_names[0]
    common_names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if common_names:
        return str(common_names[0].value)
    if san is not None:
        addresses = san.get_values_for_type(x509.IPAddress)
        if addresses:
            return str(addresses[0])
    raise ValueError("the server certificate names no host (no SAN, no CN)")
