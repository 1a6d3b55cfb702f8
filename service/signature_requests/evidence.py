"""The dossier de preuve: what happened, from the audit trail, as JSON and as a PDF page.

The same dictionary is embedded in the signed PDF (as ``dossier-de-preuve.json``, with the
events up to the debtor's signature) and served by ``GET …/evidence`` (with every event,
the signed file's hash and the signatures' reports).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from service.rendering.html import HtmlTemplates
from service.rendering.pdf import PdfRenderer

ASSETS_DIR = Path(__file__).resolve().parent / "pdf"

EVENT_LABELS_FR = {
    "request.created": "Demande de signature créée",
    "email.sent": "Courriel envoyé",
    "link.opened": "Lien ouvert",
    "document.shown": "Document présenté",
    "code.sent": "Code envoyé",
    "code.refused": "Code refusé",
    "code.verified": "Code vérifié",
    "mention.typed": "Mention saisie",
    "mention.refused": "Mention refusée",
    "consent.given": "Consentement donné",
    "signature.applied": "Signature apposée",
    "document.signed": "Document signé et scellé",
    "request.locked": "Demande bloquée",
    "request.cancelled": "Demande annulée",
    "request.expired": "Demande expirée",
    "request.reminded": "Relance envoyée",
}
_DETAIL_KEYS = ("ip", "to", "purpose", "document_sha256", "words", "figures", "failures",
                "signed_sha256", "certificate_serial")


def _detail(data: dict[str, Any]) -> str:
    return " ; ".join(f"{key} : {data[key]}" for key in _DETAIL_KEYS if key in data)


def to_json_bytes(evidence: dict[str, Any]) -> bytes:
    return json.dumps(evidence, ensure_ascii=False, indent=2, sort_keys=True).encode()


class EvidenceRenderer:
    """Renders the evidence page and the signature block with WeasyPrint (PDF/A-3b)."""

    def __init__(self, pdf: PdfRenderer) -> None:
        self._pdf = pdf
        self._html = HtmlTemplates(ASSETS_DIR)
        self._evidence_source = (ASSETS_DIR / "evidence.html").read_text(encoding="utf-8")
        self._stamp_source = (ASSETS_DIR / "stamp.html").read_text(encoding="utf-8")

    def page(self, evidence: dict[str, Any]) -> bytes:
        events = [{"at": ev["at"][:19].replace("T", " "),
                   "label": EVENT_LABELS_FR.get(ev["type"], ev["type"]),
                   "detail": _detail(ev["data"])} for ev in evidence["events"]]
        last_hash = evidence["events"][-1]["hash"] if evidence["events"] else "-"
        context = {**evidence, "events": events, "last_hash": last_hash}
        return self._pdf.render(self._html.render(self._evidence_source, context), ASSETS_DIR)

    def stamp(self, *, width: float, height: float, signer_name: str, signed_at: str,
              words: str, figures: str, sent_to: str) -> bytes:
        """The visible signature block, a page of exactly ``width`` × ``height`` points."""
        html = self._html.render(self._stamp_source, {
            "width": f"{width:.1f}", "height": f"{height:.1f}",
            "signer_name": signer_name, "signed_at": signed_at, "words": words,
            "figures": figures, "sent_to": sent_to})
        return self._pdf.render(html, ASSETS_DIR)
