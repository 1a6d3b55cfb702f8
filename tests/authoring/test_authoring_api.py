"""/v1/templates: versions are uploaded as drafts, published, rolled back, and audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.auth import create_key
from service.catalog import builtin_path
from tests.conftest import load_example
from tests.pdf_checks import pdf_text


def key_with(app: Flask, *roles: str) -> dict[str, str]:
    with app.extensions["amiable"].db.session() as session:
        _row, secret = create_key(session, f"test {' '.join(roles)}", list(roles))
    return {"Authorization": f"Bearer {secret}"}


def wording(marker: str) -> bytes:
    """A relance template that extends the built-in layout and prints `marker`."""
    return ('{% extends "_letter.html" %}{% block object %}Relance{% endblock %}'
            '{% block body %}<p>' + marker + ' {{ debtor.name }} : '
            '{{ figures.total|amount }}</p>{% endblock %}').encode()


def test_the_kinds_are_listed_with_their_published_built_in_version(
        client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.get("/v1/templates", headers=auth)
    assert response.status_code == 200
    kinds = {t["name"]: t["published"] for t in response.get_json()["templates"]}
    assert set(kinds) == {"relance", "mise_en_demeure", "echeancier"}
    assert kinds["echeancier"]["version"] == 1
    assert kinds["echeancier"]["author"] == "built-in"


def test_template_endpoints_need_the_legal_role(app: Flask, client: FlaskClient,
                                                upload: Callable[..., Any]) -> None:
    system = key_with(app, "system")
    legal = key_with(app, "legal")
    assert client.get("/v1/templates", headers=system).status_code == 403
    assert client.get("/v1/templates").status_code == 401
    assert upload("relance", "t.html", wording("x"), headers=system).status_code == 403
    assert client.get("/v1/templates/relance/versions", headers=legal).status_code == 200


def test_variables_document_the_context_with_examples(client: FlaskClient,
                                                      auth: dict[str, str]) -> None:
    body = client.get("/v1/templates/echeancier/variables", headers=auth).get_json()
    variables = {v["name"]: v for v in body["variables"]}
    sample = load_example("echeancier-consumer")
    assert variables["debtor.name"]["example"] == sample["debtor"]["name"]
    assert variables["plan.installments"]["example"] == sample["plan"]["installments"]
    assert variables["invoices[].number"]["example"] == sample["invoices"][0]["number"]
    assert variables["figures.total"]["type"] == "decimal"
    assert variables["document.verify_url"]["type"] == "text"
    filters = {f["name"]: f for f in body["filters"]}
    assert {"amount", "date_long", "amount_words"} <= set(filters)
    assert filters["date_long"]["example"] == "18 mars 2025"


def test_an_unknown_kind_is_a_404(client: FlaskClient, auth: dict[str, str],
                                  upload: Callable[..., Any]) -> None:
    assert client.get("/v1/templates/facture/variables", headers=auth).status_code == 404
    assert upload("facture", "t.html", wording("x")).status_code == 404
    assert client.get("/v1/templates/relance/versions/99", headers=auth).status_code == 404


def test_a_bad_template_is_a_422_listing_its_problems(upload: Callable[..., Any]) -> None:
    response = upload("relance", "t.html", b"<p>{{ debtor.nme }}</p>")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_template"
    assert error["details"] == [{"field": "file", "message": (
        "ligne 1 : variable inconnue « debtor.nme » — vouliez-vous dire « debtor.name » ?")}]


def test_a_missing_file_field_is_a_400(client: FlaskClient, auth: dict[str, str]) -> None:
    response = client.post("/v1/templates/relance/versions", data={"note": "x"},
                           content_type="multipart/form-data", headers=auth)
    assert response.status_code == 400


def test_an_upload_over_the_app_body_limit_is_still_a_422_not_a_413(
        upload: Callable[..., Any]) -> None:
    response = upload("relance", "t.html", b"<p>" + b"x" * (8 * 2**20) + b"</p>")
    assert response.status_code == 422
    assert "dépasse 5 Mo" in response.get_json()["error"]["message"]


def test_upload_publish_and_roll_back(app: Flask, client: FlaskClient, auth: dict[str, str],
                                      upload: Callable[..., Any],
                                      post_document: Callable[..., Any]) -> None:
    before = post_document(load_example("relance-level1")).get_json()

    created = upload("relance", "relance.html", wording("NOUVELLE FORMULE"), note="plus ferme")
    assert created.status_code == 201, created.get_json()
    draft = created.get_json()
    assert (draft["status"], draft["note"], draft["format"]) == ("draft", "plus ferme", "html")
    assert {"debtor.name", "figures.total"} <= set(draft["variables"])
    number = draft["version"]
    assert number > 1
    source = client.get(f"/v1/templates/relance/versions/{number}/source", headers=auth)
    assert source.data == wording("NOUVELLE FORMULE")

    # A draft is not used by new documents until it is published...
    assert "NOUVELLE FORMULE" not in pdf_text(
        client.get(f"/v1/documents/{post_document(load_example('relance-level1')).get_json()['id']}/pdf",
                   headers=auth).data)
    # ...nor when asked for by number: a draft is previewed, it issues no document.
    asked = post_document({**load_example("relance-level1"), "template_version": number})
    assert asked.status_code == 422
    assert asked.get_json()["error"]["code"] == "template_not_published"

    published = client.post(f"/v1/templates/relance/versions/{number}/publish", headers=auth)
    assert published.get_json()["status"] == "published"
    after = post_document(load_example("relance-level1")).get_json()
    assert after["template"] == {"name": "relance", "version": number,
                                 "sha256": draft["sha256"]}
    assert "NOUVELLE FORMULE" in pdf_text(
        client.get(f"/v1/documents/{after['id']}/pdf", headers=auth).data)
    # The earlier document and its PDF did not change.
    again = client.get(f"/v1/documents/{before['id']}", headers=auth).get_json()
    assert again["sha256"] == before["sha256"]
    assert again["template"]["version"] == 1

    versions = client.get("/v1/templates/relance/versions", headers=auth).get_json()["versions"]
    statuses = {v["version"]: v["status"] for v in versions}
    assert statuses[1] == "retired"
    assert statuses[number] == "published"
    assert list(statuses.values()).count("published") == 1

    rolled_back = client.post("/v1/templates/relance/versions/1/publish", headers=auth)
    assert rolled_back.get_json()["status"] == "published"
    last = post_document(load_example("relance-level1")).get_json()
    assert last["template"]["version"] == 1
    # The version rolled back from is retired: no new document is made with it.
    retired = post_document({**load_example("relance-level1"), "template_version": number})
    assert retired.status_code == 422
    assert retired.get_json()["error"]["code"] == "template_retired"

    trail = client.get("/v1/templates/relance/events", headers=auth).get_json()
    assert trail["chain_valid"] is True
    events = [(e["type"], e["data"].get("version"), e["data"].get("rollback"))
              for e in trail["events"]]
    assert ("template.uploaded", number, None) in events
    assert events[-2:] == [("template.published", number, False),
                           ("template.published", 1, True)]


def test_preview_fills_the_version_with_sample_data_or_a_request(
        client: FlaskClient, auth: dict[str, str], upload: Callable[..., Any]) -> None:
    number = upload("relance", "t.html", wording("APERÇU")).get_json()["version"]
    url = f"/v1/templates/relance/versions/{number}/preview"
    sample = client.post(url, headers=auth)
    assert sample.status_code == 200
    assert sample.mimetype == "application/pdf"
    assert "APERÇU" in pdf_text(sample.data)

    request = load_example("relance-level1")
    request["debtor"]["name"] = "Société Témoin"
    assert "Société Témoin" in pdf_text(client.post(url, json=request, headers=auth).data)
    wrong_kind = client.post(url, json=load_example("echeancier-consumer"), headers=auth)
    assert wrong_kind.status_code == 422
    assert client.post(url, data="{", content_type="application/json",
                       headers=auth).status_code == 400


def test_diff_shows_the_changed_wording(client: FlaskClient, auth: dict[str, str],
                                        upload: Callable[..., Any]) -> None:
    first = upload("relance", "t.html", wording("AVANT")).get_json()["version"]
    second = upload("relance", "t.html", wording("APRÈS")).get_json()["version"]
    body = client.get(f"/v1/templates/relance/diff/{first}/{second}", headers=auth).get_json()
    assert "-" + wording("AVANT").decode() in body["diff"]
    assert "+" + wording("APRÈS").decode() in body["diff"]


def test_a_draft_can_be_retired_but_not_the_published_version(
        client: FlaskClient, auth: dict[str, str], upload: Callable[..., Any]) -> None:
    number = upload("mise_en_demeure", "m.html",
                    builtin_path("mise_en_demeure").read_bytes()).get_json()["version"]
    retired = client.post(f"/v1/templates/mise_en_demeure/versions/{number}/retire",
                          headers=auth)
    assert retired.get_json()["status"] == "retired"
    published = client.get("/v1/templates", headers=auth).get_json()["templates"]
    current = next(t["published"]["version"] for t in published
                   if t["name"] == "mise_en_demeure")
    refused = client.post(f"/v1/templates/mise_en_demeure/versions/{current}/retire",
                          headers=auth)
    assert refused.status_code == 409


@pytest.mark.parametrize("path", ["/v1/templates/relance/versions/1/source",
                                  "/v1/templates/relance/variables"])
def test_openapi_describes_the_template_operations(client: FlaskClient, path: str) -> None:
    described = client.get("/openapi.json").get_json()["paths"]
    template = path.replace("/1/", "/{version}/").replace("relance", "{name}")
    assert template in described
