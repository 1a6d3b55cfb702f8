"""One-time codes sent by e-mail before signing: six digits from `secrets`, stored hashed.

The hash is Argon2id: a six-digit code has only a million values, so a fast hash would
give the code away to anyone reading the database while it is still valid.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

CODE_VALIDITY = timedelta(minutes=10)
MAX_CODES = 5  # codes sent per request, in all
RESEND_INTERVAL = timedelta(seconds=60)  # between two codes
MAX_FAILURES = 5  # wrong codes before the request locks

# Light parameters: the code lives ten minutes and five wrong tries lock the request.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def hash_code(code: str) -> str:
    return _hasher.hash(code)


def code_matches(code_hash: str, typed: str) -> bool:
    typed = "".join(typed.split())
    if len(typed) != 6 or not typed.isdigit():
        return False
    try:
        return _hasher.verify(code_hash, typed)
    except (VerificationError, InvalidHashError):
        return False


def masked(email: str) -> str:
    """h***@example.org: enough for the debtor to recognise, not to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"
