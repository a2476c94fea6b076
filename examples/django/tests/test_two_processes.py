"""Two processes sharing one database and one cache: the reader never observes a stale
cached result after the writer's COMMIT returned."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest
from django.db import connection

from tests.testapp.models import Counter

pytestmark = pytest.mark.django_db(transaction=True)

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("async_commit", [False, True], ids=["commit", "async-commit"])
def test_reader_never_sees_stale_after_commit(server, async_commit):
    ids = [Counter.objects.create(value=0).pk for _ in range(6)]
    work = tempfile.mkdtemp(prefix="tm-twoproc-")
    try:
        _run(ids, work, server, async_commit)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(ids, work, server, async_commit):
    marker = os.path.join(work, "marker.json")
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="tests.settings",
        TIDEMARK_TEST_DB_NAME=str(connection.settings_dict["NAME"]),
        TIDEMARK_TEST_CACHE_DIR=os.path.join(work, "cache"),
        TIDEMARK_SOCKET=server.socket,
        TWOPROC_MARKER=marker,
        TWOPROC_IDS=",".join(map(str, ids)),
        TWOPROC_SECONDS="4",
        TIDEMARK_TEST_ASYNC_COMMIT="1" if async_commit else "",
        PYTHONPATH=os.pathsep.join(filter(None, [HERE, os.environ.get("PYTHONPATH")])),
    )
    connection.close()  # SQLite: let the children have the file
    run = lambda role: subprocess.Popen(  # noqa: E731
        [sys.executable, "-m", "tests.twoproc_worker", role], cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    writer = run("writer")
    # The reader starts once the writer has published its first marker.
    import time

    deadline = time.monotonic() + 30
    while not os.path.exists(marker):
        assert writer.poll() is None, writer.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    readers = [run("reader") for _ in range(2)]
    results = []
    for p in [writer, *readers]:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    w, *rs = results
    print(results)
    assert w["writes"] > 20, w
    for r in rs:
        assert r["stale"] == 0, r["problems"]
        assert r["problems"] == [], r["problems"]
        assert r["stats"]["hit"] > 0, r  # the cache really served reads
    final = {str(k): v for k, v in Counter.objects.values_list("id", "value")}
    assert final == w["final"]
