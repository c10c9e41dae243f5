"""Run-once background jobs across many server processes, by a lease row in the database."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import String, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from govshare.core.database import Base, utcnow

HOLDER = f"{socket.gethostname()}:{os.getpid()}"


class JobLease(Base):
    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column()


def try_acquire(session: Session, name: str, seconds: float, holder: str = HOLDER) -> bool:
    """Take or renew the lease; True when this holder has it until now + seconds.

    The conditional UPDATE is atomic on both stores, so two processes never both win.
    """
    now = utcnow()
    until = now + timedelta(seconds=seconds)
    row = session.get(JobLease, name)
    if row is None:
        try:
            with session.begin_nested():
                session.add(JobLease(name=name, holder=holder, expires_at=until))
            return True
        except IntegrityError:
            session.expire_all()
    result = session.execute(
        update(JobLease).where(JobLease.name == name)
        .where((JobLease.holder == holder) | (JobLease.expires_at < now))
        .values(holder=holder, expires_at=until)
        # No in-Python evaluation of the WHERE clause: SQLite hands back naive datetimes.
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def release(session: Session, name: str, holder: str = HOLDER) -> None:
    session.execute(delete(JobLease).where(JobLease.name == name, JobLease.holder == holder))
