"""A throwaway PostgreSQL cluster for the tests: Debian's server, run by an unprivileged user.

initdb and pg_ctl refuse to run as root, so under root (CI) the cluster belongs to the
`postgres` system user that Debian's package creates. It listens on a unix socket in
its temporary folder only (no port to clash with), with fsync off: it is thrown away.
"""

import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest

USER = "tracker"


def server_bin() -> Path:
    """The newest installed server's bin folder (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    if not found:
        pytest.fail("PostgreSQL is missing: install Debian's postgresql (apt-get install postgresql); "
                    "make test does it")
    return Path(found[-1]).parent


class Cluster:
    def __init__(self, folder: Path):
        self.bin = server_bin()
        self.folder = folder
        self.data = folder / "data"
        self.socket = folder / "socket"
        self.owner = "postgres" if os.geteuid() == 0 else None
        self.socket.mkdir()
        if self.owner:
            shutil.chown(folder, self.owner)
            shutil.chown(self.socket, self.owner)
        self._run("initdb", "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8", "--no-sync",
                  "--locale", "C")
        options = f"-k {self.socket} -c listen_addresses= -c fsync=off -c full_page_writes=off -c max_connections=200"
        self._run("pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(folder / "server.log"), "-o", options)
        self.number = 0

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([str(self.bin / program), *args], user=self.owner, capture_output=True, text=True,
                              cwd=self.folder)
        if done.returncode:
            pytest.fail(f"{program} failed: {done.stderr.strip() or done.stdout.strip()}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@/{database}?host={self.socket}"

    def new_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        import psycopg

        self.number += 1
        name = f"test_{self.number}"
        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate")
