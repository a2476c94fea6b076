"""Fixtures: a real ``tidemark serve`` for the whole session, and helpers to start more."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from fakeserver import FakeServer

from tidemark import Client, TidemarkError

READY_TIMEOUT = 30.0

# With $TIDEMARK_TEST_ETCD (the endpoint URLs of a running cluster) every server runs on
# the etcd backend instead of a data directory; the local-reading tests read a data
# directory's LMDB map, which an etcd-backed server has none of.
ETCD = os.environ.get("TIDEMARK_TEST_ETCD")
collect_ignore = ["test_local_reader.py", "test_local_reader_processes.py"] if ETCD else []


def tidemark_binary() -> str:
    binary = os.environ.get("TIDEMARK_BIN")
    if not binary:
        pytest.fail(
            "TIDEMARK_BIN is not set: point it at the tidemark executable, e.g. "
            "TIDEMARK_BIN=$(swift build --show-bin-path)/tidemark (run from the repository root)",
            pytrace=False,
        )
    if not os.access(binary, os.X_OK):
        pytest.fail(f"TIDEMARK_BIN={binary!r} is not an executable file", pytrace=False)
    return binary


class ServerProcess:
    """One ``tidemark serve`` on a socket and data directory of its own."""

    def __init__(self, binary: str, directory: Path, *extra_args: str) -> None:
        self.binary = binary
        self.socket_path = str(directory / "s.sock")
        self.data_dir = str(directory / "data")
        self.log_path = directory / "server.log"
        self.extra_args = list(extra_args)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def command(self) -> list[str]:
        """`serve` on the data directory, or on the etcd backend under a prefix named for
        the directory: a fresh directory starts empty, and a server restarted on the
        same directory finds what the last one wrote."""
        if not ETCD:
            return [self.binary, "serve", "--socket", self.socket_path, "--data", self.data_dir, *self.extra_args]
        prefix = "/tm-py-" + hashlib.sha256(self.data_dir.encode()).hexdigest()[:16] + "/"
        return [
            self.binary, "serve", "--backend", "etcd", "--etcd", ETCD, "--etcd-prefix", prefix,
            "--socket", self.socket_path, *self.extra_args,
        ]

    def start(self) -> "ServerProcess":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        """Polls ``hello`` until it answers; no fixed sleep."""
        probe = Client(self.socket_path, timeout=1.0, connect_timeout=0.5)
        deadline = time.monotonic() + READY_TIMEOUT
        try:
            while True:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(f"tidemark serve exited with {self.process.returncode}:\n{self.log()}")
                try:
                    probe.hello()
                    return
                except TidemarkError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"tidemark serve not ready after {READY_TIMEOUT}s:\n{self.log()}")
                    time.sleep(0.02)
        finally:
            probe.close()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signals the server by PID and waits for it to exit."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        os.kill(self.process.pid, sig)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            return self.process.wait(timeout=5)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


@pytest.fixture(scope="session")
def binary() -> str:
    return tidemark_binary()


@pytest.fixture
def short_tmp():
    """A short temporary directory: Unix socket paths are limited to about 107 bytes."""
    directory = Path(tempfile.mkdtemp(prefix="tmpy-", dir="/tmp"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def server(binary):
    directory = Path(tempfile.mkdtemp(prefix="tmpy-", dir="/tmp"))
    proc = ServerProcess(binary, directory)
    try:
        proc.start()
        yield proc
    finally:
        proc.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def start_server(binary, short_tmp):
    """Starts extra servers (with extra flags) for one test, stopped at its end."""
    started: list[ServerProcess] = []

    def start(*extra_args: str, directory: Path | None = None) -> ServerProcess:
        d = directory or Path(tempfile.mkdtemp(prefix="s", dir=short_tmp))
        proc = ServerProcess(binary, d, *extra_args).start()
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def client(server):
    c = Client(server.socket_path)
    yield c
    c.close()


@pytest.fixture
def ns() -> str:
    """A table prefix unique to the test, so tests sharing the server never collide."""
    return f"py.{uuid.uuid4().hex[:12]}"


@pytest.fixture
def fake(short_tmp):
    servers: list[FakeServer] = []

    def make(behaviour) -> FakeServer:
        server = FakeServer(str(short_tmp / f"fake{len(servers)}.sock"), behaviour)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()
