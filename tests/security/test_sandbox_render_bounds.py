"""Attack class: a template that exhausts time or memory while it is filled.

Proves that the Jinja2 sandbox caps range(), repetition, formatting widths, growing strings
(namespace doubling, replace, padding methods and filters), powers and the size of the
output; that a render with no sandbox hook to stop it (a loop over a plain list) is stopped
by the time limit; that such errors are template errors, never 500s; and that a published
template which blows up on one request's data fails that API request with a 422 and that
batch item alone, the others being made; and that a Word conversion past its time bound
is a 422 too.
"""

from __future__ import annotations

import io
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from service import create_app
from service.authoring.libreoffice import LibreOfficePool, PoolSettings
from service.batches import worker
from service.catalog import KIND_ASSETS
from service.config import Settings
from service.rendering.html import HtmlTemplates, RenderLimitExceeded, TemplateError
from service.rendering.limits import RenderTimeout, time_limit
from tests.authoring.conftest import make_docx
from tests.conftest import MASTER_KEY, load_example

AUTH = {"Authorization": f"Bearer {MASTER_KEY}"}


@pytest.fixture(scope="module")
def html() -> HtmlTemplates:
    return HtmlTemplates(KIND_ASSETS["relance"])


@pytest.mark.parametrize("source", [
    '{{ "x" * 100000000 }}',
    '{{ 100000000 * "x" }}',
    '{{ ["x"] * 100000000 }}',
    '{% for i in range(100001) %}{% endfor %}',
    '{{ range(10**7)|list|length }}',
    '{{ "%999999999d"|format(1) }}',
    '{{ "%999999999d" % 1 }}',
    '{{ "{:>999999999}".format(1) }}',
    '{{ "a"|center(999999999) }}',
    '{{ "a".ljust(999999999) }}',
    '{{ "a".zfill(999999999) }}',
    '{{ ("a" * 1000).replace("", "a" * 1000) }}',
    '{{ "abc"|replace("", "x" * 999999) }}',
    '{{ 7 ** 999999999 }}',
    '{% set ns = namespace(s="ab") %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}'
    '{% endfor %}{{ ns.s|length }}',
    '{% for i in range(10000) %}{% for j in range(1000) %}xxxxxx{% endfor %}{% endfor %}',
    '{% macro f(s) %}{{ f(s ~ s) }}{% endmacro %}{{ f("ab") }}',
    '{{ lipsum(n=100000) }}',
    # Growth with no sandbox hook of its own: `~`, lists of references, printing them.
    '{% set a = "x" * 600000 %}{% set b = a ~ a %}{% set c = b ~ b %}{{ c|length }}',
    '{% set a = "x" * 999999 %}{{ ([a] * 10000)|join }}',
    '{% set a = "x" * 999999 %}{% set l = [a, a, a, a] %}{{ l }}',
])
def test_a_render_beyond_the_bounds_fails_with_a_template_error(
        html: HtmlTemplates, source: str) -> None:
    started = time.monotonic()
    with pytest.raises(TemplateError):
        html.render(source, {})
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("source", ['{{ 1 / 0 }}', '{{ 10.0 ** 100000 }}', '{{ "%d" % "x" }}',
                                    '{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}'])
def test_template_code_errors_are_template_errors_not_crashes(
        html: HtmlTemplates, source: str) -> None:
    with pytest.raises(TemplateError):
        html.render(source, {})


def test_ordinary_templates_still_render(html: HtmlTemplates) -> None:
    source = ('{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}'
              '{% endfor %}{{ ns.n }} {{ "ab" * 2 }} {{ "%05.1f"|format(3.14159) }} '
              '{{ "x"|center(5) }}|{{ 2 ** 10 }}')
    assert html.render(source, {}) == "3 abab 003.1   x  |1024"


def test_a_loop_with_no_sandbox_hook_is_stopped_by_the_time_limit(html: HtmlTemplates) -> None:
    # range()|list is capped, but nested loops over plain lists never call back into the
    # sandbox: only the watchdog can stop them (10^12 iterations, hours unbounded).
    source = ('{% set l = range(10000)|list %}{% for a in l %}{% for b in l %}{% for c in l %}'
              '{% endfor %}{% endfor %}{% endfor %}')
    started = time.monotonic()
    with pytest.raises((RenderTimeout, RenderLimitExceeded)), time_limit(0.5):
        html.render(source, {})
    assert time.monotonic() - started < 5


def test_the_time_limit_never_fires_after_its_block() -> None:
    with time_limit(0.05):
        pass
    time.sleep(1.3)  # past the watchdog's moment: nothing is raised here


BOMB = ('{% extends "_letter.html" %}{% block object %}Relance{% endblock %}'
        '{% block body %}<p>{{ debtor.name }}</p>{% if debtor.name == "Bombe SARL" %}'
        '{{ "x" * 100000000 }}{% endif %}{% endblock %}')


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("bounds"), api_key=MASTER_KEY,
                              public_url="https://amiable.test"))
    client = app.test_client()
    created = client.post("/v1/templates/relance/versions", headers=AUTH,
                          data={"file": (io.BytesIO(BOMB.encode()), "relance.html")},
                          content_type="multipart/form-data")
    assert created.status_code == 201, created.get_json()  # sample data does not trigger it
    number = created.get_json()["version"]
    assert client.post(f"/v1/templates/relance/versions/{number}/publish",
                       headers=AUTH).status_code == 200
    return app


def bomb_request() -> dict[str, Any]:
    request = load_example("relance-level1")
    request["debtor"]["name"] = "Bombe SARL"
    return request


def test_an_api_request_that_exceeds_a_bound_gets_a_422(app: Flask) -> None:
    answer = app.test_client().post("/v1/documents", json=bomb_request(), headers=AUTH)
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "render_limit_exceeded"
    assert "repetition is limited" in error["message"]


def test_a_batch_item_that_exceeds_a_bound_fails_alone(app: Flask) -> None:
    client = app.test_client()
    batch = client.post("/v1/batches", json={"documents": [
        load_example("relance-level1"), bomb_request(), load_example("relance-level1")]},
        headers=AUTH).get_json()
    worker.run(app.extensions["amiable"], threading.Event(), lease=timedelta(seconds=60),
               until_idle=True)
    finished = client.get(batch["links"]["self"], headers=AUTH).get_json()
    assert (finished["done"], finished["failed"]) == (2, 1)
    failed = finished["documents"][1]["error"]
    assert failed["code"] == "render_limit_exceeded"
    assert "repetition is limited" in failed["message"]


def test_a_word_conversion_past_its_time_bound_is_a_422(app: Flask) -> None:
    client = app.test_client()
    created = client.post("/v1/templates/mise_en_demeure/versions", headers=AUTH, data={
        "file": (io.BytesIO(make_docx("Mise en demeure : {{ debtor.name }}")), "m.docx")},
        content_type="multipart/form-data")
    assert created.status_code == 201, created.get_json()
    pipeline = app.extensions["amiable"].pipeline
    tight = LibreOfficePool(PoolSettings(size=1, timeout=0.001))
    saved = pipeline.__dict__.get("office")
    pipeline.__dict__["office"] = tight  # the real pool, with a bound no conversion meets
    try:
        answer = client.post(f"/v1/templates/mise_en_demeure/versions/"
                             f"{created.get_json()['version']}/preview", headers=AUTH)
    finally:
        tight.close()
        if saved is None:
            pipeline.__dict__.pop("office", None)
        else:
            pipeline.__dict__["office"] = saved
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "render_limit_exceeded"
    assert "did not finish in time" in error["message"]
