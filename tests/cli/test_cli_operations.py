"""A CLI that cannot get lost: the data-dir guard, `amiable status`, bash completion."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
import time_machine
from click.testing import CliRunner

from service.cli import NO_DATA_DIR_NEEDED, main
from tests.conftest import FIXTURES

AMIABLE = Path(sys.executable).parent / "amiable"

# Every command that works on a data dir, with arguments it would otherwise accept.
COMMANDS = [
    ["status"],
    ["keys", "create", "--role", "system"],
    ["rates", "set", "2026-S2", "--ecb", "2.15", "--legal-individual", "6.60",
     "--legal-other", "2.50", "--source", "arrêté"],
    ["render", str(FIXTURES / "relance-level1.json"), "-o", "out.pdf"],
    ["seals", "renew"],
    ["staff", "create", "--email", "a@example.org", "--name", "A", "--password-stdin"],
    ["batch", "submit", str(FIXTURES / "relance-level1.json")],  # no key: the data dir's
]


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder that is not a data dir, as when a command runs from the wrong place."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AMIABLE_DATA_DIR", raising=False)
    monkeypatch.delenv("AMIABLE_API_KEY", raising=False)
    return tmp_path


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_commands_refuse_a_data_dir_never_initialised(elsewhere: Path, args: list[str]) -> None:
    result = CliRunner().invoke(main, args, input="password-long-enough\n")
    assert result.exit_code == 1, result.output
    assert f"{elsewhere / 'var'} is not an initialised Amiable data dir" in result.output
    assert "amiable init" in result.output
    assert list(elsewhere.iterdir()) == []  # nothing was created: no database, no seal


def _leaf_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[list[str]]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _leaf_commands(command, (*prefix, name))
        else:
            found.append([*prefix, name])
    return found


def test_every_command_is_guarded_even_ones_added_later(elsewhere: Path) -> None:
    exempt = NO_DATA_DIR_NEEDED
    commands = [c for c in _leaf_commands(main) if c[0] not in exempt]
    assert ["status"] in commands
    assert ["keys", "create"] in commands
    for args in commands:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, (args, result.output)
        assert "is not an initialised Amiable data dir" in result.output, args
    assert list(elsewhere.iterdir()) == []


def test_help_works_anywhere(elsewhere: Path) -> None:
    result = CliRunner().invoke(main, ["rates", "set", "--help"])
    assert result.exit_code == 0
    assert "SEMESTER" in result.output
    assert list(elsewhere.iterdir()) == []


def test_init_then_the_commands_run(elsewhere: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    assert (elsewhere / "var" / ".amiable-data-dir").is_file()
    assert runner.invoke(main, ["status"]).exit_code == 0


def test_a_data_dir_made_before_the_marker_is_still_recognised(elsewhere: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    (elsewhere / "var" / ".amiable-data-dir").unlink()  # as left by an older version
    assert runner.invoke(main, ["status"]).exit_code == 0


def _rates_set(runner: CliRunner, semester: str) -> None:
    result = runner.invoke(main, ["rates", "set", semester, "--ecb", "2.15",
                                  "--legal-individual", "6.60", "--legal-other", "2.50",
                                  "--source", "arrêté (test)"])
    assert result.exit_code == 0, result.output


def test_status_tells_what_needs_watching(elsewhere: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0  # the seal is made now, valid 10 years
    # The shipped rates end with 2026-S2 (its ECB rate): on 15 January 2027 they do not
    # cover today.
    with time_machine.travel(datetime(2027, 1, 15, 10, 0, tzinfo=UTC), tick=False):
        late = runner.invoke(main, ["status"])
    assert late.exit_code == 0, late.output
    assert "2019-S1 to 2026-S2" in late.stdout
    assert "DOES NOT COVER TODAY (2027-01-15)" in late.stdout
    assert "amiable rates set 2027-S1" in late.stdout
    assert "last renewal  never run" in late.stdout
    assert "seal          Amiable DEVELOPMENT seal" in late.stdout

    _rates_set(runner, "2026-S2")
    _rates_set(runner, "2027-S1")
    # On 1 March 2027 the table covers today, until 30 June: March 1 to 31 is 30 more days,
    # then April 30, May 31, June 30: 30 + 30 + 31 + 30 = 121 days left.
    with time_machine.travel(datetime(2027, 3, 1, 10, 0, tzinfo=UTC), tick=False):
        covered = runner.invoke(main, ["status", "--json"])
        text = runner.invoke(main, ["status"]).stdout
    assert covered.exit_code == 0, covered.output
    state = json.loads(covered.stdout)
    assert state["rates"] == {"first": "2019-S1", "last": "2027-S1",
                              "operator_entered": ["2026-S2", "2027-S1"],
                              "covers_today": True, "days_left": 121,
                              "next_missing": "2027-S2"}
    assert "the last semester ends in 121 days" in text
    assert state["seal"]["development"] is True
    assert 0 < state["seal"]["days_left"] < 3660
    assert state["batch_queue"] == {"pending": 0, "running": 0,
                                    "oldest_pending_age_seconds": None}
    assert state["last_renewal"] is None


def test_status_shows_the_last_renewal_run(elsewhere: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    from service import create_app
    from service.config import Settings
    from service.renewal import RenewalReport, _record_run

    app = create_app(Settings.from_env())
    with time_machine.travel(datetime(2026, 11, 2, 3, 0, tzinfo=UTC), tick=False):
        _record_run(app.extensions["amiable"], "cli", RenewalReport(checked=12,
                                                                    renewed=["doc_a"]))
    app.extensions["amiable"].db.engine.dispose()
    text = runner.invoke(main, ["status"]).stdout
    assert "last renewal  2026-11-02 03:00 UTC: 12 B-LTA documents checked, 1 renewed, " \
        "0 failed" in text


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_bash_completion_completes_commands_and_options(elsewhere: Path) -> None:
    script = subprocess.run([str(AMIABLE), "completion", "bash"], capture_output=True,
                            text=True, check=True).stdout
    assert "complete -o nosort -F _amiable_completion amiable" in script

    def complete(line: str) -> list[str]:
        words = line.split(" ")
        probe = (f'{script}\nCOMP_WORDS=({" ".join(repr(w) for w in words)})\n'
                 f"COMP_CWORD={len(words) - 1}\n_amiable_completion {AMIABLE}\n"
                 'printf "%s\\n" "${COMPREPLY[@]}"\n')
        env = {"PATH": f"{AMIABLE.parent}:/usr/bin:/bin"}
        done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, env=env,
                              check=True)
        return done.stdout.split()

    assert "status" in complete("amiable st")
    assert set(complete("amiable ra")) == {"rates"}
    assert {"create"} <= set(complete("amiable keys "))
    assert "--within-days" in complete("amiable seals renew --")
    assert list(elsewhere.iterdir()) == []  # completing never touches a data dir
