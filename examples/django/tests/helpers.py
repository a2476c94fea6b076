from contextlib import contextmanager

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
