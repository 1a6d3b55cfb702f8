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
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 .()-]{5,24}$",
                             description="a telephone number, e.g. +33 1 23 45 67 89")]
Website = Annotated[str, Field(pattern=r"^https?://[^\s<>\"]{3,200}$", max_length=210,
                               description="printed as text, never fetched")]
# A payment reference the debtor quotes: what a bank transfer's remittance field carries
# (35 characters, like a SEPA end-to-end id), stable across every letter of one claim.
Reference = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,34}$",
                                 description="letters, digits and / . _ -, 35 at most")]
Civility = Literal["Monsieur", "Madame"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Address(Strict):
    line1: Text
    line2: Text | None = None
    postal_code: Annotated[str, Field(pattern=r"^[A-Za-z0-9 -]{2,10}$")]
    city: Text
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2")] = "FR"


class Signatory(Strict):
    """Who signs the creditor's letters: a named person and their title."""

    name: Text
    title: Text | None = Field(None, description="e.g. Responsable du recouvrement")


class Mediator(Strict):
    """The consumer mediator the creditor adheres to (C. consom. L612-1, L616-1): its name
    and website are printed on letters to consumers."""

    name: Text
    website: Website


class FirstLetter(Strict):
    reference: Annotated[str, Field(min_length=1, max_length=40)]
    date: IsoDate


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


class Representative(Strict):
    """The person a company debtor's letter is for (its manager, its accountant...)."""

    name: Text
    title: Text | None = Field(None, description="e.g. Gérant")
    civility: Civility | None = None


class Creditor(Strict):
    type: Literal["company", "individual"] = Field(
        "company", description="company: a professional; individual: a natural person "
        "acting outside any profession (changes the legal-interest rate)")
    name: Text
    legal_form: Text | None = None
    siren: Siren | None = None
    # C. com. R123-237: on "toutes correspondances", the RCS city beside the SIREN and, for
    # a company, its share capital.
    share_capital: Money | None = Field(None, description="capital social, in euros")
    rcs_city: Text | None = Field(None, description="city of the RCS registry, e.g. Paris")
    address: Address
    email: Email | None = None
    phone: Phone | None = None
    iban: Iban | None = None
    bic: Annotated[str, Field(pattern=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$")] | None = None
    signatory: Signatory | None = None
    mediator: Mediator | None = None


class Debtor(Strict):
    type: Literal["company", "consumer"]
    name: Text
    civility: Civility | None = Field(None, description="a consumer's, for the salutation")
    legal_form: Text | None = None
    siren: Siren | None = None
    email: Email | None = None
    address: Address
    representative: Representative | None = None


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
    claim: Literal["claim", "mention", "waive"] | None = Field(
        None, description="claim: penalties (or interest) and indemnities are in the amount "
        "asked; mention: they are stated as due by law and reserved, the principal is asked; "
        "waive: they are given up (a stated remise). Default: mention for a relance of "
        "level 1, claim otherwise")


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
    as_of: IsoDate | None = Field(
        None, description="the day the figures are computed through: at most 31 days before "
        "the issue date (the day the document is sealed, Europe/Paris, which is its date and "
        "starts its deadline), never after it; the issue date when omitted")
    creditor: Creditor
    debtor: Debtor
    invoices: Annotated[list[Invoice], Field(min_length=1, max_length=500)]
    penalties: Penalties = Penalties()
    prior_notice_date: IsoDate | None = None
    deadline_days: Annotated[int, Field(ge=1, le=90)] = 8
    level: Literal[1, 2] = 1
    plan: Plan | None = None
    minimum_claim: Money = Field(
        Decimal("5.00"), description="below this much interest left on settled invoices, "
        "a relance or mise en demeure is refused: nothing is due")
    delivery: Literal["registered_letter", "electronic_registered_letter", "letter",
                      "email"] | None = Field(
        None, description="how the letter is sent, printed on it: registered_letter (lettre "
        "recommandée avec accusé de réception, the default for a mise en demeure), "
        "electronic_registered_letter (lettre recommandée électronique), letter or email")
    reference: Reference | None = Field(
        None, description="the payment reference the debtor quotes (stable across a "
        "claim's letters); the document id when omitted")
    # Filled from the stored profile and case before validation (service.cases.links);
    # the document keeps the filled copy, so a later profile change never alters it.
    creditor_id: Annotated[str, Field(max_length=40)] | None = Field(
        None, description="a creditor profile (GET /v1/creditors): fills `creditor` (and "
        "`agency` for a collection agency) when they are not given")
    case_id: Annotated[str, Field(max_length=40)] | None = Field(
        None, description="the case (dossier) this document belongs to: its payment reference "
        "fills `reference`, and its creditor, debtor and invoices fill those not given")
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
        if self.delivery == "electronic_registered_letter" and self.debtor.type == "consumer":
            # CPCE L100: an LRE to a non-professional needs their prior consent, which this
            # service does not record yet.
            raise ValueError("delivery electronic_registered_letter needs a consumer's prior "
                             "consent (CPCE L100): send it as a registered_letter")
        return self


class RatesIn(Strict):
    """A semester's rates; the legal rates may be left out until their arrêté is out."""

    ecb_rate: Rate
    legal_rate_individual: Rate | None = None
    legal_rate_other: Rate | None = None
    source: Annotated[str, Field(min_length=3, max_length=1000)]
