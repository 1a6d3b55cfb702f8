"""Batch fixtures: submit through the API, work the queue in-process until it is empty."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from service.batches import worker


@pytest.fixture
def work_queue(app: Any) -> Callable[[], int]:
    """Run one batch worker in this process until no item is left; returns items handled."""

    def run() -> int:
        return worker.run(app.extensions["amiable"], threading.Event(),
                          lease=timedelta(seconds=60), until_idle=True)

    return run
