"""The synchronous, thread-safe and fork-safe Tidemark client."""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import Any, Iterable, Iterator, Mapping, Sequence

from .connection import Connection, ConnectionBroken, RequestTimeout
from .errors import ProtocolError, TidemarkError, Unavailable
from .failsafe import FailSafeReads
from .paths import default_socket_path
from .values import (
    AbortResult,
    ChangeLike,
    CheckResult,
    DepLike,
    Hello,
    IntentResult,
    LogPage,
    Record,
    RegisterResult,
    Stamp,
    StampLike,
    StampResult,
    WriteResult,
    changes_json,
    deps_json,
    to_stamp,
)
from .watch import Watch

__all__ = ["Client", "IDEMPOTENT_METHODS"]

logger = logging.getLogger("tidemark")

#: Methods that change nothing: after a broken connection they are sent once more on a
#: fresh one. Writes are not, because the server may have applied them before the
#: connection broke and a blind resend would apply them twice.
IDEMPOTENT_METHODS = frozenset({"hello", "ping", "stamp", "check", "log", "stats"})

# Every live client, so that a forked child can drop the connections it inherited.
_clients: "weakref.WeakSet[Client]" = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for client in list(_clients):
        client._forget_inherited_connections()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class Client(FailSafeReads):
    """A Tidemark client.

    ``socket_path`` None means ``$TIDEMARK_SOCKET``, else the server's default path (see
    ``tidemark.default_socket_path``). ``timeout`` bounds each request (seconds, None for no
    limit); ``connect_timeout`` bounds opening a connection.

    One ``Client`` may be shared by any number of threads: each thread gets its own
    connection, opened lazily on its first request. A forked child opens its own connections
    and never touches its parent's.
    """

    def __init__(
        self,
        socket_path: str | os.PathLike[str] | None = None,
        *,
        timeout: float | None = 5.0,
        connect_timeout: float | None = 1.0,
    ) -> None:
        self.socket_path = os.fspath(socket_path) if socket_path is not None else default_socket_path()
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        # Weak: a thread that ends drops its thread-local connection, which then closes.
        self._connections: "weakref.WeakSet[Connection]" = weakref.WeakSet()
        self._watches: "weakref.WeakSet[Watch]" = weakref.WeakSet()
        _clients.add(self)

    def __repr__(self) -> str:
        return f"Client(socket_path={self.socket_path!r})"

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- connections -----------------------------------------------------------------------

    def _connection(self) -> Connection:
        conn: Connection | None = getattr(self._local, "connection", None)
        if conn is not None:
            if not conn.owned_by_this_process():
                # Forked without the at-fork hook (or from a thread it could not see): the
                # socket is shared with the parent and must not carry a single byte.
                conn.close()
                conn = None
            elif conn.peer_closed():
                self._discard(conn)
                conn = None
        if conn is None:
            conn = Connection(self.socket_path, self.connect_timeout)
            with self._lock:
                self._connections.add(conn)
            self._local.connection = conn
        return conn

    def _discard(self, conn: Connection) -> None:
        conn.close()
        with self._lock:
            self._connections.discard(conn)
        if getattr(self._local, "connection", None) is conn:
            self._local.connection = None

    def _forget_inherited_connections(self) -> None:
        # Runs in a fresh child: another thread of the parent may have held the lock at the
        # fork, so replace it rather than take it.
        self._lock = threading.Lock()
        inherited, self._connections = list(self._connections), weakref.WeakSet()
        for conn in inherited:
            conn.close()
        for watch in list(self._watches):
            watch._abandon()
        self._local = threading.local()

    def close(self) -> None:
        """Closes every connection of every thread and every open watch. The client stays
        usable: the next request opens a new connection."""
        with self._lock:
            connections, self._connections = list(self._connections), weakref.WeakSet()
        for conn in connections:
            conn.close()
        for watch in list(self._watches):
            watch.close()
        self._local = threading.local()

    # -- raw calls -------------------------------------------------------------------------

    def call(self, method: str, params: Mapping[str, Any] | None = None, *, idempotent: bool | None = None) -> Any:
        """Sends any JSON-RPC method and returns its raw ``result``.

        ``idempotent`` (default: whether ``method`` is in ``IDEMPOTENT_METHODS``) decides if a
        request whose connection broke after it was sent is sent again once.
        """
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        payload = dict(params) if params is not None else None
        for attempt in (1, 2):
            conn = self._connection()
            try:
                return conn.request(method, payload, self.timeout)
            except ConnectionBroken as error:
                self._discard(conn)
                if attempt == 1 and (idempotent or not error.sent):
                    logger.debug("tidemark: %s failed on a broken connection (%s); retrying once", method, error)
                    continue
                if idempotent or not error.sent:
                    raise Unavailable(f"{method}: connection to {self.socket_path} broke: {error}", error) from error
                raise Unavailable(
                    f"{method}: connection to {self.socket_path} broke after the request was sent ({error}); "
                    "it may or may not have been applied",
                    error,
                ) from error
            except RequestTimeout as error:
                # The answer may still come: this connection cannot be reused.
                self._discard(conn)
                raise Unavailable(
                    f"{method}: no answer from {self.socket_path} within {self.timeout}s", error
                ) from error
            except ProtocolError:
                self._discard(conn)
                raise
            except TidemarkError:
                raise  # the server's error answer: the connection is in step and reusable
            except BaseException:
                # Unencodable params, KeyboardInterrupt mid-request...: an answer may still
                # be on its way, so this connection can no longer be trusted to be in step.
                self._discard(conn)
                raise
        raise AssertionError("unreachable")

    # -- methods ---------------------------------------------------------------------------

    def hello(self) -> Hello:
        return Hello.from_json(self.call("hello"))

    def ping(self) -> None:
        self.call("ping")

    def write(self, changes: Iterable[ChangeLike] | ChangeLike, meta: Mapping[str, Any] | None = None) -> WriteResult:
        params: dict[str, Any] = {"changes": changes_json(changes)}
        if meta is not None:
            params["meta"] = dict(meta)
        return WriteResult.from_json(self.call("write", params))

    def stamp(self, deps: Iterable[DepLike] | DepLike | None = None) -> StampResult:
        return StampResult.from_json(self.call("stamp", {"deps": deps_json(deps)}))

    def check(
        self,
        stamp_or_epoch: StampLike | str,
        lsn: int | Iterable[DepLike] | None = None,
        deps: Iterable[DepLike] | DepLike | None = None,
    ) -> CheckResult:
        """``check(stamp, deps)`` or ``check(epoch, lsn, deps)``. ``deps`` is required (``[]``
        for none), as in the protocol, so that a forgotten argument is never read as "no
        dependencies, valid"."""
        return CheckResult.from_json(self.call("check", _stamp_query(stamp_or_epoch, lsn, deps)))

    def check_name(self, name: str) -> CheckResult:
        return CheckResult.from_json(self.call("check", {"name": name}))

    def check_many(self, entries: Iterable[Any]) -> list[CheckResult]:
        """One ``check {entries}`` round trip, answered from one snapshot. Each entry is a
        name, a ``(stamp, deps)`` pair, an ``(epoch, lsn, deps)`` triple or a protocol dict."""
        result = self.call("check", {"entries": [_entry_json(entry) for entry in entries]})
        return [CheckResult.from_json(r) for r in result["results"]]

    def register(
        self, name: str, stamp: StampLike, deps: Iterable[DepLike] | DepLike | None, ttl_ms: int | None = None
    ) -> RegisterResult:
        s = to_stamp(stamp)
        params: dict[str, Any] = {"name": name, "epoch": s.epoch, "lsn": s.lsn, "deps": deps_json(deps)}
        if ttl_ms is not None:
            params["ttl_ms"] = ttl_ms
        return RegisterResult.from_json(self.call("register", params))

    def begin(
        self, changes: Iterable[ChangeLike] | ChangeLike, ttl_ms: int | None = None, meta: Mapping[str, Any] | None = None
    ) -> IntentResult:
        params: dict[str, Any] = {"changes": changes_json(changes)}
        if ttl_ms is not None:
            params["ttl_ms"] = ttl_ms
        if meta is not None:
            params["meta"] = dict(meta)
        return IntentResult.from_json(self.call("begin", params))

    def commit(self, intent: str | IntentResult) -> WriteResult:
        return WriteResult.from_json(self.call("commit", {"intent": _intent_id(intent)}))

    def abort(self, intent: str | IntentResult) -> AbortResult:
        return AbortResult.from_json(self.call("abort", {"intent": _intent_id(intent)}))

    def log(self, from_lsn: int | None = None, limit: int | None = None, tables: Sequence[str] | None = None) -> LogPage:
        params: dict[str, Any] = {}
        if from_lsn is not None:
            params["from"] = from_lsn
        if limit is not None:
            params["limit"] = limit
        if tables is not None:
            params["tables"] = list(tables)
        return LogPage.from_json(self.call("log", params))

    def iter_log(
        self,
        from_lsn: int | None = None,
        to_lsn: int | None = None,
        tables: Sequence[str] | None = None,
        page_size: int = 1000,
    ) -> Iterator[Record]:
        """Every record from ``from_lsn`` (default: the oldest) up to ``to_lsn`` (default: the
        current LSN when iteration starts), following the paging rule of PROTOCOL.md 7.10."""
        if to_lsn is None:
            to_lsn = self.hello().lsn
        cursor = from_lsn
        while True:
            page = self.log(cursor, page_size, tables)
            for record in page.records:
                if record.lsn > to_lsn:
                    return
                yield record
            if page.next > to_lsn or page.next == cursor:
                return
            cursor = page.next

    def watch(self, from_lsn: int | None = None, tables: Sequence[str] | None = None) -> Watch:
        """Starts a watch on a dedicated connection and returns an iterator of ``WatchEvent``.
        Close it (``close()`` or ``with``) to unwatch and close that connection."""
        watch = Watch(self, from_lsn, list(tables) if tables is not None else None)
        self._watches.add(watch)
        return watch

    def stats(self) -> dict[str, Any]:
        return dict(self.call("stats"))

    def compact(self, before: int) -> int:
        """Drops log records below ``min(before, lsn + 1)``; returns the new ``oldest``."""
        return int(self.call("compact", {"before": before})["oldest"])


def _intent_id(intent: str | IntentResult) -> str:
    return intent.intent if isinstance(intent, IntentResult) else intent


def _is_deps_argument(value: Any) -> bool:
    # After a Stamp, the second positional argument can only be the deps.
    return value is not None and (not isinstance(value, int) or isinstance(value, bool))


def _stamp_query(stamp_or_epoch: Any, lsn: Any, deps: Any) -> dict[str, Any]:
    if isinstance(stamp_or_epoch, str):
        if not isinstance(lsn, int) or isinstance(lsn, bool):
            raise TypeError("check(epoch, lsn, deps): lsn must be an int")
        stamp = Stamp(stamp_or_epoch, lsn)
    else:
        if deps is None and _is_deps_argument(lsn):
            # check(stamp, deps) written positionally
            lsn, deps = None, lsn
        if lsn is not None:
            raise TypeError("check(stamp, deps): give either a Stamp or an epoch and an lsn")
        stamp = to_stamp(stamp_or_epoch)
    if deps is None:
        raise TypeError("check: deps is required (use [] for an entry with no dependencies)")
    return {"epoch": stamp.epoch, "lsn": stamp.lsn, "deps": deps_json(deps)}


def _entry_json(entry: Any) -> dict[str, Any]:
    if isinstance(entry, str):
        return {"name": entry}
    if isinstance(entry, Mapping):
        return dict(entry)
    if isinstance(entry, tuple) and len(entry) == 2:
        return _stamp_query(entry[0], None, entry[1])
    if isinstance(entry, tuple) and len(entry) == 3:
        return _stamp_query(entry[0], entry[1], entry[2])
    raise TypeError(f"check_many: not an entry: {entry!r}")
