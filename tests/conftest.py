"""Shared fixtures: a real app on a temporary data dir (SQLite, blob store, development seal)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings as hypothesis_settings

from service import create_app
from service.clock import fixed_clock
from service.config import Settings
from tests.frozen import FROZEN_NOW, TODAY
from tests.webhook_receiver import Hooks, receiving_hooks

# No per-example deadline: on a loaded 2-core CI machine a slow example is not a bug.
hypothesis_settings.register_profile("amiable", deadline=None)
hypothesis_settings.load_profile("amiable")

FIXTURES = Path(__file__).parent / "fixtures"
__all__ = ["FIXTURES", "FROZEN_NOW", "MASTER_KEY", "TODAY", "load_example", "relance_batch"]

MASTER_KEY = "amk_test_master_key_0123456789"


def load_example(name: str) -> dict[str, Any]:
    """A sample request (fictitious parties), as a fresh dict the test may change."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def relance_batch(count: int, prefix: str) -> list[dict[str, Any]]:
    """`count` relance requests that differ by their invoice number, for batches."""
    items = []
    for i in range(count):
        body = load_example("relance-level1")
        body["invoices"][0]["number"] = f"{prefix}-{i:04d}"
        items.append(body)
    return items


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    data_dir = tmp_path_factory.mktemp("data")
    return create_app(Settings(data_dir=data_dir, api_key=MASTER_KEY,
                               public_url="https://amiable.test",
                               clock=fixed_clock(FROZEN_NOW)))


@pytest.fixture(scope="session")
def app_at(tmp_path_factory: pytest.TempPathFactory) -> Callable[[datetime], Flask]:
    """An app living on another day (one per day, made on first use): for what only a
    later date shows, such as semesters with no rates yet."""
    apps: dict[datetime, Flask] = {}

    def make(moment: datetime) -> Flask:
        if moment not in apps:
            apps[moment] = create_app(Settings(
                data_dir=tmp_path_factory.mktemp("data"), api_key=MASTER_KEY,
                public_url="https://amiable.test", clock=fixed_clock(moment)))
        return apps[moment]

    return make


@pytest.fixture
def service_clock_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Give every Settings read from the environment (the CLI's) a clock stopped at a
    moment, for this test: only the service's day moves, not the process's time, so a
    seal made now stays valid."""

    def stop_at(moment: datetime) -> None:
        from_env = Settings.from_env.__func__  # type: ignore[attr-defined]

        def patched(cls: type[Settings], env: Any = None) -> Settings:
            return from_env(cls, env).with_overrides(clock=fixed_clock(moment))

        monkeypatch.setattr(Settings, "from_env", classmethod(patched))

    return stop_at


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {MASTER_KEY}"}


@pytest.fixture
def post_document(client: FlaskClient, auth: dict[str, str]) -> Callable[..., Any]:
    def post(body: Any, headers: dict[str, str] | None = None) -> Any:
        return client.post("/v1/documents", json=body, headers={**auth, **(headers or {})})

    return post


@pytest.fixture(scope="session")
def hooks() -> Iterator[Hooks]:
    """A webhook receiver on loopback that records what it is sent."""
    with receiving_hooks() as received:
        yield received
