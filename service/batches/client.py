"""`amiable batch submit`: send a JSON Lines file as one batch and follow it to the end.

A thin HTTP client of the running service (standard library only), so it works from any
machine that can reach the API.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click


class ApiError(click.ClickException):
    pass


class Api:
    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key

    def call(self, method: str, path: str, body: Any = None,
             headers: dict[str, str] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.key}", "Content-Type": "application/json",
            **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                payload = response.read()
                if response.headers.get_content_type() == "application/json":
                    return json.loads(payload)
                return payload
        except urllib.error.HTTPError as exc:
            try:
                error = json.loads(exc.read())["error"]
                message = error["message"]
            except (ValueError, KeyError, TypeError):
                message = exc.reason
            raise ApiError(f"{method} {path} answered {exc.code}: {message}") from None
        except urllib.error.URLError as exc:
            raise ApiError(f"cannot reach {self.base_url}: {exc.reason}") from None


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    documents = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                documents.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise click.ClickException(f"{path}:{number}: not JSON ({exc.msg})") from None
    if not documents:
        raise click.ClickException(f"{path} holds no request")
    return documents


def submit_and_follow(api: Api, documents: list[dict[str, Any]], idempotency_key: str | None,
                      zip_path: Path | None, poll_seconds: float = 1.0) -> dict[str, Any]:
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    batch = api.call("POST", "/v1/batches", {"documents": documents}, headers)
    click.echo(f"batch {batch['id']}: {batch['total']} documents", err=True)
    with click.progressbar(length=batch["total"], label="documents", file=click.get_text_stream(
            "stderr"), show_pos=True) as bar:
        seen = 0
        while True:
            batch = api.call("GET", f"/v1/batches/{batch['id']}")
            finished = batch["done"] + batch["failed"] + batch.get("cancelled", 0)
            bar.update(finished - seen)
            seen = finished
            if batch["status"] == "done" or batch.get("finished_at"):
                break
            time.sleep(poll_seconds)
    if zip_path is not None:
        zip_path.write_bytes(api.call("GET", f"/v1/batches/{batch['id']}/zip"))
        click.echo(f"PDFs written to {zip_path}", err=True)
    return batch
