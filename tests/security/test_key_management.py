"""Attack: escalate through the key and workspace administration.

Proves: the admin API needs the admin role (a system key gets 403); a workspace's admin
lists, makes and revokes keys of its own workspace only (another workspace's key or
workspace is a 404), cannot make workspaces nor raise its quota (403); a revoked key is
refused at once (401); keys are listed without their secrets, which are shown once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import load_example
from tests.security.conftest import Tenant


def test_a_workspace_admin_is_confined_to_its_workspace(
        tenants: tuple[Tenant, Tenant], as_key: Callable[..., Any],
        auth: dict[str, str]) -> None:
    a, b = tenants
    assert as_key(a.system, "GET", "/v1/keys").status_code == 403
    assert as_key(a.system, "POST", "/v1/keys",
                  json={"name": "x", "roles": ["admin"]}).status_code == 403

    listed = as_key(a.admin, "GET", "/v1/keys").get_json()["keys"]
    assert {k["workspace"] for k in listed} == {a.workspace}
    assert all(k["secret"] is None for k in listed)
    made = as_key(a.admin, "POST", "/v1/keys", json={"name": "partner", "roles": ["system"]})
    assert made.status_code == 201
    partner = made.get_json()
    assert partner["workspace"] == a.workspace
    assert partner["secret"].startswith("amk_")

    # Reaching into B: B's workspace and keys do not exist for A's admin.
    assert as_key(a.admin, "POST", "/v1/keys", json={
        "name": "mole", "roles": ["admin"], "workspace": b.workspace}).status_code == 404
    assert as_key(a.admin, "POST", "/v1/keys", json={
        "name": "mole", "roles": ["admin"], "workspace": "default"}).status_code == 404
    b_keys = as_key(b.admin, "GET", "/v1/keys").get_json()["keys"]
    assert as_key(a.admin, "POST", f"/v1/keys/{b_keys[0]['id']}/revoke").status_code == 404
    assert as_key(b.system, "GET", "/v1/documents/doc_none").status_code == 404  # B works
    assert [w["id"] for w in as_key(a.admin, "GET", "/v1/workspaces").get_json()[
        "workspaces"]] == [a.workspace]
    assert as_key(a.admin, "POST", "/v1/workspaces",
                  json={"id": "mine-too", "name": "x"}).status_code == 403
    assert as_key(a.admin, "PATCH", f"/v1/workspaces/{a.workspace}",
                  json={"max_pending_items": 10_000_000}).status_code == 403
    assert as_key(a.admin, "PATCH", f"/v1/workspaces/{b.workspace}",
                  json={"webhook_url": "https://evil.example/hook"}).status_code == 404

    # The partner's key works until A's admin revokes it, then never again.
    key = {"Authorization": f"Bearer {partner['secret']}"}
    assert as_key(key, "POST", "/v1/documents",
                  json=load_example("relance-level1")).status_code == 201
    revoked = as_key(a.admin, "POST", f"/v1/keys/{partner['id']}/revoke")
    assert revoked.get_json()["revoked_at"] is not None
    assert as_key(key, "POST", "/v1/documents",
                  json=load_example("relance-level1")).status_code == 401

    # The operator's admin sees and manages every workspace.
    every = {k["workspace"] for k in as_key(auth, "GET", "/v1/keys").get_json()["keys"]}
    assert {a.workspace, b.workspace} <= every
    created = as_key(auth, "POST", "/v1/workspaces", json={
        "id": f"{a.workspace}-2", "name": "Filiale", "max_pending_items": 10})
    assert created.status_code == 201
    assert created.get_json()["webhook_secret"].startswith("whsec_")
    assert as_key(auth, "POST", "/v1/workspaces", json={
        "id": f"{a.workspace}-2", "name": "again"}).status_code == 409
    assert as_key(auth, "POST", "/v1/workspaces", json={
        "id": "Not A Slug", "name": "x"}).status_code == 422
