"""Migrations create the schema from nothing, and upgrading from each older revision keeps the data."""

from __future__ import annotations

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from govshare.core.database import get_engine
from govshare.core.migrate import alembic_config, current_revision, include_object, upgrade_to_head
from govshare.models import drop_everything
from tests.conftest import _reset_schema


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _upgrade(target: str) -> None:
    cfg = alembic_config()
    with get_engine().begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, target)


def test_schema_at_head_matches_models(clean_db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from govshare.models import metadata
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_object": include_object}), metadata)
    assert diff == [], diff
    assert current_revision() == _revisions()[-1]


def test_upgrade_from_first_revision_keeps_data(clean_db):
    engine = get_engine()
    with engine.begin() as conn:
        drop_everything(conn)
    first = _revisions()[0]
    _upgrade(first)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organizations (id, code, name, region_code, level, code_check_failed, "
                          "created_at) VALUES ('oold', '11330900MB0000000X', '旧库单位', '330900', 'city', false, "
                          "CURRENT_TIMESTAMP)"))
    upgrade_to_head()
    upgrade_to_head()  # idempotent
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM organizations WHERE id = 'oold'")).scalar_one() == "旧库单位"
    _reset_schema()
