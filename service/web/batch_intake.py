"""Read a batch body as it arrives: one document request at a time, never the whole tree.

`POST /v1/batches` may carry 50 MB. Reading it whole, then parsing it, then validating a
copy of it, then hashing a dump of it held four copies at once (12 times the body in
memory). Here the body is parsed as a stream (ijson, the C backend of yajl): its events pass
a check of the body's shape and limits (`_Envelope`), its C builder hands over one item at a
time, which is validated, folded into the request's hash and kept only as its validated form,
compact JSON text (the one copy the queue needs, about the body's size); the raw bytes and
the parsed item are dropped at once. The queue decodes the text 100 items at a time.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

import ijson
from pydantic import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from service.audit import canonical_json
from service.errors import BadRequest, ServiceError, Unprocessable
from service.requests import DocumentRequest
from service.web.errors import summarize, validation_details

MAX_DEPTH = 32  # a document request is a few levels deep; deeper is hostile
# ijson's C backend crashes the process (a segmentation fault, ijson 3.6) on an integer
# Python refuses to convert (over 4,300 digits): runs of digits that long are refused
# before the parser sees them. No field of a request needs a hundredth of that.
MAX_DIGITS = 1000
_DIGITS = b"0123456789"
_LONG_DIGITS = re.compile(rb"[0-9]{%d}" % (MAX_DIGITS + 1))
# The C parser turns a whole read into events before handing them over, each with its path
# ("a.a.a…"): deep nesting costs the square of the events of one read. Small reads bound
# that work to a few milliseconds before the depth check below refuses the body.
_READ_BYTES = 4096


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


Prepare = Callable[[dict[str, Any]], dict[str, Any]]


def _validated(raw: Any, today: date,
               prepare: Prepare | None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    try:
        if prepare is not None and isinstance(raw, dict):
            raw = prepare(raw)  # e.g. the blocks a creditor_id or case_id names
        model = DocumentRequest.model_validate(raw)
    except ServiceError as exc:  # an unknown case, a closed one...: this item fails alone
        return None, {"code": exc.code, "message": exc.message, "details": exc.details}
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
            raise BadRequest(f"the body holds a number with too many digits (more than "
                             f"{MAX_DIGITS} in a row); amounts are decimal strings like "
                             "\"1250.00\"")
        if leading == len(data):
            self._trailing_digits += leading
        else:
            self._trailing_digits = len(data) - len(data.rstrip(_DIGITS))


def read_batch(stream: IO[bytes], *, max_items: int, today: date,
               prepare: Prepare | None = None) -> Intake:
    """Parse `{"documents": [...], "webhook_url": ...}` from `stream`, item by item.

    The parser's events go through `_Envelope.watch` (the shape of the body, the limits)
    on their way to ijson's C item builder, which hands over one request at a time.
    """
    intake = Intake()
    digest = hashlib.sha256()
    envelope = _Envelope(max_items)
    events = ijson.parse(_Chunks(stream), use_float=False, buf_size=_READ_BYTES)
    try:
        for raw in ijson.items(envelope.watch(events), "documents.item"):
            digest.update(canonical_json(raw).encode() + b"\n")
            request, error = _validated(raw, today, prepare)
            if error is not None:
                intake.errors[len(intake.requests)] = error
            intake.requests.append(request)
    except RequestEntityTooLarge:
        raise
    except ijson.JSONError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise BadRequest(f"the body holds a value that cannot be read: {exc}") from None
    if not envelope.complete:
        raise BadRequest("the body is not valid JSON: it ends too early")
    if "documents" not in envelope.seen or not intake.requests:
        raise Unprocessable("a batch needs at least one document request in `documents`",
                            details=[{"field": "documents", "message": "at least one item"}])
    intake.webhook_url = envelope.webhook_url
    digest.update(b"webhook_url:" + (intake.webhook_url or "").encode())
    intake.sha256 = digest.hexdigest()
    return intake


_OPEN, _CLOSE = frozenset({"start_map", "start_array"}), frozenset({"end_map", "end_array"})
_ENVELOPE_DEPTH = 3  # the body's object, the documents list, an item


class _Envelope:
    """Checks the parser's events as they pass: one JSON object with `documents` (a list of
    objects, at most `max_items`, nested at most MAX_DEPTH) and `webhook_url` (a string)."""

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self.seen: set[str] = set()
        self.items = 0
        self.webhook_url: str | None = None
        self.complete = False

    def watch(self, events: Any) -> Any:
        depth = 0
        for prefix, event, value in events:
            if depth == 0 and event != "start_map":
                raise BadRequest("the body must be a JSON object")
            if event in _OPEN:
                depth += 1
                if depth > _ENVELOPE_DEPTH + MAX_DEPTH:
                    raise BadRequest(f"the body is nested too deeply: a document request is "
                                     f"nested more than {MAX_DEPTH} deep")
            elif event in _CLOSE:
                depth -= 1
                self.complete = depth == 0
            if depth == 1 and event == "map_key":
                self._key(value)
            elif prefix == "webhook_url":
                self._url(event, value)
            elif prefix == "documents" and event not in ("start_array", "end_array"):
                raise Unprocessable("documents must be a list of document requests",
                                    details=[{"field": "documents", "message": "not a list"}])
            elif prefix == "documents.item" and event not in ("map_key", "end_map"):
                self._item(event)
            yield prefix, event, value

    def _key(self, key: str) -> None:
        if key in self.seen:
            raise BadRequest(f"the key {key!r} appears twice")
        if key not in ("documents", "webhook_url"):
            raise Unprocessable(f"unknown field {key!r}: a batch has `documents` and "
                                "`webhook_url`", details=[{"field": key,
                                                           "message": "extra field"}])
        self.seen.add(key)

    def _url(self, event: str, value: Any) -> None:
        if event == "null":
            return
        if event != "string":
            raise Unprocessable("webhook_url must be a URL string",
                                details=[{"field": "webhook_url", "message": "not a string"}])
        if len(value) > 2000:
            raise Unprocessable("webhook_url is longer than 2,000 characters",
                                details=[{"field": "webhook_url", "message": "too long"}])
        self.webhook_url = str(value)

    def _item(self, event: str) -> None:
        if event != "start_map":
            raise Unprocessable(f"documents.{self.items} must be a document request (an "
                                "object)", details=[{"field": f"documents.{self.items}",
                                                      "message": "not an object"}])
        if self.items >= self.max_items:
            raise BatchTooLarge(f"a batch holds at most {self.max_items:,} documents; split "
                                "it", details=[{"field": "documents",
                                                "message": f"more than {self.max_items} items"}])
        self.items += 1
