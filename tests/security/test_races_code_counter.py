"""Attack: guess the signing code by sending many wrong codes at once, on every worker.

Proves that the tries are counted by the database before a code is compared: 40 wrong codes
sent in parallel to a real `amiable serve` (gunicorn, several worker processes) compare at
most five (five `code.refused` events, then the request is locked), on SQLite and, when one
is reachable, on PostgreSQL; and that ten parallel "send me a code" clicks send one code.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from service.domain.words import amount_in_words
from service.signature_requests import otp
from tests.conftest import load_example
from tests.security.races_db import fresh_database
from tests.service_process import ServiceProcess
from tests.signature_requests.conftest import Mailbox, code_in, mailbox  # noqa: F401

KEY = "amk_races_key_0123456789abcdef"
PARALLEL = 40


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            mailbox: Mailbox) -> Iterator[ServiceProcess]:  # noqa: F811
    env = {"AMIABLE_WORKERS": "4", "AMIABLE_BATCH_WORKERS": "0",
           "AMIABLE_SMTP_HOST": "127.0.0.1", "AMIABLE_SMTP_PORT": str(mailbox.port)}
    with fresh_database(request.param) as database_url:
        if database_url:
            env["AMIABLE_DATABASE_URL"] = database_url
        process = ServiceProcess(tmp_path_factory.mktemp(f"races-{request.param}"), KEY,
                                 **env)
        yield process
        process.stop()


class Browser:
    """One debtor's browser: the signing-session cookie and the page's CSRF token."""

    def __init__(self, service: ServiceProcess, url: str) -> None:
        self.url = service.base + urlsplit(url).path
        self.http = requests.Session()
        page = self.http.get(self.url, timeout=60)
        assert page.status_code == 200, page.text
        self.csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text).group(1)

    def post(self, **form: str) -> requests.Response:
        return self.http.post(self.url, data={"csrf": self.csrf, **form}, timeout=120,
                              allow_redirects=False)


def _signing_request(service: ServiceProcess, email: str) -> tuple[str, str, Decimal]:
    status, document = service.call("POST", "/v1/documents", load_example("echeancier-consumer"))
    assert status == 201, document
    status, created = service.call("POST", "/v1/signature-requests", {
        "document_id": document["id"], "signer": {"name": "M. Hugo Lefèvre", "email": email},
        "send_email": False})
    assert status == 201, created
    return created["id"], created["url"], Decimal(document["figures"]["total"])


def _events(service: ServiceProcess, request_id: str) -> dict[str, Any]:
    status, evidence = service.call("GET", f"/v1/signature-requests/{request_id}/evidence")
    assert status == 200, evidence
    return evidence


def test_forty_parallel_wrong_codes_compare_at_most_five(
        service: ServiceProcess, mailbox: Mailbox) -> None:  # noqa: F811
    email = f"debiteur-{secrets.token_hex(4)}@example.org"
    request_id, url, total = _signing_request(service, email)
    browser = Browser(service, url)
    assert browser.post(action="send_code").status_code == 200
    code = code_in(mailbox.wait(email, "code de signature")[-1])
    wrong = f"{(int(code) + 1) % 10**6:06d}"  # surely not the code

    def attempt(_: int) -> requests.Response:
        return browser.post(action="sign", mention_words=amount_in_words(total),
                            mention_figures=str(total), consent="yes", code=wrong)

    with ThreadPoolExecutor(PARALLEL) as pool:
        responses = list(pool.map(attempt, range(PARALLEL)))

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {422, 423}, statuses
    evidence = _events(service, request_id)
    refused = [e for e in evidence["events"] if e["type"] == "code.refused"]
    assert len(refused) <= otp.MAX_FAILURES, len(refused)
    assert sorted(e["data"]["failures"] for e in refused) == list(range(1, len(refused) + 1))
    assert sum("Code incorrect" in r.text for r in responses) == len(refused) - 1
    assert [e["type"] for e in evidence["events"]].count("request.locked") == 1
    assert evidence["chain_valid"] is True
    assert service.call("GET", f"/v1/signature-requests/{request_id}")[1]["status"] == "locked"
    # the right code does not open a locked request
    assert browser.post(action="sign", mention_words=amount_in_words(total),
                        mention_figures=str(total), consent="yes",
                        code=code).status_code == 423


def test_ten_parallel_code_requests_send_one_code(service: ServiceProcess,
                                                  mailbox: Mailbox) -> None:  # noqa: F811
    email = f"debiteur-{secrets.token_hex(4)}@example.org"
    request_id, url, _ = _signing_request(service, email)
    browser = Browser(service, url)

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(lambda _: browser.post(action="send_code").status_code,
                                 range(10)))

    assert sorted(statuses) == [200] + [429] * 9, statuses
    sent = [e for e in _events(service, request_id)["events"] if e["type"] == "code.sent"]
    assert len(sent) == 1
    assert len(mailbox.wait(email, "code de signature")) == 1
