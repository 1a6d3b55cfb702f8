"""documents remember the hash of the revision their seal signed

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as table:
        table.add_column(sa.Column("seal_revision_sha256", sa.String(length=64), nullable=True))
        table.create_index("ix_documents_seal_revision_sha256", ["seal_revision_sha256"])


def downgrade() -> None:
    with op.batch_alter_table("documents") as table:
        table.drop_index("ix_documents_seal_revision_sha256")
        table.drop_column("seal_revision_sha256")
