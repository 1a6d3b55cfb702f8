"""/openapi.json and /docs: the API description, for machines and for people.

/docs is rendered on the server from the same OpenAPI document, with no script and no
external resource, so it works offline and under a strict Content-Security-Policy.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, render_template

from service.web.api import api

bp = Blueprint("docs", __name__, template_folder="templates")


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
    schemas = {name: json.dumps(schema, indent=2, ensure_ascii=False)
               for name, schema in spec["components"]["schemas"].items()}
    return render_template("docs.html", spec=spec, operations=operations, schemas=schemas)
