"""Acknowledgement receipts and the keys that sign them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "receipt_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("sealed_private_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("retired_at", sa.Float(), nullable=True),
    )
    op.create_table(
        "receipts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("student", sa.String(200), nullable=False),
        sa.Column("week_of", sa.Date(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("parent", sa.String(200), nullable=False),
        sa.Column("issued_at", sa.Float(), nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("jws", sa.Text(), nullable=False),
    )
    op.create_index("ix_receipts_student_week", "receipts", ["region", "student", "week_of"])


def downgrade() -> None:
    op.drop_index("ix_receipts_student_week", table_name="receipts")
    op.drop_table("receipts")
    op.drop_table("receipt_keys")
