"""A writer or a reader process for test_two_processes (python -m tests.twoproc_worker ROLE).

The writer increments counters (single-row updates and multi-row transactions) and, right
after each database COMMIT returns -- before Tidemark hears the commit -- publishes the
committed values in a marker file. The reader reads the marker, then the counters through
the cache, then the database: a cached value below the marker is a stale read after COMMIT.
"""

import json
import os
import random
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import F, Sum  # noqa: E402

import tidemark_django  # noqa: E402
from tests.testapp.models import Counter  # noqa: E402

MARKER = os.environ["TWOPROC_MARKER"]
IDS = [int(x) for x in os.environ["TWOPROC_IDS"].split(",")]
SECONDS = float(os.environ.get("TWOPROC_SECONDS", "4"))


def publish(values):
    tmp = MARKER + f".{os.getpid()}.tmp"
    with open(tmp, "w") as f:
        json.dump(values, f)
    os.replace(tmp, MARKER)


def writer():
    committed = {str(i): 0 for i in IDS}
    publish(committed)
    upcoming = {}
    real_commit = connection._commit

    def commit():
        real_commit()
        publish(upcoming)  # the COMMIT has returned; Tidemark's commit comes after

    connection._commit = commit
    writes = 0
    rng = random.Random(7)
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        kind = rng.random()
        if kind < 0.6:
            i = rng.choice(IDS)
            upcoming = dict(committed, **{str(i): committed[str(i)] + 1})
            Counter.objects.filter(pk=i).update(value=F("value") + 1)
        elif kind < 0.8:
            i, j = rng.sample(IDS, 2)
            upcoming = dict(committed, **{str(i): committed[str(i)] + 1, str(j): committed[str(j)] + 1})
            with transaction.atomic():
                for k in (i, j):
                    c = Counter.objects.get(pk=k)
                    c.value = F("value") + 1
                    c.save(update_fields=["value"])
        else:
            i = rng.choice(IDS)
            upcoming = dict(committed, **{str(i): committed[str(i)] + 1})
            c = Counter.objects.get(pk=i)  # may come from the cache: it must be fresh
            c.value = c.value + 1
            c.save()
        committed = upcoming
        writes += 1
    print(json.dumps({"writes": writes, "final": committed, "stats": tidemark_django.counters()}))


def reader():
    reads = stale = 0
    problems = []
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        with open(MARKER) as f:
            marker = json.load(f)
        i = random.choice(IDS)
        cached = {
            "get": {str(i): Counter.objects.get(pk=i).value},
            "list": {str(k): v for k, v in Counter.objects.order_by("id").values_list("id", "value")},
            "sum": Counter.objects.aggregate(s=Sum("value"))["s"],
        }
        with tidemark_django.no_cache():
            db = {str(k): v for k, v in Counter.objects.values_list("id", "value")}
        reads += 3
        checks = [("get", k, v, marker[k]) for k, v in cached["get"].items()]
        checks += [("list", k, v, marker[k]) for k, v in cached["list"].items()]
        checks += [("sum", "*", cached["sum"], sum(marker.values()))]
        for what, k, value, floor in checks:
            if value < floor:
                stale += 1
                problems.append(f"{what} {k}: cached {value} < committed {floor} (db {db})")
        for k, v in cached["list"].items():
            if v > db[k]:
                problems.append(f"list {k}: cached {v} > db {db[k]}")
    print(json.dumps({"reads": reads, "stale": stale, "problems": problems[:10], "stats": tidemark_django.counters()}))


if __name__ == "__main__":
    {"writer": writer, "reader": reader}[sys.argv[1]]()
