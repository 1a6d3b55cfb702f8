"""The two dates, the issuing rules and POST /v1/figures through the API.

The app lives on Monday 1 September 2025 (tests/frozen.py). Figures of the company
fixture as of that day: principal 3 669,51, penalties 129,42, indemnities 80,00, total
3 878,93 (worked by hand in tests/rendering/samples.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from service.clock import PARIS
from tests.conftest import load_example


def _error(response: Any, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    return response.get_json()["error"]


def test_a_document_carries_both_dates(post_document: Any) -> None:
    body = load_example("mise-en-demeure-company")
    body["as_of"] = "2025-08-29"  # figures through Friday, the letter leaves on Monday
    created = post_document(body)
    assert created.status_code == 201, created.get_json()
    answer = created.get_json()
    assert answer["issued_on"] == "2025-09-01"
    assert (answer["figures"]["as_of"], answer["figures"]["issued_on"]) == (
        "2025-08-29", "2025-09-01")
    assert answer["figures"]["deadline"] == "2025-09-09"  # 1 Sep + 8, CPC 641


def test_as_of_defaults_to_the_issue_day(post_document: Any) -> None:
    body = load_example("relance-level1")
    assert "as_of" not in body
    answer = post_document(body).get_json()
    assert answer["figures"]["as_of"] == answer["issued_on"] == "2025-09-01"
    # A courteous reminder asks the principal and reserves the rest.
    figures = answer["figures"]
    assert (figures["claim"], figures["claimed"], figures["reserved"]) == (
        "mention", "3669.51", "209.42")
    assert figures["total"] == "3878.93"


def test_figures_in_the_future_or_older_than_a_month_are_refused(post_document: Any) -> None:
    body = load_example("mise-en-demeure-company")
    body["as_of"] = "2025-09-02"
    assert "after the issue date 2025-09-01" in _error(post_document(body))["message"]
    body["as_of"] = "2025-07-31"
    error = _error(post_document(body))
    assert "figures older than a month" in error["message"]
    assert error["details"][0]["field"] == "as_of"


def test_an_invoice_not_yet_due_is_named(post_document: Any) -> None:
    body = load_example("mise-en-demeure-company")
    body["invoices"].append({"number": "AL-2025-0801", "issue_date": "2025-08-14",
                             "due_date": "2025-09-13", "amount": "500.00"})
    error = _error(post_document(body))
    assert error["code"] == "not_yet_due"
    assert "invoice AL-2025-0801 falls due on 2025-09-13" in error["message"]


def test_nothing_due_is_refused(post_document: Any) -> None:
    body = load_example("relance-level1")
    body["invoices"] = [{"number": "F-9", "due_date": "2025-06-30", "amount": "100.00",
                         "payments": [{"date": "2025-07-02", "amount": "100.00"}]}]
    error = _error(post_document(body))
    assert error["code"] == "nothing_due"
    assert "rien n'est dû" in error["message"]


def test_the_claim_mode_is_the_caller_s(post_document: Any) -> None:
    body = load_example("mise-en-demeure-company")
    body["penalties"]["claim"] = "waive"
    figures = post_document(body).get_json()["figures"]
    assert (figures["claim"], figures["claimed"], figures["waived"]) == (
        "waive", "3669.51", "209.42")
    body["penalties"]["claim"] = "everything"
    assert _error(post_document(body))["details"][0]["field"] == "penalties.claim"


def test_a_consumer_is_not_sent_an_lre_without_consent(post_document: Any) -> None:
    body = load_example("mise-en-demeure-consumer")
    body["delivery"] = "electronic_registered_letter"
    assert "CPCE L100" in _error(post_document(body))["message"]


# --- POST /v1/figures ------------------------------------------------------------------------


def test_figures_for_an_older_day_issue_nothing(client: Any, auth: dict[str, str]) -> None:
    body = load_example("mise-en-demeure-company")
    body["as_of"] = "2025-07-15"
    # AL-2025-0412: 15/05-30/06, 47 days × 13,15 % on 3 120 = 52,83; 01/07-15/07, 15 days
    # × 12,15 % = 15,58. AL-2025-0533: 3,35 + 0,56 - 3,91 imputed, then 13 days on 549,51
    # = 2,38. Penalties 68,41 + 2,38 = 70,79; total 3 669,51 + 70,79 + 80 = 3 820,30.
    response = client.post("/v1/figures", json=body, headers=auth)
    assert response.status_code == 200, response.get_json()
    figures = response.get_json()["figures"]
    assert (figures["as_of"], figures["issued_on"]) == ("2025-07-15", "2025-07-15")
    assert (figures["penalties"], figures["total"]) == ("70.79", "3820.30")
    assert figures["deadline"] == "2025-07-23"  # as if issued that day: 15 Jul + 8
    assert set(response.get_json()) == {"figures"}


def test_figures_apply_none_of_the_issuing_rules(client: Any, auth: dict[str, str]) -> None:
    body = load_example("relance-level1")
    body["invoices"] = [{"number": "F-9", "due_date": "2025-10-31", "amount": "100.00"},
                        {"number": "F-10", "due_date": "2025-06-30", "amount": "100.00",
                         "payments": [{"date": "2025-06-30", "amount": "100.00"}]}]
    figures = client.post("/v1/figures", json=body, headers=auth).get_json()["figures"]
    assert [(i["number"], i["principal"], i["penalties"], i["indemnity"])
            for i in figures["invoices"]] == [("F-9", "100.00", "0.00", "0.00"),
                                              ("F-10", "0.00", "0.00", "0.00")]


def test_figures_are_for_2019_to_today(client: Any, auth: dict[str, str]) -> None:
    body = load_example("mise-en-demeure-company")
    for as_of in ("2018-12-31", "2025-09-02"):
        body["as_of"] = as_of
        error = _error(client.post("/v1/figures", json=body, headers=auth))
        assert "from 2019-01-01 (the first shipped rates) to today (2025-09-01)" in (
            error["message"])


def test_figures_store_nothing(client: Any, auth: dict[str, str], app: Any) -> None:
    from sqlalchemy import func, select

    from service.db import Document, Event

    def counts() -> tuple[int, int]:
        with app.extensions["amiable"].db.session() as session:
            return (session.scalar(select(func.count()).select_from(Document)),
                    session.scalar(select(func.count()).select_from(Event)))

    before = counts()
    body = load_example("echeancier-consumer")
    assert client.post("/v1/figures", json=body, headers=auth).status_code == 200
    assert counts() == before


def test_figures_need_the_system_role(client: Any) -> None:
    body = load_example("mise-en-demeure-company")
    assert client.post("/v1/figures", json=body).status_code == 401


# --- rates in /healthz ----------------------------------------------------------------------


def test_healthz_says_whether_the_rates_are_current(client: Any, app_at: Any) -> None:
    # 1 Sep 2025: 2025-S2 complete; 2026-S1 and -S2 shipped; 2027-S1 missing, 487 days away.
    assert client.get("/healthz").get_json() == {"status": "ok", "rates": {
        "current": "2025-S2", "complete": True, "next_missing": "2027-S1", "days_left": 487}}
    # 3 Dec 2026: 2026-S2 has only its ECB rate; 1 Jan 2027 is 29 days away.
    later = app_at(datetime(2026, 12, 3, 9, tzinfo=PARIS)).test_client()
    assert later.get("/healthz").get_json()["rates"] == {
        "current": "2026-S2", "complete": False, "next_missing": "2027-S1", "days_left": 29}


def test_an_ecb_only_semester_entered_by_an_operator(app_at: Any, auth: dict[str, str]) -> None:
    # 5 January 2027: no rates for 2027-S1 yet; the ECB rate alone is entered.
    client = app_at(datetime(2027, 1, 5, 9, tzinfo=PARIS)).test_client()
    company = load_example("mise-en-demeure-company")
    del company["as_of"]
    company["invoices"] = [{"number": "F-1", "due_date": "2026-12-15", "amount": "1000.00"}]
    assert _error(client.post("/v1/documents", json=company, headers=auth))["code"] == (
        "unknown_rate")
    put = client.put("/v1/rates/2027-S1", headers=auth, json={
        "ecb_rate": "2.65", "source": "ECB press release of 17 December 2026 (test data)"})
    assert put.status_code == 200, put.get_json()
    assert (put.get_json()["legal_rate_individual"], put.get_json()["legal_rate_other"]) == (
        None, None)
    # B2B at the default rate works: 16-31 Dec 2026, 16 days × 12,40 % on 1 000 = 5,4356
    # -> 5,44; 1-5 Jan 2027, 5 days × 12,65 % (2,65 + 10) = 1,7329 -> 1,73.
    created = client.post("/v1/documents", json=company, headers=auth)
    assert created.status_code == 201, created.get_json()
    periods = created.get_json()["figures"]["invoices"][0]["periods"]
    assert [(p["days"], p["rate"], p["amount"]) for p in periods] == [
        (16, "12.40", "5.44"), (5, "12.65", "1.73")]
    # A contractual rate there needs the legal rate: refused, naming semester and rate.
    company["penalties"]["contractual_rate"] = "3"
    error = _error(client.post("/v1/documents", json=company, headers=auth))
    assert error["message"].startswith('no legal interest rate ("autres cas") is known for '
                                       "semesters 2026-S2, 2027-S1")
    # So does a consumer's mise en demeure (it states the legal rate that will run).
    consumer = load_example("mise-en-demeure-consumer")
    del consumer["as_of"]
    consumer["invoices"][0]["due_date"] = "2026-12-15"
    error = _error(client.post("/v1/documents", json=consumer, headers=auth))
    assert "2027-S1" in error["message"]
    assert "legal interest rate" in error["message"]


def test_the_contract_describes_the_new_fields(client: Any) -> None:
    spec = client.get("/openapi.json").get_json()
    assert "post" in spec["paths"]["/v1/figures"]
    schemas = spec["components"]["schemas"]
    assert "issued_on" in schemas["DocumentOut"]["properties"]
    request = schemas["DocumentRequest"]["properties"]
    for name in ("minimum_claim", "delivery", "reference"):
        assert name in request, name
    assert {"signatory", "mediator", "phone", "share_capital", "rcs_city"} <= set(
        schemas["Creditor"]["properties"])
    assert {"civility", "representative"} <= set(schemas["Debtor"]["properties"])
    assert "claim" in schemas["Penalties"]["properties"]


def test_healthz_stays_alive_when_the_rates_cannot_be_read(
    client: Any, app: Any, monkeypatch: Any,
) -> None:
    from sqlalchemy.exc import OperationalError

    def broken() -> Any:
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(app.extensions["amiable"].db, "session", broken)
    assert client.get("/healthz").get_json() == {"status": "ok", "rates": None}
