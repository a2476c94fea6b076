"""Every ORM shape through the app, on SQLite and PostgreSQL.

Reads: the same result (or the same exception) as with the app disabled, served from the
cache on the second run or passed through as documented, and fresh after writes to every
table. Writes: the same outcome and the same rows as with the app disabled, and every
cached read fresh afterwards."""

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.conf import settings

from tests.helpers import counting
from tests.server import TidemarkServer
from tests.testapp.models import Author, Book
from tests.shapes import FRESHNESS_WRITES, PROBE_NAMES, READS, WRITES, clear, make_data, snapshot



def outcome(fn):
    try:
        return "ok", fn()
    except Exception as exc:
        return "error", type(exc)


def disabled():
    return override_settings(TIDEMARK={**settings.TIDEMARK, "ENABLED": False})


def reference(fn):
    with disabled():
        return outcome(fn)


@pytest.fixture(scope="module", autouse=True)
def _unsynced_server():
    """These tests are about query shapes, not durability: a server of their own that does
    not fsync (a few thousand writes), so they take seconds, not a minute."""
    server = TidemarkServer(args=("--sync", "none")).start()
    try:
        with override_settings(TIDEMARK={**settings.TIDEMARK, "SOCKET": server.socket}):
            yield
    finally:
        server.stop()


@pytest.fixture
def transactional_db(django_db_setup, django_db_blocker):
    """pytest-django's ``transactional_db``, overridden for this module: autocommit access
    to the test database (set up because a test requests a fixture of this name), without
    the flush after each test, which is slow on PostgreSQL. ``data`` removes its rows."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def data(transactional_db):
    clear()
    yield make_data()
    clear()


def _mode(mode):
    return mode() if callable(mode) else mode


def _twice(run):
    """Runs a read twice: (first outcome, second outcome, first counters, second counters)."""
    with counting() as first:
        got_first = outcome(run)
    with counting() as second:
        got_second = outcome(run)
    return got_first, got_second, first, second


@pytest.mark.parametrize("name,fn,mode", READS, ids=[r[0] for r in READS])
def test_read_shape(data, name, fn, mode):
    run = lambda: fn(data)  # noqa: E731
    mode = _mode(mode)
    expected = reference(run)
    got_first, got_second, first, second = _twice(run)
    assert got_first == expected
    assert got_second == expected
    if mode == "cached":
        assert first["stored"] >= 1, first
        assert second["hit"] >= 1 and second["miss"] == 0 and second["invalid"] == 0, second
    elif mode == "bypass":
        assert first["stored"] == second["stored"] == second["hit"] == 0, (first, second)
    for write_name, write in FRESHNESS_WRITES:
        write(data)
        assert outcome(run) == reference(run), f"stale after {write_name}"
        assert outcome(run) == reference(run), f"stale after {write_name} (second read)"


@pytest.mark.parametrize("name,fn,mode", READS, ids=[r[0] for r in READS])
def test_read_shape_in_transaction(data, name, fn, mode):
    """The same shapes inside a transaction that wrote two of the tables they read: the
    transaction's own rows, served from the shared cache only where it did not write, from
    its own cache otherwise."""
    run = lambda: fn(data)  # noqa: E731
    mode = _mode(mode)
    with transaction.atomic():
        Book.objects.filter(pk=data.one).update(price=12)
        Author.objects.filter(pk=data.bob).update(name="bobby")
        expected = reference(run)
        got_first, got_second, first, second = _twice(run)
        assert got_first == expected
        assert got_second == expected
        if mode == "cached":
            assert first["stored"] + first["tx_stored"] >= 1, first
            assert second["hit"] + second["tx_hit"] >= 1 and second["miss"] + second["tx_miss"] == 0, second
        elif mode == "bypass":
            assert first["stored"] + first["tx_stored"] + second["hit"] + second["tx_hit"] == 0, (first, second)
        transaction.set_rollback(True)
    assert outcome(run) == reference(run)


PROBES = [r for r in READS if r[0] in PROBE_NAMES]


def _fill(probes, data):
    for _, fn, _ in probes:
        outcome(lambda: fn(data))
        outcome(lambda: fn(data))


@pytest.mark.parametrize("name,fn", WRITES, ids=[w[0] for w in WRITES])
def test_write_shape(data, name, fn):
    run = lambda: fn(data)  # noqa: E731
    # The reference: the same write with the app disabled, in a transaction rolled back.
    with disabled():
        with transaction.atomic():
            with transaction.atomic():
                expected = outcome(run)
            expected_rows = snapshot()
            transaction.set_rollback(True)
    _fill(PROBES, data)
    with counting() as d:
        got = outcome(run)
    assert got[0] == expected[0] and (got[0] == "ok" or got[1] == expected[1]), (got, expected)
    with disabled():
        assert snapshot() == expected_rows
    for probe, probe_fn, _ in PROBES:
        assert outcome(lambda: probe_fn(data)) == reference(lambda: probe_fn(data)), f"{probe} stale after {name}"
    if got[0] == "ok" and not name.startswith("get_or_create_gets"):
        assert d["begin"] >= 1 and d["commit"] >= 1
    assert not connection.in_atomic_block
