"""Installs the hooks: the SQL compilers, the connections' commit/rollback/close and
savepoints, every
connection's execute_wrappers, and ``.cache()``/``.no_cache()`` on query sets and managers.

The hooks are installed once per process and stay; ``TIDEMARK['ENABLED'] = False`` turns
each of them into a pass-through.
"""

from __future__ import annotations

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.models.manager import BaseManager
from django.db.models.query import QuerySet
from django.db.models.sql.compiler import (
    GET_ITERATOR_CHUNK_SIZE,
    MULTI,
    SQLCompiler,
    SQLDeleteCompiler,
    SQLInsertCompiler,
    SQLUpdateCompiler,
)

from . import reads, writes

_installed = False


def _wrap_select(original):
    def execute_sql(self, result_type=MULTI, chunked_fetch=False, chunk_size=GET_ITERATOR_CHUNK_SIZE, *args, **kwargs):
        if isinstance(self, SQLDeleteCompiler):
            return writes.delete_execute(original, self, (result_type, chunked_fetch, chunk_size) + args, kwargs)
        if isinstance(self, (SQLUpdateCompiler, SQLInsertCompiler)):
            # SQLUpdateCompiler.execute_sql calling super(): its own wrapper accounts for it.
            return original(self, result_type, chunked_fetch, chunk_size, *args, **kwargs)
        return reads.execute_read(original, self, result_type, chunked_fetch, chunk_size, args, kwargs)

    execute_sql.__wrapped__ = original
    return execute_sql


def add_execute_wrapper(connection) -> None:
    if writes.execute_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(writes.execute_wrapper)


def _on_connection_created(sender, connection, **kwargs):
    add_execute_wrapper(connection)


def _qs_cache(self):
    """This query set's reads go through the cache (whatever CACHE_BY_DEFAULT says)."""
    clone = self._chain()
    clone.query._tidemark_cache = True
    return clone


def _qs_no_cache(self):
    """This query set's reads neither use nor fill the cache."""
    clone = self._chain()
    clone.query._tidemark_cache = False
    return clone


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    SQLCompiler.execute_sql = _wrap_select(SQLCompiler.execute_sql)
    SQLInsertCompiler.execute_sql = writes.wrap_insert(SQLInsertCompiler.execute_sql)
    SQLUpdateCompiler.execute_sql = writes.wrap_update(SQLUpdateCompiler.execute_sql)
    BaseDatabaseWrapper.commit = writes.wrap_commit(BaseDatabaseWrapper.commit)
    BaseDatabaseWrapper.rollback = writes.wrap_rollback(BaseDatabaseWrapper.rollback)
    BaseDatabaseWrapper.close = writes.wrap_close(BaseDatabaseWrapper.close)
    BaseDatabaseWrapper.savepoint = writes.wrap_savepoint(BaseDatabaseWrapper.savepoint)
    BaseDatabaseWrapper.savepoint_rollback = writes.wrap_savepoint_rollback(BaseDatabaseWrapper.savepoint_rollback)
    BaseDatabaseWrapper.savepoint_commit = writes.wrap_savepoint_commit(BaseDatabaseWrapper.savepoint_commit)
    connection_created.connect(_on_connection_created, dispatch_uid="tidemark_django.execute_wrapper")
    for connection in connections.all(initialized_only=True):
        add_execute_wrapper(connection)
    QuerySet.cache = _qs_cache
    QuerySet.no_cache = _qs_no_cache
    BaseManager.cache = lambda self: self.get_queryset().cache()
    BaseManager.no_cache = lambda self: self.get_queryset().no_cache()
