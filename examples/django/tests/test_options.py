"""Opting in and out, the ENABLED switch, and the tidemark_why command."""

import io
import os

import pytest
from django.core.management import call_command
from django.test import override_settings

import tidemark_django
from tests.helpers import counting, hits
from tests.test_invalidation import cached, price
from tests.testapp.models import Book

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def book():
    return Book.objects.create(title="one", price=10)


def test_per_query_and_block_opt_out(book):
    cached(price(book.pk))
    _, h = hits(lambda: Book.objects.no_cache().get(pk=book.pk))
    assert h == 0
    _, h = hits(lambda: Book.objects.filter(pk=book.pk).no_cache().count())
    assert h == 0
    with tidemark_django.no_cache():
        with counting() as d:
            Book.objects.get(pk=book.pk)
            Book.objects.get(pk=book.pk)
        assert d["hit"] == 0 and d["stored"] == 0
        # A query set's own choice wins over the block.
        cached(lambda: Book.objects.cache().get(pk=book.pk).price)


def test_opt_in_mode(book):
    tm = {"CACHE_BY_DEFAULT": False, "SOCKET": os.environ["TIDEMARK_SOCKET"]}
    with override_settings(TIDEMARK=tm):
        with counting() as d:
            Book.objects.get(pk=book.pk)
            Book.objects.get(pk=book.pk)
        assert d["hit"] == 0 and d["stored"] == 0
        cached(lambda: Book.objects.cache().get(pk=book.pk).price)
        with tidemark_django.cache():
            cached(lambda: Book.objects.filter(price=10).count())


def test_disabled_makes_no_calls(book):
    with override_settings(TIDEMARK={"ENABLED": False, "SOCKET": "/nonexistent"}):
        with counting() as d:
            Book.objects.get(pk=book.pk)
            Book.objects.get(pk=book.pk)
            book.price = 3
            book.save()  # would raise if it tried to reach Tidemark
        assert all(v == 0 for v in d.values())


def test_tidemark_why_explains_an_invalidated_entry(book):
    cached(price(book.pk))
    out = io.StringIO()
    call_command("tidemark_why", f"Book.objects.get(pk={book.pk})", stdout=out)
    text = out.getvalue()
    assert "valid" in text and f"testapp_book:{book.pk}" in text, text
    book.price = 11
    book.save()
    out = io.StringIO()
    call_command("tidemark_why", f"Book.objects.get(pk={book.pk})", stdout=out)
    text = out.getvalue()
    assert "not valid" in text.lower() or "changed" in text.lower(), text
    assert "testapp_book" in text
    # The command reads the database but leaves the cache as it was.
    out = io.StringIO()
    call_command("tidemark_why", "Book.objects.filter(price=-1)", stdout=out)
    assert "not cached" in out.getvalue()


def test_tidemark_why_without_the_binary_asks_the_service(book):
    cached(price(book.pk))
    book.price = 12
    book.save()
    out, err = io.StringIO(), io.StringIO()
    call_command("tidemark_why", f"Book.objects.get(pk={book.pk})", binary="/nonexistent/tidemark", stdout=out, stderr=err)
    text = out.getvalue()
    assert "not valid: changed" in text, text
    assert f"changed: testapp_book:{book.pk}" in text
    assert " commit " in text  # the log record that changed it


def test_a_failure_inside_the_app_never_fails_a_query(book, monkeypatch):
    """If working out a read's deps fails, the read runs uncached; if working out a write's
    changes fails, the write is announced as a change of its whole table."""
    from tidemark_django import changes, client, deps

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in tidemark_django")

    other = Book.objects.create(title="two", price=20)
    cached(price(other.pk))
    with monkeypatch.context() as m:
        m.setattr(deps, "read_deps", broken)
        with counting() as d:
            assert Book.objects.get(pk=book.pk).price == 10
            assert Book.objects.get(pk=book.pk).price == 10
        assert d["error"] == 2 and d["hit"] == d["stored"] == 0
    with monkeypatch.context() as m:
        m.setattr(changes, "update_or_delete", broken)
        book.price = 11
        book.save()
    tm = client.get()
    last = tm.log(from_lsn=tm.hello().lsn).records[-1]
    assert last.kind == "commit" and [(c.table, c.keys) for c in last.changes] == [("testapp_book", None)]
    with counting() as d:
        assert price(other.pk)() == 20
    assert d["invalid"] == 1  # the whole table was announced
