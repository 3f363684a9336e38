"""catalog: code sets (versioned), datasets, data elements, the 一数一源 register (Art. 8, 39, 52).

Revision ID: catalog_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "catalog_0001"
down_revision = None
branch_labels = ("catalog",)
depends_on = "org_0001"


def _stamps(prefix: str) -> list[sa.Column]:
    return [
        sa.Column(f"{prefix}_by", sa.String(length=64), nullable=True),
        sa.Column(f"{prefix}_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "catalog_code_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("licence", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_code_set")),
        sa.UniqueConstraint("code", name=op.f("uq_catalog_code_set_code")),
    )
    op.create_table(
        "catalog_code_set_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_set_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        *_stamps("created"),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["code_set_id"],
            ["catalog_code_set.id"],
            name=op.f("fk_catalog_code_set_version_code_set_id_catalog_code_set"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_code_set_version")),
        sa.UniqueConstraint(
            "code_set_id", "version", name=op.f("uq_catalog_code_set_version_code_set_id_version")
        ),
    )
    op.create_index(
        op.f("ix_catalog_code_set_version_code_set_id"),
        "catalog_code_set_version",
        ["code_set_id"],
        unique=False,
    )
    op.create_table(
        "catalog_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("label_en", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["catalog_code_set_version.id"],
            name=op.f("fk_catalog_code_version_id_catalog_code_set_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_code")),
        sa.UniqueConstraint("version_id", "value", name=op.f("uq_catalog_code_version_id_value")),
    )
    op.create_index(op.f("ix_catalog_code_version_id"), "catalog_code", ["version_id"], unique=False)
    op.create_table(
        "catalog_dataset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=False),
        sa.Column("subject_area", sa.String(length=32), nullable=False),
        sa.Column("nature", sa.String(length=32), nullable=False),
        sa.Column("grade", sa.String(length=16), nullable=False),
        sa.Column("share_category", sa.String(length=16), nullable=False),
        sa.Column("open_category", sa.String(length=16), nullable=False),
        sa.Column("update_frequency", sa.String(length=16), nullable=False),
        sa.Column("sync_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("unit_element", sa.String(length=32), nullable=True),
        sa.Column("subject_element", sa.String(length=32), nullable=True),
        *_stamps("created"),
        *_stamps("updated"),
        sa.ForeignKeyConstraint(
            ["owner_unit_id"], ["org_unit.id"], name=op.f("fk_catalog_dataset_owner_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_dataset")),
        sa.UniqueConstraint("code", name=op.f("uq_catalog_dataset_code")),
    )
    op.create_index(
        op.f("ix_catalog_dataset_owner_unit_id"), "catalog_dataset", ["owner_unit_id"], unique=False
    )
    op.create_table(
        "catalog_source",
        sa.Column("standard_code", sa.String(length=128), nullable=False),
        sa.Column("source_unit_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.String(length=64), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_unit_id"], ["org_unit.id"], name=op.f("fk_catalog_source_source_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("standard_code", name=op.f("pk_catalog_source")),
        sa.UniqueConstraint(
            "standard_code", "source_unit_id", name=op.f("uq_catalog_source_standard_code_source_unit_id")
        ),
    )
    op.create_index(
        op.f("ix_catalog_source_source_unit_id"), "catalog_source", ["source_unit_id"], unique=False
    )
    op.create_table(
        "catalog_source_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("standard_code", sa.String(length=128), nullable=False),
        sa.Column("previous_unit_id", sa.Integer(), nullable=True),
        sa.Column("source_unit_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.String(length=64), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["previous_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_catalog_source_history_previous_unit_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["source_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_catalog_source_history_source_unit_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_source_history")),
    )
    op.create_index(
        op.f("ix_catalog_source_history_standard_code"),
        "catalog_source_history",
        ["standard_code"],
        unique=False,
    )
    op.create_table(
        "catalog_data_element",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("data_type", sa.String(length=16), nullable=False),
        sa.Column("code_set_id", sa.Integer(), nullable=True),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("max_length", sa.Integer(), nullable=True),
        sa.Column("grade", sa.String(length=16), nullable=False),
        sa.Column("share_category", sa.String(length=16), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("sensitive_type", sa.String(length=32), nullable=True),
        sa.Column("standard_code", sa.String(length=128), nullable=False),
        sa.Column("source_unit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        *_stamps("created"),
        *_stamps("updated"),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog_dataset.id"],
            name=op.f("fk_catalog_data_element_dataset_id_catalog_dataset"),
        ),
        sa.ForeignKeyConstraint(
            ["code_set_id"],
            ["catalog_code_set.id"],
            name=op.f("fk_catalog_data_element_code_set_id_catalog_code_set"),
        ),
        sa.ForeignKeyConstraint(
            ["source_unit_id"], ["org_unit.id"], name=op.f("fk_catalog_data_element_source_unit_id_org_unit")
        ),
        sa.ForeignKeyConstraint(
            ["standard_code", "source_unit_id"],
            ["catalog_source.standard_code", "catalog_source.source_unit_id"],
            name=op.f("fk_catalog_data_element_standard_code_catalog_source"),
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_data_element")),
        sa.UniqueConstraint("dataset_id", "code", name=op.f("uq_catalog_data_element_dataset_id_code")),
    )
    for column in ("dataset_id", "code_set_id", "standard_code", "source_unit_id"):
        op.create_index(
            op.f(f"ix_catalog_data_element_{column}"), "catalog_data_element", [column], unique=False
        )


def downgrade() -> None:
    op.drop_table("catalog_data_element")
    op.drop_table("catalog_source_history")
    op.drop_table("catalog_source")
    op.drop_table("catalog_dataset")
    op.drop_table("catalog_code")
    op.drop_table("catalog_code_set_version")
    op.drop_table("catalog_code_set")
