"""`amiable …` in a process whose service clock starts at the suite's day (tests only).

`python -m tests.frozen_amiable serve` runs the real command with every `Settings` read
from the environment given a clock that starts at FROZEN_NOW and ticks from there: a
service or worker run as a subprocess then issues the fixtures' letters on the day their
figures were worked out for. Only the service's clock moves, not the process's time: seal
certificates made by the test (at the real time) stay valid.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from service.config import Settings
from tests.frozen import FROZEN_NOW

_STARTED = datetime.now(UTC)


def suite_clock() -> datetime:
    return FROZEN_NOW + (datetime.now(UTC) - _STARTED)


def _with_suite_clock() -> None:
    from_env = Settings.from_env.__func__  # type: ignore[attr-defined]

    def patched(cls: type[Settings], env: object = None) -> Settings:
        return from_env(cls, env).with_overrides(clock=suite_clock)

    Settings.from_env = classmethod(patched)  # type: ignore[method-assign, assignment]


if __name__ == "__main__":
    _with_suite_clock()
    from service.cli import main

    sys.argv[0] = "amiable"
    sys.exit(main())
