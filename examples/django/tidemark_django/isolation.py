"""Whether a statement inside a transaction sees every transaction committed before it.

That is what makes the shared cache usable inside a transaction: a valid entry is then what
the statement would read (so it may be served), and a stamp taken just before the statement
is a lower bound of what it read (so its result may be stored). It holds for

- PostgreSQL at READ COMMITTED (its default) and READ UNCOMMITTED (which is the same there):
  every statement takes a new snapshot;
- SQLite in a rollback-journal mode (its default): once a transaction has read, it holds a
  SHARED lock until it ends and no other connection can commit; before that it reads the
  latest commit like any statement.

It does not hold under snapshot isolation: PostgreSQL REPEATABLE READ and SERIALIZABLE,
SQLite in WAL mode (readers keep their snapshot while others commit), MySQL's default
REPEATABLE READ; nor for any other backend, which we do not know. There a read could be
older than the stamp taken before it, and a fresher shared entry would break the
transaction's snapshot.

Raw SQL that changes the isolation level (``SET TRANSACTION ISOLATION LEVEL``, ``SET
SESSION CHARACTERISTICS``) or the journal mode makes the answer "no" until the connection
is closed, or asks SQLite again.
"""

from __future__ import annotations

_SQLITE_JOURNAL = "_tidemark_sqlite_journal"
_UNKNOWN = "_tidemark_isolation_unknown"


def fresh_statements(connection) -> bool:
    if connection.__dict__.get(_UNKNOWN):
        return False
    if connection.vendor == "postgresql":
        from django.db.backends.postgresql.psycopg_any import IsolationLevel

        level = getattr(connection, "isolation_level", None)
        return level in (IsolationLevel.READ_COMMITTED, IsolationLevel.READ_UNCOMMITTED)
    if connection.vendor == "sqlite":
        return _sqlite_journal_mode(connection) not in ("wal", None)
    return False


def _sqlite_journal_mode(connection) -> str | None:
    raw = connection.connection
    if raw is None:
        return None
    known = connection.__dict__.get(_SQLITE_JOURNAL)
    if known is not None and known[0] is raw:
        return known[1]
    try:
        # Once per database connection, on the driver's connection: not an application query.
        row = raw.execute("PRAGMA journal_mode").fetchone()
    except Exception:
        return None
    mode = str(row[0]).lower() if row else None
    connection.__dict__[_SQLITE_JOURNAL] = (raw, mode)
    return mode


def note_raw_sql(connection, sql: str) -> None:
    """Called for raw SQL: forget what we know if it may change the answer."""
    lowered = sql.lower()
    if "isolation" in lowered or "session characteristics" in lowered:
        connection.__dict__[_UNKNOWN] = True
    if "journal_mode" in lowered:
        connection.__dict__.pop(_SQLITE_JOURNAL, None)


def forget(connection) -> None:
    """The database connection is closed: a new one starts from its settings."""
    connection.__dict__.pop(_UNKNOWN, None)
    connection.__dict__.pop(_SQLITE_JOURNAL, None)
