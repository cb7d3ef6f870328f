"""The TLS files of a work dir and the TLS contexts built from them.

If all three server-side files exist the server requires mutual TLS,
otherwise it serves plaintext (the contract's rule); the client follows the
same rule so both sides agree without configuration.

ALPN, as the contract's Transport section requires: the server selects `h2`
when a client offers it and accepts clients that offer nothing (the Golem
node's client); the client offers `h2` and accepts servers that select
nothing (every app built on the original package). Certificates are checked
either way: the server demands a client certificate signed by the client
CA file, the client verifies the server against the server certificate file
(no host names, as on Golem).
"""

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import grpc

SERVER_CERT = "task_api_server_cert.pem"
SERVER_KEY = "task_api_server_key.pem"
CLIENT_CERT = "task_api_client_cert.pem"
CLIENT_KEY = "task_api_client_key.pem"

SERVER_SIDE_FILES = (SERVER_CERT, SERVER_KEY, CLIENT_CERT)
ALL_FILES = (SERVER_CERT, SERVER_KEY, CLIENT_CERT, CLIENT_KEY)
ALPN_PROTOCOLS = ["h2"]


class TlsFileError(ValueError):
    """A TLS file of the work dir cannot be used; the message names it."""


def tls_enabled(work_dir: Path) -> bool:
    return all((work_dir / name).is_file() for name in SERVER_SIDE_FILES)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason).replace("_", " ").lower()
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _load_ca(context: ssl.SSLContext, path: Path, role: str) -> None:
    try:
        context.load_verify_locations(cafile=str(path))
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise TlsFileError(f"{path}: not a usable {role} certificate ({_reason(exc)})") from None


def _load_chain(context: ssl.SSLContext, cert: Path, key: Path, role: str) -> None:
    try:
        context.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError, ValueError) as exc:
        # Only now, on the error path: a context costs more than loading the files.
        _load_ca(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), cert, role)  # blame the cert if bad
        raise TlsFileError(
            f"{key}: not a usable {role} key for {cert.name} ({_reason(exc)})"
        ) from None


class _Contexts:
    """Contexts kept by the content of the files they were built from.

    A node makes its TLS material once and hands the same files to every app,
    so one context serves them all: building one costs a millisecond or more
    (a fresh process's first, several), reading the files microseconds. Apps
    forked from a fork server inherit the contexts it built (`server.prepare_fork`).
    """

    KEPT = 8

    def __init__(self, names: tuple[str, ...], build: Callable[[Path], ssl.SSLContext]) -> None:
        self.names = names
        self.build = build
        self.kept: dict[tuple[bytes, ...], ssl.SSLContext] = {}

    def get(self, work_dir: Path) -> ssl.SSLContext:
        try:
            key = tuple((work_dir / name).read_bytes() for name in self.names)
        except OSError:  # let the loaders name the file that cannot be read
            return self.build(work_dir)
        context = self.kept.get(key)
        if context is None:
            context = self.build(work_dir)
            if len(self.kept) >= self.KEPT:
                self.kept.pop(next(iter(self.kept)))
            self.kept[key] = context
        return context


def _build_server_context(work_dir: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_chain(context, work_dir / SERVER_CERT, work_dir / SERVER_KEY, "server")
    _load_ca(context, work_dir / CLIENT_CERT, "client")
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(ALPN_PROTOCOLS)
    # No TLS 1.3 session tickets: no node resumes a session with an app (each
    # connection is new), and two tickets per handshake cost both sides.
    context.num_tickets = 0
    return context


def _build_client_context(work_dir: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False  # the contract: clients do not check host names
    context.verify_mode = ssl.CERT_REQUIRED
    _load_ca(context, work_dir / SERVER_CERT, "server")
    _load_chain(context, work_dir / CLIENT_CERT, work_dir / CLIENT_KEY, "client")
    context.set_alpn_protocols(ALPN_PROTOCOLS)
    return context


_server_contexts = _Contexts(SERVER_SIDE_FILES, _build_server_context)
_client_contexts = _Contexts((SERVER_CERT, CLIENT_CERT, CLIENT_KEY), _build_client_context)


def server_context(work_dir: Path) -> ssl.SSLContext | None:
    """The server's mutual-TLS context, or None for plaintext (shared: do not change it)."""
    return _server_contexts.get(work_dir) if tls_enabled(work_dir) else None


def client_context(work_dir: Path) -> ssl.SSLContext | None:
    """A node client's context for `work_dir`'s app, or None for plaintext (shared)."""
    return _client_contexts.get(work_dir) if tls_enabled(work_dir) else None


@dataclass(frozen=True)
class GrpcioClientTls:
    """What a grpcio client needs for mutual TLS to an app (tests, tools).

    grpcio insists that the server select ALPN `h2`; ours does.
    """

    credentials: "grpc.ChannelCredentials"
    #: The name grpcio checks the server certificate against, taken from the
    #: certificate itself: the contract says clients do not check host names.
    target_name: str


def client_tls(work_dir: Path) -> GrpcioClientTls | None:
    """grpcio credentials for a node's client, or None when the server is plaintext."""
    import grpc

    if not tls_enabled(work_dir):
        return None
    server_cert = (work_dir / SERVER_CERT).read_bytes()
    credentials = grpc.ssl_channel_credentials(
        root_certificates=server_cert,
        private_key=(work_dir / CLIENT_KEY).read_bytes(),
        certificate_chain=(work_dir / CLIENT_CERT).read_bytes(),
    )
    return GrpcioClientTls(credentials, certificate_name(server_cert))


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
