"""Run the real `amiable serve` (gunicorn, batch pool) in a subprocess for end-to-end tests."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

AMIABLE = Path(sys.executable).parent / "amiable"
# `amiable` with its clock at the suite's day (tests/frozen.py), for services and workers
# run as processes: the fixtures' letters are dated the day their figures were made for.
FROZEN_AMIABLE = [sys.executable, "-m", "tests.frozen_amiable"]
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceProcess:
    def __init__(self, data_dir: Path, key: str, **env: str) -> None:
        self.key = key
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (data_dir.parent / f"serve-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            [*FROZEN_AMIABLE, "serve"], stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT,
            start_new_session=True,  # one process group: gunicorn, its workers, the pool
            env={**os.environ, "PORT": str(self.port), "AMIABLE_DATA_DIR": str(data_dir),
                 "AMIABLE_API_KEY": key, **env})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.call("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.kill()
        raise RuntimeError("the service did not start")

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def kill(self) -> None:
        """SIGKILL every process of the service at once, as a power cut would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.log.close()

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()
        self.log.close()
