"""From a validated request to a sealed PDF, with no database and no HTTP.

The same pipeline serves the API and the offline `amiable render` command. Expensive objects
(compiled templates, parsed stylesheets, fonts, the seal key) are built once per process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from service.catalog import TemplateSource
from service.domain.figures import compute_figures
from service.domain.model import Case, Figures, Invoice, Payment, PenaltyTerms, Plan
from service.domain.rates import RateTable
from service.errors import Unavailable
from service.metrics import OfficeWatch
from service.rendering.html import HtmlTemplates, RenderLimitExceeded, TemplateError
from service.rendering.limits import RENDER_SECONDS, RenderTimeout, time_limit
from service.rendering.pdf import PdfRenderer
from service.web.schemas import DocumentRequest

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


PARIS = ZoneInfo("Europe/Paris")


def today_in_paris() -> date:
    """The date in France: what a letter issued now is dated, wherever the server runs."""
    return datetime.now(PARIS).date()


@dataclass(frozen=True)
class DocumentMeta:
    """What a document knows about itself before it exists: its id, where to verify it, and
    the day it is sealed."""

    id: str
    verify_url: str
    issued_on: date = field(default_factory=today_in_paris)


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
    def __init__(self, sealer: Sealer, private_dirs: tuple[Path, ...] = ()) -> None:
        self.sealer = sealer
        # Folders LibreOffice must never see (the data dir: blobs, keys, database).
        self.private_dirs = private_dirs
        self.pdf = PdfRenderer()
        self._html: dict[Path, HtmlTemplates] = {}
        self._office_watch = OfficeWatch()

    def figures(self, request: DocumentRequest, as_of: date, rates: RateTable) -> Figures:
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
