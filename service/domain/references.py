"""Structured creditor references (ISO 11649, "RF" references): a case's payment reference.

`RF` + two check digits + up to 21 letters or digits. The check digits are ISO 7064
MOD 97-10, as for an IBAN: move "RF00" to the end of the body, write letters as numbers
(A = 10 … Z = 35), and the digits are 98 − (that number mod 97). A payment that quotes it
can be matched to its case, and a mistyped one is detected (any single wrong character,
any swap of two neighbours). Example of the standard: body 539007547034 → RF18 5390 0754 7034.
"""

from __future__ import annotations

import re

_BODY = re.compile(r"^[0-9A-Z]{1,21}$")


def _mod97(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text)) % 97


def rf_reference(body: str) -> str:
    """The RF reference of `body` (1 to 21 characters, digits and capital letters)."""
    if not _BODY.match(body):
        raise ValueError("an RF reference body is 1 to 21 digits or capital letters")
    return f"RF{98 - _mod97(body + 'RF00'):02d}{body}"


def rf_valid(reference: str) -> bool:
    compact = reference.replace(" ", "").upper()
    if not re.fullmatch(r"RF\d{2}[0-9A-Z]{1,21}", compact):
        return False
    return _mod97(compact[4:] + compact[:4]) == 1


def rf_grouped(reference: str) -> str:
    """Printed in groups of four, as on a payment slip."""
    return " ".join(reference[i:i + 4] for i in range(0, len(reference), 4))
