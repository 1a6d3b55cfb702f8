"""The `amiable` command: init, render offline, keys and workspaces, rates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from service import create_app
from service.cli import main
from service.config import Settings
from tests.conftest import FIXTURES, FROZEN_NOW
from tests.pdf_checks import pdf_text, pdfsig


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir `amiable init` prepared (the other commands refuse any other)."""
    folder = tmp_path / "var"
    monkeypatch.setenv("AMIABLE_DATA_DIR", str(folder))
    monkeypatch.delenv("AMIABLE_API_KEY", raising=False)
    assert CliRunner().invoke(main, ["init"]).exit_code == 0
    return folder


def test_init_then_render_offline(data_dir: Path, tmp_path: Path,
                                  service_clock_at: Any) -> None:
    service_clock_at(FROZEN_NOW)  # the fixture's letter is issued on its day
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    assert (data_dir / "amiable.db").is_file()
    assert (data_dir / "development-api-key").read_text().startswith("amk_dev_")
    out = tmp_path / "notice.pdf"
    result = runner.invoke(main, ["render", str(FIXTURES / "mise-en-demeure-company.json"),
                                  "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"] == "3878.93"
    assert "Mise en demeure" in pdf_text(out.read_bytes())
    assert "Signature is Valid" in pdfsig(out.read_bytes())


def test_render_refuses_a_bad_request_clearly(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kind": "relance", "invoices": []}))
    result = CliRunner().invoke(main, ["render", str(bad), "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0
    assert "invoices" in result.output


def test_keys_create_makes_a_working_key(data_dir: Path) -> None:
    result = CliRunner().invoke(main, ["keys", "create", "--role", "system", "--name", "erp"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.split(": ")[-1].strip()
    app = create_app(Settings(data_dir=data_dir))
    client = app.test_client()
    assert client.get("/v1/rates", headers={"Authorization": f"Bearer {secret}"}
                      ).status_code == 200
    assert client.put("/v1/rates/2031-S1", headers={"Authorization": f"Bearer {secret}"},
                      json={}).status_code == 403
    app.extensions["amiable"].db.engine.dispose()


def test_keys_of_a_workspace_are_listed_and_revoked(data_dir: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(main, ["keys", "create", "--workspace", "acme", "--role", "system",
                                "--name", "billing"])
    assert made.exit_code == 0, made.output
    assert "workspace acme created" in made.stderr
    key_id, secret = made.stdout.split(" ")[0], made.stdout.split(": ")[-1].strip()
    listed = runner.invoke(main, ["keys", "list", "--workspace", "acme"])
    assert listed.stdout.split("\t")[:4] == [key_id, "acme", "system", "billing"]
    assert secret not in listed.output
    assert "acme\tacme\t0/50000 items waiting" in runner.invoke(
        main, ["workspaces", "list"]).stdout

    app = create_app(Settings(data_dir=data_dir))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/v1/rates", headers=headers).status_code == 200
    revoked = runner.invoke(main, ["keys", "revoke", key_id])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/v1/rates", headers=headers).status_code == 401
    assert "revoked" in runner.invoke(main, ["keys", "list"]).stdout
    unknown = runner.invoke(main, ["keys", "revoke", "key_nope"])
    assert unknown.exit_code != 0
    assert "no API key key_nope" in unknown.output
    assert runner.invoke(main, ["keys", "create", "--workspace", "Not/A Slug", "--role",
                                "system"]).exit_code != 0
    app.extensions["amiable"].db.engine.dispose()


def test_rates_set_is_validated_and_audited(data_dir: Path) -> None:
    runner = CliRunner()
    refused = runner.invoke(main, ["rates", "set", "2026-S2", "--ecb", "2.15",
                                   "--legal-individual", "6.6", "--legal-other", "-1",
                                   "--source", "arrêté"])
    assert refused.exit_code != 0
    assert "legal_rate_other" in refused.output
    done = runner.invoke(main, ["rates", "set", "2026-S2", "--ecb", "2.15",
                                "--legal-individual", "6.60", "--legal-other", "2.50",
                                "--source", "arrêté du 20 juin 2026 (test)"])
    assert done.exit_code == 0, done.output
    app = create_app(Settings(data_dir=data_dir, api_key="k"))
    rates = app.test_client().get("/v1/rates", headers={"Authorization": "Bearer k"}
                                  ).get_json()["rates"]
    expected = {"semester": "2026-S2", "ecb_rate": "2.15", "origin": "operator"}
    assert expected.items() <= rates[-1].items()
    app.extensions["amiable"].db.engine.dispose()
