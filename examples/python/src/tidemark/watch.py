"""``watch`` as an iterator on a dedicated connection."""

from __future__ import annotations

import collections
import time
from typing import TYPE_CHECKING, Any

from .connection import Connection, ConnectionBroken, RequestTimeout
from .errors import ProtocolError, TidemarkError, Unavailable, WatchLost
from .values import WatchEvent

if TYPE_CHECKING:
    from .client import Client

__all__ = ["Watch"]

_UNWATCH_TIMEOUT = 1.0
_LINE_GRACE = 1.0


class Watch:
    """Iterator of ``WatchEvent`` for one ``watch`` request, on its own connection.

    Iterating blocks until the next event; ``next_event(timeout)`` waits at most ``timeout``
    seconds and returns None when nothing came. ``close()`` (or leaving a ``with`` block)
    sends ``unwatch`` and closes the connection; iteration then stops.

    Raises ``WatchLost`` when the server ended the watch because it fell behind, and
    ``Unavailable`` when the connection broke. In both cases ``next_lsn`` is the LSN to
    resume from with ``client.watch(from_lsn=w.next_lsn, tables=...)``, with no gap.
    """

    def __init__(self, client: "Client", from_lsn: int | None, tables: list[str] | None) -> None:
        self.tables = tables
        self._events: collections.deque[WatchEvent] = collections.deque()
        self._closed = False
        self._conn: Connection | None = Connection(client.socket_path, client.connect_timeout)
        params: dict[str, Any] = {}
        if from_lsn is not None:
            params["from"] = from_lsn
        if tables is not None:
            params["tables"] = tables
        self._timeout = client.timeout
        try:
            # Replayed events may arrive before the response: they are queued, in order.
            result = self._conn.request("watch", params, client.timeout, self._on_notification)
        except (ConnectionBroken, RequestTimeout) as error:
            self._abandon()
            raise Unavailable(f"watch: {error}", error) from error
        except BaseException:
            self._abandon()
            raise
        self.id: int = result["watch"]
        #: The current LSN when the watch started; every later record is delivered live.
        self.lsn: int = result["lsn"]
        self.next_lsn: int = from_lsn if from_lsn is not None else self.lsn + 1
        self._lost: WatchLost | None = None

    # -- iteration -------------------------------------------------------------------------

    def __iter__(self) -> "Watch":
        return self

    def __next__(self) -> WatchEvent:
        event = self.next_event(None)
        if event is None:
            raise StopIteration
        return event

    def next_event(self, timeout: float | None = None) -> WatchEvent | None:
        """The next event, waiting at most ``timeout`` seconds (None: until one comes).
        Returns None on timeout, or when the watch is closed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._events:
                return self._deliver(self._events.popleft())
            if self._lost is not None:
                raise self._lost
            if self._closed or self._conn is None:
                return None
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                if not self._conn.wait_readable(remaining):
                    return None
                # Data is there: give a line that has started arriving a moment to finish,
                # even if the caller's deadline is now (next_event(0) polls).
                grace = None if deadline is None else max(deadline, time.monotonic() + _LINE_GRACE)
                message = self._conn.read_message(grace)
            except RequestTimeout:
                return None  # a partial line stays buffered for the next call
            except ConnectionBroken as error:
                self._abandon()
                raise Unavailable(f"watch {self.id}: connection broke: {error}", error) from error
            except ProtocolError:
                self._abandon()
                raise
            if "id" in message:
                continue  # no request is outstanding on this connection
            self._on_notification(message)

    def _deliver(self, event: WatchEvent) -> WatchEvent:
        self.next_lsn = event.record.lsn + 1
        return event

    def _on_notification(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        params = message.get("params") or {}
        own = getattr(self, "id", None)
        if own is not None and params.get("watch") != own:
            return
        if method == "watch.event":
            self._events.append(WatchEvent.from_json(params))
        elif method == "watch.lost":
            self._lost = WatchLost(params.get("watch", own), params.get("lsn", 0))
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        # Other notification methods are ignored, as the protocol asks.

    # -- closing ---------------------------------------------------------------------------

    def close(self) -> None:
        """Unwatches (best effort, bounded by a short timeout) and closes the connection."""
        if self._closed:
            return
        self._closed = True
        self._events.clear()
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.owned_by_this_process():
                conn.request("unwatch", {"watch": self.id}, _UNWATCH_TIMEOUT, lambda _message: None)
        except (ConnectionBroken, RequestTimeout, TidemarkError):
            pass  # closing the connection ends the watch anyway
        finally:
            conn.close()

    def _abandon(self) -> None:
        """Closes the descriptor without a word to the server (after a fork, or a failure)."""
        self._closed = True
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "Watch":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self._abandon()
        except Exception:
            pass

