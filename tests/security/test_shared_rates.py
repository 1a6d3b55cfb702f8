"""Attack: change the rates every workspace's letters are computed with, from one workspace.

Proves: rates are shared data, so a `legal` (or even `admin`) key of a tenant workspace gets
403 on `PUT /v1/rates/…` and the rates stay as they were; the operator's keys (default
workspace) still enter them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.security.conftest import Tenant

RATES = {"ecb_rate": "9.99", "legal_rate_individual": "9.99", "legal_rate_other": "9.99",
         "source": "a tenant's attempt"}


def test_a_tenant_cannot_change_the_shared_rates(
        tenants: tuple[Tenant, Tenant], as_key: Callable[..., Any],
        auth: dict[str, str]) -> None:
    a, _ = tenants
    for key in (a.legal, a.admin):
        refused = as_key(key, "PUT", "/v1/rates/2033-S1", json=RATES)
        assert refused.status_code == 403
        assert "operator" in refused.get_json()["error"]["message"]
    listed = as_key(a.system, "GET", "/v1/rates").get_json()["rates"]
    assert "2033-S1" not in {r["semester"] for r in listed}
    assert as_key(auth, "PUT", "/v1/rates/2033-S1", json={
        **RATES, "source": "operator (test)"}).status_code == 200
