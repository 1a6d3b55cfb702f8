"""Attack: flood the shared batch queue from one workspace.

Proves: a workspace may have at most its quota of batch items waiting; a submission beyond
it is refused whole (429, `quota_exceeded`, saying how many more fit) and queues nothing;
two submissions racing for the last places cannot both pass; once items are made, the
workspace may submit again. Items refused at validation do not count.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from flask import Flask

from service.batches.queue import waiting_items
from service.db import Workspace
from tests.conftest import relance_batch
from tests.security.conftest import Tenant
from tests.security.test_cross_workspace_batches import run_batches


def set_quota(app: Flask, workspace: str, limit: int) -> None:
    with app.extensions["amiable"].db.session() as session:
        row = session.get(Workspace, workspace)
        assert row is not None
        row.max_pending_items = limit


def waiting(app: Flask, workspace: str) -> int:
    with app.extensions["amiable"].db.session() as session:
        return waiting_items(session, workspace)


def test_a_workspace_cannot_queue_beyond_its_quota(
        app: Flask, tenants: tuple[Tenant, Tenant], as_key: Callable[..., Any]) -> None:
    a, b = tenants
    set_quota(app, a.workspace, 3)
    first = as_key(a.system, "POST", "/v1/batches",
                   json={"documents": [*relance_batch(2, "Q"), {"kind": "nonsense"}]})
    assert first.status_code == 202  # the invalid item fails at once and takes no place
    assert waiting(app, a.workspace) == 2

    over = as_key(a.system, "POST", "/v1/batches", json={"documents": relance_batch(2, "Q2")})
    assert over.status_code == 429
    error = over.get_json()["error"]
    assert error["code"] == "quota_exceeded"
    assert "at most 3" in error["message"]
    assert error["details"][0]["message"].startswith("at most 1 more")
    assert waiting(app, a.workspace) == 2
    # Another workspace's quota is its own.
    assert as_key(b.system, "POST", "/v1/batches",
                  json={"documents": relance_batch(2, "QB")}).status_code == 202

    run_batches(app)
    assert waiting(app, a.workspace) == 0
    assert as_key(a.system, "POST", "/v1/batches",
                  json={"documents": relance_batch(2, "Q3")}).status_code == 202
    run_batches(app)


def test_racing_submissions_cannot_both_take_the_last_places(
        app: Flask, tenants: tuple[Tenant, Tenant]) -> None:
    a, _ = tenants
    set_quota(app, a.workspace, 4)
    statuses: list[int] = []
    start = threading.Barrier(2)

    def submit(prefix: str) -> None:
        client = app.test_client()
        start.wait()
        statuses.append(client.post("/v1/batches", headers=a.system, json={
            "documents": relance_batch(3, prefix)}).status_code)

    threads = [threading.Thread(target=submit, args=(p,)) for p in ("R1", "R2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [202, 429]
    assert waiting(app, a.workspace) == 3
    run_batches(app)
