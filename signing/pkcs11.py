"""A seal whose private key lives in an HSM, reached through PKCS#11.

The key never leaves the token: pyHanko's `PKCS11Signer` asks the token to sign. The seal
certificate (and its chain, if stored there) is read from the token once, at start-up, so
that a wrong module path, token label, key label or PIN is reported when the service starts,
with a message that says which setting to fix, rather than on the first document.

A PKCS#11 session runs one signing operation at a time, so signatures through one session
are serialised (one lock per `Pkcs11Seal`); an HSM signature takes about as long as a
software one, so this costs little next to rendering.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from pkcs11 import Attribute, ObjectClass, Session
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign.general import SigningError
from pyhanko.sign.pkcs11 import PKCS11Error, PKCS11Signer, open_pkcs11_session

from signing.errors import SealConfigError
from signing.keys import CertificateInfo
from signing.signer import to_asn1


class _SerialisedPkcs11Signer(PKCS11Signer):
    """`PKCS11Signer` that lets one signature at a time through its session.

    Each seal runs in its own thread and event loop (`Sealer.seal` is synchronous), so a
    thread lock held across the await only ever blocks the thread that waits for it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session_lock = threading.Lock()

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        if dry_run:
            return await super().async_sign_raw(data, digest_algorithm, dry_run=True)
        with self._session_lock:
            return await super().async_sign_raw(data, digest_algorithm)


@dataclass(frozen=True, repr=False)
class Pkcs11Seal:
    """A seal key on a PKCS#11 token, with its certificate and chain; use like `SealIdentity`."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    info: CertificateInfo
    _signer: PKCS11Signer = field(compare=False)

    def __repr__(self) -> str:  # names only: never the PIN
        return f"Pkcs11Seal({self.info.common_name!r}, serial={self.info.serial_number})"

    def signer(self) -> PKCS11Signer:
        """The signer over the token's session (one per seal, shared by every `Sealer`)."""
        return self._signer

    def close(self) -> None:
        """Close the PKCS#11 session (at shutdown; the seal cannot sign after this)."""
        self._signer.pkcs11_session.close()

    @classmethod
    def open(
        cls,
        module: Path | str,
        *,
        token: str,
        key: str,
        pin: str | None,
        chain: Iterable[x509.Certificate] = (),
    ) -> Pkcs11Seal:
        """Log in to the token labelled ``token`` and find the key and certificate ``key``.

        The certificate is the one with the same label as the key; every other certificate
        on the token, and ``chain``, are embedded in the signatures as its chain. Raises
        `SealConfigError` when anything is missing or refused.
        """
        module = Path(module)
        if not module.is_file():
            raise SealConfigError(
                f"PKCS#11 module not found: {module} (AMIABLE_SEAL_PKCS11_MODULE must name the "
                "HSM vendor's .so, e.g. /usr/lib/softhsm/libsofthsm2.so)"
            )
        try:
            session = _open_session(module, token, pin)
        except Exception as exc:  # python-pkcs11 raises one class per PKCS#11 return code
            raise SealConfigError(_session_problem(exc, module, token)) from exc
        try:
            certificate, on_token = _certificates(session, key)
            # The chain is passed in rather than pulled by pyHanko, which would embed the
            # seal's own certificate twice (as the signer's and as one of the token's); so
            # is the signer's certificate left to pyHanko to fetch (by label), since a
            # certificate given to PKCS11Signer is also added to the chain.
            others = tuple({c: None for c in (*on_token, *chain) if c != certificate})
            signer = _SerialisedPkcs11Signer(
                session,
                key_label=key,
                cert_label=key,
                ca_chain=[to_asn1(c) for c in others],
                other_certs_to_pull=(),
                embed_roots=True,
            )
            signer.signing_cert  # noqa: B018 - finds the key handle now, not at the first seal
        except (PKCS11Error, SigningError) as exc:
            session.close()
            raise SealConfigError(
                f"no private key and certificate labelled {key!r} on token {token!r} "
                f"(AMIABLE_SEAL_PKCS11_KEY): {exc}"
            ) from exc
        except Exception as exc:
            session.close()
            raise SealConfigError(f"token {token!r} refused to give key {key!r}: {exc!r}") from exc
        return cls(certificate, others, CertificateInfo.of(certificate), signer)


def _certificates(
    session: Session, label: str
) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """The certificate labelled ``label``, and every other certificate on the token."""
    found = session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
    labelled, others = None, []
    for obj in found:
        cert = x509.load_der_x509_certificate(obj[Attribute.VALUE])
        if obj[Attribute.LABEL] == label and labelled is None:
            labelled = cert
        else:
            others.append(cert)
    if labelled is None:
        raise PKCS11Error(f"no certificate labelled {label!r}")
    return labelled, others


def _open_session(module: Path, token: str, pin: str | None) -> Session:
    criteria = TokenCriteria(label=token)
    return open_pkcs11_session(str(module), token_criteria=criteria, user_pin=pin)


def _session_problem(exc: Exception, module: Path, token: str) -> str:
    name = type(exc).__name__
    if name == "PKCS11Error" and str(exc).startswith("No token"):  # pyHanko's find_token
        return (
            f"no PKCS#11 token labelled {token!r} in {module} "
            "(check AMIABLE_SEAL_PKCS11_TOKEN, and that the HSM is connected)"
        )
    if name == "PinIncorrect":
        return f"wrong PIN for PKCS#11 token {token!r} (AMIABLE_SEAL_PKCS11_PIN)"
    if name == "UserAlreadyLoggedIn":
        # PKCS#11 logs a token in for the whole process, not per session
        return (
            f"PKCS#11 token {token!r} is already logged in by this process: open one "
            "Pkcs11Seal per token and process, and close it before opening another"
        )
    if name == "PinLocked":
        return f"the PIN of PKCS#11 token {token!r} is locked: unlock it with the SO PIN"
    if name in {"UserPinNotInitialized", "TokenNotRecognised", "TokenNotPresent"}:
        return f"PKCS#11 token {token!r} is not ready ({name}): initialise it first"
    return f"cannot open PKCS#11 token {token!r}: {name} {exc}".rstrip()

