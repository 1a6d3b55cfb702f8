"""Input models of the case file: a case, an exchange, a payment, a status change."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from service.fields import IsoDate, Money, Text
from service.requests import Debtor, Invoice, Strict

STATUSES = ("open", "agreement", "settled", "litigation", "closed")
Status = Literal["open", "agreement", "settled", "litigation", "closed"]
# Where a case may go from each status. A settled case can still be closed; a closed one is
# final (a new claim is a new case), so its history cannot be rewritten by reopening it.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("agreement", "settled", "litigation", "closed"),
    "agreement": ("open", "settled", "litigation", "closed"),
    "litigation": ("agreement", "settled", "closed"),
    "settled": ("closed",),
    "closed": (),
}
MAX_ATTACHMENT_BYTES = 1024 * 1024  # decoded; the JSON body limit bounds it anyway
LongText = Annotated[str, Field(min_length=1, max_length=5000)]


class CaseIn(Strict):
    creditor_id: Annotated[str, Field(min_length=1, max_length=40)]
    debtor: Debtor
    invoices: Annotated[list[Invoice], Field(min_length=1, max_length=500)]
    external_reference: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        None, description="the case's id in the caller's system")

    @model_validator(mode="after")
    def _unique_numbers(self) -> CaseIn:
        numbers = [inv.number for inv in self.invoices]
        if len(set(numbers)) != len(numbers):
            raise ValueError("invoice numbers must be unique")
        return self


def _base64(value: str) -> str:
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("must be base64") from None
    if not data:
        raise ValueError("must not be empty")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise ValueError(f"must be at most {MAX_ATTACHMENT_BYTES // 1024} KiB once decoded")
    return value


class Attachment(Strict):
    filename: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^/\\\x00-\x1f]+$")]
    media_type: Annotated[str, Field(pattern=r"^[a-z]+/[a-z0-9.+-]+$", max_length=100)]
    content_base64: Annotated[str, AfterValidator(_base64)]


class PromiseIn(Strict):
    date: IsoDate
    amount: Money


ExchangeType = Literal["call", "email", "letter", "meeting", "note"]
Outcome = Literal["promise_to_pay", "dispute", "refusal", "callback", "no_answer",
                  "information", "other"]


class ExchangeIn(Strict):
    """One exchange with the debtor, or a note. Append-only: to correct one, send a new
    exchange with `corrects` set to the hash of the event it corrects."""

    type: ExchangeType
    direction: Literal["in", "out"] | None = Field(None, description="in: from the debtor; "
                                                   "out: to the debtor (call, email, letter)")
    occurred_at: datetime | None = Field(None, description="when it happened (default now)")
    party: Text | None = Field(None, description="who: the person spoken to or written to")
    subject: Text | None = None
    summary: LongText
    duration_seconds: Annotated[int, Field(ge=0, le=86_400)] | None = None
    outcome: Outcome | None = None
    promise: PromiseIn | None = Field(None, description="with outcome promise_to_pay")
    attachment: Attachment | None = Field(None, description="the e-mail or letter itself")
    corrects: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        None, description="hash of the event of this case that this one corrects")

    @model_validator(mode="after")
    def _coherent(self) -> ExchangeIn:
        if self.type in ("call", "email", "letter") and self.direction is None:
            raise ValueError(f"direction (in or out) is required for a {self.type}")
        if self.type == "note" and self.direction is not None:
            raise ValueError("a note has no direction")
        if self.attachment is not None and self.type not in ("email", "letter"):
            raise ValueError("only an email or a letter has an attached file")
        if self.duration_seconds is not None and self.type not in ("call", "meeting"):
            raise ValueError("only a call or a meeting has a duration")
        if (self.outcome == "promise_to_pay") != (self.promise is not None):
            raise ValueError("promise (date and amount) goes with outcome promise_to_pay, "
                             "and only with it")
        if self.promise is not None and self.promise.amount <= 0:
            raise ValueError("a promise to pay is of an amount greater than zero")
        if self.occurred_at is not None and self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at needs its time zone, e.g. 2026-11-22T10:00:00+01:00")
        return self


class PaymentIn(Strict):
    date: IsoDate
    amount: Money
    invoice_number: Text | None = Field(None, description="the invoice it pays; by default "
                                        "the oldest unpaid one (C. civ. 1342-10)")
    method: Literal["transfer", "direct_debit", "card", "cheque", "cash", "other"] = "transfer"
    reference: Text | None = None

    @model_validator(mode="after")
    def _positive(self) -> PaymentIn:
        if self.amount <= 0:
            raise ValueError("amount must be greater than zero")
        return self


class StatusIn(Strict):
    status: Status
    reason: LongText | None = None
