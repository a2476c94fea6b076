"""Per-process counters, for tests, the benchmark and debugging."""

from __future__ import annotations

import threading
from collections import Counter

_lock = threading.Lock()
_counts: Counter = Counter()

# hit: served from the cache after Tidemark said valid.
# miss: no entry. invalid: an entry Tidemark did not confirm. stored: a result was cached.
# uncacheable: stamp said an open intent covers a dep. unavailable: Tidemark could not be asked.
# bypass: not eligible (opted out, locking read, own pending writes, excluded table, ...).
# tx_hit/tx_miss/tx_stored: the same for a transaction's own cache (reads inside a
# transaction that the shared cache cannot serve; see reads.py).
# error: the app could not work out a read's key or deps and ran it uncached (logged).
# begin/commit/abort/write: calls made on behalf of writes.
NAMES = (
    "hit", "miss", "invalid", "stored", "uncacheable", "unavailable", "bypass",
    "tx_hit", "tx_miss", "tx_stored", "error",
    "begin", "commit", "abort", "write",
)  # fmt: skip


def incr(name: str, n: int = 1) -> None:
    with _lock:
        _counts[name] += n


def snapshot() -> dict[str, int]:
    with _lock:
        return {name: _counts.get(name, 0) for name in NAMES}


def reset() -> None:
    with _lock:
        _counts.clear()
