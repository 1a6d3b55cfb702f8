"""Attack: rewrite the audit trail with write access to the database but not to the key.

Proves: event hashes are HMACs under a key kept outside the database. An attacker who edits
an event and recomputes the chain the only way open to them (plain SHA-256, or an HMAC under
a key of their own) is caught: the API answers `chain_valid: false`, and `amiable audit
verify` exits 1 naming the subject and the event that broke. Removing an event is caught
too, and a chain written without the key is never reported valid.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import delete, select

from service import create_app
from service.audit import _event_body
from service.cli import main
from service.config import Settings
from service.db import Event, as_utc
from tests.conftest import MASTER_KEY, load_example

AUTH = {"Authorization": f"Bearer {MASTER_KEY}"}


@pytest.fixture
def fresh(tmp_path: Path) -> Any:
    app = create_app(Settings(data_dir=tmp_path, api_key=MASTER_KEY))
    yield app, tmp_path
    app.extensions["amiable"].db.engine.dispose()


def issue(app: Flask) -> str:
    response = app.test_client().post("/v1/documents", headers=AUTH,
                                      json=load_example("relance-level1"))
    assert response.status_code == 201
    return str(response.get_json()["id"])


def rewrite(app: Flask, doc_id: str, digest: Any) -> int:
    """Change the figures of the document's trail, then re-chain it from there on with
    `digest(body) -> hex`, as an attacker with the database would. Returns the edited id."""
    with app.extensions["amiable"].db.session() as session:
        events = list(session.scalars(select(Event).where(Event.subject == doc_id)
                                      .order_by(Event.id)))
        at = next(i for i, ev in enumerate(events) if ev.type == "figures.computed")
        target = events[at]
        target.data = {**target.data, "total": "1.00"}
        prev = target.prev_hash
        for ev in events[at:]:
            ev.prev_hash = prev
            ev.hash = digest(_event_body(prev, ev.subject, ev.type, ev.actor, as_utc(ev.at),
                                         ev.data))
            prev = ev.hash
        return target.id


def verify(data_dir: Path, **env: str) -> Any:
    return CliRunner().invoke(main, ["audit", "verify"],
                              env={"AMIABLE_DATA_DIR": str(data_dir), **env})


def test_an_intact_trail_verifies(fresh: Any) -> None:
    app, data_dir = fresh
    doc_id = issue(app)
    assert app.test_client().get(f"/v1/documents/{doc_id}/events",
                                 headers=AUTH).get_json()["chain_valid"] is True
    result = verify(data_dir)
    assert result.exit_code == 0, result.output
    assert "0 broken" in result.output
    key_file = data_dir / "keys" / "audit.key"
    assert key_file.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("attacker", ["sha256", "own-hmac-key"])
def test_a_rewritten_trail_is_caught(fresh: Any, attacker: str) -> None:
    app, data_dir = fresh
    doc_id = issue(app)
    digest = ((lambda body: hashlib.sha256(body).hexdigest()) if attacker == "sha256" else
              (lambda body: hmac.new(b"x" * 32, body, hashlib.sha256).hexdigest()))
    edited = rewrite(app, doc_id, digest)
    body = app.test_client().get(f"/v1/documents/{doc_id}/events", headers=AUTH).get_json()
    assert body["chain_valid"] is False
    result = verify(data_dir)
    assert result.exit_code == 1
    # The edited event is the one named, with its subject.
    assert f"BROKEN {doc_id}: event {edited} (figures.computed" in result.output
    assert "1 broken" in result.output
    if attacker == "sha256":
        assert "without the audit key" in result.output


def test_a_removed_event_is_caught(fresh: Any) -> None:
    app, data_dir = fresh
    doc_id = issue(app)
    with app.extensions["amiable"].db.session() as session:
        events = list(session.scalars(select(Event).where(Event.subject == doc_id)
                                      .order_by(Event.id)))
        session.execute(delete(Event).where(Event.id == events[1].id))
    result = verify(data_dir)
    assert result.exit_code == 1
    assert f"event {events[2].id} ({events[2].type}" in result.output
    assert "removed or reordered" in result.output


def test_another_key_vouches_for_nothing(fresh: Any) -> None:
    app, data_dir = fresh
    issue(app)
    result = verify(data_dir, AMIABLE_AUDIT_KEY="k" * 64)
    assert result.exit_code == 1
    assert "0 broken" not in result.output
    short = verify(data_dir, AMIABLE_AUDIT_KEY="short")
    assert short.exit_code != 0
    assert "at least 32 characters" in str(short.exception or short.output)
