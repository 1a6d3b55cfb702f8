"""Attack class: input built to crash the service into a 500.

Proves that a JSON integer of 5,000 digits (past Python's int-string limit), a 30-digit or
5,000-digit path parameter, JSON nested 100,000 deep (on every JSON endpoint, previews
included) and a template with dynamic subscripts in the inspector each get a 4xx with a
message, on every endpoint that reads them.
"""

from __future__ import annotations

import io
import json

import pytest
from flask import Flask

from tests.conftest import MASTER_KEY, load_example

AUTH = {"Authorization": f"Bearer {MASTER_KEY}"}
HUGE_INT = "9" * 5000
# Inside an object, so that a parser that checks the top level first still has to go deep.
DEEP = '{"documents": [' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "]}"
JSON_ENDPOINTS = [("POST", "/v1/documents"), ("POST", "/v1/batches"),
                  ("POST", "/v1/signature-requests"), ("PUT", "/v1/rates/2026-S2"),
                  ("POST", "/v1/templates/relance/versions/1/preview")]


def _message(response) -> str:  # type: ignore[no-untyped-def]
    error = response.get_json()["error"]
    assert error["message"]
    return error["message"]


@pytest.mark.parametrize(("method", "path"), JSON_ENDPOINTS)
def test_a_json_integer_of_5000_digits_is_a_400(app: Flask, method: str, path: str) -> None:
    body = json.dumps(load_example("relance-level1")).replace('"level": 1', f'"level": {HUGE_INT}')
    assert HUGE_INT in body
    response = app.test_client().open(path, method=method, data=body,
                                      content_type="application/json", headers=AUTH)
    assert response.status_code == 400
    assert "too many digits" in _message(response)


@pytest.mark.parametrize(("method", "path"), JSON_ENDPOINTS)
def test_deeply_nested_json_is_a_400(app: Flask, method: str, path: str) -> None:
    response = app.test_client().open(path, method=method, data=DEEP,
                                      content_type="application/json", headers=AUTH)
    assert response.status_code == 400
    assert "nested too deeply" in _message(response)


def test_json_nested_within_the_parser_limit_is_a_422(app: Flask) -> None:
    body = {**load_example("relance-level1"), "debtor": json.loads("[" * 900 + "]" * 900)}
    response = app.test_client().post("/v1/documents", json=body, headers=AUTH)
    assert response.status_code == 422
    assert "debtor" in _message(response)


@pytest.mark.parametrize("path", [
    "/v1/templates/echeancier/versions/" + "9" * 30,
    "/v1/templates/echeancier/versions/" + "9" * 30 + "/source",
    "/v1/templates/echeancier/versions/" + "9" * 5000,
    "/v1/templates/echeancier/diff/1/" + "9" * 30,
    "/staff/modeles/relance/versions/" + "9" * 30,
])
def test_a_huge_path_number_is_a_404(app: Flask, path: str) -> None:
    response = app.test_client().get(path, headers=AUTH)
    assert response.status_code == 404
    assert _message(response)


def test_a_huge_path_number_on_a_post_is_a_404(app: Flask) -> None:
    response = app.test_client().post(
        "/v1/templates/relance/versions/" + "9" * 30 + "/publish", headers=AUTH)
    assert response.status_code == 404


def test_a_path_number_in_range_still_works(app: Flask) -> None:
    assert app.test_client().get("/v1/templates/relance/versions/1",
                                 headers=AUTH).status_code == 200
    assert app.test_client().get("/v1/templates/relance/versions/2147483647",
                                 headers=AUTH).status_code == 404


@pytest.mark.parametrize(("source", "expected"), [
    ("<p>{% for i in invoices %}{{ debtor[i.number] }}{% endfor %}</p>",
     "« debtor[…] » : le nom du champ doit être écrit en toutes lettres"),
    ("<p>{% set k = 'name' %}{{ creditor.address[k] }}</p>",
     "« creditor.address[…] »"),
])
def test_dynamic_subscripts_are_refused_with_a_message(
        app: Flask, source: str, expected: str) -> None:
    response = app.test_client().post(
        "/v1/templates/relance/versions", headers=AUTH,
        data={"file": (io.BytesIO(source.encode()), "t.html")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert expected in _message(response)


def test_a_dynamic_index_into_a_list_is_checked_as_an_item(app: Flask) -> None:
    source = ("<p>{% for i in invoices %}{{ invoices[loop.index0].number }} "
              "{{ invoices[loop.index0].nmber }}{% endfor %}</p>")
    response = app.test_client().post(
        "/v1/templates/relance/versions", headers=AUTH,
        data={"file": (io.BytesIO(source.encode()), "t.html")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "« invoices[].nmber »" in _message(response)
