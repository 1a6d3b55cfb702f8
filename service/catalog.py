"""Template versions: which wording a document kind uses, and where its assets live.

Built-in templates (templates/letters, templates/agreements) are seeded as version 1 of each
kind, in the shared pseudo-workspace `*`: every workspace sees them. A workspace's own
versions are numbered after them (2, 3, …, per workspace) and seen by it alone. Versions are
immutable: the source is a content-addressed blob named by its sha256; only a version's
status moves. In a workspace exactly one version of a kind is published: its own published
version if it has one, else the built-in; publishing another retires it, publishing an
earlier version is a rollback. Only the published version issues new documents: a draft
never does, a retired one only reproduces an existing document. Each change is in the
kind's audit trail of the workspace (`history_subject`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import audit
from service.config import TEMPLATES_DIR
from service.db import TemplateVersion
from service.errors import Conflict, NotFound, Unprocessable
from service.storage import BlobStore
from service.workspaces import DEFAULT_WORKSPACE

KIND_ASSETS: dict[str, Path] = {
    "relance": TEMPLATES_DIR / "letters",
    "mise_en_demeure": TEMPLATES_DIR / "letters",
    "echeancier": TEMPLATES_DIR / "agreements",
}
BUILT_IN_AUTHOR = "built-in"
BUILT_IN = "*"  # the workspace of the built-in versions (no slug can be "*")
BUILT_IN_VERSION = 1
DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"


@dataclass(frozen=True)
class VersionView:
    """A version as one workspace sees it: the built-in's status depends on the viewer
    (retired for a workspace that published its own), so rows are never handed out."""

    name: str
    version: int
    status: str
    format: str
    sha256: str
    note: str
    author: str
    created_at: datetime
    workspace: str

    @property
    def builtin(self) -> bool:
        return self.workspace == BUILT_IN


def _view(row: TemplateVersion) -> VersionView:
    return VersionView(name=row.name, version=row.version, status=row.status,
                       format=row.format, sha256=row.sha256, note=row.note,
                       author=row.author, created_at=row.created_at,
                       workspace=row.workspace)


def history_subject(name: str, workspace: str) -> str:
    """The audit subject of a kind's versions in a workspace (the operator's keeps the
    subject it had before workspaces, with the built-in's publication)."""
    return f"template:{name}" if workspace == DEFAULT_WORKSPACE else f"template:{workspace}:{name}"


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
        if session.scalar(select(func.count()).where(TemplateVersion.name == name,
                                                     TemplateVersion.workspace == BUILT_IN)):
            continue
        sha = store.put(builtin_path(name).read_bytes())
        session.add(TemplateVersion(name=name, version=BUILT_IN_VERSION, status=PUBLISHED,
                                    format="html", sha256=sha, note="built-in wording",
                                    author=BUILT_IN_AUTHOR, workspace=BUILT_IN))
        audit.append(session, history_subject(name, DEFAULT_WORKSPACE), BUILT_IN_AUTHOR,
                     [audit.PendingEvent("template.published", {"version": 1, "sha256": sha})])


def versions(session: Session, name: str, workspace: str) -> list[VersionView]:
    """The versions `workspace` sees (the built-in and its own), oldest first."""
    require_kind(name)
    rows = list(session.scalars(select(TemplateVersion).where(
        TemplateVersion.name == name, TemplateVersion.workspace.in_((BUILT_IN, workspace)))
        .order_by(TemplateVersion.version)))
    own_published = any(r.status == PUBLISHED and r.workspace != BUILT_IN for r in rows)
    views = [_view(r) for r in rows]
    return [replace(v, status=RETIRED) if v.builtin and own_published else v for v in views]


def published_versions(session: Session, workspace: str) -> dict[str, VersionView]:
    found = {}
    for name in KIND_ASSETS:
        published = _published(versions(session, name, workspace))
        if published is not None:
            found[name] = published
    return found


def _published(views: list[VersionView]) -> VersionView | None:
    return next((v for v in views if v.status == PUBLISHED), None)


def get_version(session: Session, name: str, version: int, workspace: str) -> VersionView:
    found = next((v for v in versions(session, name, workspace) if v.version == version), None)
    if found is None:
        raise NotFound(f"template {name} has no version {version}",
                       code="unknown_template_version")
    return found


def resolve(session: Session, name: str, version: int | None, workspace: str, *,
            reproduction: bool = False) -> VersionView:
    """The version a new document of `workspace` is made with: the published one, or the one
    the request names, which must be published too. A draft never issues a document (it is
    previewed); a retired version is re-rendered only to reproduce an existing document
    (`reproduction`)."""
    views = versions(session, name, workspace)
    published = _published(views)
    if version is None:
        if published is None:
            raise NotFound(f"no published template for {name}")
        return published
    found = next((v for v in views if v.version == version), None)
    if found is None:
        raise _unusable(f"template {name} has no version {version}",
                        "unknown_template_version", f"no version {version} of {name}")
    now = f"; new documents use the published version {published.version}" if published else ""
    if found.status == DRAFT:
        raise _unusable(f"version {version} of {name} is a draft: a draft "
                        f"issues no document (preview it, or publish it first){now}",
                        "template_not_published", "a draft cannot issue a document")
    if found.status == RETIRED and not reproduction:
        raise _unusable(f"version {version} of {name} is retired: it is only "
                        f"re-rendered to reproduce a document made with it{now}",
                        "template_retired", "a retired version cannot issue a new document")
    return found


def _unusable(message: str, code: str, detail: str) -> Unprocessable:
    return Unprocessable(message, code=code,
                         details=[{"field": "template_version", "message": detail}])


def load_source(store: BlobStore, row: VersionView) -> TemplateSource:
    data = store.get(row.sha256)
    text = data.decode("utf-8-sig") if row.format == "html" else ""
    return TemplateSource(name=row.name, version=row.version, sha256=row.sha256,
                          format=row.format, text=text, assets_dir=KIND_ASSETS[row.name],
                          data=data)


def require_kind(name: str) -> None:
    if name not in KIND_ASSETS:
        raise NotFound(f"no template kind {name!r}; kinds: {', '.join(KIND_ASSETS)}",
                       code="unknown_template")


def add_version(session: Session, store: BlobStore, name: str, workspace: str, *, data: bytes,
                fmt: str, note: str, author: str) -> VersionView:
    """A new draft of `name` in `workspace` (checked beforehand by
    service.authoring.validation), numbered after every version the workspace sees."""
    require_kind(name)
    sha = store.put(data)
    latest = session.scalar(select(func.max(TemplateVersion.version)).where(
        TemplateVersion.name == name,
        TemplateVersion.workspace.in_((BUILT_IN, workspace)))) or 0
    row = TemplateVersion(name=name, version=latest + 1, status=DRAFT, format=fmt, sha256=sha,
                          note=note, author=author, workspace=workspace)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # another upload took the number: the caller may simply retry
        raise Conflict(f"another version of {name} was uploaded at the same moment; "
                       "send the file again", code="version_race") from None
    audit.append(session, history_subject(name, workspace), author, [audit.PendingEvent(
        "template.uploaded", {"version": row.version, "sha256": sha, "format": fmt,
                              "note": note})])
    return _view(row)


def _own_rows(session: Session, name: str, workspace: str) -> dict[int, TemplateVersion]:
    return {row.version: row for row in session.scalars(
        select(TemplateVersion).where(TemplateVersion.name == name,
                                      TemplateVersion.workspace == workspace)
        .with_for_update())}


def publish(session: Session, name: str, version: int, actor: str,
            workspace: str) -> VersionView:
    """Make `version` the one new documents of `workspace` use; the one published before is
    retired. Publishing the built-in retires the workspace's own published version."""
    own = _own_rows(session, name, workspace)
    target = get_version(session, name, version, workspace)
    previous = next((row for row in own.values() if row.status == PUBLISHED), None)
    previous_version = previous.version if previous else BUILT_IN_VERSION
    if previous_version == version:
        return target
    if previous is not None:
        previous.status = RETIRED
        session.flush()  # one published row at a time, even inside the transaction
    if not target.builtin:
        own[version].status = PUBLISHED
        session.flush()
    audit.append(session, history_subject(name, workspace), actor, [audit.PendingEvent(
        "template.published", {
            "version": version, "sha256": target.sha256, "previous": previous_version,
            "rollback": version < previous_version})])
    return get_version(session, name, version, workspace)


def retire(session: Session, name: str, version: int, actor: str,
           workspace: str) -> VersionView:
    """Take a draft out of use; the published version cannot be (publish another first)."""
    target = get_version(session, name, version, workspace)
    if target.builtin:
        raise Conflict(f"version {version} of {name} is the built-in wording, shared by every "
                       "workspace: publish another version instead", code="template_builtin")
    if target.status == PUBLISHED:
        raise Conflict(f"version {version} of {name} is the published one: publish another "
                       "version first", code="template_published")
    if target.status != RETIRED:
        _own_rows(session, name, workspace)[version].status = RETIRED
        audit.append(session, history_subject(name, workspace), actor, [audit.PendingEvent(
            "template.retired", {"version": version, "sha256": target.sha256})])
    return get_version(session, name, version, workspace)
