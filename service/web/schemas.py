"""Response models of API v1 (and the batch envelope), which generate /openapi.json with the
request models of service/requests.py. Field names are the contract; see design.md."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, HttpUrl

from service.requests import (  # noqa: F401  (re-exported: the edge's own name for them)
    Address,
    Agency,
    Creditor,
    Debtor,
    DocumentRequest,
    Email,
    Iban,
    Invoice,
    Kind,
    Payment,
    Penalties,
    Plan,
    RatesIn,
    Siren,
    Strict,
)


class TemplateRef(BaseModel):
    name: str
    version: int
    sha256: str


class SealInfo(BaseModel):
    level: str
    certificate: dict[str, Any]
    timestamp: str | None = None


class DocumentLinks(BaseModel):
    self_: str = Field(alias="self")
    pdf: str
    events: str


class DocumentOut(BaseModel):
    """A document as issued (the same body on creation and on GET)."""

    id: str
    kind: Kind
    status: Literal["sealed"]
    created_at: str
    issued_on: str = Field(description="the day the document is dated and sealed "
                           "(Europe/Paris); figures.as_of is the day its figures run through")
    template: TemplateRef
    figures: dict[str, Any] = Field(description="computed figures: see the Figures schema")
    sha256: str
    seal: SealInfo
    case_id: str | None = None
    external_reference: str | None = None
    links: DocumentLinks


class FiguresOut(BaseModel):
    """The figures of a request, issuing nothing (POST /v1/figures)."""

    figures: dict[str, Any] = Field(description="as in a document: as_of, issued_on (= as_of), "
                                    "principal, penalties, indemnities, total, claim, claimed, "
                                    "reserved, waived, invoices, deadline or schedule")


class EventOut(BaseModel):
    type: str
    at: str
    actor: str
    data: dict[str, Any]
    hash: str
    prev_hash: str


class EventsOut(BaseModel):
    document_id: str
    chain_valid: bool
    events: list[EventOut]


class RateOut(BaseModel):
    semester: str
    ecb_rate: str
    legal_rate_individual: str | None = Field(description="null while its arrêté is unknown")
    legal_rate_other: str | None = Field(description="null while its arrêté is unknown")
    source: str
    origin: Literal["shipped", "operator"]


class RatesOut(BaseModel):
    rates: list[RateOut]


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorOut(BaseModel):
    error: ErrorBody


class RatesHealth(BaseModel):
    current: str = Field(description="today's semester, e.g. 2026-S2")
    complete: bool = Field(description="whether today's semester has every rate")
    next_missing: str = Field(description="the first semester from today's on with no rates")
    days_left: int = Field(description="days until next_missing begins (0: it has)")


class Health(BaseModel):
    status: Literal["ok"]
    rates: RatesHealth | None = Field(description="null when the database cannot be read")


class VerifiedDocument(BaseModel):
    id: str
    kind: Kind
    sha256: str
    links: dict[str, str]


class SignatureCheck(BaseModel):
    """One signature or document timestamp, in signing order."""

    field_name: str
    kind: Literal["signature", "document_timestamp"]
    subfilter: str | None
    signer: dict[str, Any] | None
    signing_time: str | None
    timestamp_time: str | None
    timestamp_trusted: bool | None
    intact: bool
    valid: bool
    trusted: bool
    ok: bool
    coverage: str
    modification_level: str | None = Field(
        description="pyHanko's judgement of what changed after this signature: none, "
        "lta_updates (validation data, timestamps), form_filling, annotations, other")
    modification: str | None = Field(description="the modification level in words (French)")
    signed_revision_sha256: str | None
    revision: int | None = Field(None, description="1-based revision this signature ends")
    level: str | None = None
    problem: str | None = None


class VerifiedRequest(BaseModel):
    id: str
    signer: dict[str, Any]
    signed_at: str | None
    links: dict[str, str]


class VerifiedModification(BaseModel):
    after_revision: int | None = Field(description="the last revision Amiable issued")
    level: str | None = Field(description="what kind of change came after it")
    description: str | None = Field(description="the same in words (French)")


class VerificationOut(BaseModel):
    verdict: Literal["authentic", "modified", "invalid", "unknown"] = Field(description=(
        "authentic: exactly a file Amiable issued, or one with only validation data and "
        "document timestamps added since; modified: changed after the revision Amiable "
        "issued; invalid: a signature is broken or untrusted; unknown: not issued by Amiable"))
    reason: str
    revisions: int
    matched_revision: int | None
    modification: VerifiedModification | None
    document: VerifiedDocument | None = Field(
        description="the document of the revision Amiable issued (also when modified)")
    signature_request: VerifiedRequest | None = Field(
        description="for a signed échéancier: the request, the signer and the date")
    signatures: list[SignatureCheck]
    intact: bool
    trusted: bool
    issued_by_amiable: bool = Field(description="the same as verdict == authentic")
    problem: str | None


class BatchRequest(Strict):
    documents: Annotated[list[dict[str, Any]], Field(
        min_length=1, max_length=10_000,  # AMIABLE_BATCH_MAX_ITEMS, checked as it is read
        description="document requests, each as for POST /v1/documents; an invalid one fails "
        "alone, the others are made")]
    webhook_url: HttpUrl | None = None


class BatchItemOut(BaseModel):
    index: int
    id: str | None = None
    error: ErrorBody | None = None


class BatchOut(BaseModel):
    id: str
    status: Literal["queued", "running", "done", "cancelled"]
    total: int
    done: int
    failed: int
    cancelled: int = Field(0, description="items not made because the batch was cancelled")
    created_at: str
    finished_at: str | None = Field(None, description="when nothing more will be made")
    links: dict[str, str]
    documents: list[BatchItemOut] | None = None
