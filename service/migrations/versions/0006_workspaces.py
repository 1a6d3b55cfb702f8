"""workspaces: every key and every resource belongs to one; idempotency keys per workspace

Revision ID: 0006_workspaces
Revises: 0005

Existing rows all go to the `default` workspace (the operator's). Built-in template versions
move to the shared pseudo-workspace `*` (no slug can be `*`): every workspace sees them, and
each workspace's own published version wins over them for its documents, so a built-in row
stays `published` for good.
"""

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006_workspaces"
down_revision = "0005"
branch_labels = None
depends_on = None

DEFAULT = "default"
BUILT_IN = "*"
# Tables that only gain the column (no constraint changes: SQLite adds it in place).
PLAIN = ("api_keys", "signature_requests", "batch_items", "signature_outbox", "staff_accounts")


def _workspace_column() -> sa.Column:
    return sa.Column("workspace", sa.String(length=64), nullable=False,
                     server_default=DEFAULT)


def upgrade() -> None:
    workspaces = op.create_table(
        "workspaces",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("webhook_secret", sa.String(length=100), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("max_pending_items", sa.Integer(), nullable=False,
                  server_default="50000"),
    )
    op.bulk_insert(workspaces, [{
        "id": DEFAULT, "name": "Opérateur", "created_at": datetime.now(UTC),
        "webhook_secret": "whsec_" + secrets.token_urlsafe(32), "webhook_url": None,
        "max_pending_items": 50000}])

    for table in PLAIN:
        with op.batch_alter_table(table) as batch:
            batch.add_column(_workspace_column())
            batch.create_index(f"ix_{table}_workspace", ["workspace"])
    op.create_index("ix_batch_items_workspace_status", "batch_items", ["workspace", "status"])

    # Idempotency keys were per API key; they are per workspace now.
    with op.batch_alter_table("documents") as batch:
        batch.add_column(_workspace_column())
        batch.create_index("ix_documents_workspace", ["workspace"])
        batch.drop_constraint("uq_documents_idempotency", type_="unique")
        batch.create_unique_constraint("uq_documents_idempotency",
                                       ["workspace", "idempotency_key"])
    with op.batch_alter_table("batches") as batch:
        batch.add_column(_workspace_column())
        batch.create_index("ix_batches_workspace", ["workspace"])
        batch.drop_constraint("uq_batches_idempotency", type_="unique")
        batch.create_unique_constraint("uq_batches_idempotency",
                                       ["workspace", "idempotency_key"])

    # Template versions are numbered per workspace (built-ins are version 1 of everyone).
    op.drop_index("uq_template_versions_published", table_name="template_versions")
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # 0001 left the (name, version) constraint unnamed; a naming convention names it
        # when batch mode reflects the table, so it can be dropped.
        with op.batch_alter_table("template_versions", naming_convention={
                "uq": "uq_%(table_name)s_%(column_0_name)s"}) as batch:
            batch.drop_constraint("uq_template_versions_name", type_="unique")
    else:
        op.drop_constraint("template_versions_name_version_key", "template_versions",
                           type_="unique")
    with op.batch_alter_table("template_versions") as batch:
        batch.add_column(_workspace_column())
        batch.create_unique_constraint("uq_template_versions_workspace",
                                       ["workspace", "name", "version"])
    op.execute(sa.text(f"UPDATE template_versions SET workspace = '{BUILT_IN}', "
                       "status = 'published' WHERE author = 'built-in'"))
    published = sa.text("status = 'published'")
    op.create_index("uq_template_versions_published", "template_versions",
                    ["workspace", "name"], unique=True, sqlite_where=published,
                    postgresql_where=published)


def downgrade() -> None:
    op.drop_index("uq_template_versions_published", table_name="template_versions")
    with op.batch_alter_table("template_versions") as batch:
        batch.drop_constraint("uq_template_versions_workspace", type_="unique")
        batch.drop_column("workspace")
        batch.create_unique_constraint("uq_template_versions_name", ["name", "version"])
    published = sa.text("status = 'published'")
    op.create_index("uq_template_versions_published", "template_versions", ["name"],
                    unique=True, sqlite_where=published, postgresql_where=published)
    for table, columns in (("documents", ["api_key_id", "idempotency_key"]),
                           ("batches", ["api_key_id", "idempotency_key"])):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_idempotency", type_="unique")
            batch.create_unique_constraint(f"uq_{table}_idempotency", columns)
            batch.drop_index(f"ix_{table}_workspace")
            batch.drop_column("workspace")
    op.drop_index("ix_batch_items_workspace_status", table_name="batch_items")
    for table in PLAIN:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_workspace")
            batch.drop_column("workspace")
    op.drop_table("workspaces")
