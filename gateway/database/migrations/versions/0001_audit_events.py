"""The access history of ``[audit] store = "database"``.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_students",
        sa.Column("student_key", sa.String(32), primary_key=True),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("written_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_audit_students_unconfirmed", "audit_students", ["confirmed", "written_at"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("student_key", sa.String(32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
    )
    op.create_index("ix_audit_events_student", "audit_events", ["student_key", "score"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_student", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_audit_students_unconfirmed", table_name="audit_students")
    op.drop_table("audit_students")
