"""Build the process's `Sealer` from settings: the one call the service's bootstrap makes.

Which seal: a PKCS#11 key when a module is configured (the HSM takes precedence), else the
PKCS#12 file. Which level: see `signing.seal.seal_level`; a TSA URL turns timestamps on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from cryptography import x509

from signing.errors import SealConfigError
from signing.keys import SealIdentity, load_certificates
from signing.pkcs11 import Pkcs11Seal
from signing.seal import Sealer, SealKey
from signing.timestamps import make_timestamper


class SealSettings(Protocol):
    """The settings `build_sealer` reads (`service.config.Settings` has them all)."""

    seal_p12: Path | None
    seal_password: str | None
    seal_pkcs11_module: Path | None
    seal_pkcs11_token: str | None
    seal_pkcs11_key: str | None
    seal_pkcs11_pin: str | None
    tsa_url: str | None
    trust_roots: Path | None
    seal_lta: bool


def build_sealer(settings: SealSettings) -> Sealer:
    """The sealer the settings describe; raises `SealConfigError` with what to fix."""
    return Sealer(
        load_seal_key(settings),
        timestamper=make_timestamper(settings.tsa_url) if settings.tsa_url else None,
        trust_roots=load_trust_roots(settings.trust_roots),
        lta=settings.seal_lta,
    )


def load_seal_key(settings: SealSettings) -> SealKey:
    """The PKCS#11 seal if a module is configured, else the PKCS#12 one."""
    if settings.seal_pkcs11_module is not None:
        token, key = settings.seal_pkcs11_token, settings.seal_pkcs11_key
        if not token or not key:
            missing = "AMIABLE_SEAL_PKCS11_TOKEN" if not token else "AMIABLE_SEAL_PKCS11_KEY"
            raise SealConfigError(f"AMIABLE_SEAL_PKCS11_MODULE is set: set {missing} too")
        return Pkcs11Seal.open(
            settings.seal_pkcs11_module, token=token, key=key, pin=settings.seal_pkcs11_pin
        )
    if settings.seal_p12 is None:
        raise SealConfigError("no seal configured: set AMIABLE_SEAL_P12 or AMIABLE_SEAL_PKCS11_*")
    return SealIdentity.load(settings.seal_p12, settings.seal_password)


def load_trust_roots(path: Path | None) -> list[x509.Certificate]:
    """The roots in the PEM/DER file ``path`` (AMIABLE_TRUST_ROOTS); none when unset."""
    if path is None:
        return []
    try:
        return load_certificates(path)
    except OSError as exc:
        raise SealConfigError(f"cannot read AMIABLE_TRUST_ROOTS {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise SealConfigError(
            f"AMIABLE_TRUST_ROOTS {path} holds no readable certificate (PEM or DER): {exc}"
        ) from exc
