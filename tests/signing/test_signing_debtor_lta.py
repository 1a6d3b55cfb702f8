"""Issue 10.7: with a TSA, the debtor's signature is timestamped (B-T), its chain and the
signer CA's CRL are in the DSS, and the final B-LTA seal's archive timestamp covers them; the
whole file is then one verdict: authentic."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pdf_factory import make_pdf
from pki_server import ServedPki
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import TimeStamper

from service.db import utcnow
from service.verification import Issued, decide
from signing import Sealer, signed_revision_hashes
from signing.debtor import (
    CERTIFICATION_FIELD_NAME,
    SEAL_FIELD_NAME,
    add_debtor_validation_data,
    prepare_agreement,
    sign_agreement,
)
from signing.signer_ca import SignerCA
from signing.validation import inspect_pdf
from tests import tampering


def _signed_at_lta(tmp_path: Path, sealer: Sealer, timestamper: TimeStamper
                   ) -> tuple[bytes, SignerCA]:
    ca = SignerCA.load(tmp_path, "pw")
    prepared = prepare_agreement(
        make_pdf(b"Echeancier de paiement"), box=(300, 80, 560, 200),
        evidence_json=b'{"mention": "ok"}', evidence_page=make_pdf(b"Dossier de preuve"),
        attached_at=utcnow())
    certified = sealer.seal(prepared, field_name=CERTIFICATION_FIELD_NAME)
    identity = ca.issue_one_time("M. Hugo Lefevre", "hugo@example.org")
    signed = sign_agreement(certified, identity, signer_name="M. Hugo Lefevre",
                            signature_block=make_pdf(b"Bon pour accord"),
                            timestamper=timestamper,
                            timestamp_allowance=sealer.timestamp_allowance())
    with_data = add_debtor_validation_data(signed, [identity.certificate, *identity.chain],
                                           [ca.crl()])
    return sealer.seal(with_data, field_name=SEAL_FIELD_NAME), ca


def test_the_debtor_signature_is_timestamped_and_kept_valid(
        tmp_path: Path, lta_sealer: Sealer, pki_timestamper: TimeStamper,
        test_pki: ServedPki) -> None:
    sealed, ca = _signed_at_lta(tmp_path, lta_sealer, pki_timestamper)
    roots = [test_pki.root, ca.certificate]
    inspection = inspect_pdf(sealed, roots)
    by_field = {s.field_name: s for s in inspection.signatures}
    debtor = by_field["SignatureDebiteur"]
    assert debtor.timestamp_time is not None
    assert debtor.timestamp_trusted is True
    assert debtor.level == "B-LTA"  # its DSS data, then the seal's archive timestamp
    assert by_field[SEAL_FIELD_NAME].level == "B-LTA"
    assert all(s.intact and s.valid and s.trusted for s in inspection.signatures)
    reader = PdfFileReader(io.BytesIO(sealed))
    assert len(reader.root["/DSS"]["/CRLs"]) >= 1
    assert reader.root["/Perms"]["/DocMDP"]["/Reference"][0]["/TransformParams"]["/P"] == 2

    issued: dict[str, Any] = {signed_revision_hashes(sealed)[SEAL_FIELD_NAME]: Issued(
        SimpleNamespace(id="doc_x"))}  # type: ignore[arg-type]
    assert decide(inspection, "not-the-whole-file", issued).verdict == "authentic"
    rewritten = tampering.replace_first_page(sealed)
    verdict = decide(inspect_pdf(rewritten, roots), "other", issued)
    assert verdict.verdict == "modified"
