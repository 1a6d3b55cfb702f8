"""Payment schedules (échéanciers): dates and amounts that add up to the cent.

* Monthly due dates are whole months counted from the first due date, never chained:
  31 Jan, 28/29 Feb, 31 Mar (``relativedelta(months=k)`` from the first date; the same
  rule as CPC 641 for time limits in months: "A défaut d'un quantième identique, le
  délai expire le dernier jour du mois"). Weekly dates are first + 7k days.
* Equal instalments are rounded down to the cent and the last absorbs the remainder, so
  the schedule sums to the plan total exactly.
* A down payment, if any, is due at signature (``as_of``) and listed as number 0.
* No interest runs during the plan: plans free of charge are the safe default (a
  consumer plan with interest or fees may be consumer credit, C. consom. L312-1 ff.).
* At most 24 months: C. civ. 1343-5 lets a judge grant the debtor "dans la limite de
  deux années"; a longer amicable plan gains the creditor nothing, so it is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from service.domain.errors import FieldError, InvalidCase
from service.domain.model import FREQUENCIES, Installment, Plan
from service.domain.money import CENT, is_cents, round_down

MAX_MONTHS = 24  # C. civ. 1343-5, see module docstring.


def due_date(plan: Plan, number: int) -> date:
    """Return the due date of instalment ``number`` (1 is the first), from the first date."""
    if plan.frequency == "weekly":
        return plan.first_due_date + timedelta(weeks=number - 1)
    return plan.first_due_date + relativedelta(months=number - 1)


def build_schedule(total: Decimal, plan: Plan, as_of: date) -> tuple[Installment, ...]:
    """Split ``total`` into the plan's instalments; InvalidCase if the plan is not possible."""
    problems = list(_plan_problems(total, plan, as_of))
    if problems:
        raise InvalidCase.from_details(problems)

    rest = total - plan.down_payment
    each = round_down(rest / plan.installments)
    last = rest - each * (plan.installments - 1)
    schedule = (
        [Installment(0, as_of, plan.down_payment, "down_payment")] if plan.down_payment else []
    )
    schedule += [
        Installment(k, due_date(plan, k), last if k == plan.installments else each, "installment")
        for k in range(1, plan.installments + 1)
    ]
    return tuple(schedule)


def _plan_problems(total: Decimal, plan: Plan, as_of: date) -> Iterator[FieldError]:
    if not is_cents(total) or total <= 0:
        yield {"field": "plan", "message": f"nothing to schedule: the plan total is {total}"}
        return
    if plan.frequency not in FREQUENCIES:
        yield {"field": "plan.frequency", "message": "must be 'monthly' or 'weekly'"}
    if (
        isinstance(plan.installments, bool)
        or not isinstance(plan.installments, int)
        or plan.installments < 1
    ):
        yield {"field": "plan.installments", "message": "must be at least 1"}
        return
    if not is_cents(plan.down_payment) or plan.down_payment < 0:
        yield {"field": "plan.down_payment", "message": "must be an amount of 0 or more"}
        return
    if plan.down_payment >= total:
        yield {
            "field": "plan.down_payment",
            "message": f"must be less than the plan total {total}: pay in one go instead",
        }
        return
    if not isinstance(plan.first_due_date, date):
        yield {"field": "plan.first_due_date", "message": "must be a date"}
        return
    if plan.first_due_date < as_of:
        yield {
            "field": "plan.first_due_date",
            "message": f"is before the day the plan is issued ({as_of.isoformat()}): its first "
            "instalment must fall on or after it",
        }
    if (total - plan.down_payment) / plan.installments < CENT:
        yield {
            "field": "plan.installments",
            "message": f"too many instalments for {total - plan.down_payment}",
        }
    if plan.installments > MAX_MONTHS * 5:
        # More instalments than weeks in 24 months (and too many to date safely).
        yield {
            "field": "plan.installments",
            "message": f"{plan.installments} instalments cannot end within {MAX_MONTHS} months",
        }
    elif plan.frequency in FREQUENCIES:
        limit = as_of + relativedelta(months=MAX_MONTHS)
        last = due_date(plan, plan.installments)
        if last > limit:
            yield {
                "field": "plan.installments",
                "message": (
                    f"the last instalment would fall due on {last.isoformat()}, more than "
                    f"{MAX_MONTHS} months after {as_of.isoformat()} (limit {limit.isoformat()})"
                ),
            }
