"""`amiable staff create`: accounts with argon2 hashes, usable to sign in."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from service.authoring import staff_accounts
from service.authoring.cli import staff
from service.authoring.models import StaffAccount
from service.bootstrap import prepare
from service.config import Settings
from service.db import Database

PASSWORD = "correct horse battery staple"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AMIABLE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("AMIABLE_API_KEY", "amk_test_cli_key_0123456789")
    return tmp_path


def database(data_dir: Path) -> Database:
    return Database(prepare(Settings(data_dir=data_dir, api_key="x")).resolved_database_url)


def test_create_reads_the_password_from_stdin_and_keeps_only_a_hash(data_dir: Path) -> None:
    result = CliRunner().invoke(staff, ["create", "--email", "Juriste@Example.org", "--name",
                                       "Claire Juriste", "--password-stdin"],
                                input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    db = database(data_dir)
    try:
        with db.session() as session:
            account = session.scalar(select(StaffAccount))
            assert account is not None
            assert account.email == "juriste@example.org"
            assert account.password_hash.startswith("$argon2id$")
            assert PASSWORD not in account.password_hash
            assert staff_accounts.authenticate(session, "juriste@example.org", PASSWORD)
            assert staff_accounts.authenticate(session, "juriste@example.org", "wrong") is None
            assert staff_accounts.authenticate(session, "nobody@example.org", PASSWORD) is None
    finally:
        db.engine.dispose()


def test_create_prompts_twice_and_refuses_a_mismatch(data_dir: Path) -> None:
    mismatch = CliRunner().invoke(staff, ["create", "--email", "a@example.org", "--name", "A"],
                                  input=f"{PASSWORD}\n{PASSWORD}x\n{PASSWORD}\n{PASSWORD}\n")
    assert mismatch.exit_code == 0, mismatch.output  # the second, matching pair was taken
    assert "The two entered values do not match" in mismatch.output


@pytest.mark.parametrize(("email", "password", "message"), [
    ("a@example.org", "short", "at least 12 characters"),
    ("not-an-email", PASSWORD, "is not an email address"),
])
def test_create_refuses_weak_passwords_and_bad_emails(data_dir: Path, email: str,
                                                      password: str, message: str) -> None:
    result = CliRunner().invoke(staff, ["create", "--email", email, "--name", "A",
                                        "--password-stdin"], input=password + "\n")
    assert result.exit_code != 0
    assert message in result.output


def test_an_email_has_one_account(data_dir: Path) -> None:
    args = ["create", "--email", "b@example.org", "--name", "B", "--password-stdin"]
    assert CliRunner().invoke(staff, args, input=PASSWORD + "\n").exit_code == 0
    again = CliRunner().invoke(staff, args, input=PASSWORD + "\n")
    assert again.exit_code != 0
    assert "exists already" in again.output
