"""0.24's helpers for the Task API's mutual-TLS contexts (`golem_task_api.compat.ssl`).

The file names are the contract's (see `tls`). The contexts they return
remember which files they were built from (`key_path`, `cert_path`,
`verify_cert_path`), since grpcio cannot take an `ssl.SSLContext`.
Fixed: 0.24 printed an error on stdout and returned None when a file was
unreadable, silently falling back to plaintext; this raises ValueError.
"""

import ssl
from pathlib import Path

from golem_task_api.wire import tls

SERVER_KEY_FILE_NAME: str = tls.SERVER_KEY
SERVER_CERT_FILE_NAME: str = tls.SERVER_CERT
CLIENT_KEY_FILE_NAME: str = tls.CLIENT_KEY
CLIENT_CERT_FILE_NAME: str = tls.CLIENT_CERT


class TaskApiSSLContext(ssl.SSLContext):
    """An `SSLContext` that knows its own key, certificate and peer certificate."""

    key_path: Path
    cert_path: Path
    verify_cert_path: Path


def create_client_ssl_context(
    directory: Path,
    server_cert_directory: Path,
    client_key_file_name: str = CLIENT_KEY_FILE_NAME,
    client_cert_file_name: str = CLIENT_CERT_FILE_NAME,
    server_cert_file_name: str = SERVER_CERT_FILE_NAME,
) -> TaskApiSSLContext | None:
    """The node's context: its key and certificate in `directory`, the app's certificate beside."""
    return create_ssl_context(
        directory / client_key_file_name,
        directory / client_cert_file_name,
        server_cert_directory / server_cert_file_name,
        ssl.Purpose.SERVER_AUTH,
    )


def create_server_ssl_context(
    directory: Path,
    server_key_file_name: str = SERVER_KEY_FILE_NAME,
    server_cert_file_name: str = SERVER_CERT_FILE_NAME,
    client_cert_file_name: str = CLIENT_CERT_FILE_NAME,
) -> TaskApiSSLContext | None:
    """The app's context, from the files the node put in its work dir."""
    return create_ssl_context(
        directory / server_key_file_name,
        directory / server_cert_file_name,
        directory / client_cert_file_name,
        ssl.Purpose.CLIENT_AUTH,
    )


def create_ssl_context(
    key_path: Path,
    cert_path: Path,
    verify_cert_path: Path,
    purpose: ssl.Purpose,
) -> TaskApiSSLContext | None:
    """A context requiring the peer's certificate; None when a file is missing (plaintext)."""
    if not (key_path.exists() and cert_path.exists() and verify_cert_path.exists()):
        return None
    client_side = purpose == ssl.Purpose.SERVER_AUTH
    context = TaskApiSSLContext(ssl.PROTOCOL_TLS_CLIENT if client_side else ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(str(cert_path), str(key_path))
        context.load_verify_locations(str(verify_cert_path))
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"cannot build a TLS context from {cert_path}: {exc}") from exc
    # The contract: both sides present certificates, nobody checks host names.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.key_path = key_path
    context.cert_path = cert_path
    context.verify_cert_path = verify_cert_path
    return context
