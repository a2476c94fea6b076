"""Starts a real `tidemark serve` on a temporary socket and data directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid

from tidemark import Client


class TidemarkServer:
    def __init__(self, binary: str | None = None, args: tuple = ()) -> None:
        self.binary = binary or os.environ.get("TIDEMARK_BIN") or shutil.which("tidemark")
        if not self.binary:
            raise RuntimeError("set TIDEMARK_BIN to the tidemark binary")
        self.dir = tempfile.mkdtemp(prefix="tm-django-")
        self.socket = os.path.join(self.dir, "tidemark.sock")
        self.data = os.path.join(self.dir, "data")
        self.process: subprocess.Popen | None = None
        self.args = tuple(args)

    def command(self) -> list[str]:
        """`serve` on a data directory, or with $TIDEMARK_TEST_ETCD (endpoint URLs) on the
        etcd backend under a prefix of its own, so every server starts empty. `--sync`
        is LMDB's: etcd always syncs."""
        etcd = os.environ.get("TIDEMARK_TEST_ETCD")
        if not etcd:
            return [self.binary, "serve", "--socket", self.socket, "--data", self.data, *self.args]
        args = list(self.args)
        if "--sync" in args:
            del args[args.index("--sync") : args.index("--sync") + 2]
        prefix = f"/tm-django-{uuid.uuid4().hex}/"
        return [self.binary, "serve", "--backend", "etcd", "--etcd", etcd, "--etcd-prefix", prefix, "--socket", self.socket, *args]

    def start(self, timeout: float = 30.0) -> "TidemarkServer":
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.process = subprocess.Popen(
            self.command(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        probe = Client(self.socket, timeout=2.0, connect_timeout=0.5)
        try:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"tidemark serve exited with {self.process.returncode}; see {self.log.name}")
                try:
                    probe.hello()
                    return self
                except Exception:
                    if time.monotonic() > deadline:
                        raise RuntimeError("tidemark serve did not become ready") from None
                    time.sleep(0.05)  # polling for readiness, not waiting for an event
        finally:
            probe.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if getattr(self, "log", None):
            self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
