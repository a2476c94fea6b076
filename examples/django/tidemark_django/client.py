"""The process-wide Tidemark client (the client itself is thread-safe and fork-safe)."""

from __future__ import annotations

import logging
import threading
import time

from tidemark import Client, LocalReader, TidemarkError

from . import conf

logger = logging.getLogger("tidemark_django")

_lock = threading.Lock()
_client: Client | None = None
_reader: LocalReader | None = None
# When TIDEMARK["LOCAL"] could not be opened: the socket answers until this time, then
# opening is tried again.
_local_retry_at = 0.0
LOCAL_RETRY_SECONDS = 10.0


def get() -> Client:
    global _client
    client = _client
    if client is None:
        with _lock:
            if _client is None:
                cfg = conf.get()
                _client = Client(cfg.socket, timeout=cfg.timeout, connect_timeout=cfg.connect_timeout)
            client = _client
    return client


def reader() -> LocalReader | Client:
    """What answers the hit path's ``is_valid`` and ``stamp``: a LocalReader of
    TIDEMARK["LOCAL"] when set and openable, else the socket client."""
    global _reader, _local_retry_at
    local = conf.get().local
    if local is None:
        return get()
    found = _reader
    if found is not None:
        return found
    if time.monotonic() < _local_retry_at:
        return get()
    with _lock:
        if _reader is None:
            try:
                _reader = LocalReader(local)
            except TidemarkError as exc:
                _local_retry_at = time.monotonic() + LOCAL_RETRY_SECONDS
                logger.warning("tidemark: cannot read %s locally, using the socket: %s", local, exc)
        found = _reader
    # The fallback is fetched outside the lock: `get` takes it too, and it is not reentrant.
    return found if found is not None else get()


def reset() -> None:
    """Drop the client so the next call builds one from the current settings."""
    global _client, _reader, _local_retry_at
    with _lock:
        old, _client = _client, None
        _reader, _local_retry_at = None, 0.0
    if old is not None:
        try:
            old.close()
        except Exception:
            pass
