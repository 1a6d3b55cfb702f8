"""Fixtures for the signing tests: a development seal in a temporary directory, a small PDF,
and poppler's `pdfsig` as the independent validator."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pdf_factory import make_pdf
from pki_server import ServedPki, serve_test_pki
from pyhanko.sign.timestamps import TimeStamper
from softhsm import SoftHsmToken, find_module, provision, write_config

from signing import (
    Sealer,
    SealIdentity,
    ensure_development_seal,
    load_certificates,
    make_timestamper,
)
from signing.devcert import development_root_path


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys")
    ensure_development_seal(path)
    return path


@pytest.fixture(scope="session")
def identity(keys_dir: Path) -> SealIdentity:
    return SealIdentity.load(ensure_development_seal(keys_dir))


@pytest.fixture(scope="session")
def dev_root(keys_dir: Path) -> x509.Certificate:
    return load_certificates(development_root_path(keys_dir))[0]


@pytest.fixture(scope="session")
def sealer(identity: SealIdentity) -> Sealer:
    return Sealer(identity)


@pytest.fixture(scope="session")
def one_page_pdf() -> bytes:
    return make_pdf()


@pytest.fixture(scope="session")
def sealed_pdf(sealer: Sealer, one_page_pdf: bytes) -> bytes:
    return sealer.seal(one_page_pdf, reason="Mise en demeure", location="Paris")


@pytest.fixture(scope="session")
def pdfsig(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., str]:
    """Run poppler's pdfsig on PDF bytes; returns its report (stdout).

    Its exit status is 0 even for a digest mismatch, so tests read the report lines.
    """
    if shutil.which("pdfsig") is None:
        pytest.fail("pdfsig not found: install poppler-utils")
    folder = tmp_path_factory.mktemp("pdfsig")

    def run(pdf: bytes, *, nss_dir: Path | None = None) -> str:
        path = folder / "document.pdf"
        path.write_bytes(pdf)
        args = ["pdfsig", *(["-nssdir", f"sql:{nss_dir}"] if nss_dir else []), str(path)]
        done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run


@pytest.fixture(scope="session")
def nss_trusting_dev_root(tmp_path_factory: pytest.TempPathFactory, keys_dir: Path) -> Path:
    """An NSS database (what pdfsig uses) that trusts the development root for signing.

    Trust flags ",C,": a CA trusted for e-mail/document signers, nothing else.
    """
    if shutil.which("certutil") is None:
        pytest.skip("certutil not found (apt install libnss3-tools)")
    nss_dir = tmp_path_factory.mktemp("nss")
    db = f"sql:{nss_dir}"
    root_pem = str(development_root_path(keys_dir))
    for args in (
        ["certutil", "-N", "-d", db, "--empty-password"],
        ["certutil", "-A", "-d", db, "-n", "amiable-development-root", "-t", ",C,", "-i", root_pem],
    ):
        subprocess.run(args, check=True, capture_output=True, timeout=60)
    return nss_dir


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedPki]:
    """The certomancer PKI of pki/test-pki.yml, its TSA, OCSP and CRLs served on 127.0.0.1."""
    with serve_test_pki(tmp_path_factory.mktemp("pki-keys")) as pki:
        yield pki


@pytest.fixture(scope="session")
def pki_seal(test_pki: ServedPki) -> SealIdentity:
    """The current seal of the test PKI: its certificate names an OCSP responder and a CRL."""
    return SealIdentity.from_pkcs12(test_pki.seal_p12())


@pytest.fixture(scope="session")
def pki_timestamper(test_pki: ServedPki) -> TimeStamper:
    return make_timestamper(test_pki.tsa_url())


@pytest.fixture(scope="session")
def lta_sealer(pki_seal: SealIdentity, pki_timestamper: TimeStamper) -> Sealer:
    return Sealer(pki_seal, timestamper=pki_timestamper)


@pytest.fixture(scope="session")
def lta_pdf(lta_sealer: Sealer, one_page_pdf: bytes) -> bytes:
    return lta_sealer.seal(one_page_pdf)


@pytest.fixture(scope="session")
def nss_trusting_test_pki(tmp_path_factory: pytest.TempPathFactory, test_pki: ServedPki) -> Path:
    """An NSS database (pdfsig's) that trusts the test PKI's root for signing."""
    if shutil.which("certutil") is None:
        pytest.skip("certutil not found (apt install libnss3-tools)")
    nss_dir = tmp_path_factory.mktemp("nss-pki")
    root_pem = nss_dir / "root.pem"
    root_pem.write_bytes(test_pki.root.public_bytes(serialization.Encoding.PEM))
    db = f"sql:{nss_dir}"
    for args in (
        ["certutil", "-N", "-d", db, "--empty-password"],
        ["certutil", "-A", "-d", db, "-n", "amiable-test-root", "-t", "C,C,", "-i", str(root_pem)],
    ):
        subprocess.run(args, check=True, capture_output=True, timeout=60)
    return nss_dir


@pytest.fixture(scope="session")
def softhsm_token(
    tmp_path_factory: pytest.TempPathFactory, test_pki: ServedPki
) -> Iterator[SoftHsmToken]:
    """A SoftHSM2 token with the test PKI's seal key (label "seal") and its chain."""
    module = find_module()
    if module is None:
        pytest.skip("softhsm2 is not installed (apt install softhsm2): no PKCS#11 token to test")
    folder = tmp_path_factory.mktemp("softhsm")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(write_config(folder)))
        yield provision(module, folder, test_pki, dict(os.environ))
