"""signature requests remember the revision their final seal signed, to be recognised;
a table of per-address counters for the public verification page

Revision ID: 0009_verification
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_verification"
down_revision = "0007_races"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signature_requests") as table:
        table.add_column(sa.Column("signed_revision_sha256", sa.String(length=64),
                                   nullable=True))
        table.create_index("ix_signature_requests_signed_revision_sha256",
                           ["signed_revision_sha256"])
        table.create_index("ix_signature_requests_signed_pdf_sha256", ["signed_pdf_sha256"])
    # Up to B-T the seal covers the whole signed file: its revision is the file itself.
    # (A B-LT/B-LTA signed file made before this revision is still found by its own hash.)
    op.execute("UPDATE signature_requests SET signed_revision_sha256 = signed_pdf_sha256 "
               "WHERE signed_pdf_sha256 IS NOT NULL")
    op.create_table(
        "rate_windows",
        sa.Column("key", sa.String(length=64), primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("count", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_windows")
    with op.batch_alter_table("signature_requests") as table:
        table.drop_index("ix_signature_requests_signed_pdf_sha256")
        table.drop_index("ix_signature_requests_signed_revision_sha256")
        table.drop_column("signed_revision_sha256")
