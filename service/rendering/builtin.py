"""Where the built-in templates (version 1 of each) and what they share live.

The files under ``templates/`` are the seed versions: the service stores template
sources in its database and renders those, with the asset folder named here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
# Fonts, the stylesheets every document gets, and partials any template may include.
SHARED_DIR = TEMPLATES_DIR / "shared"
LETTERS_DIR = TEMPLATES_DIR / "letters"
AGREEMENTS_DIR = TEMPLATES_DIR / "agreements"


@dataclass(frozen=True)
class BuiltinTemplate:
    """A built-in template: its source file and the asset folder it renders with."""

    name: str
    path: Path

    @property
    def assets_dir(self) -> Path:
        return self.path.parent

    def source(self) -> str:
        return self.path.read_text(encoding="utf-8")


BUILTIN: dict[str, BuiltinTemplate] = {
    "relance": BuiltinTemplate("relance", LETTERS_DIR / "relance.html"),
    "mise_en_demeure": BuiltinTemplate("mise_en_demeure", LETTERS_DIR / "mise_en_demeure.html"),
    "echeancier": BuiltinTemplate("echeancier", AGREEMENTS_DIR / "echeancier.html"),
}
