"""Workspaces: every key, and every resource it makes, belongs to exactly one.

A collection agency runs one Amiable for several creditors; each gets a workspace. A
resource of another workspace is answered 404, never 403: ids are printed in QR codes and
are not secret, so a 403 would confirm that an id exists. Keys with the `admin` role of the
operator (the key in AMIABLE_API_KEY) see every workspace.

Every use case asks one of the two functions below, so the rule lives in one place. The
workspaces themselves (webhook secret, batch quota) are in `registry`.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

DEFAULT_WORKSPACE = "default"

Stmt = TypeVar("Stmt")


class HasWorkspace(Protocol):
    workspace: str

    def sees_all_workspaces(self) -> bool: ...


def visible_to(caller: HasWorkspace, workspace: str) -> bool:
    """May `caller` see a resource that belongs to `workspace`?"""
    return caller.sees_all_workspaces() or caller.workspace == workspace


def scoped(stmt: Stmt, column: Any, caller: HasWorkspace) -> Stmt:
    """`stmt` (a SQLAlchemy select) limited to what `caller` may see."""
    if caller.sees_all_workspaces():
        return stmt
    return stmt.where(column == caller.workspace)  # type: ignore[attr-defined]
