"""a semester's legal rates may be unknown (the ECB rate is known first)

Revision ID: 0008_rates
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_rates"
down_revision = "0009_verification"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rates") as table:
        table.alter_column("legal_rate_individual", existing_type=sa.String(length=12),
                           nullable=True)
        table.alter_column("legal_rate_other", existing_type=sa.String(length=12),
                           nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("rates") as table:
        table.alter_column("legal_rate_individual", existing_type=sa.String(length=12),
                           nullable=False)
        table.alter_column("legal_rate_other", existing_type=sa.String(length=12),
                           nullable=False)
