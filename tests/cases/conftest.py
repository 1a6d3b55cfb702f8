"""The case-file tests share one app of their own (profiles and cases fill its listings),
with webhooks going to the loopback receiver."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.auth import Caller
from service.clock import fixed_clock
from service.config import Settings
from tests.conftest import FROZEN_NOW, MASTER_KEY, load_example
from tests.webhook_receiver import LOOPBACK_WEBHOOKS, Hooks

WEBHOOK_SECRET = "whsec_cases_0123456789"
# A SIREN whose Luhn key was worked by hand (test_creditors.test_siren_luhn_worked_by_hand).
CREDITOR_SIREN = "552100554"
# The cases are made with the master key, in the default workspace; reading their documents
# back through the services takes a caller of that workspace (not an admin, who would see all).
OWNER = Caller(key_id="key_owner", name="owner", roles=frozenset({"system"}))


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory, hooks: Hooks) -> Flask:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("cases"), api_key=MASTER_KEY,
                              public_url="https://amiable.test", webhook_url=hooks.url,
                              webhook_secret=WEBHOOK_SECRET, **LOOPBACK_WEBHOOKS,
                              clock=fixed_clock(FROZEN_NOW)))
    app.config["AMIABLE_OUTBOX_POLL_SECONDS"] = 3600.0  # the tests deliver by hand
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api(client: FlaskClient) -> Callable[..., Any]:
    def call(method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {MASTER_KEY}", **kwargs.pop("headers", {})}
        return client.open(path, method=method, headers=headers, **kwargs)

    return call


def profile_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "ACME SAS", "legal_form": "SAS", "share_capital": "50000.00",
        "siren": CREDITOR_SIREN, "rcs_city": "Paris",
        "address": {"line1": "12 rue de la Paix", "postal_code": "75002", "city": "Paris"},
        "email": "compta@acme.example", "phone": "+33 1 23 45 67 89",
        "signatory": {"name": "Claire Martin", "title": "Responsable recouvrement"},
        "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPP",
        "mediator": {"name": "Médiateur de la consommation CM2C",
                     "website": "https://www.cm2c.net"},
    }
    body.update(changes)
    return body


@pytest.fixture
def creditor(api: Callable[..., Any]) -> dict[str, Any]:
    response = api("POST", "/v1/creditors", json=profile_body())
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def new_case(api: Callable[..., Any], creditor: dict[str, Any]) -> Callable[..., Any]:
    def create(**changes: Any) -> dict[str, Any]:
        sample = load_example("mise-en-demeure-company")
        body = {"creditor_id": creditor["id"], "debtor": sample["debtor"],
                "invoices": sample["invoices"], "external_reference": "CRM-0001", **changes}
        response = api("POST", "/v1/cases", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return create
