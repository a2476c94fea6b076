"""Reads: ``SQLCompiler.execute_sql`` served from the cache when Tidemark says the entry is
valid, otherwise stamped with the query's deps *before* the database is queried and stored.

A cache entry is ``(Stamp, deps, result)``; ``result`` is exactly what ``execute_sql``
returned (a list of row chunks for MULTI, one row or None for SINGLE).
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import logging
import uuid

from django.core.cache import caches
from django.core.exceptions import EmptyResultSet
from django.db.models.sql.constants import MULTI, SINGLE

from . import client, conf, deps, stats
from .state import in_transaction, local, pending, wanted

logger = logging.getLogger("tidemark_django")

_SCALARS = (str, int, float, bool, type(None), decimal.Decimal, datetime.date, datetime.time, datetime.timedelta, uuid.UUID, bytes)
_KEY_VERSION = "1"


def _params_key(params) -> str | None:
    """A stable text for the parameters, or None if one of them cannot be keyed safely."""
    parts = []
    for p in params:
        if isinstance(p, (list, tuple)):
            inner = _params_key(p)
            if inner is None:
                return None
            parts.append(f"[{inner}]")
        elif isinstance(p, _SCALARS):
            parts.append(f"{type(p).__name__}:{p!r}")
        else:
            return None
    return ",".join(parts)


def cache_key(compiler, sql: str, params, result_type, chunk_size) -> str | None:
    pkey = _params_key(params)
    if pkey is None:
        return None
    connection = compiler.connection
    text = "\x00".join(
        (
            _KEY_VERSION,
            connection.alias,
            str(connection.settings_dict.get("NAME")),
            str(result_type),
            str(chunk_size),
            str(compiler.col_count),
            str(compiler.has_extra_select),
            sql,
            pkey,
        )
    )
    return f"{conf.get().key_prefix}:{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()}"


def _may_populate(connection) -> bool:
    """Whether a result read now may be stored. Outside a transaction each statement sees
    the latest commits, so a stamp taken before it is a safe lower bound. Inside one, only
    PostgreSQL's READ COMMITTED gives each statement a fresh snapshot; under snapshot
    isolation (SQLite, REPEATABLE READ, ...) the read may be older than the stamp."""
    if not in_transaction(connection):
        return True
    if connection.vendor != "postgresql":
        return False
    level = connection.settings_dict.get("OPTIONS", {}).get("isolation_level")
    if level is None:
        return True
    try:
        from psycopg import IsolationLevel

        return level == IsolationLevel.READ_COMMITTED
    except Exception:
        return False


def _rows(result, result_type) -> int:
    if result_type == SINGLE:
        return 1
    return sum(len(chunk) for chunk in result)


def _prepare(compiler, result_type, chunked_fetch):
    """Everything needed to serve a read through the cache, or None to run it uncached."""
    cfg = conf.get()
    if not cfg.enabled or result_type not in (MULTI, SINGLE) or chunked_fetch or local.write_depth:
        return None
    query = compiler.query
    if query.select_for_update or getattr(query, "explain_info", None):
        return None
    if not wanted(query, cfg.cache_by_default):
        return None
    connection = compiler.connection
    if cfg.databases is not None and connection.alias not in cfg.databases:
        return None
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    if not sql or deps.is_volatile(sql):
        return None
    # execute_sql compiles again; hand it the same text instead of paying twice.
    original_as_sql = compiler.as_sql

    def as_sql(*args, **kwargs):
        if args or kwargs:
            return original_as_sql(*args, **kwargs)
        return sql, params

    compiler.as_sql = as_sql
    read_deps = deps.read_deps(compiler, sql)
    if read_deps is None:
        return None
    own = pending(connection)
    if own:
        # Our own transaction wrote some of these tables: its data is not committed, and
        # the shared cache does not know about it. Neither serve nor store.
        if deps.GLOBAL_TABLE in own or any(d.table in own for d in read_deps):
            return None
    return sql, params, read_deps


def execute_read(original, compiler, result_type, chunked_fetch, chunk_size, args, kwargs):
    def run():
        local.orm_depth += 1
        try:
            return original(compiler, result_type, chunked_fetch, chunk_size, *args, **kwargs)
        finally:
            local.orm_depth -= 1

    prepared = _prepare(compiler, result_type, chunked_fetch)
    if prepared is None:
        if conf.get().enabled:
            stats.incr("bypass")
        return run()
    sql, params, read_deps = prepared
    key = cache_key(compiler, sql, params, result_type, chunk_size)
    if key is None:
        stats.incr("bypass")
        return run()
    cfg = conf.get()
    cache = caches[cfg.cache_alias]
    capture = local.capture
    try:
        entry = cache.get(key)
    except Exception as exc:
        logger.warning("tidemark: cache get failed (%s)", exc)
        entry = None
    if capture is not None:
        # tidemark_why: report, read the database, leave the cache alone.
        capture.append({"sql": sql, "params": params, "key": key, "deps": read_deps, "entry": entry})
        return run()
    tm = client.reader()
    if entry is not None:
        stamp, _, result = entry
        if tm.is_valid(stamp, read_deps):
            stats.incr("hit")
            return result
        stats.incr("invalid")
    else:
        stats.incr("miss")
    try:
        stamped = tm.stamp(read_deps)  # before the database is read
    except Exception as exc:
        logger.debug("tidemark: stamp failed, not caching: %s", exc)
        stamped = None
    result = run()
    if stamped is None:
        stats.incr("unavailable")
        return result
    if not stamped.cacheable:
        stats.incr("uncacheable")
        return result
    if not _may_populate(compiler.connection) or _rows(result, result_type) > cfg.max_rows:
        return result
    try:
        cache.set(key, (stamped.stamp, read_deps, result), cfg.cache_ttl)
        stats.incr("stored")
    except Exception as exc:
        logger.warning("tidemark: cache set failed (%s)", exc)
    return result
