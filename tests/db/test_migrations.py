"""Migrations go up from empty and back down to empty; the models and the migrations agree."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from chiso import migrations
from chiso.db import Base, import_models, make_engine


def tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_up_from_empty_and_down_to_empty(database_url):
    import_models()
    engine = make_engine(database_url)
    try:
        assert tables(engine) == set()
        migrations.upgrade(engine)
        assert tables(engine) == set(Base.metadata.tables)
        assert migrations.current(engine) == migrations.head()
        migrations.downgrade(engine)
        assert tables(engine) == set()
        assert migrations.current(engine) is None
        migrations.upgrade(engine)  # and up again: downgrade left nothing behind
        assert tables(engine) == set(Base.metadata.tables)
    finally:
        engine.dispose()


def test_models_match_the_migrations(migrated_engine):
    import_models()
    with migrated_engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == []
