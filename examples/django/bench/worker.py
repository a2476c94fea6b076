"""One benchmark process: runs the request mix from BENCH_START for BENCH_SECONDS and
prints a JSON line of counts. With BENCH_VERIFY=1 every read is checked against the
database (read past the cache just before it): a cached row older than that is stale."""

import json
import os
import random
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
django.setup()

from django.db import connections  # noqa: E402
from django.db.models import F  # noqa: E402

from shop.models import Product  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "0"))
START = float(os.environ["BENCH_START"])
VERIFY = os.environ.get("BENCH_VERIFY") == "1"
WRITE_RATIO = float(os.environ.get("BENCH_WRITES", "0.05"))
N_PRODUCTS = int(os.environ["BENCH_PRODUCTS"])
N_CATEGORIES = int(os.environ["BENCH_CATEGORIES"])
FIRST_PRODUCT = int(os.environ["BENCH_FIRST_PRODUCT"])
FIRST_CATEGORY = int(os.environ["BENCH_FIRST_CATEGORY"])
rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else os.getpid())

counts = {"requests": 0, "reads": 0, "writes": 0, "orm_reads": 0, "db_selects": 0, "stale": 0, "checked": 0}
stale_examples = []


def count_selects(execute, sql, params, many, context):
    if sql.lstrip()[:6].upper() == "SELECT":
        counts["db_selects"] += 1
    return execute(sql, params, many, context)


def product_id():
    # A skewed popularity: a few hundred products take most of the traffic.
    return FIRST_PRODUCT + min(int(rng.expovariate(1 / 150)), N_PRODUCTS - 1)


def category_id():
    return FIRST_CATEGORY + min(int(rng.expovariate(1 / 8)), N_CATEGORIES - 1)


def floor(sql, params):
    with connections["direct"].cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def check(kind, rows, before):
    counts["checked"] += 1
    for pk, version in rows:
        if version < before.get(pk, -1):
            counts["stale"] += 1
            if len(stale_examples) < 5:
                stale_examples.append(f"{kind} product {pk}: version {version} served, {before[pk]} committed before the read")
            return


def detail():
    pid = product_id()
    before = floor("SELECT id, version FROM shop_product WHERE id = %s", [pid]) if VERIFY else None
    counts["orm_reads"] += 1
    p = Product.objects.select_related("category").get(pk=pid)
    if VERIFY:
        check("detail", [(p.pk, p.version)], before)


def listing():
    cid = category_id()
    sql = "SELECT id, version FROM shop_product WHERE category_id = %s ORDER BY id LIMIT 20"
    before = floor(sql, [cid]) if VERIFY else None
    counts["orm_reads"] += 1
    rows = list(Product.objects.filter(category_id=cid).order_by("id")[:20])
    if VERIFY:
        check("list", [(p.pk, p.version) for p in rows], before)


def in_stock():
    cid = category_id()
    counts["orm_reads"] += 1
    Product.objects.filter(category_id=cid, stock__gt=0).count()


def write():
    pid = product_id()
    counts["orm_reads"] += 1
    p = Product.objects.get(pk=pid)
    p.price = rng.randint(1, 10000)
    p.version = F("version") + 1
    p.save(update_fields=["price", "version"])


def hit_path_us(reads=100, batches=20):
    """The cost of one cached read, median over batches: the same product read again and
    again (a hit in every caching mode: the traffic has stopped, and the least popular
    product is all but never written)."""
    pid = FIRST_PRODUCT + N_PRODUCTS - 1
    Product.objects.get(pk=pid)
    per_read = []
    for _ in range(batches):
        started = time.perf_counter()
        for _ in range(reads):
            Product.objects.get(pk=pid)
        per_read.append((time.perf_counter() - started) / reads * 1e6)
    per_read.sort()
    return per_read[len(per_read) // 2]


def main():
    connections["default"].ensure_connection()
    connections["default"].execute_wrappers.append(count_selects)
    connections["direct"].ensure_connection()
    if os.environ.get("BENCH_MODE") == "tidemark-local":
        from tidemark_django import client

        # A mode that fell back to the socket would be measured under the wrong name.
        reader = client.reader()
        if type(reader).__name__ != "LocalReader":
            sys.exit(f"tidemark-local: the data directory cannot be read locally ({reader!r} answers instead)")
    delay = START - time.time()
    if delay > 0:
        time.sleep(delay)  # all workers start together
    warm_end = START + WARMUP
    end = warm_end + SECONDS
    warming = WARMUP > 0
    while True:
        now = time.time()
        if now >= end:
            break
        if warming and now >= warm_end:
            # Steady state from here on: forget the warm-up's counts.
            warming = False
            for k in counts:
                counts[k] = 0
            stale_examples.clear()
            if os.environ.get("BENCH_MODE", "").startswith("tidemark"):
                from tidemark_django import stats

                stats.reset()
        r = rng.random()
        if r < WRITE_RATIO:
            write()
            counts["writes"] += 1
        else:
            r = rng.random()
            if r < 0.55:
                detail()
            elif r < 0.85:
                listing()
            else:
                in_stock()
            counts["reads"] += 1
        counts["requests"] += 1
    counts["elapsed"] = time.time() - (warm_end if WARMUP > 0 else START)
    # The hit-path probe's own reads are not workload: keep them out of the hit ratio.
    measured = dict(counts)
    hit_path = None if VERIFY else hit_path_us()
    extra = {}
    if os.environ.get("BENCH_MODE", "").startswith("tidemark"):
        import tidemark_django

        extra = tidemark_django.counters()
    print(json.dumps({"counts": measured, "stale_examples": stale_examples, "tidemark": extra, "hit_path_us": hit_path}))


if __name__ == "__main__":
    main()
