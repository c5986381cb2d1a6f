"""Which process runs the scheduler: the holder of a PostgreSQL advisory lock."""

from __future__ import annotations

import logging

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)
LOCK_ID = 0x6F6B72626F74  # "okrbot"


class LeaderLock:
    """Held on a dedicated connection; if the holder dies, PostgreSQL frees the lock and the
    next replica to ask takes over. SQLite serves one process, which always leads."""

    def __init__(self, engine: Engine) -> None:
        self.postgres = engine.dialect.name == "postgresql"
        self._engine = create_engine(engine.url, poolclass=NullPool) if self.postgres else None
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        """True while this process holds (or has just taken) the lock."""
        if self._engine is None:
            return True
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return True
            except Exception:
                log.warning("lost the scheduler lock's connection; asking again")
                self.release()
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if connection.execute(text("SELECT pg_try_advisory_lock(:id)"), {"id": LOCK_ID}).scalar():
            self._connection = connection
            log.info("this process now runs the scheduler")
            return True
        connection.close()
        return False

    def release(self) -> None:
        """Give the lock up (closing the connection frees it in any case)."""
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LOCK_ID})
        except Exception:
            log.debug("unlock failed; closing the connection frees the lock", exc_info=True)
        finally:
            self._connection.close()
            self._connection = None
