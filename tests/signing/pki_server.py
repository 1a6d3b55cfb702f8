"""The certomancer test PKI of ``pki/test-pki.yml``, served for real on 127.0.0.1.

The TSA, OCSP responder and CRL repositories answer over HTTP from certomancer's Animator (a
WSGI app) in a werkzeug server thread, so the code under test uses its real HTTP clients
(`requests` for the TSA, pyHanko's fetchers for OCSP/CRL). The Animator answers at the
current time, which `time-machine` moves for the whole process, server thread included.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from asn1crypto import x509 as asn1_x509
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig, KeyLabel, ServiceLabel
from certomancer.registry.pki_arch import PKIArchitecture
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from werkzeug.serving import WSGIRequestHandler, make_server

CONFIG = Path(__file__).parent / "pki" / "test-pki.yml"
ARCH = ArchLabel("amiable")


@dataclass(frozen=True)
class ServedPki:
    arch: PKIArchitecture
    base_url: str

    def cert(self, label: str) -> x509.Certificate:
        return x509.load_der_x509_certificate(self.arch.get_cert(CertLabel(label)).dump())

    def asn1_cert(self, label: str) -> asn1_x509.Certificate:
        return self.arch.get_cert(CertLabel(label))

    @property
    def root(self) -> x509.Certificate:
        return self.cert("root")

    def tsa_url(self, label: str = "tsa") -> str:
        return self.arch.service_registry.get_tsa_info(ServiceLabel(label)).url

    def seal_p12(self, label: str = "seal", password: bytes | None = None) -> bytes:
        """The seal ``label`` as an operator would get it: key, certificate, issuing CA, root."""
        key = self.arch.key_set.get_private_key(KeyLabel(label))
        private_key = serialization.load_der_private_key(key.dump(), password=None)
        assert isinstance(private_key, rsa.RSAPrivateKey)
        encryption = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return pkcs12.serialize_key_and_certificates(
            label.encode(),
            private_key,
            self.cert(label),
            [self.cert("issuing"), self.root],
            encryption,
        )


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per OCSP/CRL/TSA request would drown the test output."""


def _generate_keys(config: dict, key_dir: Path) -> None:
    for key in config["keysets"]["amiable"]["keys"].values():
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (key_dir / key["path"]).write_bytes(
            private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


@contextmanager
def serve_test_pki(key_dir: Path) -> Iterator[ServedPki]:
    """Generate the keys into ``key_dir``, build the PKI and serve it until the block ends."""
    config = yaml.safe_load(CONFIG.read_text())
    _generate_keys(config, key_dir)
    holder: dict[str, Animator] = {}

    def app(environ: dict, start_response: object) -> object:
        return holder["animator"](environ, start_response)

    # bind first (port 0: any free port), since the URLs in the certificates need the port
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    base_url = f"http://127.0.0.1:{server.server_port}"
    arch = CertomancerConfig(
        config, key_search_dir=str(key_dir), external_url_prefix=base_url
    ).get_pki_arch(ARCH)
    holder["animator"] = Animator(AnimatorArchStore({ARCH: arch}), with_web_ui=False)
    thread = threading.Thread(target=server.serve_forever, name="test-pki", daemon=True)
    thread.start()
    try:
        yield ServedPki(arch, base_url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
