"""Writes: every change reaches Tidemark as an intent opened before the database COMMIT
and committed after it.

- In a transaction (atomic block or manual transaction management) changes are collected
  on the connection and announced with ``begin`` just before COMMIT: an intent's changes
  are fixed at ``begin``, and only then is the full set known. ``commit`` follows once the
  database COMMIT returned (before Django runs ``on_commit`` callbacks); a rollback
  announces nothing.
- An ORM write in autocommit mode is run inside ``transaction.atomic``, so it takes the
  same path. This is what lets an INSERT name the keys the database gave its new rows.
- Raw SQL in autocommit mode: ``begin`` before the statement, ``commit`` after it.

If the intent cannot be opened (Tidemark down), ``ON_WRITE_FAILURE = "raise"`` rolls the
transaction back and raises ``TidemarkWriteError`` (a DatabaseError), so no COMMIT that
Tidemark does not know about ever happens. If ``commit`` fails after the COMMIT, the
intent's lease runs out and the server applies it as committed: still safe.
"""

from __future__ import annotations

import logging
import os

from django.db import DatabaseError, IntegrityError, transaction

from tidemark import Change

from . import client, conf, deps, rawsql, stats
from .committer import committer
from .state import PENDING, in_transaction, local

logger = logging.getLogger("tidemark_django")


class TidemarkWriteError(DatabaseError):
    """Tidemark could not be told about a write, so the write was not committed."""


def record(connection, changes: dict) -> None:
    """Add changes ({tidemark table: keys | None}) to the connection's open transaction."""
    pending = connection.__dict__.get(PENDING)
    if pending is None:
        pending = connection.__dict__[PENDING] = {}
    for table, keys in changes.items():
        deps.merge(pending, table, keys)


def _meta(connection) -> dict:
    return {"by": "tidemark_django", "db": connection.alias, "pid": os.getpid()}


def begin(connection, changes: list[Change]):
    """Open an intent for changes; None if Tidemark is down and ON_WRITE_FAILURE is 'ignore'."""
    cfg = conf.get()
    try:
        result = client.get().begin(changes, ttl_ms=cfg.intent_ttl_ms, meta=_meta(connection))
    except Exception as exc:
        if cfg.on_write_failure == "raise":
            raise TidemarkWriteError(f"tidemark: cannot announce a write ({exc}); not committed") from exc
        logger.warning("tidemark: cannot announce a write (%s); cached reads of %s may be stale", exc, changes)
        return None
    stats.incr("begin")
    return result.intent


def finish(intent) -> None:
    """Commit an intent after the database COMMIT (whatever its outcome: if it failed, the
    extra invalidation is harmless; an unknown outcome must be taken as committed)."""
    if intent is None:
        return
    if conf.get().async_commit:
        committer.submit(intent)
        return
    commit_now(intent)


def withdraw(intent) -> None:
    """Abort an intent whose transaction certainly did not commit."""
    if intent is None:
        return
    try:
        client.get().abort(intent)
        stats.incr("abort")
    except Exception as exc:
        # Expiry then applies it as committed: an extra invalidation, nothing worse.
        logger.warning("tidemark: abort of intent %s failed (%s)", intent, exc)


def commit_now(intent) -> None:
    try:
        client.get().commit(intent)
        stats.incr("commit")
    except Exception as exc:
        # The lease expires and the server applies the intent as committed.
        logger.warning("tidemark: commit of intent %s failed (%s); it will expire as committed", intent, exc)


# -- connection hooks ---------------------------------------------------------------------


def wrap_commit(original):
    def commit(self):
        changes = self.__dict__.pop(PENDING, None)
        if not changes or not conf.get().enabled:
            return original(self)
        try:
            intent = begin(self, deps.to_changes(changes))
        except TidemarkWriteError:
            try:
                self.rollback()
            except Exception:
                pass
            raise
        try:
            result = original(self)
        except IntegrityError:
            # A deferred constraint failed at COMMIT: the database rolled the transaction
            # back, so nothing changed. Any other failure may hide a COMMIT that happened.
            withdraw(intent)
            raise
        except BaseException:
            finish(intent)
            raise
        finish(intent)
        return result

    commit.__wrapped__ = original
    return commit


def wrap_rollback(original):
    def rollback(self):
        self.__dict__.pop(PENDING, None)
        return original(self)

    rollback.__wrapped__ = original
    return rollback


def wrap_close(original):
    def close(self):
        # Closing inside a transaction rolls it back.
        self.__dict__.pop(PENDING, None)
        return original(self)

    close.__wrapped__ = original
    return close


def execute_wrapper(execute, sql, params, many, context):
    """``connection.execute_wrappers`` entry: raw SQL writes (the ORM's own are skipped)."""
    if local.orm_depth or not conf.get().enabled:
        return execute(sql, params, many, context)
    if isinstance(sql, bytes):
        sql = sql.decode("utf-8", "replace")
    tables = rawsql.written_tables(sql) if isinstance(sql, str) else frozenset({deps.GLOBAL_TABLE})
    if tables is None:
        return execute(sql, params, many, context)
    connection = context["connection"]
    changes = {t if t == deps.GLOBAL_TABLE else deps.tm_table(connection.alias, t): None for t in tables}
    if in_transaction(connection):
        record(connection, changes)
        return execute(sql, params, many, context)
    intent = begin(connection, deps.to_changes(changes))
    try:
        return execute(sql, params, many, context)
    finally:
        finish(intent)


# -- ORM write compilers --------------------------------------------------------------------


def _run(compiler, run, changes_before, changes_after=None):
    """Run an ORM write inside a transaction (its own if autocommit) recording its changes.

    ``changes_before``: changes known before the statement. ``changes_after(result)``: those
    known only from its result (keys of inserted rows); None from it means "wide".
    """
    connection = compiler.connection
    if not conf.get().enabled:
        return run()
    local.orm_depth += 1
    local.write_depth += 1
    try:
        if in_transaction(connection):
            return _run_recording(connection, run, changes_before, changes_after)
        with transaction.atomic(using=connection.alias):
            return _run_recording(connection, run, changes_before, changes_after)
    finally:
        local.orm_depth -= 1
        local.write_depth -= 1


def _run_recording(connection, run, changes_before, changes_after):
    if changes_before:
        record(connection, changes_before)
    if changes_after is None:
        return run()
    try:
        result = run()
    except BaseException:
        # Part of the statement may have run (several INSERTs on some backends): be wide.
        record(connection, {t: None for t in changes_after(None)})
        raise
    record(connection, changes_after(result))
    return result


def _table(compiler) -> str:
    return deps.tm_table(compiler.using, compiler.query.get_meta().db_table)


def keyed_or_wide(compiler) -> dict:
    """The change of an UPDATE/DELETE: its keys if its WHERE pins the primary key, else wide."""
    keys = deps.query_keys(compiler.query, limit=deps.MAX_CHANGE_KEYS)
    return {_table(compiler): keys}


def wrap_update(original):
    def execute_sql(self, result_type, *args, **kwargs):
        return _run(self, lambda: original(self, result_type, *args, **kwargs), keyed_or_wide(self))

    execute_sql.__wrapped__ = original
    return execute_sql


def delete_execute(original, compiler, args, kwargs):
    return _run(compiler, lambda: original(compiler, *args, **kwargs), keyed_or_wide(compiler))


def wrap_insert(original):
    def execute_sql(self, returning_fields=None, *args, **kwargs):
        query = self.query
        meta = query.get_meta()
        table = _table(self)
        pk = meta.pk
        run = lambda: original(self, returning_fields, *args, **kwargs)  # noqa: E731
        composite = getattr(meta, "is_composite_pk", False) or pk is None
        on_conflict = getattr(query, "on_conflict", None)
        if composite or (on_conflict is not None and str(getattr(on_conflict, "name", on_conflict)).upper().endswith("UPDATE")):
            # Upserts change the rows that conflict on other unique fields: unknown rows.
            return _run(self, run, {table: None})
        objs = list(getattr(query, "objs", []) or [])
        known = [deps.pk_key(pk, getattr(obj, pk.attname, None)) for obj in objs]
        if objs and all(k is not None for k in known):
            return _run(self, run, {table: set(known)})
        # Some pks are given by the database: learn them from the returned rows.
        index = None
        if returning_fields:
            for i, field in enumerate(returning_fields):
                if field is pk or getattr(field, "column", None) == pk.column:
                    index = i
                    break

        def after(result):
            if result is None or index is None:
                return {table: None}
            rows = list(result)
            missing = sum(1 for k in known if k is None)
            if len(rows) != missing:
                return {table: None}
            got = [deps.pk_key(pk, row[index]) for row in rows]
            if any(k is None for k in got):
                return {table: None}
            return {table: {k for k in known if k is not None} | set(got)}

        return _run(self, run, None, after)

    execute_sql.__wrapped__ = original
    return execute_sql


def on_post_migrate(sender, plan=None, using="default", **kwargs):
    """A migration that ran changes schemas and data in ways we may not have parsed:
    invalidate every cached read."""
    cfg = conf.get()
    if not cfg.enabled or not plan:
        return
    try:
        client.get().write([Change(deps.GLOBAL_TABLE)], meta={"by": "tidemark_django", "event": "migrate", "db": using})
        stats.incr("write")
    except Exception as exc:
        logger.warning("tidemark: could not announce a migration (%s)", exc)

