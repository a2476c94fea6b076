"""Every write kind invalidates what it must, and nothing it need not."""

import uuid

import pytest
from django.db import connection
from django.db.models import Count, Sum

from tests.helpers import counting, hits
from tests.testapp.models import Author, Book, Code, Gadget, Place, Restaurant, Review, Tag

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def books():
    author = Author.objects.create(name="ann")
    other = Author.objects.create(name="bob")
    b1 = Book.objects.create(title="one", price=10, author=author)
    b2 = Book.objects.create(title="two", price=20, author=other)
    return author, other, b1, b2


def cached(fn):
    """Reads fn twice; the second read must be a cache hit. Returns the value."""
    first, _ = hits(fn)
    second, h = hits(fn)
    assert h >= 1, "the second read was not served from the cache"
    assert second == first
    return first


def still_cached(fn, expected):
    value, h = hits(fn)
    assert h >= 1, "an unrelated write invalidated this entry"
    assert value == expected


def invalidated(fn, expected):
    """The value is fresh, and it is fresh because a cached entry was refused."""
    with counting() as d:
        value = fn()
    assert value == expected, "a stale entry was served"
    assert d["invalid"] >= 1


def price(pk):
    return lambda: Book.objects.get(pk=pk).price


def titles():
    return list(Book.objects.order_by("id").values_list("title", flat=True))


def test_single_row_save_invalidates_its_key_and_lists_but_not_other_keys(books):
    _, _, b1, b2 = books
    cached(price(b1.pk))
    cached(price(b2.pk))
    cached(titles)
    b2.title = "TWO"
    b2.save()
    still_cached(price(b1.pk), 10)
    invalidated(price(b2.pk), 20)
    invalidated(titles, ["one", "TWO"])


def test_pk_in_query_depends_on_its_keys_only(books):
    _, _, b1, b2 = books
    b3 = Book.objects.create(title="three", price=30)
    q = lambda: sorted(Book.objects.filter(pk__in=[b1.pk, b3.pk]).values_list("price", flat=True))  # noqa: E731
    cached(q)
    b2.price = 21
    b2.save()
    still_cached(q, [10, 30])
    b3.price = 31
    b3.save()
    invalidated(q, [10, 31])


def test_insert_invalidates_lists_and_a_cached_missing_key(books):
    q = lambda: Book.objects.filter(pk=999).first()  # noqa: E731
    assert cached(q) is None
    cached(titles)
    _, _, b1, _ = books
    cached(price(b1.pk))
    Book.objects.create(pk=999, title="late", price=1)
    value, h = hits(q)
    assert h == 0 and value is not None and value.title == "late"
    invalidated(titles, ["one", "two", "late"])
    still_cached(price(b1.pk), 10)


def test_insert_with_database_given_pk(books):
    """In autocommit the INSERT commits itself, so its intent is opened before the database
    has chosen the key: it names NEW_ROW, which reads that missed a key depend on. Inside a
    transaction the key is learned from the INSERT and named at COMMIT."""
    from django.db import transaction

    from tidemark_django.deps import NEW_ROW

    _, _, b1, b2 = books
    cached(price(b1.pk))
    count = lambda: Book.objects.count()  # noqa: E731
    cached(count)
    future = lambda: list(Book.objects.filter(pk__in=[b2.pk, b2.pk + 1]).values_list("title", flat=True))  # noqa: E731
    assert cached(future) == ["two"]
    b = Book.objects.create(title="auto", price=5)
    assert b.pk == b2.pk + 1
    invalidated(count, 3)
    invalidated(future, ["two", "auto"])
    still_cached(price(b1.pk), 10)  # found its key: does not depend on NEW_ROW
    last = last_advancing_record()
    assert [(c.table, c.keys) for c in last.changes] == [("testapp_book", [NEW_ROW])]
    with transaction.atomic():
        b = Book.objects.create(title="auto2", price=6)
    last = last_advancing_record()
    assert [(c.table, c.keys) for c in last.changes] == [("testapp_book", [str(b.pk)])]
    still_cached(price(b1.pk), 10)


def last_advancing_record():
    from tidemark_django import client

    tm = client.get()
    lsn = tm.hello().lsn
    records = tm.log(from_lsn=max(1, lsn - 20)).records
    return [r for r in records if r.kind in ("write", "commit")][-1]


def test_delete_instance(books):
    _, _, b1, b2 = books
    cached(price(b1.pk))
    cached(price(b2.pk))
    cached(titles)
    b2.delete()
    still_cached(price(b1.pk), 10)
    invalidated(titles, ["one"])
    value, h = hits(lambda: Book.objects.filter(pk=b2.pk).exists())
    assert (value, h) == (False, 0)


def test_bulk_create_and_bulk_update(books):
    _, _, b1, b2 = books
    cached(price(b1.pk))
    cached(price(b2.pk))
    cached(titles)
    Book.objects.bulk_create([Book(title="x", price=1), Book(title="y", price=2)])
    still_cached(price(b1.pk), 10)
    invalidated(titles, ["one", "two", "x", "y"])
    b2.price = 22
    Book.objects.bulk_update([b2], ["price"])
    still_cached(price(b1.pk), 10)
    invalidated(price(b2.pk), 22)


def test_queryset_update_and_delete_by_filter_are_wide(books):
    _, _, b1, b2 = books
    cached(price(b1.pk))
    cached(price(b2.pk))
    Book.objects.filter(title="two").update(price=25)
    invalidated(price(b1.pk), 10)  # rows unknown: the whole table
    invalidated(price(b2.pk), 25)
    cached(price(b1.pk))
    Book.objects.filter(pk=b2.pk).update(price=26)  # pinned by pk: only that key
    still_cached(price(b1.pk), 10)
    invalidated(price(b2.pk), 26)
    cached(titles)
    Book.objects.filter(price__gt=15).delete()
    invalidated(titles, ["one"])


def test_many_to_many_changes(books):
    _, _, b1, b2 = books
    red, blue = Tag.objects.create(name="red"), Tag.objects.create(name="blue")
    tags = lambda: sorted(b1.tags.values_list("name", flat=True))  # noqa: E731
    reverse = lambda: sorted(red.books.values_list("title", flat=True))  # noqa: E731
    assert cached(tags) == []
    assert cached(reverse) == []
    b1.tags.add(red)
    invalidated(tags, ["red"])
    invalidated(reverse, ["one"])
    cached(tags)
    b1.tags.add(blue)
    invalidated(tags, ["blue", "red"])
    cached(tags)
    b1.tags.remove(red)
    invalidated(tags, ["blue"])
    cached(tags)
    b1.tags.set([red])
    invalidated(tags, ["red"])
    cached(tags)
    b1.tags.clear()
    invalidated(tags, [])
    cached(tags)
    red.books.add(b2)
    invalidated(reverse, ["two"])


def test_select_related_and_joins(books):
    author, other, b1, b2 = books
    q = lambda: Book.objects.select_related("author").get(pk=b1.pk).author.name  # noqa: E731
    assert cached(q) == "ann"
    b2.price = 1
    b2.save()
    still_cached(q, "ann")  # another book
    other.name = "bo"
    other.save()
    invalidated(q, "ann")  # the author table is a whole-table dep
    cached(q)
    author.name = "anne"
    author.save()
    invalidated(q, "anne")
    q2 = lambda: list(Book.objects.filter(author__name="anne").values_list("title", flat=True))  # noqa: E731
    cached(q2)
    author.name = "ann"
    author.save()
    invalidated(q2, [])


def test_prefetch_related(books):
    author, _, b1, _ = books
    q = lambda: {a.name: sorted(b.title for b in a.books.all()) for a in Author.objects.prefetch_related("books")}  # noqa: E731
    assert cached(q) == {"ann": ["one"], "bob": ["two"]}
    b1.title = "uno"
    b1.save()
    invalidated(q, {"ann": ["uno"], "bob": ["two"]})
    red = Tag.objects.create(name="red")
    q2 = lambda: [sorted(t.name for t in b.tags.all()) for b in Book.objects.order_by("id").prefetch_related("tags")]  # noqa: E731
    assert cached(q2) == [[], []]
    b1.tags.add(red)
    invalidated(q2, [["red"], []])


def test_subqueries_and_aggregates(books):
    author, _, b1, _ = books
    q = lambda: sorted(Author.objects.filter(id__in=Book.objects.filter(price__gt=15).values("author")).values_list("name", flat=True))  # noqa: E731
    assert cached(q) == ["bob"]
    b1.price = 16
    b1.save()
    invalidated(q, ["ann", "bob"])
    agg = lambda: Book.objects.aggregate(s=Sum("price"))["s"]  # noqa: E731
    assert cached(agg) == 36
    ann = lambda: list(Author.objects.annotate(n=Count("books")).order_by("name").values_list("name", "n"))  # noqa: E731
    assert cached(ann) == [("ann", 1), ("bob", 1)]
    Review.objects.create(book=b1, stars=5)
    still_cached(agg, 36)
    still_cached(ann, [("ann", 1), ("bob", 1)])
    Book.objects.create(title="three", price=1, author=author)
    invalidated(agg, 37)
    invalidated(ann, [("ann", 2), ("bob", 1)])


def test_multi_table_inheritance():
    r = Restaurant.objects.create(name="r1", seats=10)
    p = Place.objects.create(name="p1")
    seats = lambda: Restaurant.objects.get(pk=r.pk).seats  # noqa: E731
    name = lambda: Place.objects.get(pk=r.pk).name  # noqa: E731
    other = lambda: Place.objects.get(pk=p.pk).name  # noqa: E731
    cached(seats)
    cached(name)
    cached(other)
    r.name = "r2"
    r.seats = 11
    r.save()
    invalidated(seats, 11)
    invalidated(name, "r2")
    still_cached(other, "p1")


def test_uuid_and_text_primary_keys():
    g1, g2 = Gadget.objects.create(label="a"), Gadget.objects.create(label="b")
    q = lambda: Gadget.objects.get(pk=str(g1.pk)).label  # noqa: E731  (text in, UUID written)
    cached(q)
    g2.label = "bb"
    g2.save()
    still_cached(q, "a")
    g1.label = "aa"
    g1.save()
    invalidated(q, "aa")
    missing = uuid.uuid4()
    assert cached(lambda: Gadget.objects.filter(pk=missing).exists()) is False
    Gadget.objects.create(pk=missing, label="new")
    invalidated(lambda: Gadget.objects.filter(pk=missing).exists(), True)
    c1, c2 = Code.objects.create(code="x", value=1), Code.objects.create(code="y", value=2)
    cq = lambda: Code.objects.get(pk="x").value  # noqa: E731
    cached(cq)
    c2.value = 3
    c2.save()
    still_cached(cq, 1)
    c1.value = 4
    c1.save()
    invalidated(cq, 4)


def test_raw_cursor_writes_are_wide(books):
    _, _, b1, b2 = books
    table = Book._meta.db_table
    qn = connection.ops.quote_name
    statements = [
        (f"UPDATE {qn(table)} SET price = price + 1 WHERE id = %s", [b2.pk], 10),
        (f"INSERT INTO {qn(table)} (title, price) VALUES (%s, %s)", ["raw", 3], 10),
        (f"DELETE FROM {qn(table)} WHERE title = %s", ["raw"], 10),
    ]
    for sql, params, expected in statements:
        cached(price(b1.pk))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        invalidated(price(b1.pk), expected)


def test_raw_truncate_and_alter(books):
    _, _, b1, _ = books
    qn = connection.ops.quote_name
    cached(price(b1.pk))
    cached(lambda: Tag.objects.count())
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {qn(Book._meta.db_table)} ADD COLUMN extra integer NULL")
    invalidated(price(b1.pk), 10)
    still_cached(lambda: Tag.objects.count(), 0)
    Tag.objects.create(name="t")
    cached(lambda: Tag.objects.count())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {qn(Tag._meta.db_table)} CASCADE")
        else:
            cursor.execute(f"DELETE FROM {qn(Tag._meta.db_table)}")
    invalidated(lambda: Tag.objects.count(), 0)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {qn(Book._meta.db_table)} DROP COLUMN extra")


def test_unparseable_raw_write_invalidates_everything(books):
    _, _, b1, _ = books
    cached(price(b1.pk))
    cached(lambda: Tag.objects.count())
    with connection.cursor() as cursor:
        # A write we cannot attribute to a table (a function call, a DO block, ...).
        if connection.vendor == "postgresql":
            cursor.execute("DO $$ BEGIN PERFORM 1; END $$")
        else:
            cursor.execute("REPLACE INTO testapp_tag (id, name) SELECT id, name FROM testapp_tag WHERE 0")
    invalidated(price(b1.pk), 10) if connection.vendor == "postgresql" else None
    if connection.vendor == "postgresql":
        invalidated(lambda: Tag.objects.count(), 0)


def test_migrations_invalidate_everything(books):
    from django.core.management import call_command

    from tests.migapp.models import Note

    _, _, b1, _ = books
    Note.objects.create(text="n")
    cached(price(b1.pk))
    cached(lambda: Note.objects.count())
    call_command("migrate", "migapp", "zero", verbosity=0)
    call_command("migrate", "migapp", verbosity=0)
    invalidated(price(b1.pk), 10)
    invalidated(lambda: Note.objects.count(), 0)


def test_reads_that_are_not_cached(books):
    _, _, b1, _ = books
    from django.db import transaction

    with counting() as d:
        with transaction.atomic():
            list(Book.objects.select_for_update().filter(pk=b1.pk))
        list(Book.objects.order_by("?"))
        list(Book.objects.iterator())
    assert d["stored"] == 0 and d["hit"] == 0


def test_update_assigning_the_primary_key_is_wide():
    """UPDATE ... SET pk = ...: the new keys are not in the WHERE clause. A cached miss of
    the new key must not survive it."""
    from django.db.models import F

    from tests.testapp.models import Counter

    Code.objects.create(code="x", value=1)
    moved = lambda: list(Code.objects.filter(pk="z").values_list("value", flat=True))  # noqa: E731
    assert cached(moved) == []
    Code.objects.filter(pk="x").update(code="z")
    invalidated(moved, [1])
    c = Counter.objects.create(value=5)
    shifted = lambda: Counter.objects.filter(pk=c.pk + 1000).count()  # noqa: E731
    assert cached(shifted) == 0
    Counter.objects.filter(pk=c.pk).update(id=F("id") + 1000)
    invalidated(shifted, 1)
