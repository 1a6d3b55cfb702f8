"""Attack: the holder of a signing link floods the evidence trail by reloading the page.

Proves: reloads within one visit session (the signing cookie) add nothing to the hash
chain; a new browser is a new visit, recorded once; a client that drops its cookie at every
load records at most MAX_VISITS_RECORDED visits, and the steps that matter (a code sent)
are still recorded after that, with the visit's address.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from service.signature_requests.visits import MAX_VISITS_RECORDED
from tests.signature_requests.conftest import (  # noqa: F401
    api,
    echeancier,
    live,
    mailbox,
    new_request,
    sig_client,
)


def _count(api: Callable[..., Any], request_id: str, kind: str) -> int:  # noqa: F811
    events = api("GET", f"/v1/signature-requests/{request_id}/evidence").get_json()["events"]
    return sum(e["type"] == kind for e in events)


def test_reloads_of_one_visit_are_recorded_once(new_request: Callable[..., Any],  # noqa: F811
                                                sig_client: FlaskClient,  # noqa: F811
                                                api: Callable[..., Any]) -> None:  # noqa: F811
    created = new_request()
    path = urlsplit(created["url"]).path
    for _ in range(30):
        assert sig_client.get(path).status_code == 200
    assert _count(api, created["id"], "link.opened") == 1
    assert _count(api, created["id"], "document.shown") == 1
    assert sig_client.application.test_client().get(path).status_code == 200  # a new browser
    assert _count(api, created["id"], "link.opened") == 2


def test_dropping_the_cookie_records_a_bounded_number_of_visits(
        new_request: Callable[..., Any], sig_client: FlaskClient,  # noqa: F811
        api: Callable[..., Any]) -> None:  # noqa: F811
    created = new_request()
    path = urlsplit(created["url"]).path
    for _ in range(MAX_VISITS_RECORDED + 15):
        assert sig_client.application.test_client().get(path).status_code == 200
    assert _count(api, created["id"], "link.opened") == MAX_VISITS_RECORDED

    debtor = sig_client.application.test_client()
    page = debtor.get(path, environ_base={"REMOTE_ADDR": "192.0.2.44"}).get_data(as_text=True)
    csrf = page.split('name="csrf" value="', 1)[1][:64]
    sent = debtor.post(path, data={"csrf": csrf, "action": "send_code"},
                       environ_base={"REMOTE_ADDR": "192.0.2.44"})
    assert sent.status_code == 200
    events = api("GET", f"/v1/signature-requests/{created['id']}/evidence").get_json()["events"]
    [code_sent] = [e for e in events if e["type"] == "code.sent"]
    assert code_sent["data"]["ip"] == "192.0.2.44"
