"""Money and rate helpers: Decimal only, never float.

Rounding is explicit everywhere because the law and the official guidance fix it:
interest is rounded half-up to the cent per period (service-public F783, which rounds
each period then sums: 11,08 + 19,91 + 44,66 = 75,65), and instalments are rounded
down so that the last one absorbs the remainder.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_half_up(amount: Decimal) -> Decimal:
    """Round to the cent, half up (F783 rounding of each interest period)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def round_down(amount: Decimal) -> Decimal:
    """Round towards zero to the cent (equal instalments; the last absorbs the rest)."""
    return amount.quantize(CENT, rounding=ROUND_DOWN)


# The largest amount a case may hold, with room for sums and interest within Decimal's
# default 28 digits, and for amount_in_words (below 10^15).
MAX_AMOUNT = Decimal("999999999999.99")


def is_cents(amount: object) -> bool:
    """Tell whether ``amount`` is a Decimal in cents within ±MAX_AMOUNT."""
    if not isinstance(amount, Decimal) or not amount.is_finite() or abs(amount) > MAX_AMOUNT:
        return False
    return amount == amount.quantize(CENT)


def format_amount(amount: Decimal) -> str:
    """Format money for the API: always two decimals, e.g. ``"1250.00"``."""
    return str(amount.quantize(CENT))


def format_rate(rate: Decimal) -> str:
    """Format a percentage for the API: two decimals at least (``"12.15"``, ``"15.00"``).

    A contractual rate with more decimals (``12.125``) keeps them: rounding a rate would
    change the figures it produced.
    """
    if rate == rate.quantize(CENT):
        return str(rate.quantize(CENT))
    return str(rate.normalize())
