"""ASYNC_COMMIT: a background thread that sends `commit` for intents whose database
COMMIT has returned. Until it does, Tidemark reports the intents' deps as pending, so
readers miss and store nothing: the delay costs hits, never correctness."""

from __future__ import annotations

import atexit
import os
import queue
import threading


class Committer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def submit(self, intent: str) -> None:
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                # First use, or a forked child: its own queue and thread (the parent's
                # queued intents are the parent's to commit).
                self._pid = os.getpid()
                self._queue = queue.Queue()
                self._thread = threading.Thread(target=self._run, args=(self._queue,), name="tidemark-commit", daemon=True)
                self._thread.start()
            self._queue.put(intent)

    def _run(self, q: queue.Queue) -> None:
        from .writes import commit_now

        while True:
            intent = q.get()
            try:
                if intent is None:
                    return
                commit_now(intent)
            finally:
                q.task_done()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every submitted intent was sent (tests, shutdown)."""
        with self._lock:
            q, thread = self._queue, self._thread
        if q is None or thread is None or self._pid != os.getpid():
            return
        done = threading.Event()

        def wait():
            q.join()
            done.set()

        threading.Thread(target=wait, daemon=True).start()
        done.wait(timeout)


committer = Committer()
atexit.register(committer.flush)
