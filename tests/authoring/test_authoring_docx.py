"""Word templates end to end, with real python-docx files and a real LibreOffice."""

from __future__ import annotations

import io
import os
import signal
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from docx import Document
from flask.testing import FlaskClient

from service.authoring.libreoffice import ConversionError, LibreOfficePool, PoolSettings
from service.web.templates_api import DOCX_MIME
from tests.authoring.conftest import make_docx
from tests.conftest import load_example
from tests.pdf_checks import pdf_text, pdfsig
from tests.web.test_web_observability import sample, scrape

WORD_WORDING = "Par la présente lettre rédigée sous Word"


def word_relance(marker: str) -> bytes:
    return make_docx(
        "{{ creditor.name }}",
        "{{ debtor.name }}, le {{ as_of|date_long }}",
        f"{marker}, nous vous rappelons que la somme de {{{{ figures.total|amount }}}} "
        "({{ figures.total|amount_words }}) reste due.",
        "{%p for inv in invoices %}",
        "Facture {{ inv.number }} échue le {{ inv.due_date|date_long }}",
        "{%p endfor %}",
        footer="Vérification : {{ document.verify_url }}")


def filled_text(docx: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)


def test_a_published_word_wording_appears_in_new_documents_and_not_in_old_ones(
        client: FlaskClient, auth: dict[str, str], upload: Callable[..., Any],
        post_document: Callable[..., Any]) -> None:
    request = load_example("relance-level1")
    old = post_document(request).get_json()
    old_pdf = client.get(f"/v1/documents/{old['id']}/pdf", headers=auth).data

    created = upload("relance", "relance.docx", word_relance(WORD_WORDING), note="Word")
    assert created.status_code == 201, created.get_json()
    draft = created.get_json()
    assert draft["format"] == "docx"
    assert {"creditor.name", "figures.total", "invoices[].number"} <= set(draft["variables"])

    preview = client.post(f"/v1/templates/relance/versions/{draft['version']}/preview",
                          headers=auth)
    assert preview.status_code == 200
    assert WORD_WORDING in pdf_text(preview.data)

    source = client.get(f"/v1/templates/relance/versions/{draft['version']}/source",
                        headers=auth)
    assert source.headers["Content-Type"] == DOCX_MIME  # exactly, as /openapi.json says

    published = client.post(f"/v1/templates/relance/versions/{draft['version']}/publish",
                            headers=auth)
    assert published.status_code == 200
    before = scrape(client, auth)
    new = post_document(request).get_json()
    after = scrape(client, auth)
    # The LibreOffice pool, as /metrics shows it: one more conversion, a warm worker, idle.
    assert (sample(after, "amiable_libreoffice_conversions_total", outcome="ok")
            - sample(before, "amiable_libreoffice_conversions_total", outcome="ok")) == 1
    assert sample(after, "amiable_libreoffice_workers") >= 1
    assert sample(after, "amiable_libreoffice_busy") == 0
    assert sample(after, "amiable_libreoffice_worker_starts_total") >= 1
    assert new["template"]["version"] == draft["version"]
    new_pdf = client.get(f"/v1/documents/{new['id']}/pdf", headers=auth).data
    text = pdf_text(new_pdf)
    assert WORD_WORDING in text
    assert request["debtor"]["name"] in text
    assert request["invoices"][0]["number"] in text
    assert f"https://amiable.test/verify/{new['id']}" in text
    assert "Signature #1" in pdfsig(new_pdf)

    docx = client.get(f"/v1/documents/{new['id']}/docx", headers=auth)
    assert docx.status_code == 200
    assert WORD_WORDING in filled_text(docx.data)
    assert "{{" not in filled_text(docx.data)

    # The earlier document: same PDF, still the HTML wording, and no Word file.
    assert client.get(f"/v1/documents/{old['id']}/pdf", headers=auth).data == old_pdf
    assert WORD_WORDING not in pdf_text(old_pdf)
    assert client.get(f"/v1/documents/{old['id']}/docx", headers=auth).status_code == 404

    # Back to the built-in wording.
    client.post("/v1/templates/relance/versions/1/publish", headers=auth)
    back = post_document(request).get_json()
    assert WORD_WORDING not in pdf_text(
        client.get(f"/v1/documents/{back['id']}/pdf", headers=auth).data)


def test_data_is_escaped_in_the_word_xml(client: FlaskClient, auth: dict[str, str],
                                         upload: Callable[..., Any]) -> None:
    number = upload("relance", "r.docx", word_relance("Échappement")).get_json()["version"]
    request = load_example("relance-level1")
    request["debtor"]["name"] = "Dupont & <Fils>"
    pdf = client.post(f"/v1/templates/relance/versions/{number}/preview", json=request,
                      headers=auth)
    assert pdf.status_code == 200
    assert "Dupont & <Fils>" in pdf_text(pdf.data)


def test_the_diff_of_word_versions_compares_their_text(client: FlaskClient,
                                                       auth: dict[str, str],
                                                       upload: Callable[..., Any]) -> None:
    first = upload("relance", "a.docx", word_relance("Première")).get_json()["version"]
    second = upload("relance", "b.docx", word_relance("Seconde")).get_json()["version"]
    diff = client.get(f"/v1/templates/relance/diff/{first}/{second}",
                      headers=auth).get_json()["diff"]
    changed = [line for line in diff.splitlines() if line[:1] in "+-"
               and not line.startswith(("+++", "---"))]
    assert len(changed) == 2
    assert changed[0].startswith("-Première")
    assert changed[1].startswith("+Seconde")


@pytest.fixture(scope="module")
def pool() -> Iterator[LibreOfficePool]:
    pool = LibreOfficePool(PoolSettings(size=1, max_conversions=2, timeout=60))
    yield pool
    pool.close()


def test_the_pool_converts_to_pdf_a_and_starts_lazily(pool: LibreOfficePool) -> None:
    assert pool.worker_pids() == []  # nothing runs before the first Word document
    pdf = pool.convert(make_docx("Bonjour"))
    assert pdf.startswith(b"%PDF")
    assert b"<pdfaid:part>3</pdfaid:part>" in pdf
    assert "Bonjour" in pdf_text(pdf)


def test_a_worker_is_replaced_after_its_quota_of_conversions(pool: LibreOfficePool) -> None:
    served_by: list[int] = []
    for word in ("un", "deux", "trois", "quatre", "cinq"):
        pool.convert(make_docx(word))
        live = pool.worker_pids()
        served_by.append(live[0] if live else 0)  # 0: the worker was stopped after it
    workers = [pid for pid in served_by if pid]
    assert len(set(workers)) >= 2
    assert all(workers.count(pid) < 2 for pid in set(workers))  # quota 2: stopped at the 2nd
    assert served_by.count(0) >= 2


def test_a_crashed_worker_is_replaced(pool: LibreOfficePool) -> None:
    pool.convert(make_docx("avant"))
    [pid] = pool.worker_pids()
    os.killpg(pid, signal.SIGKILL)
    assert "après" in pdf_text(pool.convert(make_docx("après")))
    assert pool.worker_pids()
    assert pool.worker_pids() != [pid]


def test_a_conversion_that_times_out_kills_its_worker() -> None:
    pool = LibreOfficePool(PoolSettings(size=1, timeout=0.001))
    try:
        with pytest.raises(ConversionError, match="in time"):
            pool.convert(make_docx("trop long"))
        assert pool.worker_pids() == []
    finally:
        pool.close()
