"""`tidemark capture postgres` beside tidemark_django: a row changed by raw SQL on another
connection, which the app never sees, still invalidates the entries cached of it."""

import subprocess
import time

import psycopg
import pytest
from django.db import connection

from tests.helpers import hits
from tests.testapp.models import Book

# Collected on the PostgreSQL run only (tests/conftest.py).
pytestmark = pytest.mark.django_db(transaction=True)

SLOT = "tidemark_django_test"


def _dsn() -> str:
    s = connection.settings_dict
    return f"host={s['HOST']} port={s['PORT']} user={s['USER']} password={s['PASSWORD']} dbname={s['NAME']}"


def _other_connection():
    s = connection.settings_dict
    return psycopg.connect(host=s["HOST"], port=s["PORT"], user=s["USER"], password=s["PASSWORD"],
                           dbname=s["NAME"], autocommit=True)


def _until(condition, what: str, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # polling a condition against a deadline


@pytest.fixture
def capture(server):
    process = subprocess.Popen(
        [server.binary, "capture", "postgres", "--socket", server.socket, "--dsn", _dsn(),
         "--slot", SLOT, "--publication", SLOT, "--tables", Book._meta.db_table],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with _other_connection() as pg:
        def streaming():
            if process.poll() is not None:
                raise AssertionError(f"capture exited {process.returncode}: {process.stderr.read().decode()}")
            row = pg.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (SLOT,)).fetchone()
            return row is not None and row[0]

        _until(streaming, "the capture to stream from its slot")
        try:
            yield pg
        finally:
            process.terminate()
            process.wait(timeout=10)
            # The slot would keep the test database from being dropped.
            subprocess.run([server.binary, "capture", "postgres", "--socket", server.socket, "--dsn", _dsn(),
                            "--slot", SLOT, "--drop-slot"], check=True, capture_output=True)


def test_a_raw_sql_update_on_another_connection_invalidates_the_cached_row(server, capture):
    from tidemark import Client

    client = Client(server.socket)
    table = Book._meta.db_table
    start = client.stats()["lsn"] + 1

    def captured(pk) -> bool:
        records = client.log(from_lsn=start).records
        return any((r.meta or {}).get("source") == "postgres" and c.table == table and str(pk) in (c.keys or [])
                   for r in records for c in r.changes)

    book = Book.objects.create(title="one", price=10)
    other = Book.objects.create(title="two", price=20)
    # The capture records the app's own INSERTs too (a second advance of their keys):
    # let those land first, so that what follows sees only the UPDATE.
    _until(lambda: captured(book.pk) and captured(other.pk), "the capture's records of the INSERTs")
    read = lambda: Book.objects.get(pk=book.pk).price  # noqa: E731
    read_other = lambda: Book.objects.get(pk=other.pk).price  # noqa: E731
    assert hits(read) == (10, 0)
    assert hits(read) == (10, 1)
    assert hits(read_other) == (20, 0)

    start = client.stats()["lsn"] + 1
    capture.execute(f"UPDATE {table} SET price = 11 WHERE id = %s", (book.pk,))
    _until(lambda: captured(book.pk), "the capture's record of the UPDATE")
    assert hits(read) == (11, 0)  # the cached price 10 is refused, the row read again
    assert hits(read_other) == (20, 1)  # the other row's entry was left alone
