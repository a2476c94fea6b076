"""Reads: ``SQLCompiler.execute_sql`` served from the cache when Tidemark says the entry is
valid, otherwise stamped with the query's deps *before* the database is queried and stored.

A cache entry is ``(Stamp, deps, result)``; ``result`` is exactly what ``execute_sql``
returned (a list of row chunks for MULTI, one row or None for SINGLE).

Where an entry lives: outside a transaction, and inside one whose statements see every
commit (``isolation.fresh_statements``) for reads of tables the transaction has not
written, the shared cache. Every other read inside a transaction uses the transaction's
own cache (``transaction_state``), which nobody else sees and which ends with it.

Whatever goes wrong in working out a read's key or deps, the read runs uncached, exactly
as Django would have run it: the cache never turns a working query into an error.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import logging
import pickle
import uuid
from dataclasses import dataclass

from django.core.cache import caches
from django.core.exceptions import EmptyResultSet
from django.db.models.sql.constants import MULTI, SINGLE

from . import client, conf, deps, isolation, stats
from . import transaction_state as txstate
from .state import in_transaction, local, wanted

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
            # SQLAggregateCompiler never sets it (it only matters for MULTI results).
            str(getattr(compiler, "has_extra_select", False)),
            sql,
            pkey,
        )
    )
    return f"{conf.get().key_prefix}:{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()}"


def _compile_once(compiler):
    """The compiler's SQL, compiled once: ``execute_sql`` gets the same text (or the same
    exception) when it compiles, as if it were the only caller."""
    try:
        outcome = ("ok", compiler.as_sql())
    except Exception as exc:
        outcome = ("error", exc)
    original = compiler.as_sql

    def as_sql(*args, **kwargs):
        if args or kwargs:
            return original(*args, **kwargs)
        if outcome[0] == "error":
            raise outcome[1]
        return outcome[1]

    compiler.as_sql = as_sql
    return outcome


@dataclass(frozen=True)
class Plan:
    sql: str
    params: tuple
    key: str
    deps: deps.ReadDeps


def _plan(compiler, result_type, chunked_fetch, chunk_size) -> Plan | None:
    """Everything needed to serve a read through the cache, or None to run it uncached."""
    cfg = conf.get()
    if result_type not in (MULTI, SINGLE) or chunked_fetch or local.write_depth:
        return None
    query = compiler.query
    if query.select_for_update or getattr(query, "explain_info", None):
        return None
    if not wanted(query, cfg.cache_by_default):
        return None
    connection = compiler.connection
    if cfg.databases is not None and connection.alias not in cfg.databases:
        return None
    status, compiled = _compile_once(compiler)
    if status == "error":
        return None  # EmptyResultSet included: execute_sql answers it without a query
    sql, params = compiled
    if not sql or deps.is_volatile(sql):
        return None
    read_deps = deps.read_deps(compiler, sql)
    if read_deps is None:
        return None
    key = cache_key(compiler, sql, params, result_type, chunk_size)
    if key is None:
        return None
    return Plan(sql, params, key, read_deps)


def _rows(result, result_type) -> int:
    if result_type == SINGLE:
        return 1
    return sum(len(chunk) for chunk in result)


def execute_read(original, compiler, result_type, chunked_fetch, chunk_size, args, kwargs):
    def run():
        local.orm_depth += 1
        try:
            return original(compiler, result_type, chunked_fetch, chunk_size, *args, **kwargs)
        finally:
            local.orm_depth -= 1

    if not conf.get().enabled:
        return run()
    try:
        plan = _plan(compiler, result_type, chunked_fetch, chunk_size)
    except EmptyResultSet:
        plan = None
    except Exception:
        logger.warning("tidemark: cannot cache this read, running it uncached", exc_info=True)
        stats.incr("error")
        plan = None
    if plan is None:
        stats.incr("bypass")
        return run()
    if local.capture is not None:
        # tidemark_why: report, read the database, leave the cache alone.
        local.capture.append({"sql": plan.sql, "params": plan.params, "key": plan.key, "deps": list(plan.deps.deps), "entry": _shared_get(plan.key)})
        return run()
    connection = compiler.connection
    tx = None
    if not in_transaction(connection):
        # A transaction that ended without our hooks (raw COMMIT): its state is meaningless.
        txstate.pop(connection)
    else:
        tx = txstate.ensure(connection)
        try:
            if not tx.has_written(plan.deps.deps) and isolation.fresh_statements(connection):
                tx = None
        except Exception:
            logger.warning("tidemark: cannot tell where this read may be cached, running it uncached", exc_info=True)
            stats.incr("error")
            return run()
    if tx is None:
        return _through_shared(compiler, plan, run, result_type)
    return _through_transaction(compiler, tx, plan, run, result_type)


def _shared_get(key: str):
    try:
        return caches[conf.get().cache_alias].get(key)
    except Exception as exc:
        logger.warning("tidemark: cache get failed (%s)", exc)
        return None


def _valid(stamp, entry_deps, plan: Plan) -> bool:
    """Tidemark's word on an entry, for its own deps and the ones the read has now."""
    check = tuple(entry_deps)
    if not set(plan.deps.deps) <= set(check):
        check = check + plan.deps.deps
    return client.reader().is_valid(stamp, check)


def _stamp(plan: Plan):
    try:
        return client.reader().stamp(plan.deps.deps)  # before the database is read
    except Exception as exc:
        logger.debug("tidemark: stamp failed, not caching: %s", exc)
        return None


def _storable(stamped, result, result_type) -> bool:
    if stamped is None:
        stats.incr("unavailable")
        return False
    if not stamped.cacheable:
        stats.incr("uncacheable")
        return False
    return _rows(result, result_type) <= conf.get().max_rows


def _through_shared(compiler, plan: Plan, run, result_type):
    entry = _shared_get(plan.key)
    if entry is not None:
        try:
            stamp, entry_deps, result = entry
            if _valid(stamp, entry_deps, plan):
                stats.incr("hit")
                return result
        except Exception:
            logger.warning("tidemark: unusable cache entry %s", plan.key, exc_info=True)
        stats.incr("invalid")
    else:
        stats.incr("miss")
    stamped = _stamp(plan)
    result = run()
    try:
        if _storable(stamped, result, result_type):
            stored_deps = plan.deps.with_absent(compiler, result, result_type)
            caches[conf.get().cache_alias].set(plan.key, (stamped.stamp, stored_deps, result), conf.get().cache_ttl)
            stats.incr("stored")
    except Exception as exc:
        logger.warning("tidemark: cache set failed (%s)", exc)
    return result


def _through_transaction(compiler, tx, plan: Plan, run, result_type):
    try:
        entry = tx.lookup(plan.key)
        if entry is not None and _valid(entry.stamp, entry.deps, plan):
            result = pickle.loads(entry.blob)
            stats.incr("tx_hit")
            return result
    except Exception:
        logger.warning("tidemark: unusable transaction cache entry %s", plan.key, exc_info=True)
    stats.incr("tx_miss")
    stamped = _stamp(plan)
    result = run()
    try:
        if _storable(stamped, result, result_type):
            if tx.store(plan.key, stamped.stamp, plan.deps.with_absent(compiler, result, result_type), result):
                stats.incr("tx_stored")
    except Exception:
        logger.warning("tidemark: transaction cache store failed", exc_info=True)
    return result
