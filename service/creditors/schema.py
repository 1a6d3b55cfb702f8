"""The input model of a creditor profile: what `POST/PATCH /v1/creditors` accept.

Stricter than a document request's `creditor` block, because a profile is entered once and
printed for years: the SIREN's Luhn key, the IBAN's national and mod-97 check digits (schwifty),
a BIC of the IBAN's country.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from service.creditors.checks import bic_matches_iban, normal_bic, normal_iban, siren_ok
from service.fields import Money, Rate, Text
from service.requests import (
    Address,
    Creditor,
    Email,
    Mediator,
    Phone,
    Signatory,
    Strict,
    Website,
)


def _siren(value: str) -> str:
    compact = value.replace(" ", "")
    if not re.fullmatch(r"\d{9}", compact):
        raise ValueError("must be 9 digits")
    if not siren_ok(compact):
        raise ValueError("is not a valid SIREN (its Luhn check digit does not match)")
    return compact


CheckedSiren = Annotated[str, AfterValidator(_siren)]
CheckedIban = Annotated[str, AfterValidator(normal_iban)]
CheckedBic = Annotated[str, AfterValidator(normal_bic)]


class AgencyMandate(Strict):
    """This profile is a collection agency acting for `creditor` (CPCE R124-3, R124-4)."""

    creditor: Creditor = Field(description="the creditor the agency acts for, as printed "
                               "on its letters")
    mandate_reference: Text | None = Field(None, description="the written mandate (R124-3)")


class CreditorProfileIn(Strict):
    type: Literal["company", "individual"] = "company"
    name: Text
    legal_form: Text | None = None
    share_capital: Money | None = None
    siren: CheckedSiren | None = None
    rcs_city: Text | None = Field(None, description="city of the RCS greffe (R123-237)")
    address: Address
    email: Email | None = None
    phone: Phone | None = None
    signatory: Signatory | None = None
    iban: CheckedIban | None = None
    bic: CheckedBic | None = None
    contractual_rate: Rate | None = Field(None, description="late rate of the CGV, % a year")
    indemnity: bool = Field(True, description="claim the 40 € indemnity (L441-10 II)")
    mediator: Mediator | None = None
    website: Website | None = None
    sepa_ics: Annotated[str, Field(pattern=r"^[A-Z]{2}\d{2}[A-Z0-9]{3}[A-Z0-9]{1,28}$")] | None \
        = None
    collection_agency: AgencyMandate | None = Field(
        None, description="set when this profile is a collection agency writing for a "
        "creditor: its letters then carry the mentions of CPCE R124-4")

    @model_validator(mode="after")
    def _consistent(self) -> CreditorProfileIn:
        if self.bic and self.iban and not bic_matches_iban(self.bic, self.iban):
            raise ValueError("bic and iban are of different countries")
        if self.type == "company" and self.siren and not self.rcs_city and \
                self.legal_form not in (None, "EI"):
            raise ValueError("rcs_city is required for a company with a SIREN: every letter "
                             "must say 'RCS <city>' (C. com. R123-237)")
        return self
