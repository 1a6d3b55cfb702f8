"""The API description tells the truth: exact content types, webhooks, /docs in Markdown."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.web.docs import markdown
from tests.conftest import load_example


@pytest.fixture(scope="module")
def spec(app: Any) -> dict[str, Any]:
    return dict(app.test_client().get("/openapi.json").get_json())


def declared(spec: dict[str, Any], method: str, path: str, status: int) -> set[str]:
    response = spec["paths"][path][method.lower()]["responses"][str(status)]
    return set(response.get("content", {}))


def test_template_source_has_one_charset_and_says_so(client: FlaskClient, auth: dict[str, str],
                                                     spec: dict[str, Any]) -> None:
    response = client.get("/v1/templates/relance/versions/1/source", headers=auth)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    media = declared(spec, "GET", "/v1/templates/{name}/versions/{version}/source", 200)
    assert media == {"text/html; charset=utf-8",
                     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    schema = spec["paths"]["/v1/templates/{name}/versions/{version}/source"]["get"][
        "responses"]["200"]["content"]["text/html; charset=utf-8"]["schema"]
    assert schema == {"type": "string"}  # text, not bytes


def test_each_answer_has_a_declared_content_type(client: FlaskClient, auth: dict[str, str],
                                                 post_document: Any,
                                                 spec: dict[str, Any]) -> None:
    made = post_document(load_example("relance-level1"))
    doc = made.get_json()
    assert made.headers["Content-Type"] in declared(spec, "POST", "/v1/documents", 201)
    calls = [
        ("GET", "/healthz", "/healthz", 200),
        ("GET", f"/v1/documents/{doc['id']}", "/v1/documents/{doc_id}", 200),
        ("GET", f"/v1/documents/{doc['id']}/pdf", "/v1/documents/{doc_id}/pdf", 200),
        ("GET", f"/v1/documents/{doc['id']}/events", "/v1/documents/{doc_id}/events", 200),
        ("GET", "/v1/documents/doc_none", "/v1/documents/{doc_id}", 404),
        ("GET", "/v1/rates", "/v1/rates", 200),
        ("GET", "/metrics", "/metrics", 200),
        ("GET", "/readyz", "/readyz", 200),
    ]
    for method, url, path, status in calls:
        response = client.open(url, method=method, headers=auth)
        assert response.status_code == status, url
        assert response.headers["Content-Type"] in declared(spec, method, path, status), url


def test_the_description_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation import OpenAPIV31SpecValidator

    validate(spec, cls=OpenAPIV31SpecValidator)  # raises, naming the first fault


def test_webhooks_are_described_with_their_signature(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    assert set(spec["webhooks"]) == {"signature_request.signed", "signature_request.locked",
                                     "signature_request.expired", "batch.done",
                                     "batch.cancelled", "case.promise_broken"}
    for name, item in spec["webhooks"].items():
        post = item["post"]
        headers = {p["name"]: p for p in post["parameters"]}
        signature = headers["Amiable-Signature"]
        assert signature["in"] == "header"
        assert signature["required"] is True
        assert re.fullmatch(signature["schema"]["pattern"], signature["example"])
        assert "t=<unix time>,v1=<hex" in signature["description"]
        assert "HMAC-SHA256" in post["description"]
        assert "Amiable-Event-Id" in headers
        ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        payload = spec["components"]["schemas"][ref.split("/")[-1]]
        event_type = payload["properties"]["type"]
        assert name in event_type.get("enum", [event_type.get("const")]), name
    batch = spec["components"]["schemas"]["BatchDoneEvent"]
    assert batch["properties"]["type"] == {"const": "batch.done", "title": "Type",
                                           "type": "string"}


def test_docs_render_markdown_on_the_server(client: FlaskClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.get_data(as_text=True)
    assert "<code>Idempotency-Key</code>" in page
    assert "<ol>" in page  # the webhook signature steps, a Markdown list
    # No Markdown left raw outside the JSON schemas (which are shown as code).
    prose = re.sub(r"<pre>.*?</pre>", "", page, flags=re.S)
    assert "`" not in prose
    assert "**" not in prose
    # Nothing fetched from elsewhere, nothing run.
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']https?://""", page)


def test_markdown_from_a_description_cannot_inject_markup() -> None:
    html = markdown("Use `x` <script>alert(1)</script> [a](javascript:alert(1))")
    assert "<code>x</code>" in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "href" not in html  # the javascript: link is left as text, not made a link
