"""Seal certificate rotation: documents sealed with the previous certificate stay verifiable.

The test PKI's previous seal certificate ("Amiable test seal 2023") was valid from 2023-01-01
to 2025-07-01; a document sealed with it in June 2024 as B-LTA must still validate today,
once the certificate has expired and the current one seals new documents.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pdf_factory import make_pdf
from pki_server import ServedPki
from pyhanko.sign.timestamps import TimeStamper

from signing import (
    SealConfigError,
    Sealer,
    SealIdentity,
    add_archive_timestamp,
    archive_validation_context,
    load_trust_roots,
    validate_pdf,
)

SEALED_IN_2024 = dt.datetime(2024, 6, 3, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def sealed_before_rotation(test_pki: ServedPki, pki_timestamper: TimeStamper) -> bytes:
    with time_machine.travel(SEALED_IN_2024):
        previous = SealIdentity.from_pkcs12(test_pki.seal_p12("seal-2023"))
        return Sealer(previous, timestamper=pki_timestamper).seal(make_pdf(b"Relance 2024"))


@pytest.fixture(scope="module")
def roots_file(tmp_path_factory: pytest.TempPathFactory, test_pki: ServedPki,
               dev_root: x509.Certificate) -> Path:
    """AMIABLE_TRUST_ROOTS as an operator writes it: every root ever used, in one PEM."""
    path = tmp_path_factory.mktemp("roots") / "trust-roots.pem"
    path.write_bytes(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (test_pki.root, dev_root))
    )
    return path


def test_the_previous_certificate_can_no_longer_seal(test_pki: ServedPki) -> None:
    with pytest.raises(SealConfigError, match="expired on 2025-07-01"):
        SealIdentity.from_pkcs12(test_pki.seal_p12("seal-2023"))


def test_old_and_new_documents_validate_side_by_side(
    sealed_before_rotation: bytes,
    lta_pdf: bytes,
    sealed_pdf: bytes,
    roots_file: Path,
) -> None:
    roots = load_trust_roots(roots_file)

    (old, _) = validate_pdf(sealed_before_rotation, roots, allow_fetching=True)
    (new, _) = validate_pdf(lta_pdf, roots)
    (development,) = validate_pdf(sealed_pdf, roots)

    assert old.signer.common_name == "Amiable test seal 2023"
    assert old.signer.not_after < dt.datetime.now(dt.UTC)  # expired...
    assert old.intact
    assert old.valid
    assert old.timestamp_time is not None
    assert old.timestamp_time.date() == SEALED_IN_2024.date()
    assert old.ades_indication == "passed"  # ...yet proven valid when it sealed
    assert new.signer.common_name == "Amiable test seal"
    assert new.ok
    assert new.ades_indication == "passed"
    assert development.ok  # a third root, the development one, is trusted too
    assert old.signer.sha256_fingerprint != new.signer.sha256_fingerprint


def test_renewing_the_old_document_makes_it_verifiable_offline(
    sealed_before_rotation: bytes, pki_timestamper: TimeStamper, test_pki: ServedPki
) -> None:
    """Offline, the 2024 revocation data is too old to vouch for the 2024 timestamp today;
    a renewal now embeds fresh data under a new timestamp."""
    (before, _) = validate_pdf(sealed_before_rotation, [test_pki.root])
    renewed = add_archive_timestamp(
        sealed_before_rotation, pki_timestamper, archive_validation_context([test_pki.root])
    )

    (after, *_) = validate_pdf(renewed, [test_pki.root])

    assert before.ades_indication == "indeterminate"
    assert after.ades_indication == "passed"
