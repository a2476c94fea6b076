"""Reads inside transactions: the shared cache where that gives what the database would,
the transaction's own cache otherwise; its uncommitted rows never reach anyone else."""

import pytest
from django.db import connection, connections, transaction

from tests.helpers import counting, in_thread
from tests.test_invalidation import cached, still_cached
from tests.testapp.models import Book, Tag
from tidemark import Change
from tidemark_django import client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def books():
    return Book.objects.create(title="one", price=10), Book.objects.create(title="two", price=20)


def price(pk):
    return lambda: Book.objects.get(pk=pk).price


def test_reads_of_tables_not_written_use_the_shared_cache(books):
    b1, b2 = books
    cached(lambda: Tag.objects.count())
    cached(price(b2.pk))
    with transaction.atomic():
        b1.price = 11
        b1.save()
        # Default isolation on both databases: every statement sees the latest commits.
        still_cached(lambda: Tag.objects.count(), 0)
        still_cached(price(b2.pk), 20)  # another row of the written table
        with counting() as d:
            assert Tag.objects.filter(name="x").count() == 0
        assert d["stored"] == 1
    still_cached(lambda: Tag.objects.filter(name="x").count(), 0)


def test_own_writes_stay_inside_the_transaction(books):
    b1, _ = books
    cached(price(b1.pk))
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            b1.price = 11
            b1.save()
            with counting() as d:
                assert price(b1.pk)() == 11
            assert d["hit"] == d["stored"] == 0 and d["tx_stored"] == 1
            with counting() as d:
                assert price(b1.pk)() == 11
            assert d["tx_hit"] == 1
            # Another connection sees the committed row, from the shared cache: the
            # uncommitted one was stored nowhere it can see.
            value, other = in_thread(price(b1.pk))
            assert value == 10 and other["hit"] == 1
            b1.price = 12
            b1.save()
            with counting() as d:
                assert price(b1.pk)() == 12  # the entry holding 11 predates this write
            assert d["tx_hit"] == 0
            raise RuntimeError("roll back")
    still_cached(price(b1.pk), 10)
    with transaction.atomic():
        with counting() as d:
            Book.objects.filter(pk=b1.pk).update(price=13)
            assert price(b1.pk)() == 13
        assert d["tx_hit"] == 0  # the rolled-back transaction's cache is gone


def test_transaction_cache_entries_are_checked_with_tidemark(books):
    b1, b2 = books
    titles = lambda: sorted(Book.objects.values_list("title", "price"))  # noqa: E731
    with transaction.atomic():
        b2.price = 21
        b2.save()
        assert titles() == [("one", 10), ("two", 21)]
        with counting() as d:
            titles()
        assert d["tx_hit"] == 1
        # Another process announces a write of the table: the entry is not served again.
        client.get().write([Change(Book._meta.db_table)])
        with counting() as d:
            titles()
        assert d["tx_hit"] == 0 and d["tx_miss"] == 1
        if connection.vendor == "postgresql":
            # At READ COMMITTED a statement sees what others committed meanwhile; so must
            # a read served from the transaction's cache. (SQLite: the other connection
            # could not commit while this transaction holds its lock.)
            with counting() as d:
                titles()
            assert d["tx_hit"] == 1
            in_thread(lambda: Book.objects.filter(pk=b1.pk).update(price=15))
            assert titles() == [("one", 15), ("two", 21)]


def test_savepoint_rollback_drops_its_changes_and_results(books):
    b1, b2 = books
    cached(price(b1.pk))
    cached(price(b2.pk))
    start = client.get().hello().lsn
    with transaction.atomic():
        b1.price = 11
        b1.save()
        sid = transaction.savepoint()
        b2.price = 22
        b2.save()
        assert price(b2.pk)() == 22
        transaction.savepoint_rollback(sid)
        with counting() as d:
            assert price(b2.pk)() == 20
        # The database undid the write: the row is the committed one again, shared.
        assert d["tx_hit"] == 0 and d["hit"] == 1
        with transaction.atomic():
            Tag.objects.create(name="kept")
    records = client.get().log(from_lsn=start + 1).records
    assert [(r.kind, [c.table for c in r.changes]) for r in records] == [
        ("begin", ["testapp_book", "testapp_tag"]),
        ("commit", ["testapp_book", "testapp_tag"]),
    ]
    assert records[0].changes[0].keys == [str(b1.pk)]
    still_cached(price(b2.pk), 20)


def _snapshot_isolation():
    """Make the test database's connections use snapshot isolation; returns an undo."""
    if connection.vendor == "postgresql":
        from django.db.backends.postgresql.psycopg_any import IsolationLevel

        options = connection.settings_dict.setdefault("OPTIONS", {})
        options["isolation_level"] = IsolationLevel.REPEATABLE_READ
        connection.close()

        def undo():
            options.pop("isolation_level")
            connection.close()

        return undo
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")

    def undo():
        connections.close_all()
        connection.ensure_connection()
        # On the driver's connection: the app would take "DELETE" for a write it cannot place.
        connection.connection.execute("PRAGMA journal_mode=DELETE")
        connection.close()

    return undo


def test_snapshot_isolation_keeps_transactions_off_the_shared_cache(books):
    """PostgreSQL REPEATABLE READ, SQLite WAL: a transaction reads its snapshot, so neither
    a fresher shared entry is served to it nor is what it reads stored for others."""
    count = lambda: Book.objects.count()  # noqa: E731
    undo = _snapshot_isolation()
    try:
        cached(count)
        with transaction.atomic():
            with counting() as d:
                assert count() == 2
            assert d["hit"] == d["stored"] == 0 and d["tx_stored"] == 1
            with counting() as d:
                assert count() == 2
            assert d["tx_hit"] == 1
            # Another connection commits a row and caches the new count.
            in_thread(lambda: Book.objects.create(title="three"))
            assert in_thread(count)[0] == 3 and in_thread(count)[1]["hit"] == 1
            with counting() as d:
                assert count() == 2  # the snapshot's answer, not the shared entry's
            assert d["hit"] == 0 and d["tx_hit"] == 0
    finally:
        undo()
    still_cached(count, 3)


def test_raw_writes_in_a_transaction(books):
    b1, _ = books
    cached(lambda: Tag.objects.count())
    cached(price(b1.pk))
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE testapp_tag SET name = name")
        with counting() as d:
            assert Tag.objects.count() == 0
            assert Tag.objects.count() == 0
            assert price(b1.pk)() == 10
        assert d["tx_hit"] == 1 and d["hit"] == 1
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("DO $$ BEGIN PERFORM 1; END $$")  # tables unknown: all of them
            with counting() as d:
                assert price(b1.pk)() == 10
                assert price(b1.pk)() == 10
            assert d["hit"] == 0 and d["tx_hit"] == 1
