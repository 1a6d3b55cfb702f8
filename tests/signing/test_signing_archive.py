"""B-LTA renewal: a fresh archive timestamp before the last one's TSA certificate expires.

The test PKI's dates are fixed (pki/test-pki.yml): the first TSA's certificate ends on
2031-01-01, its successor's on 2041-01-01, the seal's on 2034-01-01. The clock is moved with
time-machine, for the code under test and for the PKI's services alike.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from pdf_factory import make_pdf
from pki_server import ServedPki
from pyhanko.sign.timestamps import TimeStamper

from signing import (
    ArchiveRenewalError,
    InvalidPdfError,
    Sealer,
    SealIdentity,
    add_archive_timestamp,
    archive_validation_context,
    make_timestamper,
    signed_revision_hashes,
    timestamp_chain_expires,
    timestamp_chain_expires_before,
    validate_pdf,
)

FIRST_TSA_ENDS = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
NEXT_TSA_ENDS = dt.datetime(2041, 1, 1, tzinfo=dt.UTC)


def _utc(year: int, month: int = 1, day: int = 1) -> dt.datetime:
    return dt.datetime(year, month, day, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def next_timestamper(test_pki: ServedPki) -> TimeStamper:
    return make_timestamper(test_pki.tsa_url("tsa-next"))


def test_the_chain_expires_with_the_last_tsa_certificate(lta_pdf: bytes) -> None:
    assert timestamp_chain_expires(lta_pdf) == FIRST_TSA_ENDS
    assert not timestamp_chain_expires_before(lta_pdf, FIRST_TSA_ENDS)
    assert timestamp_chain_expires_before(lta_pdf, FIRST_TSA_ENDS + dt.timedelta(seconds=1))


def test_a_document_without_a_chain_is_never_due(
    sealed_pdf: bytes, identity: SealIdentity, pki_timestamper: TimeStamper, test_pki: ServedPki
) -> None:
    b_t = Sealer(identity, timestamper=pki_timestamper).seal(make_pdf())

    for pdf in (sealed_pdf, b_t):
        assert timestamp_chain_expires(pdf) is None
        assert not timestamp_chain_expires_before(pdf, _utc(2100))
        with pytest.raises(ArchiveRenewalError, match="not PAdES B-LTA"):
            add_archive_timestamp(
                pdf, pki_timestamper, archive_validation_context([test_pki.root])
            )


def test_renewal_adds_a_second_document_timestamp(
    lta_pdf: bytes, next_timestamper: TimeStamper, test_pki: ServedPki
) -> None:
    renewed = add_archive_timestamp(
        lta_pdf, next_timestamper, archive_validation_context([test_pki.root])
    )

    seal, first, second = validate_pdf(renewed, [test_pki.root])
    assert renewed.startswith(lta_pdf)  # an incremental update: nothing signed is touched
    assert (first.kind, second.kind) == ("document_timestamp", "document_timestamp")
    assert second.signer.common_name == "Amiable test TSA 2"
    assert all(report.ok for report in (seal, first, second))
    assert seal.level == "B-LTA"
    assert seal.ades_indication == "passed"
    assert first.modification_level == "lta_updates"
    assert timestamp_chain_expires(renewed) == NEXT_TSA_ENDS


def test_a_renewed_chain_outlives_the_first_tsa_and_the_seal_certificate(
    lta_sealer: Sealer, next_timestamper: TimeStamper, test_pki: ServedPki
) -> None:
    original = lta_sealer.seal(make_pdf(b"Echeancier"))
    with time_machine.travel(_utc(2030, 6, 1)):  # six months before the first TSA expires
        a_year_from_now = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
        assert timestamp_chain_expires_before(original, a_year_from_now)
        renewed = add_archive_timestamp(
            original, next_timestamper, archive_validation_context([test_pki.root])
        )

    with time_machine.travel(_utc(2035, 3, 1)):  # both the seal and the first TSA expired
        (renewed_seal, *_) = validate_pdf(renewed, [test_pki.root], allow_fetching=True)
        (original_seal, *_) = validate_pdf(original, [test_pki.root], allow_fetching=True)

    assert renewed_seal.ades_indication == "passed"
    assert original_seal.ades_indication == "indeterminate"
    assert original_seal.ades_subindication is not None


def test_an_expired_chain_cannot_be_renewed(
    lta_pdf: bytes, next_timestamper: TimeStamper, test_pki: ServedPki
) -> None:
    with time_machine.travel(_utc(2031, 6, 1)), pytest.raises(
        ArchiveRenewalError, match="does not validate now"
    ):
        add_archive_timestamp(
            lta_pdf, next_timestamper, archive_validation_context([test_pki.root])
        )


@pytest.mark.parametrize("data", [b"", b"%PDF-1.7\nnot really", b"\x00" * 64])
def test_what_is_not_a_pdf_is_refused(
    data: bytes, pki_timestamper: TimeStamper, test_pki: ServedPki
) -> None:
    with pytest.raises(InvalidPdfError):
        timestamp_chain_expires(data)
    with pytest.raises(InvalidPdfError):
        add_archive_timestamp(data, pki_timestamper, archive_validation_context([test_pki.root]))


def test_the_seal_revision_hash_survives_renewal(
    lta_pdf: bytes, next_timestamper: TimeStamper, test_pki: ServedPki
) -> None:
    """What the service records to recognise a document: not the whole file's hash."""
    issued = signed_revision_hashes(lta_pdf)["AmiableSeal"]
    renewed = add_archive_timestamp(
        lta_pdf, next_timestamper, archive_validation_context([test_pki.root])
    )

    seal, *_ = validate_pdf(renewed, [test_pki.root])
    assert seal.signed_revision_sha256 == issued
    assert signed_revision_hashes(renewed)["AmiableSeal"] == issued
    assert hashlib.sha256(lta_pdf).hexdigest() != issued  # data follows the seal, even unrenewed
