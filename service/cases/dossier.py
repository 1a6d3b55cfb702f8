"""The case file as documents: the history ("historique du dossier"), the statement of
account (décompte), a receipt per payment (quittance, CPCE R124-6) and the export ZIP.

Each PDF is HTML from templates/cases filled in the Jinja2 sandbox, laid out as PDF/A-3b by
the same renderer as the letters and sealed by the same seal. They are made on demand from
the case's chain, so they always say what the chain says at that moment.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from service import audit, creditors, rates
from service.cases.service import CaseView, balance
from service.config import TEMPLATES_DIR
from service.creditors.schema import CreditorProfileIn
from service.db import Database, Event, as_utc, iso_utc, utcnow
from service.domain.model import Figures
from service.domain.references import rf_grouped
from service.errors import NotFound
from service.pipeline import Pipeline
from service.rendering.formatting import amount, date_short
from service.rendering.html import HtmlTemplates
from service.requests import Debtor, DocumentRequest
from service.signature_requests.evidence import EVENT_LABELS_FR as EVIDENCE_FR
from service.storage import BlobStore

ASSETS_DIR = TEMPLATES_DIR / "cases"
PARIS = ZoneInfo("Europe/Paris")
KINDS_FR = {"relance": "Relance", "mise_en_demeure": "Mise en demeure",
            "echeancier": "Échéancier"}
STATUS_FR = {"open": "ouvert", "agreement": "accord en cours", "settled": "soldé",
             "litigation": "contentieux", "closed": "clos"}
EXCHANGE_FR = {"call": "Appel", "email": "Courriel", "letter": "Courrier",
               "meeting": "Rendez-vous", "note": "Note"}
DIRECTION_FR = {"in": "reçu", "out": "émis"}
OUTCOME_FR = {"promise_to_pay": "promesse de paiement", "dispute": "contestation",
              "refusal": "refus", "callback": "à rappeler", "no_answer": "pas de réponse",
              "information": "information", "other": "autre"}
REQUEST_STATUS_FR = {"pending": "en attente", "signed": "signée", "locked": "bloquée",
                     "expired": "expirée", "cancelled": "annulée"}
METHOD_FR = {"transfer": "virement", "direct_debit": "prélèvement", "card": "carte",
             "cheque": "chèque", "cash": "espèces", "other": "autre moyen"}
EVENT_FR = {
    "case.opened": "Dossier ouvert",
    "case.status_changed": "Changement de statut",
    "document.issued": "Document émis",
    "signature_request.created": "Demande de signature envoyée",
    "signature_request.signed": "Échéancier signé par le débiteur",
    "exchange.logged": "Échange consigné",
    "exchange.corrected": "Rectification d’un échange",
    "payment.recorded": "Paiement reçu",
    "promise.kept": "Promesse de paiement tenue",
    "promise.broken": "Promesse de paiement non tenue",
}


def paris(moment: datetime) -> str:
    return as_utc(moment).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


@dataclass(frozen=True)
class Entry:
    """One line of the timeline, in French."""

    seq: int
    at: str
    label: str
    detail: str
    hash: str
    occurred: str  # when it happened (an exchange may be logged later)
    type: str


def describe(ev: Event, seq_of: dict[str, int]) -> str:
    """What an event says, in one French sentence (the timeline's detail column)."""
    data = ev.data
    if ev.type in ("exchange.logged", "exchange.corrected"):
        parts = [EXCHANGE_FR[data["type"]]]
        if data.get("direction"):
            parts[0] += f" {DIRECTION_FR[data['direction']]}"
        if data.get("party"):
            parts.append(f"avec {data['party']}")
        if data.get("duration_seconds") is not None:
            parts.append(f"{round(data['duration_seconds'] / 60)} min")
        text = ", ".join(parts) + f" : {data['summary']}"
        if data.get("outcome"):
            text += f" — issue : {OUTCOME_FR[data['outcome']]}"
        if data.get("promise"):
            text += (f" ({_amount(data['promise']['amount'])} au plus tard le "
                     f"{_date(data['promise']['date'])})")
        if data.get("attachment"):
            text += f" — pièce jointe {data['attachment']['filename']}"
        if data.get("corrects"):
            text += f" — rectifie l’événement n° {seq_of.get(data['corrects'], '?')}"
        return text
    if ev.type == "document.issued":
        return (f"{KINDS_FR.get(data['kind'], data['kind'])} {data['document_id']}, "
                f"total {_amount(data['total'])}" if data.get("total") else data["document_id"])
    if ev.type == "payment.recorded":
        return (f"{_amount(data['amount'])} le {_date(data['date'])} par "
                f"{METHOD_FR[data['method']]}, imputé sur "
                + ", ".join(f"{p['invoice_number']} ({_amount(p['amount'])})"
                            for p in data["allocation"]))
    if ev.type == "case.status_changed":
        text = f"de « {STATUS_FR[data['from']]} » à « {STATUS_FR[data['to']]} »"
        return text + (f" : {data['reason']}" if data.get("reason") else "")
    if ev.type in ("promise.kept", "promise.broken"):
        promise = data.get("promise", data)
        return (f"{_amount(promise['amount'])} promis pour le "
                f"{_date(promise.get('date') or promise['due_date'])}")
    if ev.type == "case.opened":
        return f"référence de paiement {rf_grouped(data['payment_reference'])}"
    if ev.type.startswith("signature_request."):
        return data["signature_request_id"]
    return ""


def _occurred(ev: Event) -> str:
    moment = ev.data.get("occurred_at") if ev.type.startswith("exchange.") else None
    return paris(datetime.fromisoformat(moment.replace("Z", "+00:00"))) if moment else paris(ev.at)


def _amount(value: str) -> str:
    return amount(Decimal(value))


def _date(value: str) -> str:
    return date_short(date.fromisoformat(value))


def invoice_lines(invoices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The case's invoices as printed: French dates, amounts, what was paid before."""
    return [{"number": inv["number"],
             "issued": _date(inv["issue_date"]) if inv.get("issue_date") else "–",
             "due": _date(inv["due_date"]), "amount": Decimal(inv["amount"]),
             "paid_before": sum((Decimal(p["amount"]) for p in inv.get("payments", [])),
                                Decimal("0"))} for inv in invoices]


class Dossier:
    """Renders and seals the case's documents; builds the export."""

    def __init__(self, db: Database, store: BlobStore, pipeline: Pipeline) -> None:
        self.db = db
        self.store = store
        self.pipeline = pipeline
        self._html = HtmlTemplates(ASSETS_DIR)

    def _render(self, name: str, context: dict[str, Any]) -> bytes:
        source = (ASSETS_DIR / f"{name}.html").read_text(encoding="utf-8")
        pdf = self.pipeline.pdf.render(self._html.render(source, context), ASSETS_DIR)
        return self.pipeline.seal(pdf)

    def _common(self, view: CaseView) -> dict[str, Any]:
        case = view.case
        return {"case": case, "reference": rf_grouped(case.payment_reference),
                "status": STATUS_FR[case.status],
                # Every field present (None when absent): the sandbox refuses unknown names.
                "creditor": CreditorProfileIn.model_validate(view.creditor).model_dump(),
                "debtor": Debtor.model_validate(case.debtor).model_dump(), "today": view.today,
                "generated_at": paris(_now())}

    def history(self, view: CaseView) -> bytes:
        seq_of = {ev.hash: seq for seq, ev in enumerate(view.events, start=1)}
        timeline = [Entry(seq, paris(ev.at), EVENT_FR.get(ev.type, ev.type),
                          describe(ev, seq_of), ev.hash, _occurred(ev), ev.type)
                    for seq, ev in enumerate(view.events, start=1)]
        documents = [{"id": d.id, "kind": KINDS_FR.get(d.kind, d.kind),
                      "issued": paris(d.created_at), "total": _amount(d.figures["total"]),
                      "as_of": _date(d.figures["as_of"]), "sha256": d.pdf_sha256,
                      "seal": d.seal.get("level", "")} for d in view.documents]
        signatures = self._signatures(view)
        return self._render("history", {
            **self._common(view), "timeline": timeline, "documents": documents,
            "signatures": signatures,
            "balance": {key: _amount(value) for key, value in view.balance().items()},
            "chain_valid": view.chain_valid,
            "head": view.events[-1].hash if view.events else "",
            "invoices": invoice_lines(view.case.invoices),
            "exchanges": [e for e in timeline if e.type.startswith("exchange.")],
            "broken": [{"date": p.due_date, "amount": Decimal(p.amount)}
                       for p in view.broken_promises()],
        })

    def _signatures(self, view: CaseView) -> list[dict[str, Any]]:
        out = []
        with self.db.session() as session:
            for row in view.signature_requests:
                events = audit.trail(session, row.id)
                signed = next((ev for ev in events if ev.type == "document.signed"), None)
                out.append({"id": row.id, "signer": row.signer_name,
                            "status": REQUEST_STATUS_FR.get(row.status, row.status),
                            "document_id": row.document_id,
                            "signed_at": paris(signed.at) if signed else None,
                            "signed_sha256": row.signed_pdf_sha256,
                            "events": len(events), "chain_valid": audit.verify_chain(events),
                            "steps": [{"at": paris(ev.at),
                                       "label": EVIDENCE_FR.get(ev.type, ev.type)}
                                      for ev in events]})
        return out

    def statement_figures(self, view: CaseView, as_of: date) -> Figures:
        """The claim as of `as_of`: every payment the case knows, allocated to its invoice."""
        with self.db.session() as session:
            profile = session.get(creditors.CreditorProfile, view.case.creditor_id)
            if profile is None:
                raise NotFound(f"no creditor {view.case.creditor_id}")
            blocks = creditors.request_blocks(profile)
            table = rates.current_rates(session)
        invoices = [dict(inv, payments=list(inv.get("payments", []))) for inv in
                    view.case.invoices]
        by_number = {inv["number"]: inv for inv in invoices}
        for ev in view.payments:
            for part in ev.data["allocation"]:
                by_number[part["invoice_number"]]["payments"].append(
                    {"date": ev.data["date"], "amount": part["amount"]})
        # Legal interest runs from the first mise en demeure (C. civ. 1231-6, 1344-1).
        notices = sorted(ev.data["issued_on"] for ev in view.events
                         if ev.type == "document.issued" and ev.data["kind"] == "mise_en_demeure"
                         and ev.data["issued_on"] <= as_of.isoformat())
        request = DocumentRequest.model_validate({
            "kind": "relance", "as_of": as_of.isoformat(), "creditor": blocks["creditor"],
            "debtor": view.case.debtor, "invoices": invoices,
            "penalties": blocks["penalties"],
            "prior_notice_date": notices[0] if notices else None})
        return self.pipeline.figures(request, as_of, table)

    def statement(self, view: CaseView) -> bytes:
        figures = self.statement_figures(view, view.today)
        payments = [{"date": _date(ev.data["date"]), "amount": _amount(ev.data["amount"]),
                     "method": METHOD_FR[ev.data["method"]],
                     "allocation": ", ".join(p["invoice_number"] for p in ev.data["allocation"])}
                    for ev in view.payments]
        return self._render("decompte", {**self._common(view), "figures": figures,
                                         "invoices": view.case.invoices,
                                         "payments": payments})

    def receipt(self, view: CaseView, seq: int) -> bytes:
        """The quittance of the payment that is event `seq` of the case (R124-6)."""
        if not 1 <= seq <= len(view.events) or view.events[seq - 1].type != "payment.recorded":
            raise NotFound(f"event {seq} of case {view.case.id} is not a payment")
        event = view.events[seq - 1]
        upto = [ev for ev in view.payments if ev.id <= event.id]
        left = balance(view.case, upto)["left_on_invoices"]
        return self._render("quittance", {
            **self._common(view), "number": f"{view.case.id}-{seq}", "payment": event.data,
            "amount": _amount(event.data["amount"]), "paid_on": _date(event.data["date"]),
            "method": METHOD_FR[event.data["method"]], "left": _amount(left),
            "allocation": event.data["allocation"],
            "agency": view.creditor.get("collection_agency") is not None})

    def export(self, view: CaseView) -> bytes:
        """Every file of the case for an injonction de payer (CPC 1405 ff.), with a manifest
        of their hashes."""
        files: list[tuple[str, bytes, str]] = []
        for number, doc in enumerate(view.documents, start=1):
            files.append((f"documents/{number:02d}-{doc.kind}-{doc.id}.pdf",
                          self.store.get(doc.pdf_sha256),
                          f"{KINDS_FR.get(doc.kind, doc.kind)} scellé(e) {doc.id}"))
        with self.db.session() as session:
            for row in view.signature_requests:
                if row.signed_pdf_sha256 is None:
                    continue
                events = audit.trail(session, row.id)
                files.append((f"signatures/{row.id}/echeancier-signe.pdf",
                              self.store.get(row.signed_pdf_sha256),
                              f"échéancier signé par {row.signer_name}"))
                evidence = {"request_id": row.id, "document_id": row.document_id,
                            "signer": {"name": row.signer_name, "email": row.signer_email},
                            "chain_valid": audit.verify_chain(events),
                            "events": [audit.event_json(ev) for ev in events]}
                files.append((f"signatures/{row.id}/dossier-de-preuve.json",
                              json.dumps(evidence, ensure_ascii=False, indent=2).encode(),
                              "dossier de preuve de la signature"))
        for seq, ev in enumerate(view.events, start=1):
            attached = ev.data.get("attachment") if ev.type.startswith("exchange.") else None
            if attached:
                files.append((f"echanges/{seq:03d}-{_safe(attached['filename'])}",
                              self.store.get(attached["sha256"]),
                              f"pièce jointe de l’événement n° {seq}"))
        files.append(("historique-du-dossier.pdf", self.history(view),
                      "historique du dossier, scellé"))
        files.append(("decompte.pdf", self.statement(view), "décompte de la créance"))
        manifest = {
            "case": {"id": view.case.id, "payment_reference": view.case.payment_reference,
                     "external_reference": view.case.external_reference,
                     "status": view.case.status, "debtor": view.case.debtor,
                     "creditor_id": view.case.creditor_id},
            "generated_at": iso_utc(_now()),
            "chain": {"valid": view.chain_valid, "events": len(view.events),
                      "head": view.events[-1].hash if view.events else None},
            "files": [{"path": path, "sha256": _sha(data), "bytes": len(data),
                       "description": text} for path, data, text in files],
        }
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, data, _ in files:
                archive.writestr(path, data)
            archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False,
                                                         indent=2))
        return out.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:100] or "fichier"


def _now() -> datetime:
    return utcnow()

