"""Alembic environment: runs on the engine handed over by chiso.migrations (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from chiso.db import Base, import_models

import_models()
target_metadata = Base.metadata
engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
