"""URL converters: an `<int:…>` path parameter is a bounded number, or the route does not
match (404).

Werkzeug's own converter takes any run of digits, so `/versions/999…9` (30 digits) reached
SQLite as an integer it cannot store (OverflowError, a 500), and 5,000 digits overflowed
Python's int-string limit. Every id we number fits in 32 bits.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter

MAX_PATH_INT = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    regex = r"\d{1,10}"

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = None, signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, MAX_PATH_INT if max is None else max, signed)
