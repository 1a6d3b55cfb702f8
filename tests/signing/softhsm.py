"""A SoftHSM2 token in a temporary directory, holding the test PKI's seal key and chain.

The key goes in with ``softhsm2-util --import`` (PKCS#8); the certificates, which that tool
cannot import, through python-pkcs11. SoftHSM reads ``SOFTHSM2_CONF`` when the library is
initialised, once per process: the caller sets it before anything opens the module.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pkcs11
from certomancer.registry import KeyLabel
from cryptography.hazmat.primitives import serialization
from pkcs11 import Attribute, CertificateType, ObjectClass
from pki_server import ServedPki

MODULE_CANDIDATES = (
    Path("/usr/lib/softhsm/libsofthsm2.so"),
    Path("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"),
)
TOKEN_LABEL = "amiable-test"
KEY_LABEL = "seal"
USER_PIN = "271828"
SO_PIN = "31415926"


@dataclass(frozen=True)
class SoftHsmToken:
    module: Path
    token: str
    key: str
    pin: str


def find_module() -> Path | None:
    """SoftHSM's PKCS#11 module, or None when softhsm2 is not installed."""
    if shutil.which("softhsm2-util") is None:
        return None
    return next((path for path in MODULE_CANDIDATES if path.is_file()), None)


def write_config(folder: Path) -> Path:
    """A SoftHSM2 configuration whose tokens live in ``folder``; point SOFTHSM2_CONF at it."""
    tokens = folder / "tokens"
    tokens.mkdir()
    config = folder / "softhsm2.conf"
    config.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    return config


def provision(module: Path, folder: Path, pki: ServedPki, env: dict[str, str]) -> SoftHsmToken:
    """Create the token and put the seal's key, certificate and chain on it."""
    util = ["softhsm2-util", "--module", str(module)]
    run = {"check": True, "capture_output": True, "timeout": 60, "env": env}
    subprocess.run(
        [*util, "--init-token", "--free", "--label", TOKEN_LABEL, "--pin", USER_PIN,
         "--so-pin", SO_PIN],
        **run,
    )
    key = pki.arch.key_set.get_private_key(KeyLabel("seal"))
    key_file = folder / "seal.key.pem"
    key_file.write_bytes(
        serialization.load_der_private_key(key.dump(), password=None).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    subprocess.run(
        [*util, "--import", str(key_file), "--token", TOKEN_LABEL, "--label", KEY_LABEL,
         "--id", "01", "--pin", USER_PIN],
        **run,
    )
    key_file.unlink()  # the token holds it now, as an HSM would
    token = pkcs11.lib(str(module)).get_token(token_label=TOKEN_LABEL)
    with token.open(user_pin=USER_PIN, rw=True) as session:
        for label, object_id in (("seal", b"\x01"), ("issuing", b"\x02"), ("root", b"\x03")):
            cert = pki.cert(label)
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: label,
                    Attribute.ID: object_id,
                    Attribute.SUBJECT: cert.subject.public_bytes(),  # SoftHSM requires it
                    Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                }
            )
    return SoftHsmToken(module, TOKEN_LABEL, KEY_LABEL, USER_PIN)
