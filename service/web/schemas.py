"""Request and response models of API v1: the one description that validates requests and
generates /openapi.json. Field names are the contract; see design.md."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, model_validator

from service.web.fields import IsoDate, Money, Rate, Text

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    if not _EMAIL.match(value) or len(value) > 254:
        raise ValueError("must be an email address")
    return value


def _iban(value: str) -> str:
    compact = value.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact):
        raise ValueError("must be an IBAN, e.g. FR76 3000 6000 0112 3456 7890 189")
    # ISO 13616 check digits: move the first four characters to the end, letters to numbers.
    digits = "".join(str(int(c, 36)) for c in compact[4:] + compact[:4])
    if int(digits) % 97 != 1:
        raise ValueError("is not a valid IBAN (its check digits do not match)")
    return compact


Email = Annotated[str, AfterValidator(_email)]
Iban = Annotated[str, AfterValidator(_iban)]
Siren = Annotated[str, Field(pattern=r"^\d{9}$", description="9 digits")]
# As in the "letters" branch's service/requests.py (keep theirs when both meet).
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 .()-]{5,24}$",
                             description="a telephone number, e.g. +33 1 23 45 67 89")]
Website = Annotated[str, Field(pattern=r"^https?://[^\s<>\"]{3,200}$", max_length=210,
                               description="printed as text, never fetched")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Address(Strict):
    line1: Text
    line2: Text | None = None
    postal_code: Annotated[str, Field(pattern=r"^[A-Za-z0-9 -]{2,10}$")]
    city: Text
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2")] = "FR"


class Signatory(Strict):
    name: Text
    title: Text | None = None


class Mediator(Strict):
    """The consumer mediator the creditor adheres to (C. consom. L612-1, L616-1)."""

    name: Text
    website: Website


class Agency(Strict):
    """A collection agency sending the letter for the creditor (CPCE R124-4): its identity,
    and the reference and date of its first letter to the debtor on this claim."""

    name: Text
    legal_form: Text | None = None
    siren: Siren | None = None
    rcs_city: Text | None = None
    share_capital: Money | None = None
    address: Address
    email: Email | None = None
    phone: Phone | None = None
    iban: Iban | None = Field(None, description="the agency's account the debtor pays into")
    bic: Annotated[str, Field(pattern=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$")] | None = None
    first_letter: FirstLetter | None = None


class FirstLetter(Strict):
    reference: Annotated[str, Field(min_length=1, max_length=40)]
    date: IsoDate


class Creditor(Strict):
    type: Literal["company", "individual"] = Field(
        "company", description="company: a professional; individual: a natural person "
        "acting outside any profession (changes the legal-interest rate)")
    name: Text
    legal_form: Text | None = None
    siren: Siren | None = None
    address: Address
    email: Email | None = None
    iban: Iban | None = None
    bic: Annotated[str, Field(pattern=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$")] | None = None
    # The identity a creditor profile fills in (C. com. R123-237; C. consom. L612-1). The
    # "letters" branch declares the same optional fields; keep one copy when both meet.
    share_capital: Money | None = None
    rcs_city: Text | None = None
    signatory: Signatory | None = None
    phone: Phone | None = None
    mediator: Mediator | None = None


class Debtor(Strict):
    type: Literal["company", "consumer"]
    name: Text
    legal_form: Text | None = None
    siren: Siren | None = None
    email: Email | None = None
    address: Address


class Payment(Strict):
    date: IsoDate
    amount: Money


class Invoice(Strict):
    number: Text
    issue_date: IsoDate | None = None
    due_date: IsoDate
    amount: Money
    payments: Annotated[list[Payment], Field(max_length=200)] = []

    @model_validator(mode="after")
    def _positive(self) -> Invoice:
        if self.amount <= 0:
            raise ValueError("amount must be greater than zero")
        if self.issue_date and self.issue_date > self.due_date:
            raise ValueError("issue_date must not be after due_date")
        return self


class Penalties(Strict):
    contractual_rate: Rate | None = None
    indemnity: bool = True


class Plan(Strict):
    installments: Annotated[int, Field(ge=1, le=104)]
    first_due_date: IsoDate
    frequency: Literal["monthly", "weekly"] = "monthly"
    down_payment: Money = Decimal("0.00")
    waive_penalties: bool = False


Kind = Literal["relance", "mise_en_demeure", "echeancier"]


class DocumentRequest(Strict):
    """What a caller sends to make one document."""

    kind: Kind
    template_version: Annotated[int, Field(ge=1)] | None = None
    as_of: IsoDate | None = Field(None, description="date the figures are computed at and the "
                                  "letter is dated; today (Europe/Paris) when omitted")
    creditor: Creditor
    debtor: Debtor
    invoices: Annotated[list[Invoice], Field(min_length=1, max_length=500)]
    penalties: Penalties = Penalties()
    prior_notice_date: IsoDate | None = None
    deadline_days: Annotated[int, Field(ge=1, le=90)] = 8
    level: Literal[1, 2] = 1
    plan: Plan | None = None
    # Filled from the stored profile and case before validation (service.cases.resolve);
    # the document keeps the filled copy, so a later profile change never alters it.
    creditor_id: Annotated[str, Field(max_length=40)] | None = Field(
        None, description="a creditor profile (GET /v1/creditors): fills `creditor` (and "
        "`agency` for a collection agency) when they are not given")
    case_id: Annotated[str, Field(max_length=40)] | None = Field(
        None, description="the case (dossier) this document belongs to: its payment reference "
        "fills `reference`, and its creditor, debtor and invoices fill those not given")
    reference: Annotated[str, Field(min_length=1, max_length=35)] | None = Field(
        None, description="the payment reference to quote (a case's stable reference)")
    external_reference: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        None, description="the caller's own reference, to find the document again")
    agency: Agency | None = Field(None, description="set when a collection agency writes "
                                  "for the creditor (CPCE R124-4)")

    @model_validator(mode="after")
    def _plan_for_echeancier(self) -> DocumentRequest:
        if self.kind == "echeancier" and self.plan is None:
            raise ValueError("plan is required when kind is echeancier")
        numbers = [inv.number for inv in self.invoices]
        if len(set(numbers)) != len(numbers):
            raise ValueError("invoice numbers must be unique")
        return self


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
    template: TemplateRef
    figures: dict[str, Any] = Field(description="computed figures: see the Figures schema")
    sha256: str
    seal: SealInfo
    case_id: str | None = None
    external_reference: str | None = None
    links: DocumentLinks


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


class RatesIn(Strict):
    ecb_rate: Rate
    legal_rate_individual: Rate
    legal_rate_other: Rate
    source: Annotated[str, Field(min_length=3, max_length=1000)]


class RateOut(BaseModel):
    semester: str
    ecb_rate: str
    legal_rate_individual: str
    legal_rate_other: str
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


class Health(BaseModel):
    status: Literal["ok"]


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
    modification_level: str | None
    signed_revision_sha256: str | None
    problem: str | None = None


class VerificationOut(BaseModel):
    intact: bool
    trusted: bool
    issued_by_amiable: bool
    document: VerifiedDocument | None
    signatures: list[SignatureCheck]
    problem: str | None


class BatchRequest(Strict):
    documents: Annotated[list[dict[str, Any]], Field(
        min_length=1, max_length=10_000,
        description="document requests, each as for POST /v1/documents; an invalid one fails "
        "alone, the others are made")]
    webhook_url: HttpUrl | None = None


class BatchItemOut(BaseModel):
    index: int
    id: str | None = None
    error: ErrorBody | None = None


class BatchOut(BaseModel):
    id: str
    status: Literal["queued", "running", "done"]
    total: int
    done: int
    failed: int
    created_at: str
    links: dict[str, str]
    documents: list[BatchItemOut] | None = None
