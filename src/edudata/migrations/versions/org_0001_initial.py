"""org: units, people, accounts, role assignments, separation-of-duties rules (Art. 5-12, 30)

Revision ID: org_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "org_0001"
down_revision = None
branch_labels = ("org",)
depends_on = None


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "org_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("unit_type", sa.String(32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(["parent_id"], ["org_unit.id"], name=op.f("fk_org_unit_parent_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_org_unit_code")),
    )
    op.create_index(op.f("ix_org_unit_parent_id"), "org_unit", ["parent_id"])

    op.create_table(
        "org_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_org_person_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_person")),
        sa.UniqueConstraint("number", name=op.f("uq_org_person_number")),
    )
    op.create_index(op.f("ix_org_person_unit_id"), "org_person", ["unit_id"])

    op.create_table(
        "org_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("totp_enabled", sa.Boolean(), nullable=False),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        _created(),
        sa.ForeignKeyConstraint(
            ["person_id"], ["org_person.id"], name=op.f("fk_org_account_person_id_org_person")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_org_account_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_account")),
        sa.UniqueConstraint("username", name=op.f("uq_org_account_username")),
    )
    op.create_index(op.f("ix_org_account_person_id"), "org_account", ["person_id"])
    op.create_index(op.f("ix_org_account_unit_id"), "org_account", ["unit_id"])

    op.create_table(
        "org_role_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("granted_by", sa.String(150), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["org_account.id"], name=op.f("fk_org_role_assignment_account_id_org_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_role_assignment")),
        sa.UniqueConstraint("account_id", "role", name=op.f("uq_org_role_assignment_account_id_role")),
    )
    op.create_index(op.f("ix_org_role_assignment_account_id"), "org_role_assignment", ["account_id"])

    op.create_table(
        "org_sod_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role_a", sa.String(32), nullable=False),
        sa.Column("role_b", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(150), nullable=True),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_sod_rule")),
        sa.UniqueConstraint("role_a", "role_b", name=op.f("uq_org_sod_rule_role_a_role_b")),
    )


def downgrade() -> None:
    op.drop_table("org_sod_rule")
    op.drop_index(op.f("ix_org_role_assignment_account_id"), table_name="org_role_assignment")
    op.drop_table("org_role_assignment")
    op.drop_index(op.f("ix_org_account_unit_id"), table_name="org_account")
    op.drop_index(op.f("ix_org_account_person_id"), table_name="org_account")
    op.drop_table("org_account")
    op.drop_index(op.f("ix_org_person_unit_id"), table_name="org_person")
    op.drop_table("org_person")
    op.drop_index(op.f("ix_org_unit_parent_id"), table_name="org_unit")
    op.drop_table("org_unit")
