"""What a compiled ORM query reads (its deps) and what an ORM write changes.

Tidemark tables are the database's table names, prefixed with ``NAMESPACES[alias] + "."``
when an alias has a namespace. Keys are primary-key values as text (``str(pk.to_python(v))``)
so that a reader's ``get(pk="7")`` and a writer's ``obj.pk == 7`` name the same key.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.apps import apps
from django.db.models.expressions import Col
from django.db.models.lookups import Exact, In
from django.db.models.sql.where import AND, WhereNode

from tidemark import Change, Dep

from . import conf

# Every cached read depends on this table too, so a write whose tables cannot be known
# (unparseable raw SQL, a migration) invalidates everything with one wide change.
GLOBAL_TABLE = "tidemark_django.all"

# Limits from PROTOCOL.md section 6 (we stay well inside them).
MAX_KEYS_PER_TABLE = 200  # beyond this a keyed dep becomes the whole table
MAX_CHANGE_KEYS = 5000  # beyond this a keyed change becomes wide
MAX_KEY_BYTES = 256
MAX_TABLE_BYTES = 128
MAX_DEPS = 1000
MAX_CHANGES = 1000

_IDENT = r'(?:"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][\w$]*)'
_QUALIFIED = rf"{_IDENT}(?:\s*\.\s*{_IDENT})*"
_FROM_JOIN = re.compile(rf"\b(?:FROM|JOIN)\s+(?:ONLY\s+|LATERAL\s+)?({_QUALIFIED})", re.IGNORECASE)
_TOKEN = re.compile(r'"((?:[^"]|"")+)"|`([^`]+)`|\[([^\]]+)\]|([A-Za-z_][\w$]*)')
_NOT_TABLES = frozenset({"select", "lateral", "only", "unnest", "values", "generate_series"})
# Reads whose result depends on something no write announces.
_VOLATILE = re.compile(
    r"\b(?:RANDOM|RAND|NOW|CLOCK_TIMESTAMP|STATEMENT_TIMESTAMP|TRANSACTION_TIMESTAMP|TIMEOFDAY|"
    r"CURRENT_TIMESTAMP|CURRENT_DATE|CURRENT_TIME|LOCALTIME|LOCALTIMESTAMP|NEXTVAL|CURRVAL|SETVAL|"
    r"GEN_RANDOM_UUID|UUID_GENERATE_V4|PG_SLEEP)\b",
    re.IGNORECASE,
)


def unquote(ident: str) -> str:
    """The last part of a possibly qualified, possibly quoted identifier (schema dropped)."""
    parts = re.findall(_IDENT, ident)
    last = parts[-1] if parts else ident
    if len(last) >= 2 and last[0] == '"' and last[-1] == '"':
        return last[1:-1].replace('""', '"')
    if len(last) >= 2 and last[0] in "`[" and last[-1] in "`]":
        return last[1:-1]
    return last


@lru_cache(maxsize=1)
def known_tables() -> frozenset:
    """Every table Django knows of: models' db_table and auto-created m2m through tables."""
    names = set()
    for model in apps.get_models(include_auto_created=True):
        names.add(model._meta.db_table)
    return frozenset(names)


@lru_cache(maxsize=4096)
def sql_tables(sql: str) -> tuple[frozenset, dict]:
    """Tables named by an SQL text, and how often each follows FROM or JOIN.

    Any token equal to a known table counts (over-approximates on a column named like a
    table, which only costs extra invalidation); FROM/JOIN targets count even when Django
    does not know the table (unmanaged tables in RawSQL, for example).
    """
    known = known_tables()
    found = set()
    for m in _TOKEN.finditer(sql):
        tok = m.group(1) or m.group(2) or m.group(3) or m.group(4)
        if m.group(1):
            tok = tok.replace('""', '"')
        if tok in known:
            found.add(tok)
    occurrences: dict[str, int] = {}
    for m in _FROM_JOIN.finditer(sql):
        name = unquote(m.group(1))
        if name.lower() in _NOT_TABLES:
            continue
        found.add(name)
        occurrences[name] = occurrences.get(name, 0) + 1
    return frozenset(found), occurrences


def is_volatile(sql: str) -> bool:
    return _VOLATILE.search(sql) is not None


def tm_table(alias: str, table: str) -> str:
    ns = conf.get().namespaces.get(alias)
    return f"{ns}.{table}" if ns else table


def pk_key(pk_field, value) -> str | None:
    """A primary-key value as a Tidemark key, or None when it cannot be one."""
    if value is None or hasattr(value, "resolve_expression"):
        return None
    try:
        text = str(pk_field.to_python(value))
    except Exception:
        return None
    if not text or len(text.encode()) > MAX_KEY_BYTES:
        return None
    return text


def _is_pk_col(expr, alias: str, meta) -> bool:
    if not isinstance(expr, Col) or expr.alias != alias:
        return False
    target = expr.target
    pk = meta.pk
    return target is pk or (getattr(target, "primary_key", False) and target.column == pk.column)


def _where_keys(node, alias: str, meta) -> set | None:
    """Keys K such that the WHERE clause implies ``pk IN K`` for the base alias.

    Only AND-connected, non-negated conjuncts are used; any other conjunct only filters
    the rows further, so it cannot widen the set of rows read or written.
    """
    if not isinstance(node, WhereNode) or node.connector != AND or node.negated:
        return None
    result: set | None = None
    for child in node.children:
        keys: set | None = None
        if isinstance(child, WhereNode):
            keys = _where_keys(child, alias, meta)
        elif isinstance(child, (Exact, In)) and _is_pk_col(child.lhs, alias, meta):
            rhs = child.rhs
            if isinstance(child, Exact):
                values = [rhs]
            elif isinstance(rhs, (list, tuple, set, frozenset)) or type(rhs).__name__ == "OrderedSet":
                values = [v for v in rhs if v is not None]
            else:
                values = None  # a subquery or an expression
            if values is not None:
                texts = [pk_key(meta.pk, v) for v in values]
                if all(t is not None for t in texts):
                    keys = set(texts)
        if keys is not None:
            result = keys if result is None else (result & keys)
    return result


def query_keys(query, limit: int = MAX_KEYS_PER_TABLE) -> set | None:
    """The primary keys a query is restricted to (None: not restricted by pk)."""
    meta = query.get_meta()
    if getattr(meta, "is_composite_pk", False) or meta.pk is None:
        return None
    alias = query.base_table
    if alias is None:
        return None
    try:
        keys = _where_keys(query.where, alias, meta)
    except Exception:
        return None
    if keys is None or len(keys) > limit:
        return None
    return keys


def read_deps(compiler, sql: str) -> list[Dep] | None:
    """The deps of a compiled read, or None when it must not be cached."""
    cfg = conf.get()
    query = compiler.query
    alias = compiler.using
    tables, occurrences = sql_tables(sql)
    tables = set(tables)
    base_count: dict[str, int] = {}
    for join in query.alias_map.values():
        name = getattr(join, "table_name", None)
        if isinstance(name, str):
            tables.add(name)
            base_count[name] = base_count.get(name, 0) + 1
    if tables & cfg.exclude_tables:
        return None
    if cfg.only_tables is not None and not tables <= cfg.only_tables:
        return None
    keyed: dict[str, set] = {}
    model = getattr(query, "model", None)
    if model is not None and query.alias_map and not getattr(query, "combinator", None):
        base = model._meta.db_table
        if base_count.get(base, 0) == 1 and occurrences.get(base, 0) <= 1:
            keys = query_keys(query)
            if keys:
                keyed[base] = keys
    deps = [Dep(GLOBAL_TABLE)]
    for table in sorted(tables):
        name = tm_table(alias, table)
        if len(name.encode()) > MAX_TABLE_BYTES:
            return None
        if table in keyed:
            deps.extend(Dep(name, k) for k in sorted(keyed[table]))
        else:
            deps.append(Dep(name))
    if len(deps) > MAX_DEPS:
        return None
    return deps


# Pending changes are kept as {tidemark table: set of keys, or None for the whole table}.


def merge(into: dict, table: str, keys) -> None:
    """Add a change (keys None = wide) to a pending-changes dict."""
    if table in into:
        current = into[table]
        if current is None:
            return
        if keys is None:
            into[table] = None
            return
        current.update(keys)
        if len(current) > MAX_CHANGE_KEYS:
            into[table] = None
        return
    if keys is None or len(keys) > MAX_CHANGE_KEYS:
        into[table] = None
    else:
        into[table] = set(keys)


def to_changes(pending: dict) -> list[Change]:
    if len(pending) > MAX_CHANGES or any(len(t.encode()) > MAX_TABLE_BYTES for t in pending):
        return [Change(GLOBAL_TABLE)]
    return [Change(t, None if keys is None else sorted(keys)) for t, keys in sorted(pending.items())]
