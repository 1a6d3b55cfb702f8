"""Field types shared by the request models: strict ISO dates, exact money, clean text.

Validation happens here, at the edge, so the domain only ever sees well-formed values.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

MAX_AMOUNT = Decimal("999999999.99")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _parse_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a date that exists") from None


def _parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError("must be a decimal number, e.g. \"1250.00\"")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise ValueError("must be a finite number")
    return number


def _money(value: Decimal) -> Decimal:
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("must have at most two decimals (cents)")
    if value < 0:
        raise ValueError("must not be negative")
    if value > MAX_AMOUNT:
        raise ValueError(f"must not exceed {MAX_AMOUNT}")
    return value.quantize(Decimal("0.01"))


def _rate(value: Decimal) -> Decimal:
    if value < 0 or value > 100:
        raise ValueError("must be a yearly percentage between 0 and 100")
    if value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise ValueError("must have at most four decimals")
    return value


def _clean_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


IsoDate = Annotated[
    date,
    BeforeValidator(_parse_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-11-22"]}),
]
Money = Annotated[
    Decimal,
    BeforeValidator(_parse_decimal),
    AfterValidator(_money),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str),
    WithJsonSchema({"type": ["string", "number"], "pattern": r"^\d+(\.\d{1,2})?$",
                    "description": "euros, two decimals; a decimal string is preferred",
                    "examples": ["1250.00"]}),
]
Rate = Annotated[
    Decimal,
    BeforeValidator(_parse_decimal),
    AfterValidator(_rate),
    PlainSerializer(lambda v: str(v), return_type=str),
    WithJsonSchema({"type": ["string", "number"], "description": "yearly rate in percent",
                    "examples": ["12.15"]}),
]


Text = Annotated[str, AfterValidator(_clean_text), Field(max_length=200)]
"""One line of human text (a name, an address line): trimmed, no control characters."""
