"""Template versions: which wording a document kind uses, and where its assets live.

Built-in templates (templates/letters, templates/agreements) are seeded as version 1 of each
kind. Versions are immutable: the source is a content-addressed blob named by its sha256.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service import audit
from service.config import TEMPLATES_DIR
from service.db import TemplateVersion
from service.errors import NotFound, Unprocessable
from service.storage import BlobStore

KIND_ASSETS: dict[str, Path] = {
    "relance": TEMPLATES_DIR / "letters",
    "mise_en_demeure": TEMPLATES_DIR / "letters",
    "echeancier": TEMPLATES_DIR / "agreements",
}
BUILT_IN_AUTHOR = "built-in"


@dataclass(frozen=True)
class TemplateSource:
    """What the renderer needs: the wording, its identity, and the folder of its assets."""

    name: str
    version: int
    sha256: str
    format: str
    text: str
    assets_dir: Path


def builtin_path(name: str) -> Path:
    return KIND_ASSETS[name] / f"{name}.html"


def seed_builtins(session: Session, store: BlobStore) -> None:
    """Make each built-in template version 1 of its kind, once."""
    for name in KIND_ASSETS:
        if session.scalar(select(func.count()).where(TemplateVersion.name == name)):
            continue
        sha = store.put(builtin_path(name).read_bytes())
        session.add(TemplateVersion(name=name, version=1, status="published", format="html",
                                    sha256=sha, note="built-in wording", author=BUILT_IN_AUTHOR))
        audit.append(session, f"template:{name}", BUILT_IN_AUTHOR,
                     [audit.PendingEvent("template.published", {"version": 1, "sha256": sha})])


def resolve(session: Session, name: str, version: int | None) -> TemplateVersion:
    """The published version of `name`, or the one the request names."""
    query = select(TemplateVersion).where(TemplateVersion.name == name)
    if version is None:
        found = session.scalar(query.where(TemplateVersion.status == "published"))
        if found is None:
            raise NotFound(f"no published template for {name}")
        return found
    found = session.scalar(query.where(TemplateVersion.version == version))
    if found is None:
        raise Unprocessable(f"template {name} has no version {version}",
                            code="unknown_template_version",
                            details=[{"field": "template_version",
                                      "message": f"no version {version} of {name}"}])
    return found


def load_source(store: BlobStore, row: TemplateVersion) -> TemplateSource:
    return TemplateSource(name=row.name, version=row.version, sha256=row.sha256,
                          format=row.format, text=store.get(row.sha256).decode("utf-8"),
                          assets_dir=KIND_ASSETS[row.name])
