"""Advance absence notices kept by the gateway (regions whose system takes none).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "absence_notices",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("student", sa.String(64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_absence_notices_student", "absence_notices", ["region", "student"])


def downgrade() -> None:
    op.drop_index("ix_absence_notices_student", table_name="absence_notices")
    op.drop_table("absence_notices")
