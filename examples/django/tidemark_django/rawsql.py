"""Which tables a raw SQL statement may write.

Used for SQL that does not come from the ORM's compilers (``cursor.execute``, RunSQL,
schema editors, flushes). Every such write is wide: its rows are unknown. When a statement
looks like a write but its target cannot be found, the answer is ``GLOBAL_TABLE``, which
every cached read depends on: unknown writes invalidate everything rather than nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .deps import GLOBAL_TABLE, _QUALIFIED, unquote

_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_STRINGS = re.compile(r"'(?:[^']|'')*'")
_QUOTED = re.compile(r'"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]')
# Phrases containing a write keyword that are not writes themselves.
_HARMLESS = re.compile(
    r"\bFOR\s+(?:NO\s+KEY\s+)?UPDATE\b|\bFOR\s+(?:KEY\s+)?SHARE\b|\bON\s+(?:DELETE|UPDATE)\b|"
    r"\bDO\s+UPDATE\b|\bDO\s+NOTHING\b|\bCREATE\s+(?:UNIQUE\s+)?INDEX\b|\bDROP\s+INDEX\b|"
    r"\b(?:CREATE|DROP)\s+(?:DATABASE|SEQUENCE|EXTENSION|SCHEMA|ROLE|USER|COLLATION)\b|"
    r"\bALTER\s+(?:SEQUENCE|ROLE|USER|DATABASE)\b",
    re.IGNORECASE,
)
_WRITE_WORD = re.compile(
    r"\b(?:INSERT|UPDATE|DELETE|TRUNCATE|ALTER|DROP|CREATE|REPLACE|MERGE|COPY|EXECUTE|EXEC|CALL|DO|"
    r"RENAME|UPSERT|LOAD|IMPORT|REINDEX|CLUSTER|REFRESH)\b",
    re.IGNORECASE,
)
_TARGETS = [
    re.compile(rf"\bINSERT\s+(?:OR\s+\w+\s+)?(?:IGNORE\s+)?INTO\s+({_QUALIFIED})", re.IGNORECASE),
    re.compile(rf"\bREPLACE\s+INTO\s+({_QUALIFIED})", re.IGNORECASE),
    re.compile(rf"\bUPDATE\s+(?:OR\s+\w+\s+)?(?:ONLY\s+)?({_QUALIFIED})", re.IGNORECASE),
    re.compile(rf"\bDELETE\s+FROM\s+(?:ONLY\s+)?({_QUALIFIED})", re.IGNORECASE),
    re.compile(rf"\bALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?({_QUALIFIED})", re.IGNORECASE),
    re.compile(rf"\bRENAME\s+TO\s+({_QUALIFIED})", re.IGNORECASE),
    re.compile(rf"\bCREATE\s+(?:TEMP\w*\s+|UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?({_QUALIFIED})", re.IGNORECASE),
    re.compile(rf"\bMERGE\s+INTO\s+({_QUALIFIED})", re.IGNORECASE),
    re.compile(rf"\bCOPY\s+({_QUALIFIED})\s*(?:\([^)]*\)\s*)?FROM\b", re.IGNORECASE),
]
_LISTS = [
    re.compile(rf"\bTRUNCATE\s+(?:TABLE\s+)?(?:ONLY\s+)?({_QUALIFIED}(?:\s*,\s*{_QUALIFIED})*)", re.IGNORECASE),
    re.compile(rf"\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?({_QUALIFIED}(?:\s*,\s*{_QUALIFIED})*)", re.IGNORECASE),
]
_SPLIT_LIST = re.compile(rf"({_QUALIFIED})")
# These write other tables than the ones they name, or run code we cannot see.
_ESCAPES = re.compile(r"\bCASCADE\b|\bEXECUTE\b|\bEXEC\b|\bCALL\b|^\s*DO\b|\bCOPY\b", re.IGNORECASE)
_NOT_NAMES = frozenset({"select", "set", "values", "default", "only", "table", "if", "exists"})


@lru_cache(maxsize=4096)
def written_tables(sql: str) -> frozenset | None:
    """None if the statement writes no table; else the (database) tables it may write.

    The result may contain ``GLOBAL_TABLE``.
    """
    text = _STRINGS.sub("''", _COMMENTS.sub(" ", sql))
    bare = _HARMLESS.sub(" ", _QUOTED.sub('"q"', text))
    if not _WRITE_WORD.search(bare):
        return None
    text = _HARMLESS.sub(" ", text)
    tables: set[str] = set()
    for pattern in _TARGETS:
        for m in pattern.finditer(text):
            name = unquote(m.group(1))
            if name.lower() not in _NOT_NAMES:
                tables.add(name)
    for pattern in _LISTS:
        for m in pattern.finditer(text):
            for part in _SPLIT_LIST.findall(m.group(1)):
                name = unquote(part)
                if name.lower() not in _NOT_NAMES and name.upper() not in ("RESTART", "CONTINUE", "IDENTITY", "CASCADE", "RESTRICT"):
                    tables.add(name)
    if not tables or _ESCAPES.search(bare):
        tables.add(GLOBAL_TABLE)
    return frozenset(tables)
