"""The ``TIDEMARK`` setting, read once and re-read when tests override it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.signals import setting_changed

DEFAULTS = {
    # Master switch: False turns every hook into a pass-through (no cache, no Tidemark calls).
    "ENABLED": True,
    # Tidemark socket; None lets the client pick $TIDEMARK_SOCKET or its default.
    "SOCKET": None,
    # The Django cache (CACHES alias) that holds query results.
    "CACHE_ALIAS": "default",
    # Seconds a result stays in the cache; validity is decided by Tidemark, this only bounds memory.
    "CACHE_TTL": 300,
    # Tidemark client timeouts (seconds).
    "TIMEOUT": 5.0,
    "CONNECT_TIMEOUT": 1.0,
    # Lease of the intent opened just before a COMMIT. It only has to cover the COMMIT itself.
    "INTENT_TTL_MS": 30000,
    # True: every ORM read is cached unless opted out. False: only reads inside
    # ``tidemark_django.cache()`` or on a ``.cache()`` query set.
    "CACHE_BY_DEFAULT": True,
    # Tables never cached (reads touching them run uncached) / if set, the only tables cached.
    "EXCLUDE_TABLES": (),
    "ONLY_TABLES": None,
    # Database aliases whose reads are cached (None: all).
    "DATABASES": None,
    # Per-alias namespace for Tidemark table names. Aliases without an entry share the
    # empty namespace, which is right for a primary and its replicas.
    "NAMESPACES": {},
    # What a write does when it cannot announce its changes to Tidemark before COMMIT:
    # "raise" rolls the transaction back and raises (no stale entry can ever be served);
    # "ignore" commits anyway and logs (cached entries may be stale until they expire).
    "ON_WRITE_FAILURE": "raise",
    # True: the `commit` after a database COMMIT is sent by a background thread, so a write
    # does not wait for Tidemark's second fsync. Still safe: until the commit lands the deps
    # read as pending (readers miss; nothing is stored). Pending commits are flushed at exit;
    # if the process dies first, the intent expires after INTENT_TTL_MS as committed.
    "ASYNC_COMMIT": False,
    # Results with more rows than this are not cached.
    "MAX_ROWS": 10000,
    # The cache key prefix.
    "KEY_PREFIX": "tmdj",
    # The tidemark binary used by the ``tidemark_why`` command (None: $TIDEMARK_BIN or PATH).
    "BINARY": None,
    # The server's data directory, to answer hit-path checks and stamps from the data file
    # in place (tidemark.LocalReader; the server runs with --local-readers). None, or a
    # directory that cannot be opened, uses the socket. Writes always use the socket.
    "LOCAL": None,
}


@dataclass(frozen=True)
class Config:
    enabled: bool
    socket: str | None
    cache_alias: str
    cache_ttl: int
    timeout: float
    connect_timeout: float
    intent_ttl_ms: int
    cache_by_default: bool
    exclude_tables: frozenset
    only_tables: frozenset | None
    databases: frozenset | None
    namespaces: dict = field(default_factory=dict)
    on_write_failure: str = "raise"
    async_commit: bool = False
    max_rows: int = 10000
    key_prefix: str = "tmdj"
    binary: str | None = None
    local: str | None = None


_config: Config | None = None


def get() -> Config:
    global _config
    if _config is None:
        raw = dict(DEFAULTS)
        unknown = set(getattr(settings, "TIDEMARK", {})) - set(DEFAULTS)
        if unknown:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured(f"unknown TIDEMARK settings: {sorted(unknown)}")
        raw.update(getattr(settings, "TIDEMARK", {}))
        if raw["ON_WRITE_FAILURE"] not in ("raise", "ignore"):
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured("TIDEMARK['ON_WRITE_FAILURE'] must be 'raise' or 'ignore'")
        _config = Config(
            enabled=bool(raw["ENABLED"]),
            socket=raw["SOCKET"],
            cache_alias=raw["CACHE_ALIAS"],
            cache_ttl=int(raw["CACHE_TTL"]),
            timeout=float(raw["TIMEOUT"]),
            connect_timeout=float(raw["CONNECT_TIMEOUT"]),
            intent_ttl_ms=int(raw["INTENT_TTL_MS"]),
            cache_by_default=bool(raw["CACHE_BY_DEFAULT"]),
            exclude_tables=frozenset(raw["EXCLUDE_TABLES"]),
            only_tables=None if raw["ONLY_TABLES"] is None else frozenset(raw["ONLY_TABLES"]),
            databases=None if raw["DATABASES"] is None else frozenset(raw["DATABASES"]),
            namespaces=dict(raw["NAMESPACES"]),
            on_write_failure=raw["ON_WRITE_FAILURE"],
            async_commit=bool(raw["ASYNC_COMMIT"]),
            max_rows=int(raw["MAX_ROWS"]),
            key_prefix=str(raw["KEY_PREFIX"]),
            binary=raw["BINARY"],
            local=raw["LOCAL"],
        )
    return _config


def _reset(**kwargs):
    global _config
    if kwargs.get("setting") in ("TIDEMARK", "CACHES"):
        _config = None
        from . import client

        client.reset()


setting_changed.connect(_reset)
