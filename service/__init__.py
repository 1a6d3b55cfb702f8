"""Amiable: documents and e-signatures for French amicable debt collection.

`create_app()` is the Flask application factory; see README.md for the map of the code.
"""

from __future__ import annotations

from flask import Flask

from service.config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the application: prepare the data dir, wire the adapters, register the routes."""
    from service import bootstrap
    from service.web import (
        admin_api,
        api,
        batches_api,
        cases_api,
        converters,
        docs,
        errors,
        headers,
        observability,
        sign,
        staff,
        staff_cases,  # noqa: F401  (adds the case pages to staff.bp)
        templates_api,
        verify,
    )

    settings = bootstrap.prepare(settings or Settings.from_env())
    app = Flask(__name__)
    app.url_map.converters["int"] = converters.BoundedIntConverter  # before any route
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["amiable"] = bootstrap.build(settings)
    app.register_blueprint(api.bp)
    app.register_blueprint(docs.bp)
    app.register_blueprint(templates_api.bp)
    app.register_blueprint(sign.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(verify.bp)
    app.register_blueprint(batches_api.bp)
    app.register_blueprint(cases_api.bp)
    observability.register(app)
    app.register_blueprint(admin_api.bp)
    errors.register(app)
    headers.register(app, settings.public_url)
    return app
