"""Attack: issue a document from a draft (unreviewed wording) or a retired version.

Proves: only the published version issues documents. A `template_version` naming a draft
or a retired version is a 422 naming the published one, in a single request and in a batch
item alike; the draft stays usable for previews, which are not sealed nor stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from tests.conftest import load_example
from tests.security.conftest import Tenant
from tests.security.test_cross_workspace_batches import run_batches
from tests.security.test_cross_workspace_templates import upload


def test_only_the_published_version_issues_documents(
        app: Flask, tenants: tuple[Tenant, Tenant], as_key: Callable[..., Any]) -> None:
    a, _ = tenants
    draft = upload(as_key, a.legal, "BROUILLON")["version"]
    asked = as_key(a.system, "POST", "/v1/documents",
                   json={**load_example("relance-level1"), "template_version": draft})
    assert asked.status_code == 422
    error = asked.get_json()["error"]
    assert error["code"] == "template_not_published"
    assert "published version 1" in error["message"]
    assert error["details"][0]["field"] == "template_version"
    preview = as_key(a.legal, "POST", f"/v1/templates/relance/versions/{draft}/preview")
    assert preview.status_code == 200

    batch = as_key(a.system, "POST", "/v1/batches", json={"documents": [
        {**load_example("relance-level1"), "template_version": draft},
        load_example("relance-level1")]})
    assert batch.status_code == 202
    run_batches(app)
    items = as_key(a.system, "GET", f"/v1/batches/{batch.get_json()['id']}").get_json()[
        "documents"]
    assert items[0]["error"]["code"] == "template_not_published"
    assert "id" in items[1]

    # Published, then rolled back: the version is retired and issues nothing new.
    as_key(a.legal, "POST", f"/v1/templates/relance/versions/{draft}/publish")
    used = as_key(a.system, "POST", "/v1/documents",
                  json={**load_example("relance-level1"), "template_version": draft})
    assert used.status_code == 201
    assert used.get_json()["template"]["version"] == draft
    as_key(a.legal, "POST", "/v1/templates/relance/versions/1/publish")
    retired = as_key(a.system, "POST", "/v1/documents",
                     json={**load_example("relance-level1"), "template_version": draft})
    assert retired.status_code == 422
    assert retired.get_json()["error"]["code"] == "template_retired"
    # The document made while it was published is unchanged and still served.
    assert as_key(a.system, "GET", f"/v1/documents/{used.get_json()['id']}/pdf"
                  ).status_code == 200
