"""Staff accounts: created from the command line, signed in on /staff with a password.

Passwords are kept as argon2id hashes only. A failed sign-in takes as long for an unknown
email as for a wrong password, so the form does not reveal who has an account.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.authoring.models import StaffAccount
from service.errors import Conflict, Unprocessable
from service.workspaces import DEFAULT_WORKSPACE, registry

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()
# Verified against when the email is unknown, to spend the same time as a real check.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create(session: Session, email: str, name: str, password: str,
           workspace: str = DEFAULT_WORKSPACE) -> StaffAccount:
    """An account of `workspace` (which must exist): it edits that workspace's templates."""
    registry.get(session, workspace)
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise Unprocessable(f"{email!r} is not an email address", code="invalid_email")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Unprocessable(f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
                            code="weak_password")
    account = StaffAccount(email=email, name=name.strip() or email,
                           password_hash=_hasher.hash(password), workspace=workspace)
    session.add(account)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"a staff account for {email} exists already",
                       code="staff_exists") from None
    return account


def authenticate(session: Session, email: str, password: str) -> StaffAccount | None:
    """The active account with this email and password, or None."""
    account = session.scalar(select(StaffAccount).where(
        func.lower(StaffAccount.email) == normalise_email(email)))
    try:
        _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if account is None or account.disabled_at is not None:
        return None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    return account


def active(session: Session, account_id: int) -> StaffAccount | None:
    account = session.get(StaffAccount, account_id)
    return account if account is not None and account.disabled_at is None else None
