"""Filling template sources in the Jinja2 sandbox: escaping, strictness, errors, cache."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from service.rendering.builtin import LETTERS_DIR
from service.rendering.html import HtmlTemplates, TemplateError, TemplateSecurityError


@pytest.fixture
def templates() -> HtmlTemplates:
    return HtmlTemplates(LETTERS_DIR)


def test_filters_and_attribute_access_on_dicts(templates: HtmlTemplates) -> None:
    source = "{{ debtor.name }} doit {{ total|amount }} depuis le {{ day|date_long }}"
    html = templates.render(
        source, {"debtor": {"name": "Durand"}, "total": Decimal("10"), "day": date(2025, 3, 1)}
    )
    assert html == "Durand doit 10,00\u00a0€ depuis le 1er\u00a0mars 2025"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('<img src="file:///etc/passwd">', "&lt;img src=&#34;file:///etc/passwd&#34;&gt;"),
        ("{{ 7*7 }}", "{{ 7*7 }}"),
        ("{% raw %}", "{% raw %}"),
    ],
)
def test_data_is_escaped_and_never_evaluated(
    templates: HtmlTemplates, value: str, expected: str
) -> None:
    assert templates.render("<p>{{ name }}</p>", {"name": value}) == f"<p>{expected}</p>"


def test_undefined_names_fail_with_the_line(templates: HtmlTemplates) -> None:
    with pytest.raises(TemplateError, match=r"line 2: 'debtor' is undefined"):
        templates.render("Madame,\n{{ debtor.name }}", {})


def test_printing_none_fails(templates: HtmlTemplates) -> None:
    with pytest.raises(TemplateError, match="None"):
        templates.render("{{ creditor.email }}", {"creditor": {"email": None}})


def test_syntax_errors_name_the_line(templates: HtmlTemplates) -> None:
    with pytest.raises(TemplateError, match="line 3"):
        templates.render("a\nb\n{% if %}", {})


def test_check_rejects_a_broken_template_without_data(templates: HtmlTemplates) -> None:
    templates.check("{{ debtor.name }}")  # undefined names only fail when filled
    with pytest.raises(TemplateError, match="line 1"):
        templates.check("{% for x in %}")


def test_filter_errors_are_template_errors(templates: HtmlTemplates) -> None:
    with pytest.raises(TemplateError, match="amount: expected a Decimal"):
        templates.render("{{ x|amount }}", {"x": 1.5})


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ items.append(1) }}",
        "{{ debtor.__class__ }}",
    ],
)
def test_sandbox_violations_raise_a_security_error(templates: HtmlTemplates, source: str) -> None:
    with pytest.raises(TemplateSecurityError, match="forbidden in templates"):
        templates.render(source, {"items": [], "debtor": {"name": "x"}})


def test_templates_extend_the_layout_of_their_asset_folder(tmp_path: Path) -> None:
    (tmp_path / "_base.html").write_text("<main>{% block body %}{% endblock %}</main>")
    templates = HtmlTemplates(tmp_path)
    source = '{% extends "_base.html" %}{% block body %}{{ x }}{% endblock %}'
    assert templates.render(source, {"x": "<b>"}) == "<main>&lt;b&gt;</main>"


def test_templates_cannot_include_files_outside_their_folder(tmp_path: Path) -> None:
    (tmp_path / "letters").mkdir()
    (tmp_path / "secret.html").write_text("secret")
    templates = HtmlTemplates(tmp_path / "letters")
    with pytest.raises(TemplateError, match=r"secret\.html"):
        templates.render('{% include "../secret.html" %}', {})


def test_compiled_templates_are_cached_by_source(templates: HtmlTemplates) -> None:
    compiled = templates._compile("{{ a }}")
    assert templates._compile("{{ a }}") is compiled
    assert templates._compile("{{ b }}") is not compiled
