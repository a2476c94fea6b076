"""Transactions: changes are announced with begin just before COMMIT, committed after it,
and never announced on rollback."""

import pytest
from django.db import connection, transaction
from django.test import override_settings

import tidemark_django
from tests.helpers import counting, in_thread
from tests.test_invalidation import cached, invalidated, price, still_cached
from tests.testapp.models import Book, Tag
from tidemark_django import client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def books():
    return Book.objects.create(title="one", price=10), Book.objects.create(title="two", price=20)


def records_since(lsn):
    return [r for r in client.get().log(from_lsn=lsn + 1).records]


def current_lsn():
    return client.get().hello().lsn


def test_commit_announces_once_before_and_commits_after(books):
    b1, b2 = books
    cached(price(b1.pk))
    cached(price(b2.pk))
    cached(lambda: Tag.objects.count())
    start = current_lsn()
    with transaction.atomic():
        b1.price = 11
        b1.save()
        b2.price = 21
        b2.save()
        # Our own uncommitted write: the shared cache is neither read nor filled for that
        # row; the transaction's own cache is.
        with counting() as d:
            assert Book.objects.get(pk=b1.pk).price == 11
        assert d["hit"] == 0 and d["stored"] == 0 and d["tx_stored"] == 1
        with counting() as d:
            assert Book.objects.get(pk=b1.pk).price == 11
        assert d["hit"] == 0 and d["tx_hit"] == 1
        # Tables this transaction did not write still use the cache.
        still_cached(lambda: Tag.objects.count(), 0)
        assert records_since(start) == []  # nothing is announced before COMMIT
    kinds = [(r.kind, [(c.table, c.keys) for c in r.changes]) for r in records_since(start)]
    assert kinds == [
        ("begin", [("testapp_book", sorted([str(b1.pk), str(b2.pk)]))]),
        ("commit", [("testapp_book", sorted([str(b1.pk), str(b2.pk)]))]),
    ]
    invalidated(price(b1.pk), 11)
    invalidated(price(b2.pk), 21)


def test_rollback_announces_nothing(books):
    b1, _ = books
    cached(price(b1.pk))
    start = current_lsn()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            b1.price = 99
            b1.save()
            raise RuntimeError("roll back")
    assert records_since(start) == []
    still_cached(price(b1.pk), 10)


def test_nested_atomic_and_savepoints(books):
    b1, b2 = books
    b3 = Book.objects.create(title="three", price=30)
    cached(price(b1.pk))
    cached(price(b2.pk))
    cached(price(b3.pk))
    with transaction.atomic():
        b1.price = 11
        b1.save()
        with pytest.raises(RuntimeError):
            with transaction.atomic():  # a savepoint, rolled back
                b2.price = 22
                b2.save()
                raise RuntimeError
        with transaction.atomic():  # a savepoint, released
            b3.price = 33
            b3.save()
        sid = transaction.savepoint()
        Tag.objects.create(name="gone")
        transaction.savepoint_rollback(sid)
    invalidated(price(b1.pk), 11)
    invalidated(price(b3.pk), 33)
    # The database undid the rolled-back savepoint's writes: they are not announced.
    still_cached(price(b2.pk), 20)
    assert Tag.objects.count() == 0


def test_manual_transaction_management(books):
    b1, _ = books
    cached(price(b1.pk))
    transaction.set_autocommit(False)
    try:
        Book.objects.filter(pk=b1.pk).update(price=12)
        transaction.commit()
    finally:
        transaction.set_autocommit(True)
    invalidated(price(b1.pk), 12)
    cached(price(b1.pk))
    transaction.set_autocommit(False)
    try:
        Book.objects.filter(pk=b1.pk).update(price=13)
        transaction.rollback()
    finally:
        transaction.set_autocommit(True)
    still_cached(price(b1.pk), 12)


def _read_in_other_thread(pk):
    return in_thread(lambda: Book.objects.get(pk=pk).price)


def test_readers_never_serve_or_store_across_the_commit_window(books):
    """Another connection reading while the COMMIT is in flight (before it, and after it
    but before Tidemark's commit) neither serves the cached entry nor stores what it read."""
    b1, _ = books
    cached(price(b1.pk))
    seen = {}
    real_commit = connection._commit

    def commit():
        seen["before"] = _read_in_other_thread(b1.pk)
        real_commit()
        seen["after"] = _read_in_other_thread(b1.pk)

    connection._commit = commit
    try:
        with transaction.atomic():
            b1.price = 11
            b1.save()
    finally:
        del connection._commit
    before_value, before = seen["before"]
    after_value, after = seen["after"]
    assert before_value == 10 and before["hit"] == 0 and before["stored"] == 0
    assert after_value == 11 and after["hit"] == 0 and after["stored"] == 0
    invalidated(price(b1.pk), 11)
    cached(price(b1.pk))


def _unreachable(**extra):
    return override_settings(TIDEMARK={"SOCKET": "/nonexistent/tidemark.sock", "CONNECT_TIMEOUT": 0.2, **extra})


def test_unreachable_tidemark_fails_safe(books, settings):
    b1, _ = books
    cached(price(b1.pk))
    with _unreachable():
        # Reads are never served without Tidemark's word, and nothing is stored.
        with counting() as d:
            assert Book.objects.get(pk=b1.pk).price == 10
        assert d["hit"] == 0 and d["stored"] == 0 and d["unavailable"] == 1
        # A write that cannot be announced is not committed.
        b1.price = 50
        with pytest.raises(tidemark_django.TidemarkWriteError):
            b1.save()
        with pytest.raises(tidemark_django.TidemarkWriteError):
            with transaction.atomic():
                Book.objects.create(title="x")
        with pytest.raises(tidemark_django.TidemarkWriteError):
            with connection.cursor() as cursor:
                cursor.execute("UPDATE testapp_book SET price = 77")
    with tidemark_django.no_cache():
        assert Book.objects.get(pk=b1.pk).price == 10
        assert Book.objects.count() == 2
    with _unreachable(ON_WRITE_FAILURE="ignore"):
        b1.save()
    with tidemark_django.no_cache():
        assert Book.objects.get(pk=b1.pk).price == 50


def test_async_commit_keeps_deps_pending_until_sent(books):
    import os

    from tidemark_django.committer import committer

    b1, b2 = books
    with override_settings(TIDEMARK={"SOCKET": os.environ["TIDEMARK_SOCKET"], "ASYNC_COMMIT": True}):
        cached(price(b1.pk))
        cached(price(b2.pk))
        b1.price = 11
        b1.save()
        # Whether or not the background commit was sent yet, the old entry is never served.
        invalidated(price(b1.pk), 11)
        committer.flush()
        kinds = [r.kind for r in records_since(current_lsn() - 2)]
        assert kinds == ["begin", "commit"]
        cached(price(b1.pk))
        still_cached(price(b2.pk), 20)


def test_commit_refused_by_a_deferred_constraint_aborts_the_intent(books):
    from django.db import IntegrityError

    b1, _ = books
    cached(price(b1.pk))
    start = current_lsn()
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            b1.price = 11
            b1.save()
            # Foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at COMMIT.
            Book.objects.create(title="orphan", author_id=987654)
    kinds = [r.kind for r in records_since(start)]
    assert kinds == ["begin", "abort"]
    still_cached(price(b1.pk), 10)


def _statements(fn):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        fn()
    return [q["sql"].split()[0].upper() for q in ctx.captured_queries]


def test_autocommit_writes_run_exactly_the_applications_statements(books, settings):
    """One statement per autocommit write, as without the app (no BEGIN/COMMIT around it),
    announced with begin before it and commit after it."""
    from tests.testapp.models import Code

    b1, b2 = books

    def save():
        b1.price += 1
        b1.save()

    # (name, write, its statements, whether it may change book two)
    writes = [
        ("save", save, ["UPDATE"], False),
        ("create", lambda: Book.objects.create(title="new", price=1), ["INSERT"], False),
        ("create_text_pk", lambda: Code.objects.create(code="c1", value=1), ["INSERT"], False),
        ("queryset_update", lambda: Book.objects.filter(price__gt=15).update(price=16), ["UPDATE"], True),
        ("update_all", lambda: Book.objects.update(price=17), ["UPDATE"], True),
        ("delete_instance", lambda: Code.objects.get(pk="c1").delete(), ["SELECT", "DELETE"], False),
        ("raw", lambda: connection.cursor().execute("UPDATE testapp_book SET price = price + 1"), ["UPDATE"], True),
    ]
    for name, fn, expected, changes_two in writes:
        cached(price(b2.pk))
        start = current_lsn()
        assert _statements(fn) == expected, name
        assert [r.kind for r in records_since(start)] == ["begin", "commit"], name
        now = Book.objects.no_cache().get(pk=b2.pk).price
        (invalidated if changes_two else still_cached)(price(b2.pk), now)
    with override_settings(TIDEMARK={**settings.TIDEMARK, "ENABLED": False}):
        for name, fn, expected, _ in writes:
            assert _statements(fn) == expected, f"{name} without the app"


def test_refused_autocommit_write_aborts_its_intent(books):
    from django.db import IntegrityError

    from tests.testapp.models import Code

    Code.objects.create(code="x", value=1)
    cached(lambda: list(Code.objects.values_list("code", "value")))
    for fn in (
        lambda: Code.objects.create(code="x", value=2),
        lambda: connection.cursor().execute("INSERT INTO testapp_code (code, value) VALUES ('x', 3)"),
    ):
        start = current_lsn()
        with pytest.raises(IntegrityError):
            fn()
        assert [r.kind for r in records_since(start)] == ["begin", "abort"]
        still_cached(lambda: list(Code.objects.values_list("code", "value")), [("x", 1)])


def test_failed_commit_announces_again_when_retried(books):
    """A COMMIT that fails may leave the transaction open (SQLite: "database is locked");
    a later commit must announce its changes again, or what others cached in between
    (the old row, under a stamp after the first announcement) would stay valid."""
    from django.db import OperationalError

    b1, _ = books
    cached(price(b1.pk))
    transaction.set_autocommit(False)
    try:
        Book.objects.filter(pk=b1.pk).update(price=11)

        def refuse():
            raise OperationalError("database is locked")

        connection._commit = refuse
        try:
            with pytest.raises(OperationalError):
                transaction.commit()
        finally:
            del connection._commit
        value, _ = _read_in_other_thread(b1.pk)
        assert value == 10
        start = current_lsn()
        transaction.commit()
        assert [r.kind for r in records_since(start)] == ["begin", "commit"]
    finally:
        transaction.set_autocommit(True)
    invalidated(price(b1.pk), 11)
