"""A throwaway PostgreSQL cluster for the tests, on a machine that has PostgreSQL's server
programs but no TEST_DATABASE_URL: made in a temporary directory, listening on a free
loopback port, and deleted when the run ends."""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

WHY_NOT = "no TEST_DATABASE_URL, and no PostgreSQL server programs (initdb, pg_ctl) found"


def server_programs() -> Path | None:
    """The folder holding initdb and pg_ctl: on the PATH, or Debian's and Ubuntu's own."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start() -> str | None:
    """The URL of a new, empty cluster's `postgres` database; None when PostgreSQL's
    server programs are not installed. PostgreSQL refuses to run as root: as root the
    cluster runs as the `postgres` user, which the server package creates."""
    programs = server_programs()
    if programs is None:
        return None
    user = None
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            return None
    home = Path(tempfile.mkdtemp(prefix="okrbot-test-pg-"))
    data = home / "data"
    if user is not None:
        os.chown(home, user.pw_uid, user.pw_gid)
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run(
            args,
            check=True,
            capture_output=True,
            user=None if user is None else user.pw_uid,
            group=None if user is None else user.pw_gid,
            cwd=home,
        )

    settings = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {home} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    try:
        run(str(programs / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--no-sync")  # fmt: skip
        run(str(programs / "pg_ctl"), "-D", str(data), "-o", settings, "-l",
            str(home / "log"), "-w", "start")  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        shutil.rmtree(home, ignore_errors=True)
        return None

    def stop() -> None:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            run(str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(home, ignore_errors=True)

    atexit.register(stop)
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
