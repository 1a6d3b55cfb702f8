"""Errors the signing package raises, so callers never have to catch pyHanko's own types."""

from __future__ import annotations


class SealConfigError(Exception):
    """The seal's key material cannot be used; the message says what an operator should fix."""


class InvalidPdfError(ValueError):
    """The bytes are not a PDF that can be sealed or verified (garbage, truncated, encrypted)."""


class NoSignatureError(ValueError):
    """A readable PDF that carries no signature or document timestamp at all."""
