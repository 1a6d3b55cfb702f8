"""Attack: use, read or publish another workspace's template versions.

Proves: a workspace sees the built-in versions and its own only. A's published wording is
used for A's documents and never for B's; B gets 404 for A's version, its source, preview,
publication and retirement, cannot issue a document with A's version number (422: no such
version for B), and A's uploads are not in B's audit trail of the kind. B's staff members,
on the /staff pages, neither see nor publish A's versions.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from service.authoring import staff_accounts
from tests.authoring.test_authoring_api import wording
from tests.conftest import load_example
from tests.pdf_checks import pdf_text
from tests.security.conftest import Tenant


def upload(as_key: Callable[..., Any], key: dict[str, str], marker: str) -> dict[str, Any]:
    response = as_key(key, "POST", "/v1/templates/relance/versions",
                      data={"file": (io.BytesIO(wording(marker)), "r.html")},
                      content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def document_text(as_key: Callable[..., Any], key: dict[str, str], **changes: Any) -> str:
    made = as_key(key, "POST", "/v1/documents",
                  json={**load_example("relance-level1"), **changes})
    assert made.status_code == 201, made.get_json()
    return pdf_text(as_key(key, "GET", f"/v1/documents/{made.get_json()['id']}/pdf").data)


def test_a_workspace_sees_the_built_ins_and_its_own_versions_only(
        tenants: tuple[Tenant, Tenant], as_key: Callable[..., Any]) -> None:
    a, b = tenants
    version = upload(as_key, a.legal, "FORMULE DE A")["version"]
    assert version == 2  # numbered after the built-in, per workspace
    published = as_key(a.legal, "POST", f"/v1/templates/relance/versions/{version}/publish")
    assert published.get_json()["status"] == "published"

    assert "FORMULE DE A" in document_text(as_key, a.system)
    assert "FORMULE DE A" not in document_text(as_key, b.system)
    refused = as_key(b.system, "POST", "/v1/documents",
                     json={**load_example("relance-level1"), "template_version": version})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "unknown_template_version"

    base = f"/v1/templates/relance/versions/{version}"
    for method, path in (("GET", ""), ("GET", "/source"), ("POST", "/preview"),
                         ("POST", "/publish"), ("POST", "/retire")):
        assert as_key(b.legal, method, base + path).status_code == 404, path
    theirs = as_key(b.legal, "GET", "/v1/templates/relance/versions").get_json()["versions"]
    assert [(v["version"], v["status"]) for v in theirs] == [(1, "published")]
    kinds = as_key(b.legal, "GET", "/v1/templates").get_json()["templates"]
    assert {k["name"]: k["published"]["version"] for k in kinds}["relance"] == 1
    events = as_key(b.legal, "GET", "/v1/templates/relance/events").get_json()["events"]
    assert all(e["actor"] != "built-in" or e["type"] != "template.uploaded" for e in events)
    assert not [e for e in events if e["data"].get("version") == version]

    # B's own upload is B's version 2: another wording, seen by B alone.
    own = upload(as_key, b.legal, "FORMULE DE B")
    assert own["version"] == 2
    assert own["sha256"] != published.get_json()["sha256"]
    source = as_key(a.legal, "GET", f"{base}/source").data
    assert b"FORMULE DE A" in source


def test_a_staff_member_sees_the_templates_of_their_workspace_only(
        app: Flask, client: FlaskClient, tenants: tuple[Tenant, Tenant],
        as_key: Callable[..., Any]) -> None:
    a, b = tenants
    version = upload(as_key, a.legal, "FORMULE INTERNE DE A")["version"]
    with app.extensions["amiable"].db.session() as session:
        account = staff_accounts.create(session, f"juriste@{b.workspace}.example", "Juriste B",
                                        "un mot de passe assez long", b.workspace)
    with client.session_transaction() as cookie:  # signed in as B's staff member
        cookie.update(staff_id=account.id, since=time.time(), csrf="t" * 32,
                      version=account.session_version)
    base = f"/staff/modeles/relance/versions/{version}"
    for path in ("", "/source", "/apercu.pdf"):
        response = client.get(base + path)
        assert response.status_code == 404, path
        assert b"FORMULE INTERNE DE A" not in response.data
    assert client.post(f"{base}/publier", data={"csrf_token": "t" * 32}).status_code == 404
    page = client.get("/staff/modeles/relance")
    assert page.status_code == 200
    assert f"/versions/{version}" not in page.get_data(as_text=True)
    assert as_key(a.legal, "GET", base.replace("/staff/modeles", "/v1/templates")
                  ).get_json()["status"] == "draft"  # untouched
