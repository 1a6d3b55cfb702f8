"""The service's one clock: what "now" and "today in France" are.

Every date a document carries (the day it is issued, its deadline, the window of its
figures) comes from `Settings.clock`, so that one place decides the time: the real one in
production, a frozen one in tests. The domain never reads it: dates are passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]
"""Returns the current moment as a timezone-aware datetime."""

PARIS = ZoneInfo("Europe/Paris")


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    """A clock stopped at `moment` (aware), e.g. for tests and reproducible renders."""
    if moment.tzinfo is None:
        raise ValueError("a clock gives aware datetimes: pass tzinfo")
    return lambda: moment


def today_in_paris(clock: Clock = system_clock) -> date:
    """The date in France: what a letter issued now is dated, wherever the server runs."""
    return clock().astimezone(PARIS).date()
