"""Checks on what a creditor profile holds: SIREN, IBAN/BIC, logo files.

A profile is printed on every letter of its creditor for years, so a wrong SIREN or IBAN is
refused when it is entered, not discovered on a debtor's bank statement.
"""

from __future__ import annotations

import re
import struct

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

MAX_LOGO_BYTES = 256 * 1024
MAX_LOGO_PIXELS = 4000  # per side: a letterhead logo is a few hundred pixels wide
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"
# La Poste's SIREN fails the Luhn rule (3+5+6 = 14) and is valid all the same: INSEE checks
# its establishments' SIRETs by a digit sum multiple of 5 instead (INSEE, SIRENE documentation).
LA_POSTE_SIREN = "356000000"


class LogoRefused(ValueError):
    """The logo cannot be kept; the message says why (French: staff read it)."""


def siren_ok(siren: str) -> bool:
    """A SIREN is 9 digits whose Luhn sum is a multiple of 10 (INSEE)."""
    if not re.fullmatch(r"\d{9}", siren):
        return False
    if siren == LA_POSTE_SIREN:
        return True
    total = 0
    for position, char in enumerate(reversed(siren)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def normal_iban(value: str) -> str:
    """The IBAN in compact form, or ValueError naming what is wrong (checked by schwifty:
    country length and format, mod-97 check digits, national check digits)."""
    try:
        return IBAN(value).compact
    except SchwiftyException as exc:
        raise ValueError(f"is not a valid IBAN: {exc}") from None


def normal_bic(value: str) -> str:
    try:
        return str(BIC(value))
    except SchwiftyException as exc:
        raise ValueError(f"is not a valid BIC: {exc}") from None


def bic_matches_iban(bic: str, iban: str) -> bool:
    """The BIC's country is the IBAN's (a French IBAN with a German BIC is a typing error)."""
    return BIC(bic).country_code == IBAN(iban).country_code


def check_logo(data: bytes, media_type: str) -> str:
    """The logo's media type once it is known to be a plain PNG or a self-contained SVG."""
    if not data:
        raise LogoRefused("le fichier est vide")
    if len(data) > MAX_LOGO_BYTES:
        raise LogoRefused(f"le logo dépasse {MAX_LOGO_BYTES // 1024} Ko")
    if media_type == "image/png":
        _check_png(data)
    elif media_type == "image/svg+xml":
        _check_svg(data)
    else:
        raise LogoRefused("le logo doit être un fichier PNG (image/png) ou SVG (image/svg+xml)")
    return media_type


def _check_png(data: bytes) -> None:
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 33:
        raise LogoRefused("ce n’est pas un fichier PNG")
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= MAX_LOGO_PIXELS and 0 < height <= MAX_LOGO_PIXELS):
        raise LogoRefused(f"le logo doit mesurer au plus {MAX_LOGO_PIXELS} pixels de côté "
                          f"(il mesure {width} × {height})")
    if not data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82"):
        raise LogoRefused("le fichier PNG est incomplet")


_URL_IN_CSS = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)
_FORBIDDEN_TAGS = {"script", "foreignObject", "iframe", "embed", "object", "audio", "video"}


def _check_svg(data: bytes) -> None:
    """Nothing in the SVG may reach outside it: it is drawn by WeasyPrint in every letter."""
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                      forbid_external=True)
    except (DefusedXmlException, ElementTree.ParseError, ValueError) as exc:
        raise LogoRefused(f"ce n’est pas un fichier SVG lisible ({exc})") from None
    if root.tag != f"{SVG_NS}svg":
        raise LogoRefused("ce n’est pas un fichier SVG (élément racine <svg> attendu)")
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if name in _FORBIDDEN_TAGS:
            raise LogoRefused(f"un logo SVG ne peut pas contenir d’élément <{name}>")
        if name == "style" and (element.text and (_URL_IN_CSS.search(element.text)
                                                  or "@import" in element.text)):
            raise LogoRefused("un logo SVG ne peut pas charger de ressource externe (style)")
        for attribute, value in element.attrib.items():
            local = attribute.rsplit("}", 1)[-1]
            if local.lower().startswith("on"):
                raise LogoRefused(f"un logo SVG ne peut pas contenir de script ({local})")
            if local == "href" and not value.strip().startswith("#"):
                raise LogoRefused(f"un logo SVG ne peut pas faire référence à un autre "
                                  f"fichier ({value[:80]})")
            if _URL_IN_CSS.search(value):
                raise LogoRefused("un logo SVG ne peut pas charger de ressource externe "
                                  f"({local})")
