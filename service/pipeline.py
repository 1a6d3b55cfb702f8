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
from service.domain.model import Case, Figures, Invoice, Payment, PenaltyTerms, Plan
from service.domain.rates import RateTable
from service.metrics import OfficeWatch
from service.rendering.html import HtmlTemplates
from service.rendering.pdf import PdfRenderer
from service.requests import DocumentRequest

__all__ = ["PARIS", "DocumentMeta", "Pipeline", "Rendered", "template_context", "to_case",
           "today_in_paris"]

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


def to_case(request: DocumentRequest, as_of: date) -> Case:
    """Translate the edge model into the domain's vocabulary."""
    plan = request.plan
    return Case(
        kind=request.kind,
        as_of=as_of,
        debtor_type=request.debtor.type,
        creditor_type=request.creditor.type,
        debtor_postal_code=request.debtor.address.postal_code,
        invoices=tuple(
            Invoice(number=inv.number, due_date=inv.due_date, amount=inv.amount,
                    issue_date=inv.issue_date,
                    payments=tuple(Payment(date=p.date, amount=p.amount) for p in inv.payments))
            for inv in request.invoices),
        penalties=PenaltyTerms(contractual_rate=request.penalties.contractual_rate,
                               indemnity=request.penalties.indemnity),
        prior_notice_date=request.prior_notice_date,
        deadline_days=request.deadline_days,
        plan=None if plan is None else Plan(
            installments=plan.installments, first_due_date=plan.first_due_date,
            frequency=plan.frequency, down_payment=plan.down_payment,
            waive_penalties=plan.waive_penalties),
    )


def template_context(request: DocumentRequest, as_of: date, figures: Figures,
                     document: DocumentMeta) -> dict[str, Any]:
    """The request's fields under their own names, plus `figures` and `document`."""
    context = request.model_dump(mode="python")
    context["as_of"] = as_of
    context["figures"] = figures
    context["document"] = {"id": document.id, "verify_url": document.verify_url,
                           "issued_on": document.issued_on}
    return context


class Pipeline:
    def __init__(self, sealer: Sealer) -> None:
        self.sealer = sealer
        self.pdf = PdfRenderer()
        self._html: dict[Path, HtmlTemplates] = {}
        self._office_watch = OfficeWatch()

    def figures(self, request: DocumentRequest, as_of: date, rates: RateTable) -> Figures:
        return compute_figures(to_case(request, as_of), rates)

    def render(self, template: TemplateSource, context: dict[str, Any]) -> bytes:
        return self.render_document(template, context).pdf

    def render_document(self, template: TemplateSource, context: dict[str, Any]) -> Rendered:
        """The PDF/A of `template` filled with `context` (and the filled .docx for Word)."""
        if template.format == "docx":
            return self._render_docx(template, context)
        html = self._html.get(template.assets_dir)
        if html is None:
            html = self._html[template.assets_dir] = HtmlTemplates(template.assets_dir)
        return Rendered(self.pdf.render(html.render(template.text, context),
                                        template.assets_dir))

    def _render_docx(self, template: TemplateSource, context: dict[str, Any]) -> Rendered:
        # Imported here: docxtpl and the LibreOffice pool cost nothing to services that
        # never use a Word template.
        from service.authoring.docx_template import fill_docx

        docx = fill_docx(template.data, context)
        with self._office_watch.converting(self.office):
            pdf = self.office.convert(docx)
        return Rendered(pdf, docx)

    @cached_property
    def office(self) -> LibreOfficePool:
        """Warm LibreOffice workers, started on the first Word document only."""
        from service.authoring.libreoffice import LibreOfficePool

        return LibreOfficePool()

    def seal(self, pdf: bytes) -> bytes:
        return self.sealer.seal(pdf)
