"""Template versions: which wording a document kind uses, and where its assets live.

Built-in templates (templates/letters, templates/agreements) are seeded as version 1 of each
kind. Versions are immutable: the source is a content-addressed blob named by its sha256;
only a version's status moves. Exactly one version of a kind is published: publishing
another retires it, and publishing an earlier version is a rollback. Each change is in the
kind's audit trail (subject `template:<name>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import audit
from service.config import TEMPLATES_DIR
from service.db import TemplateVersion
from service.errors import Conflict, NotFound, Unprocessable
from service.storage import BlobStore

KIND_ASSETS: dict[str, Path] = {
    "relance": TEMPLATES_DIR / "letters",
    "mise_en_demeure": TEMPLATES_DIR / "letters",
    "echeancier": TEMPLATES_DIR / "agreements",
}
BUILT_IN_AUTHOR = "built-in"
DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"


@dataclass(frozen=True)
class TemplateSource:
    """What the renderer needs: the wording, its identity, and the folder of its assets."""

    name: str
    version: int
    sha256: str
    format: str
    text: str
    assets_dir: Path
    data: bytes = b""  # the stored file as uploaded (a .docx is binary: `text` is then "")


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
    data = store.get(row.sha256)
    text = data.decode("utf-8-sig") if row.format == "html" else ""
    return TemplateSource(name=row.name, version=row.version, sha256=row.sha256,
                          format=row.format, text=text, assets_dir=KIND_ASSETS[row.name],
                          data=data)


def require_kind(name: str) -> None:
    if name not in KIND_ASSETS:
        raise NotFound(f"no template kind {name!r}; kinds: {', '.join(KIND_ASSETS)}",
                       code="unknown_template")


def versions(session: Session, name: str) -> list[TemplateVersion]:
    require_kind(name)
    return list(session.scalars(select(TemplateVersion).where(TemplateVersion.name == name)
                                .order_by(TemplateVersion.version)))


def published_versions(session: Session) -> dict[str, TemplateVersion]:
    rows = session.scalars(select(TemplateVersion).where(TemplateVersion.status == PUBLISHED))
    return {row.name: row for row in rows}


def get_version(session: Session, name: str, version: int) -> TemplateVersion:
    require_kind(name)
    found = session.scalar(select(TemplateVersion).where(
        TemplateVersion.name == name, TemplateVersion.version == version))
    if found is None:
        raise NotFound(f"template {name} has no version {version}",
                       code="unknown_template_version")
    return found


def add_version(session: Session, store: BlobStore, name: str, *, data: bytes, fmt: str,
                note: str, author: str) -> TemplateVersion:
    """A new draft of `name` (checked beforehand by service.authoring.validation)."""
    require_kind(name)
    sha = store.put(data)
    latest = session.scalar(select(func.max(TemplateVersion.version))
                            .where(TemplateVersion.name == name)) or 0
    row = TemplateVersion(name=name, version=latest + 1, status=DRAFT, format=fmt, sha256=sha,
                          note=note, author=author)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # another upload took the number: the caller may simply retry
        raise Conflict(f"another version of {name} was uploaded at the same moment; "
                       "send the file again", code="version_race") from None
    audit.append(session, f"template:{name}", author, [audit.PendingEvent(
        "template.uploaded", {"version": row.version, "sha256": sha, "format": fmt,
                              "note": note})])
    return row


def publish(session: Session, name: str, version: int, actor: str) -> TemplateVersion:
    """Make `version` the one new documents use; the previously published one is retired."""
    rows = {row.version: row for row in session.scalars(
        select(TemplateVersion).where(TemplateVersion.name == name).with_for_update())}
    target = rows.get(version) or get_version(session, name, version)
    previous = next((row for row in rows.values() if row.status == PUBLISHED), None)
    if previous is target:
        return target
    if previous is not None:
        previous.status = RETIRED
        session.flush()  # one published row at a time, even inside the transaction
    target.status = PUBLISHED
    session.flush()
    audit.append(session, f"template:{name}", actor, [audit.PendingEvent(
        "template.published", {
            "version": version, "sha256": target.sha256,
            "previous": previous.version if previous else None,
            "rollback": previous is not None and version < previous.version})])
    return target


def retire(session: Session, name: str, version: int, actor: str) -> TemplateVersion:
    """Take a draft out of use; the published version cannot be (publish another first)."""
    target = get_version(session, name, version)
    if target.status == PUBLISHED:
        raise Conflict(f"version {version} of {name} is the published one: publish another "
                       "version first", code="template_published")
    if target.status != RETIRED:
        target.status = RETIRED
        audit.append(session, f"template:{name}", actor, [audit.PendingEvent(
            "template.retired", {"version": version, "sha256": target.sha256})])
    return target

