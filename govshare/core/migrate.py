"""Apply Alembic migrations programmatically (used by `govshare init` and at server start)."""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config

from govshare.core.database import get_engine


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("govshare") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", get_engine().url.render_as_string(hide_password=False))
    return cfg


def upgrade_to_head() -> None:
    cfg = alembic_config()
    with get_engine().begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def current_revision() -> str | None:
    from alembic.runtime.migration import MigrationContext
    with get_engine().connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Tables Alembic must not manage: search indexes (dialect-specific DDL in the migration) and
    per-entry data tables (created at run time from items)."""
    if type_ == "table" and (name.startswith(("catalog_search", "d_", "stg_"))):
        return False
    return True
