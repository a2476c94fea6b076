"""What one open database transaction did that the cache has to know about.

- The changes of its writes, one layer per open savepoint, announced with ``begin`` at
  COMMIT. Rolling back to a savepoint drops the layers the database undid; releasing one
  merges it into the layer below.
- A write sequence: every recorded change gets the next number, per table, per wide change
  and per key, so a result read inside the transaction can tell whether the transaction
  wrote its deps since it was read.
- The transaction's own result cache: results read inside it, seen by this transaction
  only, dropped when it ends (COMMIT included: their stamps predate the transaction's own
  intent, so its commit would invalidate them anyway) and when a savepoint is rolled back.

Kept on the connection (``DatabaseWrapper``), which belongs to one thread.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass

from .changes import merge
from .deps import GLOBAL_TABLE

_ATTR = "_tidemark_transaction"
# A transaction keeps at most this many results of its own; later ones are not stored.
MAX_ENTRIES = 1000


@dataclass(frozen=True)
class Entry:
    seq: int
    stamp: object
    deps: tuple
    blob: bytes


class TransactionState:
    def __init__(self) -> None:
        self._layers: list[tuple[object, dict]] = [(None, {})]
        self.seq = 0
        self._table_seq: dict[str, int] = {}
        self._wide_seq: dict[str, int] = {}
        self._key_seq: dict[tuple[str, str], int] = {}
        self._entries: dict[str, Entry] = {}

    # -- changes ---------------------------------------------------------------------------

    def record(self, changes: dict) -> None:
        """Add changes ({tidemark table: keys | None for wide}) to the innermost savepoint."""
        layer = self._layers[-1][1]
        for table, keys in changes.items():
            merge(layer, table, keys)
            self.seq += 1
            self._table_seq[table] = self.seq
            if keys is None:
                self._wide_seq[table] = self.seq
            else:
                for key in keys:
                    self._key_seq[(table, key)] = self.seq

    def changes(self) -> dict:
        """Every change the database still holds (rolled-back savepoints left out)."""
        if len(self._layers) == 1:
            return self._layers[0][1]
        merged: dict = {}
        for _, layer in self._layers:
            for table, keys in layer.items():
                merge(merged, table, None if keys is None else set(keys))
        return merged

    def has_written(self, deps) -> bool:
        """Whether the transaction holds a change covering any of deps."""
        changes = self.changes()
        if not changes:
            return False
        if GLOBAL_TABLE in changes:
            return True
        for dep in deps:
            if dep.table not in changes:
                continue
            keys = changes[dep.table]
            if keys is None or dep.key is None or dep.key in keys:
                return True
        return False

    def written_since(self, seq: int, deps) -> bool:
        """Whether a change recorded after ``seq`` covers any of deps (savepoint rollbacks
        included: they are handled by dropping the entries)."""
        if self.seq == seq:
            return False
        if self._table_seq.get(GLOBAL_TABLE, 0) > seq:
            return True
        for dep in deps:
            if dep.key is None:
                if self._table_seq.get(dep.table, 0) > seq:
                    return True
            elif self._wide_seq.get(dep.table, 0) > seq or self._key_seq.get((dep.table, dep.key), 0) > seq:
                return True
        return False

    # -- savepoints ------------------------------------------------------------------------

    def savepoint(self, sid) -> None:
        self._layers.append((sid, {}))

    def release(self, sid) -> None:
        """RELEASE SAVEPOINT: it and every later savepoint merge into the layer below."""
        index = self._index(sid)
        if index is None:
            return
        below = self._layers[index - 1][1]
        for _, layer in self._layers[index:]:
            for table, keys in layer.items():
                merge(below, table, None if keys is None else set(keys))
        del self._layers[index:]

    def rollback_to(self, sid) -> None:
        """ROLLBACK TO SAVEPOINT: the database undid every change since it; the savepoint
        itself stays open. Results read since may show undone changes: all are dropped."""
        self._entries.clear()
        index = self._index(sid)
        if index is None:
            return
        del self._layers[index + 1 :]
        self._layers[index] = (sid, {})

    def _index(self, sid) -> int | None:
        for i in range(len(self._layers) - 1, 0, -1):
            if self._layers[i][0] == sid:
                return i
        return None

    # -- the transaction's own results -----------------------------------------------------

    def lookup(self, key: str) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None or self.written_since(entry.seq, entry.deps):
            return None
        return entry

    def store(self, key: str, stamp, deps, result) -> bool:
        if len(self._entries) >= MAX_ENTRIES and key not in self._entries:
            return False
        # Pickled like a shared cache would, so a caller mutating what it got back (a list
        # in an ArrayField, say) cannot change what the next read is served.
        self._entries[key] = Entry(self.seq, stamp, tuple(deps), pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
        return True


def get(connection) -> TransactionState | None:
    return connection.__dict__.get(_ATTR)


def ensure(connection) -> TransactionState:
    state = connection.__dict__.get(_ATTR)
    if state is None:
        state = connection.__dict__[_ATTR] = TransactionState()
    return state


def pop(connection) -> TransactionState | None:
    return connection.__dict__.pop(_ATTR, None)


def restore(connection, state: TransactionState) -> None:
    connection.__dict__.setdefault(_ATTR, state)
