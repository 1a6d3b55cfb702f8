"""batches: a durable queue of document requests; webhooks with their own target

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.String(length=40), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("api_key_id", "idempotency_key", name="uq_batches_idempotency"),
    )
    op.create_table(
        "batch_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.String(length=40), sa.ForeignKey("batches.id"), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document_id", sa.String(length=40), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
    )
    op.create_index("ix_batch_items_claim", "batch_items", ["status", "id"])
    op.create_index("ix_batch_items_batch", "batch_items", ["batch_id", "status"])
    with op.batch_alter_table("signature_outbox") as table:
        table.add_column(sa.Column("target", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signature_outbox") as table:
        table.drop_column("target")
    op.drop_index("ix_batch_items_batch", table_name="batch_items")
    op.drop_index("ix_batch_items_claim", table_name="batch_items")
    op.drop_table("batch_items")
    op.drop_table("batches")
