"""Read a batch body as it arrives: one document request at a time, never the whole tree.

`POST /v1/batches` may carry 50 MB. Reading it whole, then parsing it, then validating a
copy of it, then hashing a dump of it held four copies at once (12 times the body in
memory). Here the body is parsed as a stream (ijson, the C backend of yajl): each item is
built alone, validated, folded into the request's hash and kept only as its validated form,
compact JSON text (the one copy the queue needs, about the body's size); the raw bytes and
the parsed item are dropped at once. The queue decodes the text 100 items at a time.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

import ijson
from pydantic import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from service.audit import canonical_json
from service.errors import BadRequest, ServiceError, Unprocessable
from service.web.errors import summarize, validation_details
from service.web.schemas import DocumentRequest

MAX_DEPTH = 32  # a document request is a few levels deep; deeper is hostile
# ijson's C backend crashes the process (a segmentation fault, ijson 3.6) on an integer
# Python refuses to convert (over 4,300 digits): runs of digits that long are refused
# before the parser sees them. No field of a request needs a hundredth of that.
MAX_DIGITS = 1000
_DIGITS = b"0123456789"
_LONG_DIGITS = re.compile(rb"[0-9]{%d}" % (MAX_DIGITS + 1))


class BatchTooLarge(ServiceError):
    status = 413
    code = "batch_too_large"


class JsonItems(Sequence[dict[str, Any] | None]):
    """Validated requests kept as compact JSON text, decoded when read (by slices)."""

    def __init__(self) -> None:
        self._texts: list[str | None] = []

    def append(self, item: dict[str, Any] | None) -> None:
        self._texts.append(None if item is None else
                           json.dumps(item, ensure_ascii=False, separators=(",", ":")))

    def __len__(self) -> int:
        return len(self._texts)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [None if t is None else json.loads(t) for t in self._texts[index]]
        text = self._texts[index]
        return None if text is None else json.loads(text)


@dataclass
class Intake:
    """What a batch body held: validated requests (None where refused), errors, the hash."""

    requests: JsonItems = field(default_factory=JsonItems)
    errors: dict[int, dict[str, Any]] = field(default_factory=dict)
    webhook_url: str | None = None
    sha256: str = ""


def _validated(raw: Any, today: date) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    try:
        model = DocumentRequest.model_validate(raw)
    except ValidationError as exc:
        details = validation_details(exc)
        return None, {"code": "invalid_request", "message": summarize(details),
                      "details": details}
    # One date for the whole batch, fixed now: a retry tomorrow makes the same letter.
    return model.model_copy(update={"as_of": model.as_of or today}).model_dump(mode="json"), None


class _Chunks:
    """The request stream as ijson reads it: read(0) answered here (werkzeug's stream raises
    on it), and no run of more than MAX_DIGITS digits, even across two chunks."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._trailing_digits = 0  # digits that ended the previous chunk

    def read(self, size: int = -1) -> bytes:
        if not size:
            return b""
        data = self._stream.read(size)
        if data:
            self._check_digits(data)
        return data

    def _check_digits(self, data: bytes) -> None:
        leading = len(data) - len(data.lstrip(_DIGITS))
        if self._trailing_digits + leading > MAX_DIGITS or _LONG_DIGITS.search(data):
            raise BadRequest(f"the body holds a run of more than {MAX_DIGITS} digits")
        if leading == len(data):
            self._trailing_digits += leading
        else:
            self._trailing_digits = len(data) - len(data.rstrip(_DIGITS))


def read_batch(stream: IO[bytes], *, max_items: int, today: date) -> Intake:
    """Parse `{"documents": [...], "webhook_url": ...}` from `stream`, item by item."""
    intake = Intake()
    digest = hashlib.sha256()
    seen: set[str] = set()
    events = ijson.parse(_Chunks(stream), use_float=False, buf_size=64 * 1024)
    try:
        _expect(next(events, None), ("", "start_map"))
        for prefix, event, value in events:
            if (prefix, event) == ("", "end_map"):
                break
            if event != "map_key" or prefix != "":
                raise BadRequest("the body must be a JSON object")
            if value in seen:
                raise BadRequest(f"the key {value!r} appears twice")
            seen.add(value)
            if value == "documents":
                _read_documents(events, intake, digest, max_items, today)
            elif value == "webhook_url":
                intake.webhook_url = _read_url(events)
            else:
                raise Unprocessable(f"unknown field {value!r}: a batch has `documents` and "
                                    "`webhook_url`", details=[{"field": value,
                                                               "message": "extra field"}])
        if next(events, None) is not None:
            raise BadRequest("the body holds something after its JSON object")
    except RequestEntityTooLarge:
        raise
    except ijson.JSONError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    except StopIteration:
        raise BadRequest("the body is not valid JSON: it ends too early") from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise BadRequest(f"the body holds a value that cannot be read: {exc}") from None
    if "documents" not in seen or not intake.requests:
        raise Unprocessable("a batch needs at least one document request in `documents`",
                            details=[{"field": "documents", "message": "at least one item"}])
    digest.update(b"webhook_url:" + (intake.webhook_url or "").encode())
    intake.sha256 = digest.hexdigest()
    return intake


def _expect(got: tuple[str, str, Any] | None, wanted: tuple[str, str]) -> None:
    if got is None or (got[0], got[1]) != wanted:
        raise BadRequest("the body must be a JSON object")


def _read_url(events: Any) -> str | None:
    _, event, value = next(events)
    if event == "null":
        return None
    if event != "string":
        raise Unprocessable("webhook_url must be a URL string",
                            details=[{"field": "webhook_url", "message": "not a string"}])
    if len(value) > 2000:
        raise Unprocessable("webhook_url is longer than 2,000 characters",
                            details=[{"field": "webhook_url", "message": "too long"}])
    return str(value)


def _read_documents(events: Any, intake: Intake, digest: Any, max_items: int,
                    today: date) -> None:
    _, event, _ = next(events)
    if event != "start_array":
        raise Unprocessable("documents must be a list of document requests",
                            details=[{"field": "documents", "message": "not a list"}])
    while True:
        prefix, event, value = next(events)
        if event == "end_array" and prefix == "documents":
            return
        if len(intake.requests) >= max_items:
            raise BatchTooLarge(f"a batch holds at most {max_items:,} documents; split it",
                                details=[{"field": "documents",
                                          "message": f"more than {max_items} items"}])
        if event != "start_map":
            index = len(intake.requests)
            raise Unprocessable(f"documents.{index} must be a document request (an object)",
                                details=[{"field": f"documents.{index}",
                                          "message": "not an object"}])
        raw = _build(events, event, value)
        digest.update(canonical_json(raw).encode() + b"\n")
        request, error = _validated(raw, today)
        if error is not None:
            intake.errors[len(intake.requests)] = error
        intake.requests.append(request)


def _build(events: Any, event: str, value: Any) -> Any:
    """One item, from its first event to its last, with a bounded depth."""
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1 if event in ("start_map", "start_array") else 0
    while depth:
        _, event, value = next(events)
        if event in ("start_map", "start_array"):
            depth += 1
            if depth > MAX_DEPTH:
                raise BadRequest(f"a document request is nested more than {MAX_DEPTH} deep")
        elif event in ("end_map", "end_array"):
            depth -= 1
        builder.event(event, value)
    return builder.value
