"""A passing fault while making an item: it is given back, retried later, never lost."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from service.batches import queue
from tests.conftest import relance_batch


@pytest.fixture
def flaky_issue(app: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Make `issue` fail the first `fail` times it is called."""
    documents = app.extensions["amiable"].documents
    real = documents.issue
    state = {"fail": 1, "calls": 0}

    def issue(*args: Any, **kwargs: Any) -> Any:
        state["calls"] += 1
        if state["calls"] <= state["fail"]:
            raise OSError("disk hiccup")
        return real(*args, **kwargs)

    monkeypatch.setattr(documents, "issue", issue)
    return state


def _status(client: Any, auth: dict[str, str], batch_id: str) -> dict[str, Any]:
    return client.get(f"/v1/batches/{batch_id}", headers=auth).get_json()


def test_a_failed_attempt_is_retried_later(app: Any, client: Any, auth: dict[str, str],
                                           work_queue: Callable[[], int],
                                           flaky_issue: dict[str, int]) -> None:
    batch = client.post("/v1/batches", json={"documents": relance_batch(1, "R")},
                        headers=auth).get_json()
    work_queue()
    assert _status(client, auth, batch["id"])["done"] == 0
    services = app.extensions["amiable"]
    with services.db.session() as session:
        assert queue.stranded_item_ids(session) == []  # not due yet: it backs off
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=10)):
        with services.db.session() as session:
            assert len(queue.stranded_item_ids(session)) == 1  # Celery's sweeper re-sends it
        work_queue()
    finished = _status(client, auth, batch["id"])
    assert (finished["status"], finished["done"]) == ("done", 1)


def test_an_item_that_keeps_failing_is_failed_not_retried_forever(
        app: Any, client: Any, auth: dict[str, str], work_queue: Callable[[], int],
        flaky_issue: dict[str, int]) -> None:
    flaky_issue["fail"] = 99
    batch = client.post("/v1/batches", json={"documents": relance_batch(1, "F")},
                        headers=auth).get_json()
    for minutes in range(4):
        with time_machine.travel(datetime.now(UTC) + timedelta(minutes=minutes)):
            work_queue()
    finished = _status(client, auth, batch["id"])
    assert (finished["status"], finished["failed"]) == ("done", 1)
    assert finished["documents"][0]["error"]["code"] == "internal_error"
