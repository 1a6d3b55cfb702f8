"""Authoring tests publish template versions, which changes what every new document uses:
they get an app and a data dir of their own, not the suite's shared one."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from docx import Document
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from service import create_app
from service.clock import fixed_clock
from service.config import Settings
from tests.conftest import FROZEN_NOW, MASTER_KEY

LEGAL_ONLY_KEY_NAME = "legal-team"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    data_dir = tmp_path_factory.mktemp("authoring")
    app = create_app(Settings(data_dir=data_dir, api_key=MASTER_KEY,
                              public_url="https://amiable.test", clock=fixed_clock(FROZEN_NOW)))
    yield app
    pipeline = app.extensions["amiable"].pipeline
    if "office" in vars(pipeline):  # LibreOffice was started: stop it with the app
        pipeline.office.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def make_docx(*paragraphs: str, table: list[list[str]] | None = None,
              footer: str | None = None) -> bytes:
    """A real Word file written with python-docx, one paragraph per argument."""
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    if footer is not None:
        document.sections[0].footer.paragraphs[0].text = footer
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def rewrite_zip(data: bytes, change: Callable[[str, bytes], bytes | None],
                extra: dict[str, bytes] | None = None) -> bytes:
    """A copy of a zip with members changed (or dropped when `change` returns None)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = change(item.filename, source.read(item))
            if content is not None:
                target.writestr(item.filename, content)
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


@pytest.fixture
def upload(client: FlaskClient, auth: dict[str, str]) -> Callable[..., Any]:
    def post(kind: str, filename: str, data: bytes, note: str = "",
             headers: dict[str, str] | None = None) -> Any:
        # Encoded here, in memory: the test client would spool a large body to a temporary
        # file it never closes.
        boundary, body = encode_multipart(
            {"file": FileStorage(io.BytesIO(data), filename), "note": note})
        return client.post(f"/v1/templates/{kind}/versions", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}",
                           headers=headers if headers is not None else auth)

    return post
