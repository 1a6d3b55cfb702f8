"""Staff accounts: created from the command line, signed in on /staff with a password.

Passwords are kept as argon2id hashes only. A failed sign-in takes as long for an unknown
email as for a wrong password, so the form does not reveal who has an account.

`sign_in` guards the password against guessing: five wrong passwords in a row lock the
account for 15 minutes, and one address may fail only so often per window (whatever the
accounts it tries). Both counters are raised by the database in one conditional UPDATE
before the password is compared, so parallel attempts on several workers compare at most
five passwords per account. Times come from `service.db.utcnow` (frozen in tests).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.authoring.models import StaffAccount, StaffLoginThrottle
from service.db import Database, as_utc, insert_ignoring_duplicates, utcnow
from service.errors import Conflict, Unprocessable
from service.workspaces import DEFAULT_WORKSPACE, registry

MIN_PASSWORD_LENGTH = 12
LOCK_AFTER = 5  # wrong passwords in a row
LOCK_FOR = timedelta(minutes=15)
ADDRESS_LIMIT = 20  # failed sign-ins from one address per window, any account
ADDRESS_WINDOW = timedelta(minutes=15)
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
    """The active account with this email and password, or None: the password check alone
    (the /staff form goes through `sign_in`, which adds the lockout and the throttle)."""
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


class SignInRefused(Exception):
    """No session: ``message`` is French, for the person at the form; ``status`` for HTTP."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


WRONG = SignInRefused(401, "Adresse électronique ou mot de passe incorrect.")
LOCKED = SignInRefused(423, f"Trop de mots de passe erronés : ce compte est verrouillé pendant "
                            f"{LOCK_FOR.seconds // 60} minutes. Réessayez plus tard.")
THROTTLED = SignInRefused(429, "Trop de tentatives de connexion depuis cette adresse. "
                               f"Réessayez dans {ADDRESS_WINDOW.seconds // 60} minutes.")


def sign_in(db: Database, email: str, password: str, address: str) -> StaffAccount:
    """The account, if `password` is its password and no guard stands in the way."""
    address = address[:64]
    with db.session() as session:
        if _address_blocked(session, address):
            raise THROTTLED
        account = session.scalar(select(StaffAccount).where(
            func.lower(StaffAccount.email) == normalise_email(email)))
        account_id = account.id if account is not None else None
        password_hash = account.password_hash if account is not None else _DUMMY_HASH
        usable = account is not None and account.disabled_at is None
    if account_id is not None and not _take_a_try(db, account_id):
        raise LOCKED
    if account_id is None:
        # An unknown address locks like a real account would: the lock message must not
        # tell who has an account (counted in the throttle table under a hash of it).
        with db.session() as session:
            if _address_blocked(session, _unknown_key(email), LOCK_AFTER):
                raise LOCKED
    if _matches(password_hash, password) and usable:
        with db.session() as session:
            session.execute(update(StaffAccount).where(StaffAccount.id == account_id)
                            .values(failed_logins=0, locked_until=None))
            found = session.get(StaffAccount, account_id, populate_existing=True)
            assert found is not None
            if _hasher.check_needs_rehash(found.password_hash):
                found.password_hash = _hasher.hash(password)
            return found
    with db.session() as session:
        _count_address_failure(session, address)
        if account_id is None:
            _count_address_failure(session, _unknown_key(email))
        else:
            # The try that reached LOCK_AFTER locks the account and starts the count again.
            session.execute(update(StaffAccount).where(
                StaffAccount.id == account_id, StaffAccount.failed_logins >= LOCK_AFTER)
                .values(locked_until=utcnow() + LOCK_FOR, failed_logins=0))
    raise WRONG


def _matches(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def _take_a_try(db: Database, account_id: int) -> bool:
    """Count a try before the password is compared; False when the account is locked."""
    now = utcnow()
    with db.session() as session:
        taken = session.execute(
            update(StaffAccount)
            .where(StaffAccount.id == account_id, StaffAccount.failed_logins < LOCK_AFTER,
                   or_(StaffAccount.locked_until.is_(None), StaffAccount.locked_until <= now))
            .values(failed_logins=StaffAccount.failed_logins + 1)
            .execution_options(synchronize_session=False)).rowcount
    return bool(taken)


def _unknown_key(email: str) -> str:
    return "email:" + hashlib.sha256(normalise_email(email).encode()).hexdigest()[:40]


def _address_blocked(session: Session, address: str, limit: int = ADDRESS_LIMIT) -> bool:
    row = session.get(StaffLoginThrottle, address)
    return (row is not None and row.failures >= limit
            and as_utc(row.window_started_at) > utcnow() - ADDRESS_WINDOW)


def _count_address_failure(session: Session, address: str) -> None:
    """One more failure for `address` in its window (a new window once the last is over)."""
    now = utcnow()
    in_window = session.execute(
        update(StaffLoginThrottle)
        .where(StaffLoginThrottle.address == address,
               StaffLoginThrottle.window_started_at > now - ADDRESS_WINDOW)
        .values(failures=StaffLoginThrottle.failures + 1)
        .execution_options(synchronize_session=False)).rowcount
    if in_window:
        return
    restarted = session.execute(
        update(StaffLoginThrottle).where(StaffLoginThrottle.address == address)
        .values(failures=1, window_started_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if not restarted and not insert_ignoring_duplicates(session, StaffLoginThrottle, {
            "address": address, "failures": 1, "window_started_at": now}):
        # another worker counted this address's first failure at the same moment
        session.execute(update(StaffLoginThrottle).where(StaffLoginThrottle.address == address)
                        .values(failures=StaffLoginThrottle.failures + 1)
                        .execution_options(synchronize_session=False))


def end_sessions(session: Session, account_id: int) -> None:
    """Sign the account out everywhere: every cookie made before now stops working."""
    session.execute(update(StaffAccount).where(StaffAccount.id == account_id)
                    .values(session_version=StaffAccount.session_version + 1)
                    .execution_options(synchronize_session=False))
