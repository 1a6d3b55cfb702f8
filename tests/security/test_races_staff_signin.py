"""Attacks on the staff sign-in (/staff): guessing a password, in a row or in parallel, from
one address across many accounts, and replaying a session cookie after signing out.

Proves: five wrong passwords lock the account for 15 minutes (frozen clock), even the right
password is refused meanwhile and accepted after; parallel wrong passwords compare at most
five; an unknown e-mail locks alike (no account enumeration); one address is throttled
after 20 failures whatever the accounts, others are not;
signing out ends the session on the server, so a copied cookie no longer opens a page.
On SQLite and, when one is reachable, PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.authoring import staff_accounts
from service.config import Settings
from tests.conftest import MASTER_KEY
from tests.security.races_db import fresh_database

PASSWORD = "un mot de passe assez long"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    with fresh_database(request.param) as database_url:
        app = create_app(Settings(data_dir=tmp_path, api_key=MASTER_KEY,
                                  database_url=database_url, public_url="http://localhost"))
        with app.extensions["amiable"].db.session() as session:
            for person in ("claire", "paul"):
                staff_accounts.create(session, f"{person}@example.org", person.title(),
                                      PASSWORD)
        yield app
        app.extensions["amiable"].db.engine.dispose()


def _client(app: Flask, address: str = "192.0.2.10") -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _sign_in(client: FlaskClient, email: str, password: str) -> Any:
    form = client.get("/staff/connexion").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    return client.post("/staff/connexion", data={"email": email, "password": password,
                                                 "csrf_token": csrf})


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(app: Flask) -> None:
    client = _client(app)
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(staff_accounts.LOCK_AFTER):
            assert _sign_in(client, "claire@example.org", "devine").status_code == 401
        locked = _sign_in(client, "claire@example.org", PASSWORD)
        assert locked.status_code == 423
        assert "verrouillé pendant 15 minutes" in locked.get_data(as_text=True)
        clock.shift(timedelta(minutes=14, seconds=59))
        assert _sign_in(client, "claire@example.org", PASSWORD).status_code == 423
        assert _sign_in(client, "paul@example.org", PASSWORD).status_code == 302  # others
        clock.shift(timedelta(seconds=2))
        assert _sign_in(client, "claire@example.org", PASSWORD).status_code == 302


def test_an_unknown_address_locks_alike(app: Flask) -> None:
    """The lock message must not tell which e-mail addresses have an account."""
    client = _client(app)
    with time_machine.travel(START, tick=False):
        for email in ("claire@example.org", "nobody@example.org"):
            for _ in range(staff_accounts.LOCK_AFTER):
                assert _sign_in(client, email, "devine").status_code == 401
        real = _sign_in(client, "claire@example.org", "devine")
        unknown = _sign_in(client, "nobody@example.org", "devine")
    assert (real.status_code, unknown.status_code) == (423, 423)
    assert real.get_data() == unknown.get_data()


def test_a_success_resets_the_count(app: Flask) -> None:
    client = _client(app)
    with time_machine.travel(START, tick=False):
        for _ in range(staff_accounts.LOCK_AFTER - 1):
            assert _sign_in(client, "claire@example.org", "devine").status_code == 401
        assert _sign_in(client, "claire@example.org", PASSWORD).status_code == 302
        for _ in range(staff_accounts.LOCK_AFTER - 1):
            assert _sign_in(client, "claire@example.org", "devine").status_code == 401
        assert _sign_in(client, "claire@example.org", PASSWORD).status_code == 302


def test_parallel_wrong_passwords_compare_at_most_five(app: Flask,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[str] = []
    real = staff_accounts._matches

    def counting(password_hash: str, password: str) -> bool:
        compared.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(staff_accounts, "_matches", counting)
    clients = [_client(app, f"198.51.100.{i}") for i in range(16)]  # no address throttle
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(
            lambda c: _sign_in(c, "claire@example.org", "devine").status_code, clients))
    assert len(compared) <= staff_accounts.LOCK_AFTER, len(compared)
    assert statuses.count(401) == len(compared)
    assert statuses.count(423) == len(statuses) - len(compared)


def test_one_address_is_throttled_across_accounts(app: Flask) -> None:
    attacker = _client(app, "203.0.113.5")
    with time_machine.travel(START, tick=False) as clock:
        for i in range(staff_accounts.ADDRESS_LIMIT):
            assert _sign_in(attacker, f"user{i}@example.org", "devine").status_code == 401
        refused = _sign_in(attacker, "paul@example.org", PASSWORD)
        assert refused.status_code == 429
        assert "depuis cette adresse" in refused.get_data(as_text=True)
        assert _sign_in(_client(app, "203.0.113.6"), "paul@example.org",
                        PASSWORD).status_code == 302
        clock.shift(staff_accounts.ADDRESS_WINDOW + timedelta(seconds=1))
        assert _sign_in(attacker, "paul@example.org", PASSWORD).status_code == 302


def test_a_copied_cookie_is_worthless_after_sign_out(app: Flask) -> None:
    owner = _client(app)
    assert _sign_in(owner, "claire@example.org", PASSWORD).status_code == 302
    cookie = owner.get_cookie("session")
    assert cookie is not None
    thief = _client(app, "203.0.113.9")
    thief.set_cookie("session", cookie.value)
    assert thief.get("/staff/modeles").status_code == 200  # the copy works while signed in

    page = owner.get("/staff/modeles").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert owner.post("/staff/deconnexion", data={"csrf_token": csrf}).status_code == 302

    after = thief.get("/staff/modeles")
    assert after.status_code == 302
    assert after.headers["Location"].endswith("/staff/connexion")
    # signing in again makes a new session that works, the old copy still does not
    assert _sign_in(owner, "claire@example.org", PASSWORD).status_code == 302
    assert owner.get("/staff/modeles").status_code == 200
    assert thief.get("/staff/modeles").status_code == 302
