"""Alembic environment: the URL comes from the caller (``edudata.migrate``), the metadata from every domain."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from edudata.schema import load_all_models

config = context.config
target_metadata = load_all_models()


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `edudata db upgrade`")
run_migrations_online()
