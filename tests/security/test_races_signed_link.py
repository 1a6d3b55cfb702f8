"""Exposure: a signing link must not be a permanent key to the signed agreement.

Proves: after signing, the link serves the signed PDF for 30 days (frozen clock); after
that, the page, the PDF and the page images all answer 410, and the PDF's address shows a
French page telling the debtor to ask the creditor (named, with their address) for a copy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import time_machine
from flask.testing import FlaskClient

from service.db import as_utc
from service.domain.words import amount_in_words
from service.signature_requests.models import SignatureRequest
from service.signature_requests.service import SIGNED_LINK_LIFETIME
from tests.signature_requests.conftest import (  # noqa: F401
    LiveApp,
    Mailbox,
    api,
    code_in,
    echeancier,
    live,
    mailbox,
    new_request,
    sig_client,
)

EMAIL = "hugo.lefevre@example.org"


def _sign(client: FlaskClient, path: str, total: Decimal, mailbox: Mailbox) -> None:  # noqa: F811
    page = client.get(path).get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)
    before = len([m for m in mailbox.to(EMAIL) if "code de signature" in str(m["Subject"])])
    assert client.post(path, data={"csrf": csrf, "action": "send_code"}).status_code == 200
    code = code_in(mailbox.wait(EMAIL, "code de signature", before + 1)[-1])
    signed = client.post(path, data={"csrf": csrf, "action": "sign", "consent": "yes",
                                     "mention_words": amount_in_words(total),
                                     "mention_figures": str(total), "code": code})
    assert signed.status_code == 303, signed.get_data(as_text=True)


def test_the_signed_pdf_is_served_thirty_days_then_a_page_names_the_creditor(
        new_request: Callable[..., Any], echeancier: dict[str, Any],  # noqa: F811
        sig_client: FlaskClient, mailbox: Mailbox, live: LiveApp) -> None:  # noqa: F811
    created = new_request()
    path = urlsplit(created["url"]).path
    _sign(sig_client, path, Decimal(echeancier["figures"]["total"]), mailbox)
    with live.app.extensions["amiable"].db.session() as session:
        signed_at = as_utc(session.get(SignatureRequest, created["id"]).closed_at)

    with time_machine.travel(signed_at + SIGNED_LINK_LIFETIME - timedelta(minutes=1),
                             tick=False):
        pdf = sig_client.get(f"{path}/document.pdf")
        assert (pdf.status_code, pdf.mimetype) == (200, "application/pdf")
        assert pdf.data.startswith(b"%PDF")
        assert "jusqu'au" in sig_client.get(path).get_data(as_text=True)

    with time_machine.travel(signed_at + SIGNED_LINK_LIFETIME + timedelta(minutes=1),
                             tick=False):
        for address in (path, f"{path}/document.pdf"):
            page = sig_client.get(address)
            assert (page.status_code, page.mimetype) == (410, "text/html"), address
            text = page.get_data(as_text=True)
            assert "ne permet plus de télécharger" in text
            assert "Atelier Lumière SAS" in text  # the creditor of the fixture
            assert "comptabilite@atelier-lumiere.example" in text
            assert b"%PDF" not in page.data
        assert sig_client.get(f"{path}/pages/1.png").status_code == 410
