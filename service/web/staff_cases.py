"""Staff pages for cases, in French, on the /staff blueprint (its sign-in, CSRF and headers):
the case list, a case's page (timeline, documents, exchanges) and the form that adds a note
or logs a call. Staff see the cases of their workspace only, like an API key of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask import Response, abort, current_app, flash, g, redirect, request, url_for
from pydantic import ValidationError

from service.cases.dossier import (
    DIRECTION_FR,
    EVENT_FR,
    EXCHANGE_FR,
    KINDS_FR,
    OUTCOME_FR,
    STATUS_FR,
    describe,
    paris,
)
from service.cases.schema import STATUSES, ExchangeIn
from service.cases.service import CaseFiles, CaseView
from service.domain.references import rf_grouped
from service.errors import ServiceError
from service.listing import parse_limit
from service.pipeline import PARIS
from service.rendering.formatting import amount
from service.web.staff import _page, bp, signed_in
from service.workspaces import DEFAULT_WORKSPACE

STAFF_EXCHANGES = ("note", "call")
PAGE_SIZE = "25"


@dataclass(frozen=True)
class StaffViewer:
    """A staff member as the workspace rule sees them: their workspace, never all."""

    workspace: str

    def sees_all_workspaces(self) -> bool:
        return False


def _viewer() -> StaffViewer:
    return StaffViewer(getattr(g.staff, "workspace", None) or DEFAULT_WORKSPACE)


def _cases() -> CaseFiles:
    return current_app.extensions["amiable"].cases


def _view_or_404(case_id: str) -> CaseView:
    try:
        return _cases().view(case_id, _viewer())
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        raise


@bp.get("/dossiers")
@signed_in
def cases() -> Response:
    status = request.args.get("statut") or None
    if status not in (None, *STATUSES):
        status = None
    q = (request.args.get("q") or "").strip() or None
    try:
        page = _cases().listing(_viewer(), status=status, q=q,
                                cursor=request.args.get("suite") or None,
                                limit=parse_limit(PAGE_SIZE))
    except ServiceError:
        return redirect(url_for("staff.cases"))
    rows = [{"case": c, "reference": rf_grouped(c.payment_reference),
             "status": STATUS_FR[c.status], "opened": paris(c.created_at)} for c in page.items]
    return _page("cases.html", rows=rows, statuses=STATUS_FR, status=status, q=q or "",
                 next_cursor=page.next_cursor)


def _case_page(case_id: str, status: int = 200, problems: list[str] | None = None,
               form: dict[str, str] | None = None) -> Response:
    view = _view_or_404(case_id)
    seq_of = {ev.hash: seq for seq, ev in enumerate(view.events, start=1)}
    timeline = [{"seq": seq, "at": paris(ev.at), "label": EVENT_FR.get(ev.type, ev.type),
                 "detail": describe(ev, seq_of), "type": ev.type}
                for seq, ev in enumerate(view.events, start=1)]
    documents = [{"id": d.id, "kind": KINDS_FR.get(d.kind, d.kind), "issued": paris(d.created_at),
                  "total": amount(Decimal(d.figures["total"]))} for d in view.documents]
    broken = [{"amount": amount(Decimal(p.amount)), "date": p.due_date.strftime("%d/%m/%Y")}
              for p in view.broken_promises()]
    return _page("case.html", status, view=view, case=view.case,
                 reference=rf_grouped(view.case.payment_reference),
                 status_fr=STATUS_FR[view.case.status], timeline=timeline,
                 exchanges=[t for t in timeline if t["type"].startswith("exchange.")],
                 documents=documents, broken=broken,
                 balance={k: amount(Decimal(v)) for k, v in view.balance().items()},
                 problems=problems or [], form=form or {},
                 outcomes=OUTCOME_FR, directions=DIRECTION_FR, kinds=EXCHANGE_FR,
                 creditor=view.creditor, debtor=view.case.debtor)


@bp.get("/dossiers/<case_id>")
@signed_in
def case(case_id: str) -> Response:
    return _case_page(case_id)


@bp.post("/dossiers/<case_id>/echanges")
@signed_in
def log_exchange(case_id: str) -> Response:
    form = {key: (request.form.get(key) or "").strip() for key in (
        "type", "direction", "party", "minutes", "summary", "outcome", "promise_date",
        "promise_amount", "occurred_at")}
    body, problems = _exchange_from_form(form)
    if body is None:
        return _case_page(case_id, 422, problems, form)
    try:
        _cases().add_exchange(case_id, body, f"staff:{g.staff.email}", _viewer())
    except ServiceError as exc:
        if exc.status == 404:
            abort(404)
        return _case_page(case_id, exc.status, [_french(exc.code)], form)
    flash("Échange consigné dans le dossier." if body.type == "call"
          else "Note ajoutée au dossier.")
    return redirect(url_for("staff.case", case_id=case_id))


def _french(code: str) -> str:
    return {"promise_in_the_past": "La date promise est antérieure à l’échange.",
            "future_exchange": "La date de l’échange est dans le futur."}.get(
        code, "L’échange n’a pas pu être enregistré.")


def _exchange_from_form(form: dict[str, str]) -> tuple[ExchangeIn | None, list[str]]:
    """The form's exchange, or the problems to show (in French)."""
    problems = []
    kind = form["type"] if form["type"] in STAFF_EXCHANGES else ""
    if not kind:
        problems.append("Choisissez « note » ou « appel ».")
    if not form["summary"]:
        problems.append("Le résumé est obligatoire.")
    if kind == "call" and form["direction"] not in ("in", "out"):
        problems.append("Indiquez si l’appel a été émis ou reçu.")
    minutes = None
    if kind == "call" and form["minutes"]:
        if not form["minutes"].isdigit() or int(form["minutes"]) > 1440:
            problems.append("La durée s’écrit en minutes, par exemple 5.")
        else:
            minutes = int(form["minutes"])
    outcome = form["outcome"] if form["outcome"] in OUTCOME_FR else None
    promise = None
    if outcome == "promise_to_pay":
        amount = _amount(form["promise_amount"])
        if amount is None or not form["promise_date"]:
            problems.append("Une promesse de paiement a une date et un montant (par exemple "
                            "250,00).")
        else:
            promise = {"date": form["promise_date"], "amount": str(amount)}
    occurred = None
    if form["occurred_at"]:
        try:
            occurred = datetime.fromisoformat(form["occurred_at"]).replace(tzinfo=PARIS)
        except ValueError:
            problems.append("La date de l’échange n’est pas valide.")
    if problems:
        return None, problems
    try:
        return ExchangeIn(type=kind, direction=form["direction"] if kind == "call" else None,
                          party=form["party"] or None, summary=form["summary"],
                          duration_seconds=minutes * 60 if minutes is not None else None,
                          outcome=outcome, promise=promise, occurred_at=occurred), []
    except ValidationError as exc:
        fields = sorted({str(err["loc"][0]) for err in exc.errors() if err["loc"]})
        labels = {"summary": "le résumé", "party": "l’interlocuteur", "promise": "la promesse"}
        named = ", ".join(labels.get(f, f) for f in fields) or "la saisie"
        return None, [f"Vérifiez {named} : la valeur n’est pas acceptée."]


def _amount(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return value


@bp.get("/dossiers/<case_id>/historique.pdf")
@signed_in
def history(case_id: str) -> Response:
    view = _view_or_404(case_id)
    pdf = current_app.extensions["amiable"].dossier.history(view)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="historique-{case_id}.pdf"'
    return response


@bp.get("/dossiers/<case_id>/documents/<doc_id>.pdf")
@signed_in
def document_pdf(case_id: str, doc_id: str) -> Response:
    view = _view_or_404(case_id)
    document = next((d for d in view.documents if d.id == doc_id), None)
    if document is None:
        abort(404)
    data = current_app.extensions["amiable"].store.get(document.pdf_sha256)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{document.kind}-{doc_id}.pdf"'
    return response
