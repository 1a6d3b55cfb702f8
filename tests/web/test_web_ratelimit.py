"""The database-backed per-client counter of the public verification page."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from service import ratelimit


def test_concurrent_requests_never_exceed_the_limit(app: Flask) -> None:
    db = app.extensions["amiable"].db
    now = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(
            lambda _: ratelimit.allow(db, "test", "192.0.2.50", 5, 600, now), range(24)))
    assert answers.count(True) == 5
    # another client, and the same client in the next window, start again
    assert ratelimit.allow(db, "test", "192.0.2.51", 5, 600, now)
    assert ratelimit.allow(db, "test", "192.0.2.50", 5, 600, now + timedelta(seconds=600))
    with db.session() as session:
        keys = session.scalars(select(ratelimit.RateWindow.key)).all()
    assert all("192.0.2" not in key for key in keys)  # addresses are kept only as digests
