"""`amiable rates fetch` and `rates list`: the ECB series read from a recorded answer, the
semesters it proposes, what --apply writes and audits, and a clear error offline."""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from click.testing import CliRunner

from service import audit, ecb
from service import rates as rate_store
from service.bootstrap import database, prepare
from service.cli import main
from service.clock import PARIS, fixed_clock
from service.config import Settings
from service.db import Database
from service.domain.rates import Semester
from tests.conftest import FIXTURES

RECORDED = FIXTURES / "ecb" / "mrr_fr.csv"
# 5 January 2027: 2027-S1 has begun, and the table stops at 2026-S2.
IN_2027 = datetime(2027, 1, 5, 9, tzinfo=PARIS)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir `amiable init` prepared (the other commands refuse any other)."""
    folder = tmp_path / "var"
    monkeypatch.setenv("AMIABLE_DATA_DIR", str(folder))
    monkeypatch.delenv("AMIABLE_API_KEY", raising=False)
    assert CliRunner().invoke(main, ["init"]).exit_code == 0
    return folder


# --- the parser, on the recorded answer ------------------------------------------------------


def test_the_recorded_series_parses_to_its_change_dates() -> None:
    observations = ecb.parse_series(RECORDED.read_text(encoding="utf-8"))
    assert observations[0] == ecb.Observation(date(2016, 3, 16), Decimal("0.00"))
    assert observations[-1] == ecb.Observation(date(2026, 9, 16), Decimal("2.65"))
    # The rate in force on each 1 January / 1 July, as the shipped table has it.
    shipped = rate_store.shipped_rates()
    for semester, row in shipped.rows.items():
        found = ecb.rate_in_force(observations, semester.start)
        assert found is not None, semester
        assert found.rate == row.ecb, semester
    # 1 July 2022: the hike of 27 July was not in force yet.
    assert ecb.rate_in_force(observations, date(2022, 7, 1)).rate == Decimal("0.00")


def test_only_begun_semesters_the_table_lacks_are_proposed() -> None:
    observations = ecb.parse_series(RECORDED.read_text(encoding="utf-8"))
    table = rate_store.shipped_rates()
    # On 5 January 2027: 2027-S1 at the 2,65 % in force since 16 September 2026.
    proposals = ecb.propose(table, observations, Semester(2019, 1), date(2027, 1, 5))
    assert [(p.semester.label, p.rate, p.since) for p in proposals] == [
        ("2027-S1", Decimal("2.65"), date(2026, 9, 16))]
    # On 31 December 2026 the next semester has not begun: a late change could still come.
    assert ecb.propose(table, observations, Semester(2019, 1), date(2026, 12, 31)) == []


@pytest.mark.parametrize(("text", "message"), [
    ("<html>maintenance</html>", "TIME_PERIOD and OBS_VALUE are missing"),
    ("KEY,TIME_PERIOD,OBS_VALUE\nFM.D.U2.EUR.4F.KR.DFR.LEV,2026-06-17,2.25\n",
     "series FM.D.U2.EUR.4F.KR.DFR.LEV, expected FM.D.U2.EUR.4F.KR.MRR_FR.LEV"),
    ("TIME_PERIOD,OBS_VALUE\n17/06/2026,2.40\n", "line 2: not a date and a rate"),
    ("TIME_PERIOD,OBS_VALUE\n", "no observation"),
])
def test_anything_else_is_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(ecb.EcbError, match=message):
        ecb.parse_series(text)


# --- the command -------------------------------------------------------------------------------


@time_machine.travel(IN_2027, tick=False)
def test_fetch_proposes_then_writes_only_with_apply(data_dir: Path) -> None:
    runner = CliRunner()
    dry = runner.invoke(main, ["rates", "fetch", "--from-file", str(RECORDED)])
    assert dry.exit_code == 0, dry.output
    assert "2027-S1: ECB 2.65 % (in force since 2026-09-16), legal rates unknown" in dry.stdout
    assert "run again with --apply" in dry.output
    db = database(prepare(Settings.from_env()))
    with db.session() as session:
        assert Semester(2027, 1) not in rate_store.current_rates(session)

    done = runner.invoke(main, ["rates", "fetch", "--from-file", str(RECORDED), "--apply"])
    assert done.exit_code == 0, done.output
    with db.session() as session:
        row = rate_store.current_rates(session).get(Semester(2027, 1))
        events = audit.trail(session, "rates:2027-S1")
        chain_ok = audit.verify_chain(events)
        kinds = [(e.type, e.actor) for e in events]
    assert (row.ecb, row.commercial_rate) == (Decimal("2.65"), Decimal("12.65"))
    assert (row.legal_individual, row.legal_other) == (None, None)
    assert ecb.SERIES_URL in row.source
    assert kinds == [("rates.fetched", "cli:rates-fetch")]
    assert chain_ok
    again = runner.invoke(main, ["rates", "fetch", "--from-file", str(RECORDED)])
    assert "nothing to add" in again.stdout
    db.engine.dispose()


def test_fetch_offline_fails_clearly_within_its_timeout(data_dir: Path) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    result = CliRunner().invoke(main, ["rates", "fetch", "--url", "http://127.0.0.1:9/series",
                                       "--timeout", "2"])
    assert result.exit_code != 0
    assert "could not reach the ECB Data Portal at http://127.0.0.1:9/series within 2 s" in (
        result.output)


@time_machine.travel(datetime(2026, 12, 3, 9, tzinfo=PARIS), tick=False)
def test_list_prints_every_semester_with_its_source(data_dir: Path) -> None:
    result = CliRunner().invoke(main, ["rates", "list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["semester", "ECB", "+10"]
    s2 = next(line for line in lines if line.startswith("2026-S2"))
    assert s2.split()[:6] == ["2026-S2", "2.40", "12.40", "-", "-", "shipped"]
    assert "ECB press release" in s2
    s1 = next(line for line in lines if line.startswith("2026-S1"))
    assert s1.split()[:5] == ["2026-S1", "2.15", "12.15", "6.67", "2.62"]
    # 3 December 2026 -> 1 January 2027: 29 days.
    assert "today: 2026-S2 (incomplete); first semester with no rates: 2027-S1, in 29 days" in (
        result.output)


def test_set_may_leave_the_legal_rates_out(data_dir: Path) -> None:
    result = CliRunner().invoke(main, ["rates", "set", "2027-S1", "--ecb", "2.65",
                                       "--source", "ECB decision of 17 December 2026 (test)"])
    assert result.exit_code == 0, result.output
    assert "2027-S1: ECB 2.65 %, legal unknown / unknown" in result.stdout


# --- the status and its warning ------------------------------------------------------------------


@pytest.mark.parametrize(("today", "expected", "warns"), [
    # 3 Dec 2026: 2026-S2 lacks its legal rates; 2027-S1 unknown, 29 days away: no warning.
    (date(2026, 12, 3), {"current": "2026-S2", "complete": False, "next_missing": "2027-S1",
                         "days_left": 29}, False),
    # 17 Dec 2026: 15 days before 1 Jan 2027: the warning starts.
    (date(2026, 12, 17), {"current": "2026-S2", "complete": False, "next_missing": "2027-S1",
                          "days_left": 15}, True),
    # 2 Jan 2027: today's semester has no rates at all.
    (date(2027, 1, 2), {"current": "2027-S1", "complete": False, "next_missing": "2027-S1",
                        "days_left": 0}, True),
    # 10 Mar 2026: 2026-S1 complete, 2026-S2 shipped, 2027-S1 is 297 days away.
    (date(2026, 3, 10), {"current": "2026-S1", "complete": True, "next_missing": "2027-S1",
                         "days_left": 297}, False),
])
def test_status_and_warning(today: date, expected: dict[str, object], warns: bool) -> None:
    state = rate_store.status(rate_store.shipped_rates(), today)
    assert state.to_json() == expected
    assert (state.warning() is not None) == warns


def test_the_watch_logs_at_start(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = prepare(Settings(data_dir=tmp_path, api_key="k",
                                clock=fixed_clock(datetime(2026, 12, 20, 9, tzinfo=PARIS))))
    services = SimpleNamespace(db=Database(settings.resolved_database_url), settings=settings)
    stop = threading.Event()
    stop.set()  # one check, then stop
    with caplog.at_level(logging.WARNING, logger="amiable.rates"):
        rate_store.watch(services, stop)
    assert [r.getMessage() for r in caplog.records] == [
        "no rates are known for 2027-S1: documents whose figures run into it are refused from "
        "2027-01-01, in 12 days; run `amiable rates fetch --apply` for the ECB rate and enter "
        "the legal rates with PUT /v1/rates/2027-S1 once the arrêté is published"]
    services.db.engine.dispose()
