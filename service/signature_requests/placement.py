"""Where the debtor's signature block goes: into the agreement's own signature space.

The échéancier template ends with the debtor's column: a label « Mention "Bon pour accord",
suivie de la somme … en chiffres : », an empty box, « Date et signature : » and another
box. The block covers that space (the mention, the date and the signature are all in it).
The words are found with poppler's ``pdftotext -bbox`` on the last page; when the layout is
not recognised (another template), the block goes to the lower left corner of that page.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import tempfile
from dataclasses import dataclass
from html import unescape
from pathlib import Path

_WORD = re.compile(r'<page width="(?P<pw>[\d.]+)" height="(?P<ph>[\d.]+)">|'
                   r'<word xMin="(?P<x1>[\d.]+)" yMin="(?P<y1>[\d.]+)" '
                   r'xMax="(?P<x2>[\d.]+)" yMax="(?P<y2>[\d.]+)">(?P<text>[^<]*)</word>')
_GAP = 5.0  # points between the block and the text around it
_MIN_HEIGHT, _MAX_HEIGHT = 70.0, 170.0
FALLBACK = (48.0, 44.0, 320.0, 146.0)  # lower left, above a page footer


@dataclass(frozen=True)
class Word:
    x1: float
    top: float
    x2: float
    bottom: float
    text: str


@dataclass(frozen=True)
class Area:
    """A rectangle in PDF user space (origin at the lower left), on the last page."""

    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    def as_box(self) -> tuple[int, int, int, int]:
        return round(self.x1), round(self.y1), round(self.x2), round(self.y2)


def signature_area(pdf: bytes, page_count: int) -> Area:
    words, page_height = _last_page_words(pdf, page_count)
    found = _debtor_space(words, page_height)
    return found or Area(*FALLBACK)


def _debtor_space(words: list[Word], page_height: float) -> Area | None:
    starts = [i for i, w in enumerate(words[:-1])
              if w.text == "Mention" and words[i + 1].text == "«"]
    if not starts:
        return None
    start = starts[-1]
    label = words[start:]
    ends = [i for i, w in enumerate(label) if w.text.startswith("chiffres")]
    if not ends:
        return None
    label_end = label[ends[0]]
    top = label_end.bottom + _GAP
    left = words[start].x1
    right = _creditor_column(words[:start], left) - 3 * _GAP
    below = [w for w in words if w.top > top and w.x1 < right
             and w.text not in ("Date", "et", "signature", ":")]
    bottom = (min(w.top for w in below) - _GAP) if below else top + _MAX_HEIGHT
    bottom = min(bottom, top + _MAX_HEIGHT)
    if bottom - top < _MIN_HEIGHT or right - left < 150:
        return None
    return Area(left, page_height - bottom, right, page_height - top)


def _creditor_column(words: list[Word], left: float) -> float:
    """Where « Le Créancier » starts, on the line of the « Le Débiteur » heading."""
    headings = [w for previous, w in itertools.pairwise(words)
                if previous.text == "Le" and w.text == "Débiteur"]
    if headings:
        heading = headings[-1]
        beside = [w.x1 for w in words
                  if abs(w.top - heading.top) < 2 and w.x1 > heading.x2 + 20]
        if beside:
            return min(beside)
    return left + 260


def _last_page_words(pdf: bytes, page_count: int) -> tuple[list[Word], float]:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "agreement.pdf"
        source.write_bytes(pdf)
        out = subprocess.run(
            ["pdftotext", "-bbox", "-f", str(page_count), "-l", str(page_count), str(source),
             "-"], capture_output=True, text=True, check=True, timeout=60).stdout
    words: list[Word] = []
    page_height = 841.89  # A4, unless the page says otherwise
    for match in _WORD.finditer(out):
        if match["ph"]:
            page_height = float(match["ph"])
            continue
        words.append(Word(float(match["x1"]), float(match["y1"]), float(match["x2"]),
                          float(match["y2"]), unescape(match["text"])))
    return words, page_height
