"""French formatting filters for the document templates.

Pure functions (no I/O). Legal staff see the names and first docstring lines of
``FILTERS`` when they edit a template, so each docstring opens with an example.

Babel writes the French group separator as a narrow no-break space (U+202F) and a
no-break space (U+00A0) before the currency sign: amounts never break across lines.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import segno
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from markupsafe import Markup

LOCALE = "fr_FR"
CENT = Decimal("0.01")
NBSP = "\u00a0"


class FilterError(ValueError):
    """A filter was given a value it cannot format (None, a float, a non-date...)."""


def _decimal(value: Any, filter_name: str) -> Decimal:
    # Money is never a float: a float here means a bug upstream, so refuse it loudly.
    if isinstance(value, bool | float) or value is None:
        raise FilterError(f"{filter_name}: expected a Decimal, got {value!r}")
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise FilterError(f"{filter_name}: expected a Decimal, got {value!r}") from exc


def _date(value: Any, filter_name: str) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    raise FilterError(f"{filter_name}: expected a date, got {value!r}")


def amount(value: Decimal, currency: str = "EUR") -> str:
    """1 234,56 € — an amount with its currency, rounded half-up to the cent."""
    # Babel rounds half-even; the domain rounds half-up, so round here first and the
    # printed cents always match the figures.
    cents = _decimal(value, "amount").quantize(CENT, rounding=ROUND_HALF_UP)
    return format_currency(cents, currency, locale=LOCALE)


def date_long(value: datetime.date) -> str:
    """18 mars 2025 — and « 1er mars 2025 » on the first of the month."""
    day = _date(value, "date_long")
    # French writes the first day of a month as an ordinal; Babel has no pattern for it.
    number = "1er" if day.day == 1 else str(day.day)
    # A no-break space keeps the day with its month at the end of a line.
    return f"{number}{NBSP}{format_date(day, 'MMMM y', locale=LOCALE)}"


def date_short(value: datetime.date) -> str:
    """18/03/2025 — a date in figures."""
    return format_date(_date(value, "date_short"), "dd/MM/y", locale=LOCALE)


def rate(value: Decimal) -> str:
    """12,15 % — a percentage given in percent (Decimal("12.15")), never rounded away."""
    # At least two decimals as in the official tables, more only if the rate has them.
    number = format_decimal(_decimal(value, "rate"), "#,##0.00##", locale=LOCALE)
    return f"{number}{NBSP}%"


def amount_words(value: Decimal) -> str:
    """mille deux cent cinquante euros — an amount in words (C. civ. 1376)."""
    number = _decimal(value, "amount_words")
    # Imported here so that the other filters work (and are tested) without the domain.
    from service.domain.words import amount_in_words

    return amount_in_words(number)


def iban(value: str) -> str:
    """FR76 3000 6000 0112 3456 7890 189 — an IBAN in groups of four, as printed on a RIB."""
    if not isinstance(value, str):
        raise FilterError(f"iban: expected a string, got {value!r}")
    compact = "".join(value.split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def siren(value: str) -> str:
    """823 456 781 — a SIREN (or SIRET) number in groups of three, as on a Kbis."""
    if not isinstance(value, str):
        raise FilterError(f"siren: expected a string, got {value!r}")
    digits = "".join(value.split())
    if len(digits) == 14:  # SIRET: the SIREN, then the 5-digit establishment number
        return f"{digits[0:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}"
    return " ".join(digits[i : i + 3] for i in range(0, len(digits), 3))


def country(value: str) -> str:
    """Belgique — the French name of an ISO 3166 country code ("BE"); unknown codes as given."""
    if not isinstance(value, str):
        raise FilterError(f"country: expected a country code, got {value!r}")
    return Locale.parse(LOCALE).territories.get(value.strip().upper(), value)


def qr_code(value: str) -> Markup:
    """<svg>… — a QR code of a link (e.g. document.verify_url), drawn as inline SVG.

    Inline vector: nothing to fetch, sharp at any size; size it with CSS (.qr svg).
    """
    if not isinstance(value, str) or not value:
        raise FilterError(f"qr_code: expected a link, got {value!r}")
    svg = segno.make(value, error="m").svg_inline(border=0, omitsize=True, dark="#1b1f24")
    return Markup(svg)  # segno's own markup; the value is encoded in the drawing, not echoed


FILTERS: dict[str, Callable[..., str]] = {
    "amount": amount,
    "amount_words": amount_words,
    "date_long": date_long,
    "date_short": date_short,
    "rate": rate,
    "iban": iban,
    "siren": siren,
    "country": country,
    "qr_code": qr_code,
}
