"""the case file: creditor profiles, cases, promises to pay; documents and signature
requests name their case; indexes for the listings

Revision ID: 0010_cases
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_cases"
down_revision = "0008_rates"
branch_labels = None
depends_on = None


def _workspace() -> sa.Column:
    return sa.Column("workspace", sa.String(length=64), nullable=False, server_default="default")


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def _indexes(table: str) -> set[str]:
    return {i["name"] for i in sa.inspect(op.get_bind()).get_indexes(table)}


def upgrade() -> None:
    op.create_table(
        "creditor_profiles",
        sa.Column("id", sa.String(length=40), primary_key=True),
        _workspace(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("siren", sa.String(length=9), nullable=True),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("logo_sha256", sa.String(length=64), nullable=True),
        sa.Column("logo_media_type", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_creditor_profiles_workspace", "creditor_profiles", ["workspace"])
    op.create_index("ix_creditor_profiles_siren", "creditor_profiles", ["siren"])
    op.create_index("ix_creditor_profiles_ws_created", "creditor_profiles",
                    ["workspace", "created_at", "id"])

    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=40), primary_key=True),
        _workspace(),
        sa.Column("creditor_id", sa.String(length=40), nullable=False),
        sa.Column("debtor", sa.JSON(), nullable=False),
        sa.Column("debtor_name", sa.String(length=200), nullable=False),
        sa.Column("invoices", sa.JSON(), nullable=False),
        sa.Column("external_reference", sa.String(length=100), nullable=True),
        sa.Column("payment_reference", sa.String(length=35), nullable=False, unique=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("first_letter", sa.JSON(), nullable=True),
        sa.Column("events_count", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_cases_workspace", "cases", ["workspace"])
    op.create_index("ix_cases_ws_created", "cases", ["workspace", "created_at", "id"])
    op.create_index("ix_cases_ws_status_created", "cases",
                    ["workspace", "status", "created_at", "id"])
    op.create_index("ix_cases_ws_creditor_created", "cases",
                    ["workspace", "creditor_id", "created_at", "id"])
    op.create_index("ix_cases_ws_debtor", "cases", ["workspace", "debtor_name"])
    op.create_index("ix_cases_ws_external", "cases", ["workspace", "external_reference"])
    if op.get_bind().dialect.name == "postgresql":
        # A case-insensitive prefix of the debtor's name (GET /v1/cases?debtor=, q=) as an
        # index range: text_pattern_ops makes LIKE 'abc%' usable whatever the collation.
        op.execute("CREATE INDEX ix_cases_ws_debtor_lower ON cases "
                   "(workspace, lower(debtor_name) text_pattern_ops)")

    op.create_table(
        "case_promises",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _workspace(),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("event_hash", sa.String(length=64), nullable=False),
        sa.Column("promised_on", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_case_promises_workspace", "case_promises", ["workspace"])
    op.create_index("ix_case_promises_case_id", "case_promises", ["case_id"])
    op.create_index("ix_case_promises_due", "case_promises", ["status", "due_date"])

    # The workspaces migration (0006) may already have given these tables their column.
    for table, extra in (("documents", ["case_id", "external_reference"]),
                         ("signature_requests", ["case_id"])):
        existing = _columns(table)
        with op.batch_alter_table(table) as batch:
            if "workspace" not in existing:
                batch.add_column(_workspace())
            if "case_id" not in existing:
                batch.add_column(sa.Column("case_id", sa.String(length=40), nullable=True))
            if "external_reference" in extra and "external_reference" not in existing:
                batch.add_column(sa.Column("external_reference", sa.String(length=100),
                                           nullable=True))
        if f"ix_{table}_workspace" not in _indexes(table):
            op.create_index(f"ix_{table}_workspace", table, ["workspace"])
    op.create_index("ix_documents_ws_created", "documents", ["workspace", "created_at", "id"])
    op.create_index("ix_documents_ws_kind_created", "documents",
                    ["workspace", "kind", "created_at", "id"])
    op.create_index("ix_documents_ws_case_created", "documents",
                    ["workspace", "case_id", "created_at", "id"])
    op.create_index("ix_documents_ws_external", "documents", ["workspace", "external_reference"])
    op.create_index("ix_signature_requests_ws_created", "signature_requests",
                    ["workspace", "created_at", "id"])
    op.create_index("ix_signature_requests_ws_case", "signature_requests",
                    ["workspace", "case_id", "created_at", "id"])


def downgrade() -> None:
    for name, table in (("ix_signature_requests_ws_case", "signature_requests"),
                        ("ix_signature_requests_ws_created", "signature_requests"),
                        ("ix_documents_ws_external", "documents"),
                        ("ix_documents_ws_case_created", "documents"),
                        ("ix_documents_ws_kind_created", "documents"),
                        ("ix_documents_ws_created", "documents")):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("signature_requests") as batch:
        batch.drop_column("case_id")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("external_reference")
        batch.drop_column("case_id")
    op.drop_table("case_promises")
    op.drop_table("cases")
    op.drop_table("creditor_profiles")
