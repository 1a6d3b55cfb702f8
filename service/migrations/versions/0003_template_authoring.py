"""template authoring: staff accounts, the filled DOCX of a document

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("email", name="uq_staff_accounts_email"),
    )
    with op.batch_alter_table("documents") as batch_op:
        batch_op.add_column(sa.Column("docx_sha256", sa.String(length=64), nullable=True))
    # Exactly one published version per kind, whatever the code does (partial index:
    # SQLite and PostgreSQL both have them).
    published = sa.text("status = 'published'")
    op.create_index("uq_template_versions_published", "template_versions", ["name"],
                    unique=True, sqlite_where=published, postgresql_where=published)


def downgrade() -> None:
    op.drop_index("uq_template_versions_published", table_name="template_versions")
    with op.batch_alter_table("documents") as batch_op:
        batch_op.drop_column("docx_sha256")
    op.drop_table("staff_accounts")
