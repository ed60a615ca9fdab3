"""Certificates for the tests of secured servers (nginx in front of Elasticsearch, Redis over
TLS), made with the openssl command: a CA, a certificate for 127.0.0.1 it signed, and a second CA
that signed nothing (a client trusting only that one must refuse the server)."""

from __future__ import annotations

import hashlib
import socket
import ssl
import subprocess
from pathlib import Path
from typing import NamedTuple


class Certificates(NamedTuple):
    ca: Path  # the CA that signed the server's certificate (PEM)
    stranger: Path  # a CA that signed nothing here
    cert: Path  # the server's certificate, for IP 127.0.0.1
    key: Path  # its private key
    fingerprint: str  # SHA-256 of the server's certificate, hex


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _ca(folder: Path, name: str) -> Path:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
             "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=folder)  # fmt: skip
    return folder / f"{name}.pem"


def certificates(folder: Path) -> Certificates:
    ca, stranger = _ca(folder, "ca"), _ca(folder, "stranger")
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
             "-keyout", "server.key", "-out", "server.csr", cwd=folder)  # fmt: skip
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem",
             cwd=folder)  # fmt: skip
    der = ssl.PEM_cert_to_DER_cert((folder / "server.pem").read_text())
    for path in folder.iterdir():  # a server that drops root (nginx, redis) reads them
        path.chmod(0o644)
    return Certificates(ca, stranger, folder / "server.pem", folder / "server.key",
                        hashlib.sha256(der).hexdigest())  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
