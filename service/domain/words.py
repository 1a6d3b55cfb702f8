"""Amounts in French words, for the C. civ. 1376 mention, and checking what a debtor typed.

C. civ. 1376: an IOU proves the debt only with "la mention, écrite par lui-même, de la
somme ou de la quantité en toutes lettres et en chiffres. En cas de différence, l'acte
sous signature privée vaut preuve pour la somme écrite en toutes lettres." Hence a
generator we control (rather than num2words, reported to write "un million euros" and
"zéro centimes") and a checker that refuses to sign when the words do not denote the
amount.

Spelling (traditional, as the Académie française gives it):

* "vingt" and "cent" take an s when multiplied and ending the number: quatre-vingts,
  deux cents; not when another numeral follows: quatre-vingt-un, deux cent un,
  deux cent mille. "million"/"milliard" are nouns, not numerals, so they let the s stand:
  quatre-vingts millions, deux cents millions.
* "mille" is invariable and takes no "un": mille, deux mille.
* "et" joins un and onze to the tens from vingt to soixante-dix: vingt et un,
  soixante et onze; not after quatre-vingt: quatre-vingt-un, quatre-vingt-onze.
* Hyphens join tens and units below one hundred, except around "et".
* Nouns take "de" before the currency: un million d'euros, but un million cent euros.
* Below two the unit is singular: un euro, un centime, zéro euro (zéro used as a
  determiner takes the singular: Office québécois de la langue française, BDL "Zéro",
  "ces lunettes m'ont coûté zéro dollar"; Le Robert, "accord du nom après zéro": "zéro
  euro"). Zero cents are not written ("dix euros", not "dix euros et zéro centime").

The 1990 rectified spelling (Rectifications de l'orthographe, JO Documents
administratifs n° 100, 6 Dec. 1990) hyphenates every numeral of a compound number:
"deux-cent-quatre-vingt-un", "vingt-et-un", "deux-mille-cinq-cents"; million and
milliard, being nouns, stay separate words ("deux millions trois-cent-mille").
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from service.domain.money import CENT

_UNITS = (
    "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
    "onze", "douze", "treize", "quatorze", "quinze", "seize",
)  # fmt: skip
_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}
# Long scale, as French uses it: 10^6 million, 10^9 milliard, 10^12 billion.
_NOUNS = ((10**12, "billion"), (10**9, "milliard"), (10**6, "million"))
LIMIT = 10**15  # the first number these words cannot write (un billiard)
_MAX_DIGITS = len(str(LIMIT - 1))


def _below_100(n: int, final: bool) -> str:
    if n <= 16:
        return _UNITS[n]
    if n < 20:
        return "dix-" + _UNITS[n - 10]
    tens, unit = divmod(n, 10)
    if tens in (7, 9):  # soixante-dix..., quatre-vingt-dix...: 60 or 80 plus 10..19
        head = "soixante" if tens == 7 else "quatre-vingt"
        if n == 71:
            return "soixante et onze"
        return f"{head}-{_below_100(10 + unit, final)}"
    if tens == 8:
        if unit == 0:
            return "quatre-vingts" if final else "quatre-vingt"
        return "quatre-vingt-" + _UNITS[unit]
    if unit == 0:
        return _TENS[tens]
    if unit == 1:
        return _TENS[tens] + " et un"
    return f"{_TENS[tens]}-{_UNITS[unit]}"


def _below_1000(n: int, final: bool) -> str:
    """Write 1..999; ``final``: nothing but a noun (or nothing) follows, so 80/x00 take s."""
    hundreds, rest = divmod(n, 100)
    if hundreds == 0:
        return _below_100(rest, final)
    head = "cent" if hundreds == 1 else _UNITS[hundreds] + " cent"
    if rest == 0:
        return head + ("s" if hundreds > 1 and final else "")
    return f"{head} {_below_100(rest, final)}"


def _segments(n: int) -> list[tuple[bool, str]]:
    """Split the words of ``n`` into (is_numeral, text) segments around the nouns."""
    segments: list[tuple[bool, str]] = []

    def numeral(text: str) -> None:
        if segments and segments[-1][0]:
            segments[-1] = (True, f"{segments[-1][1]} {text}")
        else:
            segments.append((True, text))

    for value, noun in _NOUNS:
        count = n // value % 1000
        if count:
            numeral(_below_1000(count, final=True))
            segments.append((False, noun + ("s" if count > 1 else "")))
    thousands = n // 1000 % 1000
    if thousands:
        numeral("mille" if thousands == 1 else _below_1000(thousands, final=False) + " mille")
    if n % 1000:
        numeral(_below_1000(n % 1000, final=True))
    return segments


def number_in_words(n: int, *, rectified: bool = False) -> str:
    """Write a whole number in French words: 281 -> "deux cent quatre-vingt-un".

    ``rectified`` uses the 1990 spelling: "deux-cent-quatre-vingt-un".
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < LIMIT:
        raise ValueError(f"can only write whole numbers from 0 to {LIMIT - 1}: {n!r}")
    if n == 0:
        return _UNITS[0]
    return " ".join(
        text.replace(" ", "-") if rectified and is_numeral else text
        for is_numeral, text in _segments(n)
    )


def _split(amount: Decimal) -> tuple[int, int]:
    if (
        not isinstance(amount, Decimal)
        or not amount.is_finite()
        or not 0 <= amount < LIMIT
        or amount != amount.quantize(CENT)  # safe: below LIMIT, well within precision
    ):
        raise ValueError(f"not an amount in euros and cents below {LIMIT}: {amount!r}")
    cents = int(amount.quantize(CENT) * 100)
    return divmod(cents, 100)


def _euros(euros: int, rectified: bool) -> str:
    words = number_in_words(euros, rectified=rectified)
    if euros >= 10**6 and euros % 10**6 == 0:  # the number ends on a noun: "de"
        return words + " d'euros"
    return words + (" euro" if euros < 2 else " euros")


def _cents(cents: int, rectified: bool) -> str:
    return number_in_words(cents, rectified=rectified) + (" centime" if cents == 1 else " centimes")


def amount_in_words(amount: Decimal, *, rectified: bool = False) -> str:
    """Write an amount in euros in French words, as the 1376 mention wants it.

    1500 -> "mille cinq cents euros"; 281.15 -> "deux cent quatre-vingt-un euros et quinze
    centimes"; 1000000 -> "un million d'euros"; 0.01 -> "un centime"; 0 -> "zéro euro".
    """
    euros, cents = _split(amount)
    if not cents:
        return _euros(euros, rectified)
    if not euros:
        return _cents(cents, rectified)
    return f"{_euros(euros, rectified)} et {_cents(cents, rectified)}"


# --- checking what the debtor typed -------------------------------------------------------

# Plural marks never change the value of a French numeral, so a missing or extra s is
# forgiven ("deux cent euros" still says 200 €).
_SINGULAR = {
    "vingts": "vingt",
    "cents": "cent",
    "milles": "mille",
    "millions": "million",
    "milliards": "milliard",
    "billions": "billion",
    "euros": "euro",
    "centimes": "centime",
}


def _normalize(text: str) -> str | None:
    """Reduce typed words to a canonical token string; None if they contain digits.

    Forgiven because they never change the number: case, accents, hyphen versus space,
    repeated spaces, apostrophe style, punctuation, plural s.
    """
    if any(ch.isdigit() for ch in text):
        return None
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    tokens = re.sub(r"[^a-z]+", " ", text).split()
    return " ".join(_SINGULAR.get(token, token) for token in tokens)


def _accepted(amount: Decimal) -> set[str]:
    euros, cents = _split(amount)
    euro_part = _euros(euros, rectified=False) if euros else "zéro euro"
    cent_part = _cents(cents, rectified=False) if cents else "zéro centime"
    forms = {amount_in_words(amount)}
    if cents or euros:
        # "et" before the cents is customary, not required; "zéro euro" / "et zéro
        # centime" are redundant but say the same amount.
        forms |= {f"{euro_part} et {cent_part}", f"{euro_part} {cent_part}"}
    return {form for form in map(_normalize, forms) if form}


def words_match(typed: str, amount: Decimal) -> bool:
    """Tell whether the words the debtor typed denote exactly ``amount``.

    Accepted: the traditional and the 1990 spellings, any case, with or without accents,
    hyphens or spaces, a missing or extra plural s, "et" before the cents or not, and a
    redundant "zéro euro" / "et zéro centime". Refused: anything naming another number,
    digits, a missing unit, and words that are not the French numerals ("vingt un",
    "septante"): strict on the number, lenient on the spelling.
    """
    normalized = _normalize(typed)
    return normalized is not None and normalized in _accepted(amount)


# --- amounts typed in figures -------------------------------------------------------------

_CURRENCY = re.compile(r"^(?:€|eur(?:os?)?)\s*|\s*(?:€|eur(?:os?)?)$", re.IGNORECASE)
_DECIMALS = re.compile(r"(?P<head>.*\d)(?P<mark>[.,])(?P<tail>\d{1,3})")
_GROUPED = re.compile(r"\d{1,3}(?P<mark>[ .,'])\d{3}(?:(?P=mark)\d{3})*")


def parse_amount_figures(typed: str) -> Decimal | None:
    """Read an amount typed in figures, French or international style; None if unsure.

    "1 500,00", "1500", "1.500,00 €", "1500.5", "1,500.00", "1'500" -> 1500.00 etc.
    The thousands mark (space, dot, comma or apostrophe) must group by three. A lone
    dot or comma followed by exactly three digits ("1.500", "1,500") is refused as
    ambiguous; so are more than two decimals, signs and anything but digits.
    """
    text = " ".join(typed.split())  # also folds no-break and thin spaces
    text = _CURRENCY.sub("", text).strip()
    if not text or any(ch not in "0123456789 .,'" for ch in text):
        return None
    integer, decimals, decimal_mark = text, "0", None
    match = _DECIMALS.fullmatch(text)
    if match:
        if len(match["tail"]) == 3 and match["mark"] not in match["head"]:
            return None  # "1.500": thousands or decimals? ambiguous
        if len(match["tail"]) < 3:
            integer, decimals, decimal_mark = match["head"], match["tail"], match["mark"]
    if not integer.isdigit():
        grouped = _GROUPED.fullmatch(integer)
        if grouped is None or grouped["mark"] == decimal_mark:
            return None
    digits = "".join(ch for ch in integer if ch.isdigit())
    if len(digits.lstrip("0")) > _MAX_DIGITS:
        return None  # no debt is that large; and Decimal would overflow its precision
    return Decimal(f"{digits}.{decimals}").quantize(CENT)
