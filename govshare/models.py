"""Every table of the platform, imported in one place for Alembic and `metadata.create_all`."""

from govshare.catalog import models as catalog_models  # noqa: F401
from govshare.core import epochs, jobs  # noqa: F401
from govshare.core.database import Base
from govshare.exchange import models as exchange_models  # noqa: F401
from govshare.ledger import models as ledger_models  # noqa: F401
from govshare.mounting import models as mounting_models  # noqa: F401
from govshare.orgs import models as orgs_models  # noqa: F401
from govshare.sharing import models as sharing_models  # noqa: F401

metadata = Base.metadata


def drop_everything(conn) -> None:
    """Drop every platform table, including per-entry data tables and search indexes (demo rebuilds,
    tests, benchmarks). Never called by the running platform."""
    from sqlalchemy import inspect, text

    for name in inspect(conn).get_table_names():
        if name.startswith(("d_", "stg_")):
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
    conn.execute(text("DROP TABLE IF EXISTS catalog_search"))
    conn.execute(text("DROP TABLE IF EXISTS catalog_search_docs"))
    # The audit table of revisions before 0007, which benchmarks recreate for older commits: left
    # behind, it would stop the next migration from creating it.
    conn.execute(text("DROP TABLE IF EXISTS exchange_calls"))
    metadata.drop_all(conn)
    conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
