"""The 1376 mention: the amount acknowledged, typed by the debtor in words and in figures."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from service.domain.words import parse_amount_figures, words_match


@dataclass(frozen=True)
class MentionCheck:
    words_ok: bool
    figures_ok: bool

    @property
    def ok(self) -> bool:
        return self.words_ok and self.figures_ok

    def message_fr(self) -> str | None:
        """What to tell the debtor; the words come first because they prevail (1376)."""
        if not self.words_ok:
            return ("Le montant écrit en toutes lettres ne correspond pas à la somme reconnue. "
                    "Écrivez-le en lettres, par exemple « mille deux cents euros et "
                    "cinquante centimes ».")
        if not self.figures_ok:
            return ("Le montant écrit en chiffres ne correspond pas au montant en lettres. "
                    "Écrivez-le en chiffres, par exemple « 1 200,50 € ».")
        return None


def check_mention(words: str, figures: str, amount: Decimal) -> MentionCheck:
    return MentionCheck(words_ok=words_match(words, amount),
                        figures_ok=parse_amount_figures(figures) == amount)


def acknowledged_amount(figures: dict[str, Any]) -> Decimal:
    """The sum the debtor acknowledges in the plan (its Article 2), and so types: the whole
    debt, unless the plan leaves the penalties out as reserved (claim mode "mention"), then
    what it claims. Documents from before the claim modes have no "claim": the total."""
    if figures.get("claim") == "mention":
        return Decimal(figures["claimed"])
    return Decimal(figures["total"])
