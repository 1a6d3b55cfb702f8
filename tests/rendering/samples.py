"""Sample template contexts (fictitious parties), shaped like the lead's context builder.

The request's fields are plain dicts; ``figures`` is an object with attributes, as the
domain's ``Figures`` dataclass will be. The figures were worked out by hand with the
rules of design.md (rates of legal.md §1.5 and §2.1), so the letters add up; they are not
a test of the domain.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from typing import Any

D = Decimal

CREDITOR: dict[str, Any] = {
    "type": "company",
    "name": "Atelier Lumière SAS",
    "legal_form": "SAS",
    "siren": "823456781",
    "address": {
        "line1": "21 rue du Faubourg Saint-Antoine",
        "line2": None,
        "postal_code": "75011",
        "city": "Paris",
        "country": "FR",
    },
    "email": "comptabilite@atelier-lumiere.example",
    "iban": "FR7610107001011234567890129",
    "bic": "BREDFRPPXXX",
    "share_capital": None,
    "rcs_city": None,
    "phone": None,
    "signatory": None,
    "mediator": None,
}

# What a creditor profile fills in (C. com. R123-237; C. consom. L612-1, L616-1).
CREDITOR_IDENTITY: dict[str, Any] = {
    "share_capital": D("50000.00"),
    "rcs_city": "Paris",
    "phone": "+33 1 43 55 20 10",
    "signatory": {"name": "Claire Dubois", "title": "Responsable du recouvrement"},
    "mediator": {"name": "CM2C", "website": "https://www.cm2c.net"},
}

COMPANY_DEBTOR: dict[str, Any] = {
    "type": "company",
    "name": "Menuiserie Roux et Fils SARL",
    "legal_form": "SARL",
    "siren": "398765432",
    "email": "gestion@roux-menuiserie.example",
    "civility": None,
    "representative": None,
    "address": {
        "line1": "3 impasse des Cordiers",
        "line2": None,
        "postal_code": "13002",
        "city": "Marseille",
        "country": "FR",
    },
}

CONSUMER_DEBTOR: dict[str, Any] = {
    "type": "consumer",
    "name": "M. Hugo Lefèvre",
    "legal_form": None,
    "siren": None,
    "email": "hugo.lefevre@example.org",
    "civility": None,
    "representative": None,
    "address": {
        "line1": "45 allée des Tilleuls",
        "line2": "Bâtiment B",
        "postal_code": "67000",
        "city": "Strasbourg",
        "country": "FR",
    },
}

COMPANY_INVOICES: list[dict[str, Any]] = [
    {
        "number": "AL-2025-0412",
        "issue_date": date(2025, 4, 14),
        "due_date": date(2025, 5, 14),
        "amount": D("3120.00"),
        "payments": [],
    },
    {
        "number": "AL-2025-0533",
        "issue_date": date(2025, 5, 20),
        "due_date": date(2025, 6, 19),
        "amount": D("845.60"),
        "payments": [{"date": date(2025, 7, 2), "amount": D("300.00")}],
    },
]

CONSUMER_INVOICES: list[dict[str, Any]] = [
    {
        "number": "AL-2025-0601",
        "issue_date": date(2025, 6, 2),
        "due_date": date(2025, 7, 2),
        "amount": D("1290.00"),
        "payments": [],
    },
]

DOCUMENT_ID = "doc_01K4ZB7Q3M8N2V6T9R5X1W0Y4P"


def _document(issued_on: date, doc_id: str = DOCUMENT_ID) -> dict[str, Any]:
    return {"id": doc_id, "verify_url": f"https://amiable.example/verify/{doc_id}",
            "issued_on": issued_on}


def _period(start: date, end: date, days: int, base: str, rate: str, amount: str) -> Any:
    return SimpleNamespace(
        start=start, end=end, days=days, base=D(base), rate=D(rate), amount=D(amount)
    )


def _line(
    number: str,
    amount: str,
    paid: str,
    principal: str,
    accrued: str,
    penalties: str,
    indemnity: str,
    periods: list[Any],
) -> Any:
    return SimpleNamespace(
        number=number,
        amount=D(amount),
        paid=D(paid),
        principal=D(principal),
        penalties_accrued=D(accrued),
        penalties=D(penalties),
        indemnity=D(indemnity),
        periods=periods,
    )


def _figures(**fields: Any) -> Any:
    defaults: dict[str, Any] = {
        "currency": "EUR",
        "deadline": None,
        "schedule": None,
        "plan_total": None,
        "interest_basis": "365",
    }
    return SimpleNamespace(**{**defaults, **fields})


def _company_lines() -> list[Any]:
    # AL-2025-0412: 15/05-30/06 at 13,15 % (BCE 3,15 + 10), 01/07-01/09 at 12,15 %.
    # AL-2025-0533: 300 € paid on 02/07, imputed first on the 3,91 € accrued (1343-1).
    return [
        _line(
            "AL-2025-0412",
            "3120.00",
            "0.00",
            "3120.00",
            "118.26",
            "118.26",
            "40.00",
            [
                _period(date(2025, 5, 15), date(2025, 6, 30), 47, "3120.00", "13.15", "52.83"),
                _period(date(2025, 7, 1), date(2025, 9, 1), 63, "3120.00", "12.15", "65.43"),
            ],
        ),
        _line(
            "AL-2025-0533",
            "845.60",
            "300.00",
            "549.51",
            "15.07",
            "11.16",
            "40.00",
            [
                _period(date(2025, 6, 20), date(2025, 6, 30), 11, "845.60", "13.15", "3.35"),
                _period(date(2025, 7, 1), date(2025, 7, 2), 2, "845.60", "12.15", "0.56"),
                _period(date(2025, 7, 3), date(2025, 9, 1), 61, "549.51", "12.15", "11.16"),
            ],
        ),
    ]


def _base(
    kind: str,
    as_of: date,
    debtor: dict[str, Any],
    invoices: list[dict[str, Any]],
    figures: Any,
    issued_on: date | None = None,
    **fields: Any,
) -> dict[str, Any]:
    issued_on = issued_on or as_of
    figures.issued_on = issued_on
    context: dict[str, Any] = {
        "kind": kind,
        "as_of": as_of,
        "issued_on": issued_on,
        "reference": DOCUMENT_ID,
        "delivery": "registered_letter" if kind == "mise_en_demeure" else "letter",
        "salutation": "Madame, Monsieur",
        "level": None,
        "deadline_days": 8,
        "prior_notice_date": None,
        "creditor": CREDITOR,
        "debtor": debtor,
        "invoices": invoices,
        "penalties": {"contractual_rate": None, "indemnity": True},
        "plan": None,
        "figures": figures,
        "document": _document(issued_on),
    }
    context.update(fields)
    return with_claim(copy.deepcopy(context), None)


def with_claim(context: dict[str, Any], mode: str | None) -> dict[str, Any]:
    """``context`` with figures.claim set to ``mode`` (None: the kind's default, as the
    domain chooses it) and the claimed, reserved and waived amounts that follow."""
    context = copy.deepcopy(context)
    figures = context["figures"]
    plan = context.get("plan") or {}
    if mode is None:
        mode = ("waive" if plan.get("waive_penalties")
                else "mention" if context["kind"] == "relance" and (context["level"] or 1) < 2
                else "claim")
    extras = figures.penalties + figures.indemnities
    figures.claim = mode
    figures.extras = extras
    figures.claimed = figures.total if mode == "claim" else figures.principal
    figures.reserved = extras if mode == "mention" else D("0.00")
    figures.waived = extras if mode == "waive" else D("0.00")
    if context["kind"] == "echeancier":
        figures.plan_total = figures.claimed
    return context


def company_mise_en_demeure() -> dict[str, Any]:
    """Two invoices, one partly paid, five periods over a change of semester."""
    figures = _figures(
        as_of=date(2025, 9, 1),
        regime="commercial",
        principal=D("3669.51"),
        penalties=D("129.42"),
        indemnities=D("80.00"),
        total=D("3878.93"),
        interest_rate=D("12.15"),
        deadline=date(2025, 9, 9),
        invoices=_company_lines(),
    )
    return _base("mise_en_demeure", date(2025, 9, 1), COMPANY_DEBTOR, COMPANY_INVOICES, figures)


def consumer_mise_en_demeure() -> dict[str, Any]:
    """A consumer never put on notice: no interest yet, the legal rate runs from now."""
    figures = _figures(
        as_of=date(2025, 9, 1),
        regime="civil",
        principal=D("1290.00"),
        penalties=D("0.00"),
        indemnities=D("0.00"),
        total=D("1290.00"),
        interest_rate=D("2.76"),
        deadline=date(2025, 9, 16),
        invoices=[_line("AL-2025-0601", "1290.00", "0.00", "1290.00", "0.00", "0.00", "0.00", [])],
    )
    return _base(
        "mise_en_demeure",
        date(2025, 9, 1),
        CONSUMER_DEBTOR,
        CONSUMER_INVOICES,
        figures,
        deadline_days=15,
        penalties={"contractual_rate": None, "indemnity": False},
    )


def company_relance(level: int) -> dict[str, Any]:
    """The company case as of 15/07/2025: penalties accrued so far, no deadline."""
    lines = [
        _line(
            "AL-2025-0412",
            "3120.00",
            "0.00",
            "3120.00",
            "68.41",
            "68.41",
            "40.00",
            [
                _period(date(2025, 5, 15), date(2025, 6, 30), 47, "3120.00", "13.15", "52.83"),
                _period(date(2025, 7, 1), date(2025, 7, 15), 15, "3120.00", "12.15", "15.58"),
            ],
        ),
        _line(
            "AL-2025-0533",
            "845.60",
            "300.00",
            "549.51",
            "6.29",
            "2.38",
            "40.00",
            [
                _period(date(2025, 6, 20), date(2025, 6, 30), 11, "845.60", "13.15", "3.35"),
                _period(date(2025, 7, 1), date(2025, 7, 2), 2, "845.60", "12.15", "0.56"),
                _period(date(2025, 7, 3), date(2025, 7, 15), 13, "549.51", "12.15", "2.38"),
            ],
        ),
    ]
    figures = _figures(
        as_of=date(2025, 7, 15),
        regime="commercial",
        principal=D("3669.51"),
        penalties=D("70.79"),
        indemnities=D("80.00"),
        total=D("3820.30"),
        interest_rate=D("12.15"),
        invoices=lines,
    )
    return _base(
        "relance", date(2025, 7, 15), COMPANY_DEBTOR, COMPANY_INVOICES, figures, level=level,
        issued_on=date(2025, 7, 16),
    )


def consumer_relance(level: int) -> dict[str, Any]:
    figures = _figures(
        as_of=date(2025, 7, 15),
        regime="civil",
        principal=D("1290.00"),
        penalties=D("0.00"),
        indemnities=D("0.00"),
        total=D("1290.00"),
        interest_rate=None,
        invoices=[_line("AL-2025-0601", "1290.00", "0.00", "1290.00", "0.00", "0.00", "0.00", [])],
    )
    return _base(
        "relance",
        date(2025, 7, 15),
        CONSUMER_DEBTOR,
        CONSUMER_INVOICES,
        figures,
        level=level,
        issued_on=date(2025, 7, 16),
        penalties={"contractual_rate": None, "indemnity": False},
    )


def _schedule(rows: list[tuple[int, date, str]]) -> list[Any]:
    return [
        SimpleNamespace(
            number=n,
            due_date=due,
            amount=D(amount),
            kind="down_payment" if n == 0 else "installment",
        )
        for n, due, amount in rows
    ]


def consumer_echeancier() -> dict[str, Any]:
    """Put on notice on 01/09/2025: 35 days of legal interest (2,76 %), then a plan of
    6 monthly instalments after a 90 € down payment."""
    figures = _figures(
        as_of=date(2025, 10, 6),
        regime="civil",
        principal=D("1290.00"),
        penalties=D("3.41"),
        indemnities=D("0.00"),
        total=D("1293.41"),
        interest_rate=D("2.76"),
        plan_total=D("1293.41"),
        invoices=[
            _line(
                "AL-2025-0601",
                "1290.00",
                "0.00",
                "1290.00",
                "3.41",
                "3.41",
                "0.00",
                [
                    _period(date(2025, 9, 2), date(2025, 10, 6), 35, "1290.00", "2.76", "3.41"),
                ],
            )
        ],
        schedule=_schedule(
            [
                (0, date(2025, 10, 6), "90.00"),
                (1, date(2025, 10, 31), "200.56"),
                (2, date(2025, 11, 30), "200.56"),
                (3, date(2025, 12, 31), "200.56"),
                (4, date(2026, 1, 31), "200.56"),
                (5, date(2026, 2, 28), "200.56"),
                (6, date(2026, 3, 31), "200.61"),
            ]
        ),
    )
    plan = {
        "installments": 6,
        "first_due_date": date(2025, 10, 31),
        "frequency": "monthly",
        "down_payment": D("90.00"),
        "waive_penalties": False,
    }
    return _base(
        "echeancier",
        date(2025, 10, 6),
        CONSUMER_DEBTOR,
        CONSUMER_INVOICES,
        figures,
        prior_notice_date=date(2025, 9, 1),
        plan=plan,
        penalties={"contractual_rate": None, "indemnity": False},
    )


def company_echeancier() -> dict[str, Any]:
    """The company case, penalties waived if the plan is honoured: the plan covers the
    principal only; 6 monthly instalments, no down payment."""
    base = company_mise_en_demeure()
    figures = copy.copy(base["figures"])
    figures.deadline = None
    figures.plan_total = D("3669.51")
    figures.schedule = _schedule(
        [
            (1, date(2025, 10, 5), "611.58"),
            (2, date(2025, 11, 5), "611.58"),
            (3, date(2025, 12, 5), "611.58"),
            (4, date(2026, 1, 5), "611.58"),
            (5, date(2026, 2, 5), "611.58"),
            (6, date(2026, 3, 5), "611.61"),
        ]
    )
    plan = {
        "installments": 6,
        "first_due_date": date(2025, 10, 5),
        "frequency": "monthly",
        "down_payment": D("0.00"),
        "waive_penalties": True,
    }
    return with_claim({**base, "kind": "echeancier", "figures": figures, "plan": plan,
                       "delivery": "letter"}, None)


HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img": '<img src="file:///etc/passwd">',
    "jinja_expr": "{{ 7*7 }}",
    "jinja_raw": "{% raw %}",
    "css_url": "url(http://127.0.0.1:9/x.png)",
    "style": "<style>*{color:red}</style>",
    "iframe": "<iframe src=x>",
}


def hostile(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with attacker-controlled strings in the names and addresses.

    Each string goes where the letters print it on one line, so that the PDF's text can
    be searched for it.
    """
    context = copy.deepcopy(context)
    context["debtor"]["name"] = f"Durand {HOSTILE['script']}"
    context["debtor"]["address"]["line1"] = f"{HOSTILE['jinja_expr']} rue {HOSTILE['jinja_raw']}"
    context["debtor"]["address"]["line2"] = HOSTILE["style"]
    context["creditor"]["name"] = f"ACME {HOSTILE['img']}"
    context["creditor"]["address"]["line1"] = f"1 rue {HOSTILE['css_url']}"
    context["invoices"][0]["number"] = HOSTILE["iframe"]
    context["figures"].invoices[0].number = HOSTILE["iframe"]
    return context


def with_third_invoice(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with one more unpaid invoice (due 10/07/2025), totals updated."""
    context = copy.deepcopy(context)
    figures = context["figures"]
    commercial = figures.regime == "commercial"
    as_of = context["as_of"]
    days = (as_of - date(2025, 7, 10)).days
    accrued = (D("2400.00") * D("12.15") / 100 * days / 365).quantize(D("0.01"), ROUND_HALF_UP)
    penalties = accrued if commercial else D("0.00")
    indemnity = D("40.00") if commercial else D("0.00")
    periods = (
        [_period(date(2025, 7, 11), as_of, days, "2400.00", "12.15", str(accrued))]
        if commercial
        else []
    )
    context["invoices"].append(
        {
            "number": "AL-2025-0702",
            "issue_date": None,
            "due_date": date(2025, 7, 10),
            "amount": D("2400.00"),
            "payments": [],
        }
    )
    figures.invoices = [
        *figures.invoices,
        _line(
            "AL-2025-0702",
            "2400.00",
            "0.00",
            "2400.00",
            str(penalties),
            str(penalties),
            str(indemnity),
            periods,
        ),
    ]
    figures.principal += D("2400.00")
    figures.penalties += penalties
    figures.indemnities += indemnity
    figures.total = figures.principal + figures.penalties + figures.indemnities
    return with_claim(context, figures.claim)


def from_an_individual(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with a private creditor (no SIREN, no e-mail, no BIC) and a debtor abroad."""
    context = copy.deepcopy(context)
    context["creditor"] = {
        "type": "individual",
        "name": "Mme Claire Martin",
        "legal_form": None,
        "siren": None,
        "address": {
            "line1": "8 rue des Lilas",
            "line2": "Appartement 12",
            "postal_code": "69003",
            "city": "Lyon",
            "country": "FR",
        },
        "email": None,
        "iban": "FR7630006000011234567890189",
        "bic": None,
        "share_capital": None,
        "rcs_city": None,
        "phone": None,
        "signatory": None,
        "mediator": None,
    }
    context["debtor"]["address"] = {
        "line1": "12 avenue Louise",
        "line2": None,
        "postal_code": "1050",
        "city": "Bruxelles",
        "country": "BE",
    }
    return context


def with_identity(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with the creditor's full identity and a named addressee: a consumer
    "Monsieur", or the company's manager."""
    context = copy.deepcopy(context)
    context["creditor"].update(copy.deepcopy(CREDITOR_IDENTITY))
    if context["debtor"]["type"] == "consumer":
        context["debtor"]["civility"] = "Monsieur"
        context["salutation"] = "Monsieur"
    else:
        context["debtor"]["representative"] = {"name": "Jean Roux", "title": "Gérant",
                                               "civility": "Monsieur"}
        context["salutation"] = "Monsieur"
    return context
