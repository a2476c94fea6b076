import threading
from contextlib import contextmanager

from django.db import connections

from tidemark_django import stats


@contextmanager
def counting():
    """Yields a dict that, after the block, holds the counter deltas of the block."""
    before = stats.snapshot()
    delta: dict = {}
    yield delta
    after = stats.snapshot()
    delta.update({k: after[k] - before[k] for k in after})


def hits(fn):
    """Runs fn and returns (its result, how many reads were served from the cache)."""
    with counting() as d:
        result = fn()
    return result, d["hit"]


def in_thread(fn):
    """fn() on another thread, so on another database connection; returns (its result,
    the counter deltas)."""
    out = {}

    def run():
        try:
            with counting() as d:
                out["value"] = fn()
            out["delta"] = d
        except BaseException as exc:  # re-raised in the caller's thread
            out["error"] = exc
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"], out["delta"]
