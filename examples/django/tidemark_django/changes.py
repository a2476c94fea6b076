"""What an ORM write changes: ``{tidemark table: set of keys, or None for the whole table}``.

An INSERT changes the keys of its rows: known before it runs when the objects carry their
primary keys, else learned from the rows the database returns (RETURNING), which only
helps when the announcement can wait for COMMIT (inside a transaction). An autocommit
INSERT is committed by the statement itself, so its intent must be open before it runs:
its unknown keys are announced as the key ``deps.NEW_ROW``. An UPDATE or DELETE whose
WHERE pins the primary key changes those keys, unless it assigns the primary key itself;
every other UPDATE or DELETE, upserts, and models whose keys cannot be named are wide.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from tidemark import Change

from . import deps

logger = logging.getLogger("tidemark_django")


@dataclass(frozen=True)
class Planned:
    """``before``: known before the statement runs. ``after(result)``: what its result
    tells (inside a transaction). ``autocommit``: what to announce when it runs alone."""

    before: dict | None
    after: Callable | None = None
    autocommit: dict | None = None

    def for_autocommit(self) -> dict:
        return self.autocommit if self.autocommit is not None else (self.before or {})


def table_of(compiler) -> str:
    return deps.tm_table(compiler.using, compiler.query.get_meta().db_table)


def wide(compiler) -> Planned:
    try:
        changes = {table_of(compiler): None}
    except Exception:
        changes = {deps.GLOBAL_TABLE: None}
    return Planned(changes)


def planned(compute: Callable[[], Planned], compiler) -> Planned:
    """``compute()``, or a wide change when it fails: a write is always announced."""
    try:
        return compute()
    except Exception:
        logger.warning("tidemark: cannot tell which rows a write changes; announcing its whole table", exc_info=True)
        return wide(compiler)


def update_or_delete(compiler) -> Planned:
    query = compiler.query
    for field, _, _ in getattr(query, "values", None) or ():
        if getattr(field, "primary_key", False):
            # UPDATE ... SET pk = ...: the rows get keys nobody can name in advance.
            return wide(compiler)
    keys = deps.query_keys(query, compiler.connection, limit=deps.MAX_CHANGE_KEYS)
    return Planned({table_of(compiler): keys})


def insert(compiler, returning_fields) -> Planned:
    query = compiler.query
    meta = query.get_meta()
    table = table_of(compiler)
    on_conflict = getattr(query, "on_conflict", None)
    if not deps.keyable(meta, compiler.connection) or (
        on_conflict is not None and str(getattr(on_conflict, "name", on_conflict)).upper().endswith("UPDATE")
    ):
        # Upserts change the rows that conflict on other unique fields: unknown rows.
        return wide(compiler)
    pk = meta.pk
    objs = list(getattr(query, "objs", []) or [])
    known = [deps.pk_key(pk, getattr(obj, pk.attname, None)) for obj in objs]
    if objs and all(k is not None for k in known):
        return Planned({table: set(known)})
    given = {k for k in known if k is not None}
    index = None
    for i, field in enumerate(returning_fields or ()):
        if field is pk or getattr(field, "column", None) == pk.column:
            index = i
            break

    def after(result):
        if result is None or index is None:
            return {table: None}
        rows = list(result)
        if len(rows) != len(known) - len(given):
            return {table: None}
        got = [deps.pk_key(pk, row[index]) for row in rows]
        if any(k is None for k in got):
            return {table: None}
        return {table: given | set(got)}

    return Planned({table: given} if given else None, after, {table: given | {deps.NEW_ROW}})


def merge(into: dict, table: str, keys) -> None:
    """Add a change (keys None = wide) to a changes dict."""
    if table in into:
        current = into[table]
        if current is None:
            return
        if keys is None:
            into[table] = None
            return
        current.update(keys)
        if len(current) > deps.MAX_CHANGE_KEYS:
            into[table] = None
        return
    if keys is None or len(keys) > deps.MAX_CHANGE_KEYS:
        into[table] = None
    else:
        into[table] = set(keys)


def to_changes(changes: dict) -> list[Change]:
    if len(changes) > deps.MAX_CHANGES or any(len(t.encode()) > deps.MAX_TABLE_BYTES for t in changes):
        return [Change(deps.GLOBAL_TABLE)]
    return [Change(t, None if keys is None else sorted(keys)) for t, keys in sorted(changes.items())]
