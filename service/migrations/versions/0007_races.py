"""races: staff sign-in lockout, per-address throttle and session version; signing visits

Revision ID: 0007_races
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_races"
down_revision = "0006_workspaces"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_accounts") as table:
        table.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False,
                                   server_default="0"))
        table.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("session_version", sa.Integer(), nullable=False,
                                   server_default="0"))
    op.create_table(
        "staff_login_throttle",
        sa.Column("address", sa.String(length=64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "signing_visits",
        sa.Column("request_id", sa.String(length=40), primary_key=True),
        sa.Column("session_ref", sa.String(length=32), primary_key=True),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("signing_visits")
    op.drop_table("staff_login_throttle")
    with op.batch_alter_table("staff_accounts") as table:
        table.drop_column("session_version")
        table.drop_column("locked_until")
        table.drop_column("failed_logins")
