"""Logging that never carries personal data or secrets.

Exchange lookups put the looked-up key (an ID number) in the query string, and the server's access
log writes the path: query strings are cut from access-log lines. SQL parameters are hidden from
database errors by the engine (`hide_parameters`).
"""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"


class DropQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(a.split("?", 1)[0] if isinstance(a, str) and "?" in a else a for a in record.args)
        if isinstance(record.msg, str) and "?" in record.msg and not record.args:
            record.msg = " ".join(part.split("?", 1)[0] for part in record.msg.split(" "))
        return True


def install_redaction() -> None:
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, DropQueryStrings) for f in logger.filters):
        logger.addFilter(DropQueryStrings())
