"""Which process runs the scheduler: the holder of a PostgreSQL advisory lock."""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path
from typing import IO

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)
LOCK_ID = 0x6F6B72626F74  # "okrbot"


class FileLock:
    """An exclusive lock on a file beside a SQLite database; the OS frees it if we die."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        if self._file is not None:
            return True
        handle = self.path.open("ab")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        log.info("this process now runs the scheduler")
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class LeaderLock:
    """Held on a dedicated connection; if the holder dies, PostgreSQL frees the lock and the
    next replica to ask takes over. With SQLite, a lock file beside the database plays that
    part for processes on one machine."""

    def __init__(self, engine: Engine) -> None:
        self.postgres = engine.dialect.name == "postgresql"
        self._engine = create_engine(engine.url, poolclass=NullPool) if self.postgres else None
        self._connection: Connection | None = None
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        in_memory = not database or database == ":memory:"
        self._file = None if self.postgres or in_memory else FileLock(Path(f"{database}.leader"))

    def acquire(self) -> bool:
        """True while this process holds (or has just taken) the lock."""
        if self._file is not None:
            return self._file.acquire()
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
        if self._file is not None:
            self._file.release()
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": LOCK_ID})
        except Exception:
            log.debug("unlock failed; closing the connection frees the lock", exc_info=True)
        finally:
            self._connection.close()
            self._connection = None
