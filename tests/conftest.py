from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from daemon.feeds import ParserPool
from tests.servers import FeedServer, SMTPServer, WebhookReceiver

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

# One gazetteer index for the whole run (each data directory would build its own, ~3 s),
# inherited by the raqib processes that tests start.
os.environ.setdefault("RAQIB_GAZETTEER_CACHE", tempfile.mkdtemp(prefix="raqib-gazetteer-"))


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


def raqib(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the raqib command as a user would, in a child process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "daemon", *args],
        input=stdin,
        text=True,
        capture_output=True,
        timeout=timeout,
        env=full_env,
        cwd=ROOT,
    )


class RunningDaemon:
    """``raqib run`` in a child process; leaving the ``with`` block sends SIGTERM and
    keeps the exit code and output in ``returncode``, ``out`` and ``err``. While it runs,
    ``lines`` holds what it has logged so far."""

    def __init__(self, config: Path):
        self.config = config
        self.returncode: int | None = None
        self.out = self.err = ""
        self.lines: list[str] = []

    def __enter__(self) -> RunningDaemon:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daemon", "run", "--config", str(self.config)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._stdout: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stderr, self.lines), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stdout, self._stdout), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        return self

    @staticmethod
    def _read(stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line)

    def logged(self, text: str) -> int:
        """How many lines logged so far contain ``text``."""
        return sum(text in line for line in list(self.lines))

    def __exit__(self, *_exc: object) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # never leave a daemon behind
            self.proc.wait(10)
            raise
        for reader in self._readers:
            reader.join(10)
        self.out, self.err = "".join(self._stdout), "".join(self.lines)
        self.returncode = self.proc.returncode


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test where that material is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not here (shared material is only on development machines)")
    return path


PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database on the machine's own server, dropped afterwards.
    Skips where no server runs, except in CI, where that is a failure."""
    name = f"raqib_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("CI"):
            raise
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 is not reachable: {exc}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from postgres_database()


@pytest.fixture(scope="module")
def parser_pool() -> Iterator[ParserPool]:
    """Two parser processes, shared by a test module's tests."""
    pool = ParserPool(workers=2, timeout=30)
    yield pool
    pool.close()
