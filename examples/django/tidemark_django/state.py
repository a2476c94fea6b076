"""Per-thread and per-connection state, and the opt-in/opt-out switches."""

from __future__ import annotations

import contextvars
import threading
from contextlib import contextmanager


class _Local(threading.local):
    def __init__(self) -> None:
        # >0 while an ORM compiler runs: its statements are already accounted for, so the
        # raw-SQL execute wrapper leaves them alone.
        self.orm_depth = 0
        # >0 while an ORM write runs: reads it makes (pk pre-selection) bypass the cache.
        self.write_depth = 0
        # ORM statements that completed: tells an autocommit write refused by the database
        # before anything ran (its intent is aborted) from one that committed part of itself.
        self.executed = 0
        # When set (by tidemark_why), reads record what they would do instead of caching.
        self.capture = None


local = _Local()

# None: follow CACHE_BY_DEFAULT. True/False: inside tidemark_django.cache()/no_cache().
_mode: contextvars.ContextVar = contextvars.ContextVar("tidemark_django_mode", default=None)


@contextmanager
def no_cache():
    """Reads inside this block neither use nor fill the cache (writes are still announced)."""
    token = _mode.set(False)
    try:
        yield
    finally:
        _mode.reset(token)


@contextmanager
def cache():
    """Reads inside this block are cached even when CACHE_BY_DEFAULT is False."""
    token = _mode.set(True)
    try:
        yield
    finally:
        _mode.reset(token)


def wanted(query, default: bool) -> bool:
    """Whether a read should go through the cache: the query set's own choice
    (``.cache()``/``.no_cache()``), else the innermost context manager, else the setting."""
    flag = getattr(query, "_tidemark_cache", None)
    if flag is None:
        inner = getattr(query, "inner_query", None)
        flag = getattr(inner, "_tidemark_cache", None)
    if flag is not None:
        return flag
    mode = _mode.get()
    if mode is not None:
        return mode
    return default


def in_transaction(connection) -> bool:
    return connection.in_atomic_block or not connection.get_autocommit()
