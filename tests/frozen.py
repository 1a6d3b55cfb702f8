"""The day the test suite lives in, for the app fixture and for services run as processes.

The fixtures' documents are issued on Monday 1 September 2025: their figures and deadlines
were worked out by hand for that day.
"""

from __future__ import annotations

from datetime import datetime

from service.clock import PARIS

FROZEN_NOW = datetime(2025, 9, 1, 10, 0, tzinfo=PARIS)
TODAY = FROZEN_NOW.date()
