"""`amiable …` in a process whose clock starts at the suite's day (tests only).

`python -m tests.frozen_amiable serve` runs the real command with time-machine moving the
whole process (and the workers it forks) to FROZEN_NOW, ticking from there: a service run as
a subprocess then issues the fixtures' letters on the day their figures were worked out for.
"""

from __future__ import annotations

import sys

import time_machine

from tests.frozen import FROZEN_NOW

if __name__ == "__main__":
    time_machine.travel(FROZEN_NOW, tick=True).start()
    from service.cli import main

    sys.argv[0] = "amiable"
    sys.exit(main())
