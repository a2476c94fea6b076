"""The process-wide Tidemark client (the client itself is thread-safe and fork-safe)."""

from __future__ import annotations

import threading

from tidemark import Client

from . import conf

_lock = threading.Lock()
_client: Client | None = None


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


def reset() -> None:
    """Drop the client so the next call builds one from the current settings."""
    global _client
    with _lock:
        old, _client = _client, None
    if old is not None:
        try:
            old.close()
        except Exception:
            pass
