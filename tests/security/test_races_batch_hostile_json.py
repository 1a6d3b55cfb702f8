"""Attack: a batch body built to crash the streaming JSON parser or exhaust it.

Proves: an integer of 5,000 digits (which makes ijson's C backend crash the whole worker
process, ijson 3.6) is refused with a 400 before the parser sees it, even when the digits
arrive split over many reads; deep nesting, truncation, NaN, repeated keys and trailing
garbage are 400s (a million levels of nesting too, refused after one small read); a
non-object item or a nested webhook_url is a 422; the process survives all of them.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from flask.testing import FlaskClient

from service.errors import BadRequest
from service.web.batch_intake import MAX_DIGITS, read_batch

HOSTILE = {
    "huge integer": b'{"documents": [{"kind": "relance", "level": ' + b"9" * 5000 + b"}]}",
    "deep item": b'{"documents": [' + b'{"a":' * 200 + b"1" + b"}" * 200 + b"]}",
    # a million levels: the parser's per-event paths would cost their square in one read
    "very deep item": b'{"documents": [' + b'{"a":' * 10**6 + b"1" + b"}" * 10**6 + b"]}",
    "truncated": b'{"documents": [{"kind": "rel',
    "NaN": b'{"documents": [{"a": NaN}]}',
    "repeated key": b'{"documents": [{}], "documents": [{}]}',
    "trailing garbage": b'{"documents": [{}]} {}',
    "not an object": b"[1, 2]",
    "empty": b"",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_bodies_are_400s(client: FlaskClient, auth: dict[str, str], name: str) -> None:
    response = client.post("/v1/batches", headers=auth, data=HOSTILE[name],
                           content_type="application/json")
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["message"]


class _Trickle(io.RawIOBase):
    """A body that arrives 7 bytes at a time, so a run of digits spans many reads."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(min(7, size) if size > 0 else 7)


def test_long_digit_runs_are_caught_across_reads() -> None:
    body = b'{"documents": [{"level": ' + b"1" * (MAX_DIGITS + 1) + b"}]}"
    with pytest.raises(BadRequest, match="digits"):
        read_batch(_Trickle(body), max_items=10, today=date(2026, 3, 2))
    fine = b'{"documents": [{"level": ' + b"1" * MAX_DIGITS + b"}]}"
    intake = read_batch(_Trickle(fine), max_items=10, today=date(2026, 3, 2))
    assert len(intake.requests) == 1
    assert intake.errors[0]["code"] == "invalid_request"


def test_an_item_that_is_not_an_object_is_a_422(client: FlaskClient,
                                                auth: dict[str, str]) -> None:
    response = client.post("/v1/batches", headers=auth, json={"documents": [{}, "x"]})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == "documents.1"


def test_a_deeply_nested_webhook_url_is_a_422(client: FlaskClient,
                                              auth: dict[str, str]) -> None:
    body = b'{"webhook_url": ' + b"[" * 10**6 + b"]" * 10**6 + b', "documents": [{}]}'
    response = client.post("/v1/batches", headers=auth, data=body,
                           content_type="application/json")
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == "webhook_url"
