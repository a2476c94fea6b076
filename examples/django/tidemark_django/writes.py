"""Writes: every change reaches Tidemark as an intent opened before the database commits
it and committed after.

- In a transaction (atomic block or manual transaction management) changes are collected
  on the connection (``transaction_state``) and announced with ``begin`` just before
  COMMIT: an intent's changes are fixed at ``begin``, and only then is the full set known.
  ``commit`` follows once the database COMMIT returned (before Django runs ``on_commit``
  callbacks); a rollback announces nothing, nor do savepoints rolled back.
- A write in autocommit mode (ORM or raw SQL) is one statement that commits itself:
  ``begin`` before it, the statement exactly as the application sent it, ``commit`` after
  it (``abort`` if the database refused it). No statement is added.

If the intent cannot be opened (Tidemark down), ``ON_WRITE_FAILURE = "raise"`` raises
``TidemarkWriteError`` (a DatabaseError) before the statement runs, or rolls the
transaction back at COMMIT, so no commit that Tidemark does not know about ever happens.
If ``commit`` fails afterwards, the intent's lease runs out and the server applies it as
committed: still safe.
"""

from __future__ import annotations

import logging
import os

from django.db import DatabaseError, DataError, IntegrityError

from tidemark import Change

from . import changes as writes_changes
from . import client, conf, deps, isolation, rawsql, stats
from . import transaction_state as txstate
from .committer import committer
from .state import in_transaction, local

logger = logging.getLogger("tidemark_django")

# Errors with which the database refuses a statement: in autocommit mode it then changed
# nothing. After any other error the statement may have committed.
_REFUSED = (IntegrityError, DataError)


class TidemarkWriteError(DatabaseError):
    """Tidemark could not be told about a write, so the write was not committed."""


def record(connection, changes: dict) -> None:
    """Add changes ({tidemark table: keys | None}) to the connection's open transaction."""
    txstate.ensure(connection).record(changes)


def _meta(connection) -> dict:
    return {"by": "tidemark_django", "db": connection.alias, "pid": os.getpid()}


def begin(connection, changes: list):
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
        state = txstate.pop(self)
        changes = state.changes() if state is not None else None
        if not changes or not conf.get().enabled:
            return original(self)
        try:
            intent = begin(self, writes_changes.to_changes(changes))
        except TidemarkWriteError:
            try:
                self.rollback()
            except Exception:
                pass
            raise
        try:
            # A deferred constraint failing at COMMIT (IntegrityError): the database rolled
            # the transaction back, so nothing changed. Any other failure may hide a COMMIT.
            return settle(intent, lambda: original(self), lambda exc: isinstance(exc, IntegrityError))
        except Exception:
            # The transaction may still be open (SQLite "database is locked"): a later
            # commit() must announce its changes again; rollback() or close() drop them.
            txstate.restore(self, state)
            raise

    commit.__wrapped__ = original
    return commit


def wrap_rollback(original):
    def rollback(self):
        txstate.pop(self)
        return original(self)

    rollback.__wrapped__ = original
    return rollback


def wrap_close(original):
    def close(self):
        # Closing inside a transaction rolls it back.
        txstate.pop(self)
        isolation.forget(self)
        return original(self)

    close.__wrapped__ = original
    return close


def wrap_savepoint(original):
    def savepoint(self):
        sid = original(self)
        if sid is not None and conf.get().enabled:
            txstate.ensure(self).savepoint(sid)
        return sid

    savepoint.__wrapped__ = original
    return savepoint


def _wrap_savepoint_end(original, apply):
    def end(self, sid):
        original(self, sid)
        state = txstate.get(self)
        if state is not None:
            apply(state, sid)

    end.__name__ = original.__name__
    end.__wrapped__ = original
    return end


def wrap_savepoint_rollback(original):
    return _wrap_savepoint_end(original, txstate.TransactionState.rollback_to)


def wrap_savepoint_commit(original):
    return _wrap_savepoint_end(original, txstate.TransactionState.release)


def announced(connection, changes: dict, run):
    """Run one self-committing statement (autocommit) between ``begin`` and ``commit``."""
    intent = begin(connection, writes_changes.to_changes(changes))
    executed = local.executed
    # Refused before any of its statements completed: nothing changed.
    return settle(intent, run, lambda exc: isinstance(exc, _REFUSED) and local.executed == executed)


def settle(intent, run, refused):
    """Run what the intent announces, then commit it, or abort it if ``refused(error)``
    says the database certainly changed nothing."""
    try:
        result = run()
    except BaseException as exc:
        if refused(exc):
            withdraw(intent)
        else:
            finish(intent)
        raise
    finish(intent)
    return result


def execute_wrapper(execute, sql, params, many, context):
    """``connection.execute_wrappers`` entry: raw SQL writes (the ORM's own are counted
    and otherwise left to the compiler hooks)."""
    if not conf.get().enabled:
        return execute(sql, params, many, context)
    if local.orm_depth:
        result = execute(sql, params, many, context)
        local.executed += 1
        return result
    if isinstance(sql, bytes):
        sql = sql.decode("utf-8", "replace")
    connection = context["connection"]
    if isinstance(sql, str):
        isolation.note_raw_sql(connection, sql)
        tables = rawsql.written_tables(sql)
    else:
        tables = frozenset({deps.GLOBAL_TABLE})
    if tables is None:
        return execute(sql, params, many, context)
    changes = {t if t == deps.GLOBAL_TABLE else deps.tm_table(connection.alias, t): None for t in tables}
    if in_transaction(connection):
        record(connection, changes)
        return execute(sql, params, many, context)
    return announced(connection, changes, lambda: execute(sql, params, many, context))


# -- ORM write compilers --------------------------------------------------------------------


def _run(compiler, run, plan: writes_changes.Planned):
    """Run an ORM write: recorded for COMMIT inside a transaction, announced around the
    statement in autocommit."""
    connection = compiler.connection
    local.orm_depth += 1
    local.write_depth += 1
    try:
        if not in_transaction(connection):
            return announced(connection, plan.for_autocommit(), run)
        if plan.before:
            record(connection, plan.before)
        if plan.after is None:
            return run()
        try:
            result = run()
        except BaseException:
            # Part of the statement may have run (several INSERTs on some backends): be wide.
            record(connection, {t: None for t in plan.after(None)})
            raise
        record(connection, plan.after(result))
        return result
    finally:
        local.orm_depth -= 1
        local.write_depth -= 1


def wrap_update(original):
    def execute_sql(self, result_type, *args, **kwargs):
        run = lambda: original(self, result_type, *args, **kwargs)  # noqa: E731
        if not conf.get().enabled:
            return run()
        return _run(self, run, writes_changes.planned(lambda: writes_changes.update_or_delete(self), self))

    execute_sql.__wrapped__ = original
    return execute_sql


def delete_execute(original, compiler, args, kwargs):
    run = lambda: original(compiler, *args, **kwargs)  # noqa: E731
    if not conf.get().enabled:
        return run()
    return _run(compiler, run, writes_changes.planned(lambda: writes_changes.update_or_delete(compiler), compiler))


def wrap_insert(original):
    def execute_sql(self, returning_fields=None, *args, **kwargs):
        run = lambda: original(self, returning_fields, *args, **kwargs)  # noqa: E731
        if not conf.get().enabled:
            return run()
        return _run(self, run, writes_changes.planned(lambda: writes_changes.insert(self, returning_fields), self))

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

