"""Version counters that tell every server process at once that cached state is stale.

A process caches what it reads on every call (grants, revoked clients) and re-reads one small row
per call to see whether anything changed since: a revocation is effective on the next request in
every process, without a cache lifetime to wait out.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from govshare.core.database import Base, driver_row

# Bumped by every change that can change an exchange decision: grants made, revoked, renewed;
# API clients revoked.
ACCESS = "access"


class Epoch(Base):
    __tablename__ = "epochs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


def bump(session: Session, name: str) -> None:
    """Increment in the caller's transaction: readers see the new value exactly when it commits."""
    result = session.execute(update(Epoch).where(Epoch.name == name).values(value=Epoch.value + 1)
                             .execution_options(synchronize_session=False))
    if result.rowcount == 0:
        try:
            with session.begin_nested():
                session.add(Epoch(name=name, value=1))
        except IntegrityError:  # created concurrently: increment that row
            session.execute(update(Epoch).where(Epoch.name == name).values(value=Epoch.value + 1)
                            .execution_options(synchronize_session=False))


def read(conn: Connection, name: str) -> int:
    """The counter's value (0 before its first bump); on the driver connection: it is read per call."""
    row = driver_row(conn, "SELECT value FROM epochs WHERE name = :n", {"n": name})
    return row[0] if row else 0
