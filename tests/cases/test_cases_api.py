"""Cases: the stable payment reference, the timeline, exchanges, payments, promises, status,
listings with cursors, and the workspace rule."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
import time_machine

from service.auth import Caller
from service.domain.references import rf_valid
from service.errors import NotFound
from tests.cases.conftest import OWNER
from tests.conftest import load_example
from tests.signature_requests.conftest import wait_for
from tests.webhook_receiver import Hooks


def letter_for(case: dict[str, Any], kind: str = "mise_en_demeure") -> dict[str, Any]:
    body = load_example("mise-en-demeure-company")
    for key in ("creditor", "debtor", "invoices"):
        del body[key]
    return {**body, "kind": kind, "case_id": case["id"]}


def test_a_case_has_a_stable_reference_on_every_document(
        api: Callable[..., Any], new_case: Callable[..., Any], app: Any) -> None:
    case = new_case()
    assert case["status"] == "open"
    assert rf_valid(case["payment_reference"])
    first = api("POST", "/v1/documents", json=letter_for(case, "relance"))
    second = api("POST", "/v1/documents", json=letter_for(case))
    assert first.status_code == 201, first.get_json()
    assert second.status_code == 201, second.get_json()
    documents = app.extensions["amiable"].documents
    for response in (first, second):
        stored = documents.get(response.get_json()["id"], OWNER)
        assert stored.request["reference"] == case["payment_reference"]
        assert stored.request["debtor"]["name"] == "Menuiserie Roux et Fils SARL"
        assert stored.request["creditor"]["name"] == "ACME SAS"
        assert response.get_json()["case_id"] == case["id"]
        assert response.get_json()["external_reference"] == "CRM-0001"
    detail = api("GET", case["links"]["self"]).get_json()
    assert [d["id"] for d in detail["documents"]] == [first.get_json()["id"],
                                                      second.get_json()["id"]]
    assert [e["type"] for e in detail["timeline"]] == ["case.opened", "document.issued",
                                                       "document.issued"]
    assert detail["chain_valid"] is True
    # The first letter is remembered (an agency repeats its reference, CPCE R124-4).
    assert detail["first_letter"]["reference"] == first.get_json()["id"]
    # Another reference for the same case is refused rather than printed.
    wrong = api("POST", "/v1/documents", json={**letter_for(case), "reference": "RF00X"})
    assert wrong.status_code == 422


def test_exchanges_are_chained_and_corrections_name_what_they_correct(
        api: Callable[..., Any], new_case: Callable[..., Any]) -> None:
    case = new_case()
    url = case["links"]["exchanges"]
    call = api("POST", url, json={"type": "call", "direction": "out", "party": "M. Roux",
                                  "duration_seconds": 240, "summary": "Appel de relance",
                                  "outcome": "callback"})
    assert call.status_code == 201, call.get_json()
    letter = api("POST", url, json={
        "type": "letter", "direction": "in", "summary": "Courrier de contestation",
        "attachment": {"filename": "contestation.pdf", "media_type": "application/pdf",
                       "content_base64": base64.b64encode(b"%PDF-1.7 fake").decode()}})
    assert letter.status_code == 201, letter.get_json()
    stored = letter.get_json()["data"]["attachment"]
    file = api("GET", f"{case['links']['self']}/files/{stored['sha256']}")
    assert file.data == b"%PDF-1.7 fake"
    correction = api("POST", url, json={"type": "call", "direction": "out",
                                        "party": "Mme Roux", "duration_seconds": 240,
                                        "summary": "Appel de relance (interlocutrice corrigée)",
                                        "outcome": "callback",
                                        "corrects": call.get_json()["hash"]})
    assert correction.status_code == 201
    assert correction.get_json()["type"] == "exchange.corrected"
    assert correction.get_json()["prev_hash"] == letter.get_json()["hash"]
    bad = [
        {"type": "call", "summary": "sans direction"},
        {"type": "note", "summary": "x", "corrects": "0" * 64},
        {"type": "note", "summary": "x", "attachment": {
            "filename": "a.txt", "media_type": "text/plain", "content_base64": "YQ=="}},
        {"type": "call", "direction": "in", "summary": "x", "outcome": "promise_to_pay"},
    ]
    for body in bad:
        assert api("POST", url, json=body).status_code == 422, body
    detail = api("GET", case["links"]["self"]).get_json()
    assert [e["type"] for e in detail["exchanges"]] == ["exchange.logged", "exchange.logged",
                                                        "exchange.corrected"]
    assert detail["chain_valid"]


def test_payments_are_allocated_oldest_first(api: Callable[..., Any],
                                             new_case: Callable[..., Any]) -> None:
    case = new_case()  # AL-2025-0412 3120.00 (due 14/05), AL-2025-0533 845.60 - 300.00
    # Dated before the suite's frozen day (Monday 1 September 2025): a payment received.
    paid = api("POST", case["links"]["payments"], json={"date": "2025-08-28",
                                                        "amount": "3200.00"})
    assert paid.status_code == 201, paid.get_json()
    assert paid.get_json()["data"]["allocation"] == [
        {"invoice_number": "AL-2025-0412", "amount": "3120.00"},
        {"invoice_number": "AL-2025-0533", "amount": "80.00"}]
    detail = api("GET", case["links"]["self"]).get_json()
    # 3120.00 + 845.60 = 3965.60 invoiced; 300.00 + 3200.00 paid; 465.60 left.
    assert detail["balance"] == {"invoiced": "3965.60", "paid": "3500.00",
                                 "left_on_invoices": "465.60"}
    over = api("POST", case["links"]["payments"], json={"date": "2025-08-29",
                                                        "amount": "465.61"})
    assert over.status_code == 422
    assert "0.01" in over.get_json()["error"]["message"]


def test_status_transitions(api: Callable[..., Any], new_case: Callable[..., Any]) -> None:
    case = new_case()
    url = f"{case['links']['self']}/status"
    assert api("POST", url, json={"status": "agreement"}).get_json()["status"] == "agreement"
    assert api("POST", url, json={"status": "settled"}).status_code == 200
    letter = api("POST", "/v1/documents", json=letter_for(case, "relance"))
    assert letter.status_code == 422
    assert letter.get_json()["error"]["code"] == "case_closed"
    refused = api("POST", url, json={"status": "open"})
    assert refused.status_code == 409
    assert "closed" in refused.get_json()["error"]["message"]
    assert api("POST", url, json={"status": "closed"}).status_code == 200
    assert api("POST", url, json={"status": "litigation"}).status_code == 409
    assert api("POST", url, json={"status": "bogus"}).status_code == 422


def test_a_broken_promise_shows_and_sends_a_webhook(
        api: Callable[..., Any], new_case: Callable[..., Any], app: Any, hooks: Hooks,
        monkeypatch: pytest.MonkeyPatch) -> None:
    services = app.extensions["amiable"]

    @contextmanager
    def on_day(day: date) -> Iterator[None]:
        # The app's clock is frozen on Monday 1 September 2025: the case files' "today"
        # (payments, the sweep, the promises' status) follows the day travelled to, as does
        # the moment an exchange is logged.
        with time_machine.travel(day, tick=False), monkeypatch.context() as patch:
            patch.setattr(services.cases, "today", lambda: day)
            yield

    case = new_case(external_reference="CRM-PROMISE")
    with on_day(date(2025, 9, 1)):  # the frozen day; the promise is for nine days later
        made = api("POST", case["links"]["exchanges"], json={
            "type": "call", "direction": "in", "summary": "Promet de payer 500 € le 10",
            "outcome": "promise_to_pay", "promise": {"date": "2025-09-10", "amount": "500"}})
        assert made.status_code == 201, made.get_json()
        kept_case = new_case(external_reference="CRM-KEPT")
        api("POST", kept_case["links"]["exchanges"], json={
            "type": "note", "summary": "Promesse par courriel", "outcome": "promise_to_pay",
            "promise": {"date": "2025-09-10", "amount": "100"}})
    with on_day(date(2025, 9, 9)):
        kept_paid = api("POST", kept_case["links"]["payments"], json={"date": "2025-09-09",
                                                                      "amount": "100"})
        # A part payment: the promise is not kept.
        part = api("POST", case["links"]["payments"], json={"date": "2025-09-05",
                                                            "amount": "200"})
        assert kept_paid.status_code == part.status_code == 201
    from service.signature_requests import signatures

    outbox = signatures(app).outbox
    with on_day(date(2025, 9, 10)):
        assert services.cases.sweep_promises(outbox.webhook) == 0  # its date: not yet
    with on_day(date(2025, 9, 11)):
        shown = api("GET", case["links"]["self"]).get_json()
        assert [p["status"] for p in shown["promises"]] == ["broken"]  # before the sweep
        assert services.cases.sweep_promises(outbox.webhook) == 1
        assert services.cases.sweep_promises(outbox.webhook) == 0
    outbox.deliver_due()  # the outbox thread, woken by the new message, may deliver it first

    def sent_hooks() -> list[dict[str, Any]]:
        return [h["json"] for h in list(hooks.received)
                if h["json"]["type"] == "case.promise_broken"
                and h["json"]["data"]["case_id"] == case["id"]]

    sent = wait_for(sent_hooks, "the case.promise_broken webhook")
    assert len(sent) == 1
    from service.web.cases_api import PromiseBrokenEvent

    PromiseBrokenEvent.model_validate(sent[0])  # the payload is what /openapi.json says
    assert sent[0]["data"]["promise"] == {"date": "2025-09-10", "amount": "500.00",
                                          "paid": "200.00",
                                          "exchange_hash": made.get_json()["hash"]}
    detail = api("GET", case["links"]["self"]).get_json()
    assert detail["timeline"][-1]["type"] == "promise.broken"
    kept = api("GET", kept_case["links"]["self"]).get_json()
    assert [p["status"] for p in kept["promises"]] == ["kept"]
    assert "promise.kept" in [e["type"] for e in kept["timeline"]]


def test_listings_paginate_with_an_opaque_cursor(api: Callable[..., Any],
                                                 new_case: Callable[..., Any]) -> None:
    debtor = {**load_example("mise-en-demeure-company")["debtor"], "name": "Zéphyr Listes SAS"}
    made = [new_case(external_reference=f"LIST-{i}", debtor=debtor)["id"] for i in range(5)]
    seen: list[str] = []
    cursor = ""
    while True:
        page = api("GET", f"/v1/cases?limit=2&debtor=zéphyr%20l&cursor={cursor}").get_json()
        seen += [c["id"] for c in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert seen == list(reversed(made))
    assert api("GET", "/v1/cases?cursor=nonsense!").status_code == 400
    assert api("GET", "/v1/cases?status=unknown").status_code == 400
    assert api("GET", "/v1/cases?limit=0").status_code == 400
    only = api("GET", "/v1/cases?external_reference=LIST-3").get_json()["items"]
    assert [c["id"] for c in only] == [made[3]]
    third = api("GET", f"/v1/cases/{made[2]}").get_json()
    for q in ("LIST-2", third["payment_reference"], made[2],
              " ".join(third["payment_reference"][i:i + 4] for i in range(0, 16, 4))):
        found = api("GET", "/v1/cases", query_string={"q": q}).get_json()["items"]
        assert [c["id"] for c in found] == [made[2]], q
    by_prefix = api("GET", "/v1/cases", query_string={"q": "ZÉPHYR"}).get_json()["items"]
    assert {c["id"] for c in by_prefix} == set(made)


def test_document_and_request_listings(api: Callable[..., Any],
                                       new_case: Callable[..., Any]) -> None:
    case = new_case(external_reference="DOCS-1")
    ids = [api("POST", "/v1/documents", json=letter_for(case, kind)).get_json()["id"]
           for kind in ("relance", "mise_en_demeure", "relance")]
    page = api("GET", f"/v1/documents?case_id={case['id']}&kind=relance&limit=1").get_json()
    assert [d["id"] for d in page["items"]] == [ids[2]]
    rest = api("GET", f"/v1/documents?case_id={case['id']}&kind=relance&limit=1"
                      f"&cursor={page['next_cursor']}").get_json()
    assert [d["id"] for d in rest["items"]] == [ids[0]]
    assert rest["next_cursor"] is None
    assert len(api("GET", "/v1/documents?external_reference=DOCS-1").get_json()["items"]) == 3
    none = api("GET", "/v1/documents?case_id=" + case["id"] + "&created_after=2999-01-01")
    assert none.get_json()["items"] == []
    assert api("GET", "/v1/documents?created_after=yesterday").status_code == 400
    echeancier = load_example("echeancier-consumer")
    for key in ("creditor", "debtor", "invoices"):
        del echeancier[key]
    plan = api("POST", "/v1/documents", json={**echeancier, "case_id": case["id"]})
    assert plan.status_code == 201, plan.get_json()
    request = api("POST", "/v1/signature-requests", json={
        "document_id": plan.get_json()["id"], "send_email": False,
        "signer": {"name": "M. Roux", "email": "roux@example.org"}})
    assert request.status_code == 201, request.get_json()
    assert request.get_json()["case_id"] == case["id"]
    listed = api("GET", f"/v1/signature-requests?case_id={case['id']}").get_json()["items"]
    assert [r["id"] for r in listed] == [request.get_json()["id"]]
    assert api("GET", "/v1/signature-requests?status=pending&limit=200").status_code == 200
    timeline = api("GET", case["links"]["self"]).get_json()["timeline"]
    assert timeline[-1]["type"] == "signature_request.created"


def test_another_workspace_sees_nothing(app: Any, new_case: Callable[..., Any]) -> None:
    case = new_case()
    cases = app.extensions["amiable"].cases
    stranger = Caller(key_id="key_x", name="x", roles=frozenset({"system"}),
                      workspace="other")
    with pytest.raises(NotFound):
        cases.view(case["id"], stranger)
    assert cases.listing(stranger).items == []
    from service.cases.schema import ExchangeIn

    with pytest.raises(NotFound):
        cases.add_exchange(case["id"], ExchangeIn(type="note", summary="x"), "key_x", stranger)
    from service import creditors

    with app.extensions["amiable"].db.session() as session, pytest.raises(NotFound):
        creditors.get(session, case["creditor_id"], stranger)
    owner = Caller(key_id="key_y", name="y", roles=frozenset({"system"}))
    assert cases.view(case["id"], owner).case.id == case["id"]
    assert json.dumps(cases.listing(owner, external_reference="CRM-0001").items[0].debtor)


def test_batch_items_may_name_a_case_or_a_profile(api: Callable[..., Any],
                                                  new_case: Callable[..., Any]) -> None:
    case = new_case()
    body = letter_for(case, "relance")
    unknown = {**body, "case_id": "case_unknown"}
    response = api("POST", "/v1/batches", json={"documents": [body, unknown]})
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["failed"] == 1


def test_roles_and_the_published_description(app: Any, client: Any) -> None:
    from service.auth import create_key

    with app.extensions["amiable"].db.session() as session:
        _, legal_key = create_key(session, "legal-only", ["legal"])
    legal = {"Authorization": f"Bearer {legal_key}"}
    assert client.get("/v1/cases", headers=legal).status_code == 403
    assert client.get("/v1/documents", headers=legal).status_code == 403
    assert client.get("/v1/cases").status_code == 401
    spec = client.get("/openapi.json").get_json()
    listing = spec["paths"]["/v1/cases"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {
        "status", "debtor", "creditor", "external_reference", "q", "cursor", "limit"}
    assert "Role required: `system`" in listing["description"]
    assert "post" in spec["paths"]["/v1/cases/{case_id}/exchanges"]
    assert "get" in spec["paths"]["/v1/documents"]
