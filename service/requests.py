"""The application's input: what a caller sends to make a document (or to enter rates).

These models validate every request, whatever door it comes in by: the HTTP API, a batch
item, `amiable render`, a template preview, the bench. They live in the service layer so
that nothing below `service/web/` depends on the web layer; /openapi.json is generated
from them too. Field names are the contract; see design.md.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from service.fields import IsoDate, Money, Rate, Text

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


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Address(Strict):
    line1: Text
    line2: Text | None = None
    postal_code: Annotated[str, Field(pattern=r"^[A-Za-z0-9 -]{2,10}$")]
    city: Text
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2")] = "FR"


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

    @model_validator(mode="after")
    def _plan_for_echeancier(self) -> DocumentRequest:
        if self.kind == "echeancier" and self.plan is None:
            raise ValueError("plan is required when kind is echeancier")
        numbers = [inv.number for inv in self.invoices]
        if len(set(numbers)) != len(numbers):
            raise ValueError("invoice numbers must be unique")
        return self


class RatesIn(Strict):
    ecb_rate: Rate
    legal_rate_individual: Rate
    legal_rate_other: Rate
    source: Annotated[str, Field(min_length=3, max_length=1000)]
