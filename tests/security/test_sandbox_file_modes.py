"""Attack class: another local account reads the data dir, or production runs on
development secrets.

Proves that a fresh data dir is made 0700 (data dir, keys dir) and 0600 (database, key
files); that the service refuses to start, naming the path and the fix, when one of them is
open to the group or others, and `amiable init` makes them private again; that
`AMIABLE_ENV=production` refuses the development seal (by default, by file name or as a
renamed copy) and a generated or development API key; and that starting in production logs
neither the API key nor the seal password.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from service import create_app
from service.cli import main
from service.config import Settings
from service.hardening import StartupRefused
from tests.conftest import MASTER_KEY

STRONG_KEY = "an-operator-key-" + "x" * 32


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "var"
    create_app(Settings(data_dir=folder, api_key=MASTER_KEY))
    return folder


def test_a_fresh_data_dir_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask: what mkdir and SQLite would give by default
    try:
        folder = tmp_path / "var"
        create_app(Settings(data_dir=folder))
    finally:
        os.umask(old)
    assert mode(folder) == 0o700
    assert mode(folder / "keys") == 0o700
    assert mode(folder / "amiable.db") == 0o600
    assert mode(folder / "development-api-key") == 0o600
    for key_file in (folder / "keys").iterdir():
        assert mode(key_file) == 0o600, key_file


@pytest.mark.parametrize(("relative", "loose"), [
    (".", 0o755), ("keys", 0o750), ("amiable.db", 0o644), ("keys/development-seal.p12", 0o640),
    ("development-api-key", 0o604), ("staff-session-key", 0o644)])
def test_the_service_refuses_to_start_when_a_private_file_is_open(
        data_dir: Path, relative: str, loose: int) -> None:
    target = (data_dir / relative).resolve()
    if not target.exists():  # the staff session key is made on the first staff page
        target.write_text("secret")
    os.chmod(target, loose)
    with pytest.raises(StartupRefused) as refused:
        create_app(Settings(data_dir=data_dir, api_key=MASTER_KEY))
    message = str(refused.value)
    assert str(target) in message
    assert f"chmod {'700' if target.is_dir() else '600'} {target}" in message


def test_amiable_init_makes_the_data_dir_private_again(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    os.chmod(data_dir, 0o755)
    os.chmod(data_dir / "amiable.db", 0o644)
    monkeypatch.setenv("AMIABLE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("AMIABLE_API_KEY", MASTER_KEY)
    refused = CliRunner().invoke(main, ["keys", "create", "--role", "system"])
    assert refused.exit_code != 0
    assert "chmod 700" in refused.output
    fixed = CliRunner().invoke(main, ["init"])
    assert fixed.exit_code == 0, fixed.output
    assert (mode(data_dir), mode(data_dir / "amiable.db")) == (0o700, 0o600)


def test_production_refuses_the_development_seal(tmp_path: Path) -> None:
    with pytest.raises(StartupRefused, match="DEVELOPMENT seal"):
        create_app(Settings(data_dir=tmp_path / "var", api_key=STRONG_KEY,
                            environment="production"))
    assert not (tmp_path / "var" / "keys" / "development-seal.p12").exists()


def test_production_refuses_the_development_seal_under_another_name(data_dir: Path) -> None:
    copy = data_dir / "keys" / "organisation-seal.p12"
    shutil.copyfile(data_dir / "keys" / "development-seal.p12", copy)
    os.chmod(copy, 0o600)
    with pytest.raises(StartupRefused, match="DEVELOPMENT seal certificate"):
        create_app(Settings(data_dir=data_dir, api_key=STRONG_KEY, seal_p12=copy,
                            environment="production"))


@pytest.mark.parametrize("key", [None, "amk_dev_abcdefghijklmnopqrstuvwxyz"])
def test_production_refuses_a_generated_api_key(data_dir: Path, key: str | None) -> None:
    with pytest.raises(StartupRefused, match="generated API key"):
        create_app(Settings(data_dir=data_dir, api_key=key, environment="production",
                            seal_p12=data_dir / "keys" / "x.p12"))


def test_an_unknown_environment_is_refused(data_dir: Path) -> None:
    with pytest.raises(StartupRefused, match="development or production"):
        create_app(Settings(data_dir=data_dir, api_key=MASTER_KEY, environment="prod"))


def test_starting_logs_no_secret(data_dir: Path, caplog: pytest.LogCaptureFixture,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    create_app(Settings(data_dir=data_dir, api_key=STRONG_KEY))
    captured = capsys.readouterr()
    for secret in (STRONG_KEY, MASTER_KEY):
        assert secret not in caplog.text
        assert secret not in captured.out + captured.err
