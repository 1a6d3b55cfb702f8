"""A seal key in an HSM, through PKCS#11: Debian's SoftHSM2 stands in for the HSM."""

from __future__ import annotations

import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from asn1crypto import cms
from pdf_factory import make_pdf
from pki_server import ServedPki
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import TimeStamper
from softhsm import SoftHsmToken

from signing import (
    Pkcs11Seal,
    SealConfigError,
    Sealer,
    reserved_signature_bytes,
    validate_pdf,
)


@pytest.fixture(scope="module")
def hsm_seal(softhsm_token: SoftHsmToken) -> Iterator[Pkcs11Seal]:
    seal = Pkcs11Seal.open(
        softhsm_token.module, token=softhsm_token.token, key=softhsm_token.key,
        pin=softhsm_token.pin,
    )
    yield seal
    seal.close()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pin": "000000"}, "wrong PIN"),
        ({"token": "no-such-token"}, "no PKCS#11 token labelled 'no-such-token'"),
        ({"key": "no-such-key"}, "no private key and certificate labelled 'no-such-key'"),
        ({"module": Path("/nonexistent/libpkcs11.so")}, "PKCS#11 module not found"),
    ],
    ids=["pin", "token", "key", "module"],
)
def test_configuration_mistakes_say_what_to_fix(
    softhsm_token: SoftHsmToken, change: dict, message: str
) -> None:
    """Run before any test holds a session open: PKCS#11 logs in per process, not session."""
    settings = {
        "module": softhsm_token.module,
        "token": softhsm_token.token,
        "key": softhsm_token.key,
        "pin": softhsm_token.pin,
        **change,
    }
    module = settings.pop("module")

    with pytest.raises(SealConfigError, match=message):
        Pkcs11Seal.open(module, **settings)


def test_the_certificate_and_chain_come_from_the_token(hsm_seal: Pkcs11Seal) -> None:
    assert hsm_seal.info.common_name == "Amiable test seal"
    assert sorted(c.subject.rfc4514_string() for c in hsm_seal.chain) == [
        "CN=Amiable test issuing CA,O=Amiable tests,C=FR",
        "CN=Amiable test root CA,O=Amiable tests,C=FR",
    ]
    assert "271828" not in repr(hsm_seal)


def test_an_hsm_seal_validates(hsm_seal: Pkcs11Seal, test_pki: ServedPki) -> None:
    sealer = Sealer(hsm_seal)

    (report,) = validate_pdf(sealer.seal(make_pdf()), [test_pki.root])

    assert sealer.level == "B-B"
    assert report.ok
    assert report.signer.common_name == "Amiable test seal"


def test_an_hsm_seal_can_be_b_lta(
    hsm_seal: Pkcs11Seal, pki_timestamper: TimeStamper, test_pki: ServedPki
) -> None:
    sealer = Sealer(hsm_seal, timestamper=pki_timestamper)

    seal, stamp = validate_pdf(sealer.seal(make_pdf()), [test_pki.root])

    assert sealer.level == "B-LTA"
    assert seal.ok
    assert seal.ades_indication == "passed"
    assert stamp.ok


def test_threads_share_one_hsm_session(hsm_seal: Pkcs11Seal, test_pki: ServedPki) -> None:
    sealer = Sealer(hsm_seal)
    letters = [make_pdf(b"letter %d" % n) for n in range(6)]

    with ThreadPoolExecutor(max_workers=3) as pool:
        sealed = list(pool.map(sealer.seal, letters))

    assert all(validate_pdf(pdf, [test_pki.root])[0].ok for pdf in sealed)


def test_one_login_per_token_and_process(
    hsm_seal: Pkcs11Seal, softhsm_token: SoftHsmToken
) -> None:
    with pytest.raises(SealConfigError, match="already logged in by this process"):
        Pkcs11Seal.open(
            softhsm_token.module, token=softhsm_token.token, key=softhsm_token.key,
            pin=softhsm_token.pin,
        )


def test_each_certificate_is_embedded_once_within_the_reservation(hsm_seal: Pkcs11Seal) -> None:
    sealer = Sealer(hsm_seal)
    (signature,) = PdfFileReader(io.BytesIO(sealer.seal(make_pdf()))).embedded_signatures
    signed_data = signature.signed_data

    fingerprints = [c.chosen.sha256 for c in signed_data["certificates"]]
    assert len(fingerprints) == len(set(fingerprints)) == 3  # seal, issuing CA, root
    assert len(cms.ContentInfo.load(signature.pkcs7_content).dump()) <= reserved_signature_bytes(
        hsm_seal
    ) // 2
