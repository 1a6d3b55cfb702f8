"""/openapi.json and /docs: the API description, for machines and for people.

/docs is rendered on the server from the same OpenAPI document, with no script and no
external resource, so it works offline and under a strict Content-Security-Policy. The
descriptions are CommonMark, turned into HTML here by markdown-it-py with raw HTML disabled
(a description cannot inject markup into the page).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, jsonify, render_template
from markdown_it import MarkdownIt
from markupsafe import Markup

from service.web import webhooks  # noqa: F401  (declares the webhooks it describes)
from service.web.api import api

bp = Blueprint("docs", __name__, template_folder="templates")


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False})


def markdown(text: str | None) -> Markup:
    """CommonMark to HTML; raw HTML in the source is shown as text, not interpreted."""
    return Markup(_markdown().render(text or ""))


def markdown_inline(text: str | None) -> Markup:
    """One line of CommonMark (a summary) without the enclosing paragraph."""
    return Markup(_markdown().renderInline(text or ""))


@bp.get("/openapi.json")
def openapi_json() -> Response:
    return jsonify(api.document())


@bp.get("/docs")
def docs() -> str:
    spec = api.document()
    operations: list[dict[str, Any]] = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            operations.append({"method": method.upper(), "path": path, **op})
    webhook_list = [{"name": name, **item["post"]} for name, item in spec["webhooks"].items()]
    schemas = {name: json.dumps(schema, indent=2, ensure_ascii=False)
               for name, schema in spec["components"]["schemas"].items()}
    return render_template("docs.html", spec=spec, operations=operations, schemas=schemas,
                           webhooks=webhook_list, markdown=markdown,
                           markdown_inline=markdown_inline)
