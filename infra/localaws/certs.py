"""The gateway's self-signed TLS certificate, made once with openssl and kept in the state dir.

The certificate is its own CA (basicConstraints CA:TRUE, keyCertSign) and names
localhost and 127.0.0.1 in subjectAltName, so clients trust it by pointing at the
certificate file (`requests.Session.verify`, `curl --cacert`).
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

_OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
x509_extensions = v3
prompt = no

[dn]
CN = localhost
O = localaws local stack

[v3]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyCertSign
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
"""


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


def ensure_certificate(directory: Path, days: int = 825) -> tuple[Certificate, bool]:
    """The certificate in `directory`, generated on first use. Returns (certificate, created)."""
    directory.mkdir(parents=True, exist_ok=True)
    certificate = Certificate(cert=directory / "gateway.crt", key=directory / "gateway.key")
    if certificate.cert.exists() and certificate.key.exists():
        return certificate, False
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not installed (make up installs it with apt-get)")
    config = directory / "openssl.cnf"
    config.write_text(_OPENSSL_CONFIG, encoding="utf-8")
    partial_key = directory / "gateway.key.partial"
    subprocess.run(  # noqa: S603 - fixed arguments
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", str(days), "-config", str(config), "-keyout", str(partial_key), "-out", str(certificate.cert)],
        check=True, capture_output=True)
    partial_key.chmod(0o600)
    partial_key.replace(certificate.key)
    return certificate, True
