"""`build_sealer`: from the service's settings (environment variables) to the right seal."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_factory import make_pdf
from pki_server import ServedPki
from softhsm import SoftHsmToken

from service.config import Settings
from signing import Pkcs11Seal, SealConfigError, build_sealer, validate_pdf
from signing.devcert import P12_NAME


@pytest.fixture(scope="module")
def pki_p12(tmp_path_factory: pytest.TempPathFactory, test_pki: ServedPki) -> Path:
    path = tmp_path_factory.mktemp("seal") / "seal.p12"
    path.write_bytes(test_pki.seal_p12(password=b"s3cret"))
    return path


def test_settings_read_the_seal_variables() -> None:
    settings = Settings.from_env(
        {
            "AMIABLE_SEAL_PKCS11_MODULE": "/usr/lib/softhsm/libsofthsm2.so",
            "AMIABLE_SEAL_PKCS11_TOKEN": "prod",
            "AMIABLE_SEAL_PKCS11_KEY": "seal-2026",
            "AMIABLE_SEAL_PKCS11_PIN": "1234",
            "AMIABLE_TRUST_ROOTS": "/etc/amiable/roots.pem",
            "AMIABLE_SEAL_LTA": "0",
        }
    )

    assert settings.seal_pkcs11_module == Path("/usr/lib/softhsm/libsofthsm2.so")
    assert (settings.seal_pkcs11_token, settings.seal_pkcs11_key) == ("prod", "seal-2026")
    assert settings.seal_pkcs11_pin == "1234"
    assert settings.trust_roots == Path("/etc/amiable/roots.pem")
    assert settings.seal_lta is False
    assert Settings.from_env({}).seal_lta is True
    assert Settings.from_env({}).seal_pkcs11_module is None


def test_the_development_seal_is_b_b_then_b_t_with_a_tsa(
    keys_dir: Path, test_pki: ServedPki
) -> None:
    settings = Settings(seal_p12=keys_dir / P12_NAME)

    assert build_sealer(settings).level == "B-B"
    assert build_sealer(settings.with_overrides(tsa_url=test_pki.tsa_url())).level == "B-T"


def test_a_certificate_with_revocation_data_gets_b_lta_or_b_lt(
    pki_p12: Path, test_pki: ServedPki
) -> None:
    settings = Settings(seal_p12=pki_p12, seal_password="s3cret", tsa_url=test_pki.tsa_url())

    sealer = build_sealer(settings)
    seal, _stamp = validate_pdf(sealer.seal(make_pdf()), [test_pki.root])

    assert sealer.level == "B-LTA"
    assert seal.level == "B-LTA"
    assert seal.ades_indication == "passed"
    assert build_sealer(settings.with_overrides(seal_lta=False)).level == "B-LT"


def test_an_hsm_takes_precedence(softhsm_token: SoftHsmToken, keys_dir: Path) -> None:
    settings = Settings(
        seal_p12=keys_dir / P12_NAME,  # what bootstrap sets when no PKCS#12 is configured
        seal_pkcs11_module=softhsm_token.module,
        seal_pkcs11_token=softhsm_token.token,
        seal_pkcs11_key=softhsm_token.key,
        seal_pkcs11_pin=softhsm_token.pin,
    )

    sealer = build_sealer(settings)
    try:
        assert isinstance(sealer.identity, Pkcs11Seal)
        assert sealer.identity.info.common_name == "Amiable test seal"
    finally:
        sealer.identity.close()  # one login per token and process


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seal_p12": None}, "no seal configured"),
        ({"seal_pkcs11_module": Path("/x.so")}, "set AMIABLE_SEAL_PKCS11_TOKEN too"),
        ({"tsa_url": "tsa.example.com"}, "AMIABLE_TSA_URL must be an http"),
        ({"trust_roots": Path("/nonexistent/roots.pem")}, "cannot read AMIABLE_TRUST_ROOTS"),
    ],
    ids=["no-seal", "pkcs11-token", "tsa-url", "trust-roots"],
)
def test_configuration_mistakes_say_what_to_fix(
    keys_dir: Path, changes: dict, message: str
) -> None:
    settings = Settings(seal_p12=keys_dir / P12_NAME).with_overrides(**changes)

    with pytest.raises(SealConfigError, match=message):
        build_sealer(settings)


def test_a_trust_roots_file_without_certificates_is_refused(
    keys_dir: Path, tmp_path: Path
) -> None:
    roots = tmp_path / "roots.pem"
    garbage = "bm90IGEgY2VydGlmaWNhdGU="  # base64 of "not a certificate"
    roots.write_text(f"-----BEGIN CERTIFICATE-----\n{garbage}\n-----END CERTIFICATE-----\n")
    settings = Settings(seal_p12=keys_dir / P12_NAME, trust_roots=roots)

    with pytest.raises(SealConfigError, match="holds no readable certificate"):
        build_sealer(settings)

