"""A pyHanko signer that reuses the parsed private key.

pyHanko's `SimpleSigner.sign_raw` re-parses its key (`load_der_private_key` over the PKCS#8
DER) on every signature; for RSA that is ~38 ms of key validation, three times the cost of
the whole rest of a seal. This subclass signs with the `cryptography` key object that
`SealIdentity` parsed once. Everything else (CMS assembly, signed attributes, certificate
embedding) is pyHanko's, unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params

if TYPE_CHECKING:  # keys.py builds this signer: a runtime import would be circular
    from signing.keys import SealIdentity


class KeptKeySigner(SimpleSigner):
    """`SimpleSigner` whose `sign_raw` uses a key parsed once, not once per call."""

    def __init__(self, identity: SealIdentity) -> None:
        self._key = identity.private_key
        registry = SimpleCertificateStore()
        registry.register_multiple(to_asn1(cert) for cert in identity.chain)
        super().__init__(
            signing_cert=to_asn1(identity.certificate),
            # pyHanko only reads this in the sign_raw we override; kept for any other path
            signing_key=translate_pyca_cryptography_key_to_asn1(identity.private_key),
            cert_registry=registry,
        )

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """Sign ``data`` (the DER of the signed attributes) with the kept key."""
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        algorithm = mechanism.signature_algo
        key = self._key
        if algorithm == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if algorithm == "rsassa_pss" and isinstance(key, rsa.RSAPrivateKey):
            pss_padding, hash_algo = process_pss_params(mechanism["parameters"])
            return key.sign(data, pss_padding, hash_algo)
        if algorithm == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        raise SigningError(f"signature mechanism {algorithm} does not fit a {type(key).__name__}")


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    """A `cryptography` certificate as the asn1crypto object pyHanko works with."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
