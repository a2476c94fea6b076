"""The ORM shapes test_orm_shapes runs through the app: a data set, the read shapes (each
with what the app should do with it), the write shapes, and the generic writes used to
check that every cached read stays fresh."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from django.db import connection, transaction
from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Concat, Lower, Now, RowNumber, Upper

from tests.testapp.models import Author, Book, Code, Counter, Event, Gadget, Place, Restaurant, Review, Tag

UTC = datetime.timezone.utc


def clear() -> None:
    """Empty every table the shapes use (one transaction, so one announcement)."""
    models = [Book.tags.through, Review, Book, Author, Tag, Restaurant, Place, Code, Gadget, Event, Counter]
    qn = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"DELETE FROM {qn(model._meta.db_table)}")


@transaction.atomic
def make_data() -> SimpleNamespace:
    ann, bob, cid = (Author.objects.create(name=n) for n in ("ann", "bob", "cid"))
    red, blue, green = (Tag.objects.create(name=n) for n in ("red", "blue", "green"))
    one = Book.objects.create(title="one", price=10, author=ann)
    two = Book.objects.create(title="two", price=20, author=bob)
    three = Book.objects.create(title="three", price=30, author=ann)
    four = Book.objects.create(title="four", price=40, author=None)
    one.tags.add(red)
    two.tags.add(red, blue)
    Review.objects.create(book=one, stars=5)
    Review.objects.create(book=one, stars=3)
    Review.objects.create(book=two, stars=4)
    p1 = Place.objects.create(name="p1")
    r1 = Restaurant.objects.create(name="r1", seats=10)
    r2 = Restaurant.objects.create(name="r2", seats=20)
    Code.objects.create(code="x", value=1)
    Code.objects.create(code="y", value=2)
    g1, g2 = Gadget.objects.create(label="a"), Gadget.objects.create(label="b")
    Event.objects.create(name="e1", when=datetime.datetime(2024, 1, 1, 10, tzinfo=UTC), data={"k": 1, "tags": ["a"]})
    Event.objects.create(name="e2", when=datetime.datetime(2024, 3, 5, 12, tzinfo=UTC), data={"k": 2})
    c1 = Counter.objects.create(value=0)
    return SimpleNamespace(
        ann=ann.pk, bob=bob.pk, cid=cid.pk, red=red.pk, blue=blue.pk, green=green.pk,
        one=one.pk, two=two.pk, three=three.pk, four=four.pk, p1=p1.pk, r1=r1.pk, r2=r2.pk,
        g1=g1.pk, g2=g2.pk, c1=c1.pk,
    )  # fmt: skip


def snapshot() -> dict:
    """Every table's rows (auto-increment ids left out: PostgreSQL does not roll sequences back)."""
    return {
        "author": sorted(Author.objects.values_list("name", flat=True)),
        "book": sorted(Book.objects.values_list("title", "price", "author__name")),
        "book_tags": sorted(Book.tags.through.objects.values_list("book__title", "tag__name")),
        "tag": sorted(Tag.objects.values_list("name", flat=True)),
        "review": sorted(Review.objects.values_list("book__title", "stars")),
        "place": sorted(Place.objects.values_list("name", "restaurant__seats")),
        "code": sorted(Code.objects.values_list("code", "value")),
        "gadget": sorted(Gadget.objects.values_list("label", flat=True)),
        "event": sorted((n, w.isoformat(), repr(sorted(d.items()))) for n, w, d in Event.objects.values_list("name", "when", "data")),
        "counter": sorted(Counter.objects.values_list("value", flat=True)),
    }


def _pg(vendor_mode: str, other_mode: str):
    return lambda: vendor_mode if connection.vendor == "postgresql" else other_mode


def _in_atomic(fn):
    def run(d):
        with transaction.atomic():
            return fn(d)

    return run


def _book_rows(qs):
    return [(b.title, b.price) for b in qs]


def _authors_with_books(qs):
    return [(a.name, sorted(b.title for b in a.books.all())) for a in qs]


# (name, fn(data) -> comparable value, mode). mode: "cached" (the second run is served from
# the cache), "bypass" (never served or stored), "any" (only the result is checked), or a
# callable giving one of those for the current database.
READS = [
    ("all", lambda d: _book_rows(Book.objects.order_by("id")), "cached"),
    ("get_pk", lambda d: Book.objects.get(pk=d.one).title, "cached"),
    ("get_missing", lambda d: Book.objects.get(pk=987654).title, "cached"),
    ("get_multiple", lambda d: Book.objects.get(author_id=d.ann).title, "cached"),
    ("filter_pk_in", lambda d: sorted(Book.objects.filter(pk__in=[d.one, d.three, 987654]).values_list("title", flat=True)), "cached"),
    ("first_last", lambda d: (Book.objects.order_by("price").first().title, Book.objects.order_by("price").last().title), "cached"),
    ("latest_earliest", lambda d: (Event.objects.latest("when").name, Event.objects.earliest("when").name), "cached"),
    ("exists", lambda d: (Book.objects.filter(price__gt=35).exists(), Book.objects.filter(pk=d.two).exists()), "cached"),
    ("contains", lambda d: Book.objects.filter(price__lt=15).contains(Book.objects.get(pk=d.one)), "cached"),
    ("count", lambda d: Book.objects.filter(price__gte=20).count(), "cached"),
    ("count_sliced", lambda d: Book.objects.order_by("id")[1:3].count(), "cached"),
    ("slice_offset", lambda d: list(Book.objects.order_by("id").values_list("title", flat=True)[1:3]), "cached"),
    ("aggregate", lambda d: Book.objects.aggregate(s=Sum("price"), n=Count("id"), a=Avg("price"), m=Max("price")), "cached"),
    ("aggregate_filter_arg", lambda d: Book.objects.aggregate(n=Count("id", filter=Q(price__gt=15))), "cached"),
    ("aggregate_over_annotation", lambda d: Author.objects.annotate(n=Count("books")).aggregate(m=Max("n"), s=Sum("n")), "cached"),
    ("annotate_filter_count", lambda d: Author.objects.annotate(n=Count("books")).filter(n__gte=1).count(), "cached"),
    ("annotate_distinct_count", lambda d: Book.objects.annotate(nt=Count("tags", distinct=True)).filter(nt=0).count(), "cached"),
    ("aggregate_distinct_values", lambda d: Book.objects.values("author").distinct().count(), "cached"),
    ("annotate", lambda d: list(Author.objects.annotate(n=Count("books")).order_by("name").values_list("name", "n")), "cached"),
    ("values", lambda d: list(Book.objects.order_by("id").values("title", "author__name")), "cached"),
    ("values_list_flat", lambda d: list(Book.objects.order_by("id").values_list("title", flat=True)), "cached"),
    ("values_list_named", lambda d: [tuple(r) for r in Book.objects.order_by("id").values_list("title", "price", named=True)], "cached"),
    ("values_annotate_group_by", lambda d: list(Book.objects.values("author__name").annotate(total=Sum("price")).order_by("author__name")), "cached"),
    ("distinct", lambda d: list(Book.objects.filter(tags__isnull=False).values_list("title", flat=True).distinct().order_by("title")), "cached"),
    ("distinct_on", lambda d: list(Book.objects.order_by("author_id", "-price").distinct("author_id").values_list("title", flat=True)), _pg("cached", "bypass")),
    ("union", lambda d: list(Book.objects.filter(price__lt=15).values_list("title", flat=True).union(Book.objects.filter(price__gt=35).values_list("title", flat=True)).order_by("title")), "cached"),
    ("intersection", lambda d: list(Book.objects.filter(price__lt=35).values_list("title", flat=True).intersection(Book.objects.filter(price__gt=15).values_list("title", flat=True)).order_by("title")), "cached"),
    ("difference", lambda d: list(Book.objects.values_list("title", flat=True).difference(Book.objects.filter(author__name="ann").values_list("title", flat=True)).order_by("title")), "cached"),
    ("union_of_models", lambda d: sorted(b.title for b in Book.objects.filter(price=10).union(Book.objects.filter(price=40))), "cached"),
    ("union_count", lambda d: Book.objects.filter(price__lt=15).union(Book.objects.filter(author__name="bob")).count(), "cached"),
    ("union_exists", lambda d: Book.objects.filter(price__lt=5).union(Book.objects.filter(author__name="bob")).exists(), "cached"),
    ("select_related", lambda d: [(b.title, b.author.name if b.author else None) for b in Book.objects.select_related("author").order_by("id")], "cached"),
    ("select_related_get", lambda d: Book.objects.select_related("author").get(pk=d.one).author.name, "cached"),
    ("select_related_reverse_o2o", lambda d: [(p.name, getattr(getattr(p, "restaurant", None), "seats", None)) for p in Place.objects.select_related("restaurant").order_by("id")], "cached"),
    ("prefetch_related", lambda d: _authors_with_books(Author.objects.prefetch_related("books").order_by("name")), "cached"),
    ("prefetch_m2m", lambda d: [(b.title, sorted(t.name for t in b.tags.all())) for b in Book.objects.prefetch_related("tags").order_by("id")], "cached"),
    ("prefetch_object", lambda d: [(a.name, sorted(b.title for b in a.pricey)) for a in Author.objects.prefetch_related(Prefetch("books", queryset=Book.objects.filter(price__gt=15), to_attr="pricey")).order_by("name")], "cached"),
    ("related_manager", lambda d: sorted(Author.objects.get(pk=d.ann).books.values_list("title", flat=True)), "cached"),
    ("fk_descriptor", lambda d: Book.objects.get(pk=d.two).author.name, "cached"),
    ("only_defer", lambda d: [(b.title, b.price) for b in Book.objects.only("title").order_by("id")], "cached"),
    ("defer", lambda d: [(b.title, b.price) for b in Book.objects.defer("price").order_by("id")], "cached"),
    ("in_bulk", lambda d: {k: v.title for k, v in Book.objects.in_bulk([d.one, d.two]).items()}, "cached"),
    ("in_bulk_all", lambda d: {k: v.title for k, v in Book.objects.in_bulk().items()}, "cached"),
    ("in_bulk_field", lambda d: sorted(Code.objects.in_bulk(["x", "y"], field_name="code")), "cached"),
    ("extra_select", lambda d: list(Book.objects.extra(select={"double": "price * 2"}).order_by("id").values_list("title", "double")), "cached"),
    ("extra_select_instances", lambda d: [(b.title, b.double) for b in Book.objects.extra(select={"double": "price * 2"}).order_by("id")], "cached"),
    ("extra_where", lambda d: sorted(Book.objects.extra(where=["price > %s"], params=[15]).values_list("title", flat=True)), "cached"),
    ("extra_tables", lambda d: sorted(Book.objects.extra(tables=["testapp_author"], where=["testapp_author.id = testapp_book.author_id", "testapp_author.name = %s"], params=["ann"]).values_list("title", flat=True)), "cached"),
    ("extra_select_count", lambda d: Book.objects.extra(select={"double": "price * 2"}).count(), "cached"),
    ("raw", lambda d: [(b.title, b.price) for b in Book.objects.raw("SELECT id, title, price, author_id FROM testapp_book ORDER BY id")], "bypass"),
    ("rawsql_annotation", lambda d: list(Author.objects.annotate(n=RawSQL("SELECT COUNT(*) FROM testapp_review r JOIN testapp_book b ON b.id = r.book_id WHERE b.author_id = testapp_author.id", ())).order_by("name").values_list("name", "n")), "cached"),
    ("subquery_in", lambda d: sorted(Author.objects.filter(id__in=Book.objects.filter(price__gt=15).values("author")).values_list("name", flat=True)), "cached"),
    ("subquery_outerref", lambda d: list(Author.objects.annotate(top=Subquery(Book.objects.filter(author=OuterRef("pk")).order_by("-price").values("price")[:1])).order_by("name").values_list("name", "top")), "cached"),
    ("exists_filter", lambda d: sorted(Author.objects.filter(Exists(Book.objects.filter(author=OuterRef("pk"), price__gt=25))).values_list("name", flat=True)), "cached"),
    ("not_exists", lambda d: sorted(Author.objects.filter(~Exists(Book.objects.filter(author=OuterRef("pk")))).values_list("name", flat=True)), "cached"),
    ("exists_annotation", lambda d: list(Book.objects.annotate(reviewed=Exists(Review.objects.filter(book=OuterRef("pk")))).order_by("id").values_list("title", "reviewed")), "cached"),
    ("window", lambda d: list(Book.objects.annotate(rank=Window(RowNumber(), partition_by=F("author_id"), order_by=F("price").desc())).order_by("id").values_list("title", "rank")), "cached"),
    ("window_filter", lambda d: sorted(Book.objects.annotate(rank=Window(RowNumber(), partition_by=F("author_id"), order_by=F("price").desc())).filter(rank=1).values_list("title", flat=True)), "cached"),
    ("case_when_functions", lambda d: list(Book.objects.annotate(band=Case(When(price__gt=25, then=Value(2)), default=Value(1), output_field=IntegerField()), up=Upper("title"), low=Lower(Concat("title", Value("-"), Coalesce("author__name", Value("none"))))).order_by("id").values_list("band", "up", "low")), "cached"),
    ("alias", lambda d: sorted(Book.objects.alias(p2=F("price") * 2).filter(p2__gt=30).values_list("title", flat=True)), "cached"),
    ("q_or_pk", lambda d: sorted(Book.objects.filter(Q(pk=d.one) | Q(pk=d.four)).values_list("title", flat=True)), "cached"),
    ("exclude_pk", lambda d: sorted(Book.objects.exclude(pk=d.one).values_list("title", flat=True)), "cached"),
    ("queryset_or", lambda d: sorted((Book.objects.filter(pk=d.one) | Book.objects.filter(price=40)).values_list("title", flat=True)), "cached"),
    ("pk_and_join", lambda d: sorted(Book.objects.filter(pk__in=[d.one, d.two], reviews__stars__gte=4).values_list("title", flat=True)), "cached"),
    ("multi_table_inheritance", lambda d: (list(Restaurant.objects.order_by("id").values_list("name", "seats")), Restaurant.objects.get(pk=d.r1).name, sorted(Place.objects.filter(restaurant__seats__gt=15).values_list("name", flat=True))), "cached"),
    ("uuid_and_text_pks", lambda d: (Gadget.objects.get(pk=str(d.g1)).label, Code.objects.get(pk="x").value), "cached"),
    ("dates", lambda d: list(Event.objects.dates("when", "month")), "cached"),
    ("datetimes", lambda d: list(Event.objects.datetimes("when", "day")), "cached"),
    ("json_lookups", lambda d: (sorted(Event.objects.filter(data__k=2).values_list("name", flat=True)), sorted(Event.objects.filter(data__has_key="tags").values_list("name", flat=True))), "cached"),
    ("empty_in", lambda d: list(Book.objects.filter(pk__in=[])), "bypass"),
    ("none", lambda d: (list(Book.objects.none()), Book.objects.none().count()), "bypass"),
    ("iterator", lambda d: [b.title for b in Book.objects.order_by("id").iterator()], "bypass"),
    ("iterator_prefetch", lambda d: [(b.title, sorted(t.name for t in b.tags.all())) for b in Book.objects.order_by("id").prefetch_related("tags").iterator(chunk_size=2)], "any"),
    ("select_for_update", _in_atomic(lambda d: list(Book.objects.select_for_update().filter(price__gt=15).order_by("id").values_list("title", flat=True))), "bypass"),
    ("explain", lambda d: bool(Book.objects.filter(price__gt=15).explain()), "bypass"),
    ("order_random", lambda d: sorted(Book.objects.order_by("?").values_list("title", flat=True)), "bypass"),
    ("now_annotation", lambda d: [t for t, _ in Book.objects.annotate(at=Now()).order_by("id").values_list("title", "at")], "bypass"),
]


# Cached reads checked after every write shape: every table, keyed and table deps, joins,
# subqueries, aggregates, combinators.
PROBE_NAMES = (
    "all", "get_pk", "get_missing", "filter_pk_in", "exists", "count", "aggregate", "annotate_filter_count",
    "union_count", "select_related_get", "prefetch_m2m", "subquery_outerref", "window_filter",
    "multi_table_inheritance", "uuid_and_text_pks", "json_lookups", "in_bulk_field", "extra_tables",
)  # fmt: skip

# Generic writes applied after each cached read shape, one after another; after each the
# read must return what the database returns. Between them they touch every table.
FRESHNESS_WRITES = [
    ("update_by_pk", lambda d: Book.objects.filter(pk=d.one).update(price=F("price") + 1)),
    ("create_book", lambda d: Book.objects.create(title="five", price=15, author_id=d.bob)),
    ("delete_book", lambda d: Book.objects.filter(pk=d.four).delete()),
    ("every_other_table", _in_atomic(lambda d: (
        _save(Book.objects.get(pk=d.two), title="TWO", price=21),
        Review.objects.create(book_id=d.three, stars=2),
        Book.objects.get(pk=d.three).tags.add(d.green),
        Author.objects.filter(pk=d.ann).update(name="anne"),
        Restaurant.objects.filter(pk=d.r1).update(seats=30),
        Place.objects.filter(pk=d.r2).update(name="R2"),
        Code.objects.filter(pk="x").update(value=7),
        Gadget.objects.filter(pk=d.g1).update(label="A"),
        Event.objects.filter(name="e1").update(data={"k": 2}),
    ))),
]  # fmt: skip


def _save(obj, **fields):
    for k, v in fields.items():
        setattr(obj, k, v)
    obj.save()


def _get_or_create_race(d):
    # get_or_create whose INSERT hits a unique constraint: Django retries the get.
    return Code.objects.get_or_create(code="x", defaults={"value": 9})[0].value


# (name, fn(data)): writes through the app, in autocommit unless they open a transaction.
WRITES = [
    ("update_all", lambda d: Book.objects.update(price=1)),
    ("update_all_f", lambda d: Book.objects.update(price=F("price") + 1)),
    ("delete_all", lambda d: Book.objects.all().delete()),
    ("delete_all_fast", lambda d: Counter.objects.all().delete()),
    ("delete_all_tags_m2m", lambda d: Tag.objects.all().delete()),
    ("update_after_extra", lambda d: Book.objects.extra(select={"x": "1"}).update(price=5)),
    ("delete_after_extra", lambda d: Book.objects.extra(select={"x": "1"}).delete()),
    ("update_after_prefetch", lambda d: Book.objects.prefetch_related("tags").update(price=6)),
    ("delete_after_prefetch", lambda d: Book.objects.prefetch_related("tags").delete()),
    ("update_after_select_related", lambda d: Book.objects.select_related("author").filter(price__gt=15).update(price=7)),
    ("update_ordered", lambda d: Book.objects.order_by("-id").update(price=8)),
    ("update_filtered", lambda d: Book.objects.filter(title="two").update(price=25)),
    ("update_by_pk", lambda d: Book.objects.filter(pk=d.two).update(price=26)),
    ("update_by_pk_in", lambda d: Book.objects.filter(pk__in=[d.one, d.two]).update(price=F("price") * 2)),
    ("update_through_join", lambda d: Book.objects.filter(author__name="ann").update(price=9)),
    ("update_annotated", lambda d: Author.objects.annotate(n=Count("books")).filter(n__gt=1).update(name="many")),
    ("update_exists", lambda d: Book.objects.filter(Exists(Review.objects.filter(book=OuterRef("pk"), stars=5))).update(price=55)),
    ("update_subquery_value", lambda d: Author.objects.update(name=Subquery(Book.objects.filter(author=OuterRef("pk")).order_by("-price").values("title")[:1]))),
    ("update_case", lambda d: Book.objects.update(price=Case(When(price__gt=25, then=Value(0)), default=F("price")))),
    ("update_json", lambda d: Event.objects.filter(data__k=1).update(data={"k": 3})),
    ("update_pk_value", lambda d: Code.objects.filter(pk="x").update(code="z")),
    ("update_pk_expression", lambda d: Counter.objects.update(id=F("id") + 1000)),
    ("update_mti_child", lambda d: Restaurant.objects.filter(seats=10).update(name="r1b", seats=11)),
    ("update_mti_parent_via_child_pk", lambda d: Restaurant.objects.filter(pk=d.r2).update(name="r2b")),
    ("delete_filtered", lambda d: Book.objects.filter(price__gt=15).delete()),
    ("delete_through_join", lambda d: Book.objects.filter(author__name="bob").delete()),
    ("delete_by_subquery", lambda d: Book.objects.filter(pk__in=Review.objects.filter(stars__gte=4).values("book")).delete()),
    ("delete_instance", lambda d: Book.objects.get(pk=d.one).delete()),
    ("delete_instance_fast", lambda d: Counter.objects.get(pk=d.c1).delete()),
    ("delete_mti_instance", lambda d: Restaurant.objects.get(pk=d.r1).delete()),
    ("save", lambda d: _save(Book.objects.get(pk=d.one), price=11)),
    ("save_update_fields", lambda d: Book.objects.get(pk=d.one).save(update_fields=["price"])),
    ("save_f_expression", lambda d: _save(Counter.objects.get(pk=d.c1), value=F("value") + 1)),
    ("save_new_pk", lambda d: _save(Book.objects.get(pk=d.one), pk=987654, title="moved")),
    ("save_mti", lambda d: _save(Restaurant.objects.get(pk=d.r1), name="r1c", seats=12)),
    ("create", lambda d: Book.objects.create(title="five", price=50, author_id=d.cid)),
    ("create_explicit_pk", lambda d: Book.objects.create(pk=987654, title="late", price=1)),
    ("create_uuid", lambda d: Gadget.objects.create(label="c")),
    ("create_text_pk", lambda d: Code.objects.create(code="w", value=3)),
    ("create_mti", lambda d: Restaurant.objects.create(name="r3", seats=5)),
    ("create_duplicate_pk", lambda d: Code.objects.create(code="x", value=9)),
    ("bulk_create", lambda d: Book.objects.bulk_create([Book(title="b1", price=1), Book(title="b2", price=2, author_id=d.bob)])),
    ("bulk_create_explicit_pks", lambda d: Code.objects.bulk_create([Code(code="m", value=1), Code(code="n", value=2)])),
    ("bulk_create_ignore_conflicts", lambda d: Code.objects.bulk_create([Code(code="x", value=8), Code(code="o", value=3)], ignore_conflicts=True)),
    ("bulk_create_update_conflicts", lambda d: Code.objects.bulk_create([Code(code="x", value=8), Code(code="p", value=4)], update_conflicts=True, unique_fields=["code"], update_fields=["value"])),
    ("bulk_update", lambda d: Book.objects.bulk_update([Book(pk=d.one, price=100), Book(pk=d.three, price=300)], ["price"])),
    ("update_or_create_updates", lambda d: Code.objects.update_or_create(code="x", defaults={"value": 11})),
    ("update_or_create_creates", lambda d: Code.objects.update_or_create(code="q", defaults={"value": 12})),
    ("get_or_create_gets", _get_or_create_race),
    ("get_or_create_creates", lambda d: Code.objects.get_or_create(code="r", defaults={"value": 13})[1]),
    ("m2m_add_remove_set_clear", lambda d: (Book.objects.get(pk=d.three).tags.add(d.red, d.blue), Book.objects.get(pk=d.two).tags.remove(d.red), Book.objects.get(pk=d.one).tags.set([d.green]), Tag.objects.get(pk=d.blue).books.clear())),
    ("select_for_update_then_update", _in_atomic(lambda d: [_save(b, price=b.price + 1) for b in Book.objects.select_for_update().filter(price__lt=25)])),
    ("atomic_mixed", _in_atomic(lambda d: (Book.objects.create(title="t", price=3), Book.objects.filter(pk=d.one).delete(), Author.objects.update(name="x")))),
]
