"""TIDEMARK["LOCAL"]: hit-path checks and stamps answered from the data file in place (the
server asked nothing), writes still over the socket, and the socket when the directory
cannot be read locally."""

import os
import shutil
import subprocess
import tempfile
import threading
import time

import pytest
from django.test import override_settings

from tests.helpers import counting, hits
from tests.testapp.models import Book
from tidemark import Client
from tidemark_django import client as tidemark_client

pytestmark = pytest.mark.django_db(transaction=True)


class LocalServer:
    """A `tidemark serve` of its own, with or without --local-readers."""

    def __init__(self, *arguments: str) -> None:
        self.dir = tempfile.mkdtemp(prefix="tm-django-local-")
        self.socket = os.path.join(self.dir, "tidemark.sock")
        self.data = os.path.join(self.dir, "data")
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.process = subprocess.Popen(
            [os.environ["TIDEMARK_BIN"], "serve", "--socket", self.socket, "--data", self.data, *arguments],
            stdout=self.log, stderr=subprocess.STDOUT,
        )
        probe = Client(self.socket, timeout=2.0, connect_timeout=0.5)
        deadline = time.monotonic() + 30
        try:
            while True:
                assert self.process.poll() is None, "tidemark serve exited"
                try:
                    probe.hello()
                    break
                except Exception:
                    assert time.monotonic() < deadline, "tidemark serve did not become ready"
                    time.sleep(0.05)  # polling for readiness
        finally:
            probe.close()

    def checks_answered(self) -> int:
        with Client(self.socket) as c:
            return sum(c.stats()["checks"].values())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def server_for(settings):
    started = []

    def start(*arguments, local=True):
        server = LocalServer(*arguments)
        started.append(server)
        tidemark = dict(settings.TIDEMARK, SOCKET=server.socket, LOCAL=server.data if local else None)
        return server, override_settings(TIDEMARK=tidemark)

    yield start
    for server in started:
        server.stop()
    tidemark_client.reset()


def price(pk):
    return lambda: Book.objects.get(pk=pk).price


def test_hits_are_checked_locally_and_writes_still_invalidate(server_for):
    server, use = server_for("--local-readers", str(os.getgid()))
    with use:
        book = Book.objects.create(title="one", price=10)
        assert hits(price(book.pk)) == (10, 0)
        asked = server.checks_answered()
        for _ in range(3):
            assert hits(price(book.pk)) == (10, 1)
        assert server.checks_answered() == asked, "a local hit asked the server"
        assert type(tidemark_client.reader()).__name__ == "LocalReader"
        book.price = 11
        book.save()  # begin/commit over the socket; the local reader sees them at once
        with counting() as delta:
            assert price(book.pk)() == 11
        assert delta["invalid"] == 1
        assert hits(price(book.pk)) == (11, 1)


def test_a_directory_that_cannot_be_read_locally_falls_back_to_the_socket(server_for):
    server, use = server_for()  # no --local-readers: the data file stays private
    with use:
        book = Book.objects.create(title="one", price=10)
        assert hits(price(book.pk)) == (10, 0)
        asked = server.checks_answered()
        assert hits(price(book.pk)) == (10, 1)
        assert server.checks_answered() == asked + 1, "the hit was checked over the socket"
        assert type(tidemark_client.reader()).__name__ == "Client"


def test_a_first_read_that_cannot_read_locally_falls_back_without_waiting_on_itself(server_for):
    # The process's first Tidemark call is a read and no socket client exists yet: the
    # fallback must build one without taking the lock the failed open still held.
    server, use = server_for()  # no --local-readers
    with use:
        tidemark_client.reset()
        answered = []
        caller = threading.Thread(target=lambda: answered.append(tidemark_client.reader()), daemon=True)
        caller.start()
        caller.join(timeout=30)
        assert answered, "reader() never returned: it waited on its own lock"
        assert type(answered[0]).__name__ == "Client"
