"""From a validated request to a sealed PDF, with no database and no HTTP.

The same pipeline serves the API and the offline `amiable render` command. Expensive objects
(compiled templates, parsed stylesheets, fonts, the seal key) are built once per process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from service.catalog import TemplateSource
from service.clock import PARIS, today_in_paris
from service.domain.figures import compute_figures
from service.domain.issuing import check_dates, check_issuable
from service.domain.model import Case, Figures, Invoice, Payment, PenaltyTerms, Plan
from service.domain.rates import RateTable
from service.errors import Unavailable
from service.metrics import OfficeWatch
from service.rendering.html import HtmlTemplates, RenderLimitExceeded, TemplateError
from service.rendering.limits import RENDER_SECONDS, RenderTimeout, time_limit
from service.rendering.pdf import PdfRenderer
from service.requests import DocumentRequest

__all__ = ["PARIS", "DocumentMeta", "Pipeline", "Rendered", "issue_figures", "template_context",
           "to_case", "today_in_paris"]

if TYPE_CHECKING:
    from service.authoring.libreoffice import LibreOfficePool


class Sealer(Protocol):
    level: str

    def seal(self, pdf: bytes) -> bytes: ...

    def description(self, sealed_pdf: bytes | None = None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Rendered:
    """A rendered document: its PDF, and the filled Word file when the template is one."""

    pdf: bytes
    docx: bytes | None = None


@dataclass(frozen=True)
class DocumentMeta:
    """What a document knows about itself before it exists: its id, where to verify it, and
    the day it is sealed (Europe/Paris, from the service's clock)."""

    id: str
    verify_url: str
    issued_on: date


def to_case(request: DocumentRequest, as_of: date, issued_on: date | None = None) -> Case:
    """Translate the request into the domain's vocabulary (``issued_on`` None: a simulation
    dated ``as_of``)."""
    plan = request.plan
    return Case(
        kind=request.kind,
        as_of=as_of,
        issued_on=issued_on,
        level=request.level,
        debtor_type=request.debtor.type,
        creditor_type=request.creditor.type,
        debtor_postal_code=request.debtor.address.postal_code,
        invoices=tuple(
            Invoice(number=inv.number, due_date=inv.due_date, amount=inv.amount,
                    issue_date=inv.issue_date,
                    payments=tuple(Payment(date=p.date, amount=p.amount) for p in inv.payments))
            for inv in request.invoices),
        penalties=PenaltyTerms(contractual_rate=request.penalties.contractual_rate,
                               indemnity=request.penalties.indemnity,
                               claim=request.penalties.claim),
        prior_notice_date=request.prior_notice_date,
        deadline_days=request.deadline_days,
        plan=None if plan is None else Plan(
            installments=plan.installments, first_due_date=plan.first_due_date,
            frequency=plan.frequency, down_payment=plan.down_payment,
            waive_penalties=plan.waive_penalties),
    )


def issue_figures(request: DocumentRequest, as_of: date, issued_on: date,
                  rates: RateTable) -> Figures:
    """The figures of a document issued on ``issued_on``, checked against the issuing rules
    (the dates first: a décompte for a day outside the window is not even computed)."""
    check_dates(as_of, issued_on)
    case = to_case(request, as_of, issued_on)
    figures = compute_figures(case, rates)
    check_issuable(case, figures, request.minimum_claim)
    return figures


def salutation(request: DocumentRequest) -> str:
    """How the letter addresses its reader: the consumer's or the company representative's
    civility when given ("Monsieur", "Madame"), else "Madame, Monsieur"."""
    debtor = request.debtor
    civility = (debtor.civility if debtor.type == "consumer"
                else debtor.representative.civility if debtor.representative else None)
    return civility or "Madame, Monsieur"


def delivery(request: DocumentRequest) -> str:
    """How the document is sent: a mise en demeure goes by registered letter unless told."""
    if request.delivery:
        return request.delivery
    return "registered_letter" if request.kind == "mise_en_demeure" else "letter"


def template_context(request: DocumentRequest, as_of: date, figures: Figures,
                     document: DocumentMeta) -> dict[str, Any]:
    """The request's fields under their own names (with `reference` and `delivery`
    resolved), plus `issued_on`, `salutation`, `figures` and `document`."""
    context = request.model_dump(mode="python")
    context["as_of"] = as_of
    context["issued_on"] = document.issued_on
    context["reference"] = request.reference or document.id
    context["delivery"] = delivery(request)
    context["salutation"] = salutation(request)
    context["figures"] = figures
    context["document"] = {"id": document.id, "verify_url": document.verify_url,
                           "issued_on": document.issued_on}
    return context


class Pipeline:
    def __init__(self, sealer: Sealer, private_dirs: tuple[Path, ...] = ()) -> None:
        self.sealer = sealer
        # Folders LibreOffice must never see (the data dir: blobs, keys, database).
        self.private_dirs = private_dirs
        self.pdf = PdfRenderer()
        self._html: dict[Path, HtmlTemplates] = {}
        self._office_watch = OfficeWatch()

    def figures(self, request: DocumentRequest, as_of: date, rates: RateTable) -> Figures:
        """The figures as of ``as_of``, as if issued that day, with no issuing rule."""
        return compute_figures(to_case(request, as_of), rates)

    def render(self, template: TemplateSource, context: dict[str, Any]) -> bytes:
        return self.render_document(template, context).pdf

    def render_document(self, template: TemplateSource, context: dict[str, Any]) -> Rendered:
        """The PDF/A of `template` filled with `context` (and the filled .docx for Word).

        Bounded (service.rendering.limits): filling and laying out take at most
        RENDER_SECONDS, LibreOffice its own pool timeout; past it, RenderLimitExceeded."""
        try:
            if template.format == "docx":
                return self._render_docx(template, context)
            with time_limit():
                html = self._html.get(template.assets_dir)
                if html is None:
                    html = self._html[template.assets_dir] = HtmlTemplates(template.assets_dir)
                return Rendered(self.pdf.render(html.render(template.text, context),
                                                template.assets_dir))
        except RenderTimeout:
            raise RenderLimitExceeded(f"the document took more than {RENDER_SECONDS:g} s to "
                                      "render and was stopped") from None

    def _render_docx(self, template: TemplateSource, context: dict[str, Any]) -> Rendered:
        # Imported here: docxtpl and the LibreOffice pool cost nothing to services that
        # never use a Word template.
        from service.authoring.docx_template import fill_docx
        from service.authoring.libreoffice import (
            ConversionTimeout,
            DocumentNotConvertible,
            IsolationUnavailable,
        )

        with time_limit():
            docx = fill_docx(template.data, context)
        try:
            with self._office_watch.converting(self.office):
                pdf = self.office.convert(docx)
            return Rendered(pdf, docx)
        except ConversionTimeout as exc:
            raise RenderLimitExceeded(str(exc)) from exc
        except IsolationUnavailable as exc:
            raise Unavailable(str(exc), code="conversion_unavailable") from exc
        except DocumentNotConvertible as exc:  # LibreOffice failing to start is not: a 500
            raise TemplateError(f"the Word document could not be converted: {exc}") from exc

    @cached_property
    def office(self) -> LibreOfficePool:
        """Warm LibreOffice workers, started on the first Word document only."""
        from service.authoring.libreoffice import LibreOfficePool, PoolSettings

        hidden = tuple(str(folder.resolve()) for folder in self.private_dirs)
        return LibreOfficePool(PoolSettings(hidden=hidden))

    def seal(self, pdf: bytes) -> bytes:
        return self.sealer.seal(pdf)
