"""signature requests (debtor signing)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signature_requests",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("document_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("signer_name", sa.String(length=200), nullable=False),
        sa.Column("signer_email", sa.String(length=254), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("api_key_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("page_sha256s", sa.JSON(), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=True),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("code_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("codes_sent", sa.Integer(), nullable=False),
        sa.Column("code_failures", sa.Integer(), nullable=False),
        sa.Column("signed_pdf_sha256", sa.String(length=64), nullable=True),
        sa.UniqueConstraint("token_sha256", name="uq_signature_requests_token"),
    )
    op.create_index("ix_signature_requests_document", "signature_requests",
                    ["document_id", "status"])
    # one pending request per document, enforced by the database (SQLite and PostgreSQL)
    pending = sa.text("status = 'pending'")
    op.create_index("uq_signature_requests_pending", "signature_requests", ["document_id"],
                    unique=True, sqlite_where=pending, postgresql_where=pending)
    op.create_table(
        "signature_outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_signature_outbox_due", "signature_outbox", ["done_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_signature_outbox_due", table_name="signature_outbox")
    op.drop_table("signature_outbox")
    op.drop_index("uq_signature_requests_pending", table_name="signature_requests")
    op.drop_index("ix_signature_requests_document", table_name="signature_requests")
    op.drop_table("signature_requests")
