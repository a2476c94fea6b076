"""What a compiled ORM query reads (its deps) and what an ORM write changes.

Tidemark tables are the database's table names, prefixed with ``NAMESPACES[alias] + "."``
when an alias has a namespace. Keys are primary-key values as text (``str(pk.to_python(v))``)
so that a reader's ``get(pk="7")`` and a writer's ``obj.pk == 7`` name the same key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.apps import apps
from django.db.models import CharField, IntegerField, TextField, UUIDField
from django.db.models.expressions import Col
from django.db.models.sql.constants import SINGLE
from django.db.models.lookups import Exact, In
from django.db.models.sql.where import AND, WhereNode

from tidemark import Dep

from . import conf

# Every cached read depends on this table too, so a write whose tables cannot be known
# (unparseable raw SQL, a migration) invalidates everything with one wide change.
GLOBAL_TABLE = "tidemark_django.all"

# The key an INSERT changes when the keys of its rows are not known before it runs (an
# autocommit INSERT whose primary key the database assigns): reads that named a key and did
# not find its row depend on it (see ReadDeps.with_absent). Should a text primary key have
# this value, that row's writes and new rows invalidate each other's reads: extra
# invalidation only.
NEW_ROW = "tidemark_django:new-row"

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


def keyable(meta, connection) -> bool:
    """Whether rows of this model can be named by primary-key keys: only when the text of
    a value identifies the row the database compares equal to it. Integers and UUIDs do;
    text does under the binary comparison PostgreSQL and SQLite use by default, not under a
    column collation (case- or accent-insensitive) or on other backends (MySQL compares
    text case-insensitively and ignores trailing spaces). Other types (decimals, dates)
    have several texts for one value. Rows of other models are covered by table deps."""
    pk = meta.pk
    if pk is None or getattr(meta, "is_composite_pk", False):
        return False
    field = pk
    while getattr(field, "is_relation", False) and getattr(field, "target_field", None) is not None:
        field = field.target_field
    if isinstance(field, (IntegerField, UUIDField)):
        return True
    if isinstance(field, (CharField, TextField)):
        return getattr(field, "db_collation", None) is None and connection.vendor in ("postgresql", "sqlite")
    return False


def base_alias(query) -> str | None:
    """The alias of the query's base table, without touching ``query.base_table``: that is
    a cached property, and reading it before the query has set up its tables caches None
    for the SQL compilers too (``Model.objects.update()`` then fails in Django)."""
    return next(iter(query.alias_map), None)


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


def query_keys(query, connection, limit: int = MAX_KEYS_PER_TABLE) -> set | None:
    """The primary keys a query is restricted to (None: not restricted by pk)."""
    meta = query.get_meta()
    if not keyable(meta, connection):
        return None
    alias = base_alias(query)
    if alias is None:
        return None
    try:
        keys = _where_keys(query.where, alias, meta)
    except Exception:
        return None
    if keys is None or len(keys) > limit:
        return None
    return keys


@dataclass(frozen=True)
class ReadDeps:
    """The deps of a read. ``keyed``: (tidemark table, keys, base alias) when the base
    table is a set of key deps; see ``with_absent``."""

    deps: tuple
    keyed: tuple | None = None

    def with_absent(self, compiler, result, result_type) -> tuple:
        """The deps to store with the result. A read that names keys and did not find all
        of them (``get(pk=...)`` of a row not there yet) also depends on ``NEW_ROW`` of its
        table, which every insert whose keys are unknown before it runs changes."""
        if self.keyed is None:
            return self.deps
        table, keys, alias = self.keyed
        try:
            if keys <= _found_keys(compiler, result, result_type, alias):
                return self.deps
        except Exception:
            pass
        return self.deps + (Dep(table, NEW_ROW),)


def _found_keys(compiler, result, result_type, alias) -> set:
    meta = compiler.query.get_meta()
    select = getattr(compiler, "select", None) or ()
    index = next((i for i, item in enumerate(select) if _is_pk_col(item[0], alias, meta)), None)
    if index is None:
        return set()
    if result_type == SINGLE:
        rows = [result] if result else []
    else:
        rows = [row for chunk in result for row in chunk]
    return {pk_key(meta.pk, row[index]) for row in rows}


def read_deps(compiler, sql: str) -> ReadDeps | None:
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
    keyed_table: str | None = None
    keys: set | None = None
    model = getattr(query, "model", None)
    if model is not None and query.alias_map and not getattr(query, "combinator", None):
        base = model._meta.db_table
        if base_count.get(base, 0) == 1 and occurrences.get(base, 0) <= 1:
            keys = query_keys(query, compiler.connection)
            if keys:
                keyed_table = base
    deps = [Dep(GLOBAL_TABLE)]
    for table in sorted(tables):
        name = tm_table(alias, table)
        if len(name.encode()) > MAX_TABLE_BYTES:
            return None
        if table == keyed_table:
            deps.extend(Dep(name, k) for k in sorted(keys))
        else:
            deps.append(Dep(name))
    if len(deps) + 1 > MAX_DEPS:
        return None
    if keyed_table is None:
        return ReadDeps(tuple(deps))
    return ReadDeps(tuple(deps), (tm_table(alias, keyed_table), frozenset(keys), base_alias(query)))
