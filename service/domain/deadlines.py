"""Deadlines counted in days, the CPC way, on the debtor's local calendar.

* CPC 641: "Lorsqu'un délai est exprimé en jours, celui de l'acte, de l'événement, de la
  décision ou de la notification qui le fait courir ne compte pas": start + days.
* CPC 642: "Tout délai expire le dernier jour à vingt-quatre heures. Le délai qui
  expirerait normalement un samedi, un dimanche ou un jour férié ou chômé est prorogé
  jusqu'au premier jour ouvrable suivant."

A mise en demeure's contractual deadline is not formally a procedural time limit, but
the Cour de cassation applies 641/642 to time limits generally (Civ. 2e, 1 Oct. 2020,
n° 19-17.797); applying them never lets a debtor's deadline expire on a day off.

Public holidays (C. trav. L3133-1) come from the ``holidays`` package, France calendar:
1 Jan, Easter Monday, 1 May, 8 May, Ascension, Whit Monday, 14 Jul, 15 Aug, 1 Nov,
11 Nov, 25 Dec. The debtor's postal code selects a local calendar:

* Moselle (57), Bas-Rhin (67), Haut-Rhin (68), C. trav. L3134-13: also Good Friday and
  26 December. L3134-13 makes Good Friday a holiday only "dans les communes ayant un
  temple protestant ou une église mixte"; a postal code cannot tell, so it is treated as
  a holiday throughout the three départements (it can only lengthen a deadline).
* Overseas départements and collectivités (C. trav. L3422-2 and the package's sources):
  Guadeloupe 971, Martinique 972, Guyane 973, La Réunion 974, Mayotte 976, and
  Saint-Barthélemy 97133 / Saint-Martin 97150 (postal codes inside 971).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays

_ONE_DAY = timedelta(days=1)

# Postal-code prefix -> subdivision of holidays.France; the longest prefix wins.
_REGIONS: dict[str, str] = {
    "57": "57",  # Moselle
    "67": "6AE",  # Bas-Rhin (Alsace)
    "68": "6AE",  # Haut-Rhin (Alsace)
    "971": "971",  # Guadeloupe
    "97133": "BL",  # Saint-Barthélemy
    "97150": "MF",  # Saint-Martin
    "972": "972",  # Martinique
    "973": "973",  # Guyane
    "974": "974",  # La Réunion
    "976": "976",  # Mayotte
}


def region_of(postal_code: str) -> str | None:
    """Return the holidays subdivision for a French postal code (None: the general one)."""
    code = "".join(postal_code.split())
    for prefix in sorted(_REGIONS, key=len, reverse=True):
        if code.startswith(prefix):
            return _REGIONS[prefix]
    return None


@cache
def _holidays(region: str | None, year: int) -> frozenset[date]:
    # One frozen set per calendar and year: pure, cheap to share between threads.
    return frozenset(holidays.France(years=year, subdiv=region))


def is_working_day(day: date, postal_code: str = "") -> bool:
    """Tell whether ``day`` is neither a weekend day nor a public holiday (CPC 642)."""
    return day.weekday() < 5 and day not in _holidays(region_of(postal_code), day.year)


def deadline(start: date, days: int, postal_code: str = "") -> date:
    """Return the last day of a ``days``-day time limit that starts on ``start``.

    The day of ``start`` does not count (CPC 641); a deadline falling on a Saturday,
    Sunday or public holiday moves to the next working day (CPC 642).
    """
    if days < 0:
        raise ValueError(f"a time limit cannot be negative: {days}")
    end = start + timedelta(days=days)
    while not is_working_day(end, postal_code):
        end += _ONE_DAY
    return end
