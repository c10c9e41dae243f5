"""Every table of the platform, imported in one place for Alembic and `metadata.create_all`."""

from govshare.catalog import models as catalog_models  # noqa: F401
from govshare.core import jobs  # noqa: F401
from govshare.core.database import Base
from govshare.mounting import models as mounting_models  # noqa: F401
from govshare.orgs import models as orgs_models  # noqa: F401

metadata = Base.metadata
