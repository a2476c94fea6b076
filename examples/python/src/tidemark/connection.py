"""One newline-delimited JSON-RPC 2.0 connection over a Unix stream socket.

A ``Connection`` is used by one thread at a time (the ``Client`` gives each thread its own)
and remembers the process that opened it, so that a forked child never talks on its
parent's socket.
"""

from __future__ import annotations

import errno
import json
import os
import select
import socket
import time
from typing import Any, Callable

from .errors import ProtocolError, Unavailable, error_from_json

__all__ = ["Connection", "ConnectionBroken", "RequestTimeout", "encode"]

_RECV_BYTES = 256 * 1024


class ConnectionBroken(Exception):
    """The stream ended or failed. ``sent`` tells whether any byte of the request may have
    reached the server (if not, the request was certainly not executed)."""

    def __init__(self, message: str, sent: bool, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.sent = sent
        self.__cause__ = cause


class RequestTimeout(Exception):
    """No answer before the deadline."""


def encode(message: Any) -> bytes:
    # allow_nan=False: the server refuses NaN/Infinity (PROTOCOL.md 2), so fail here instead.
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8") + b"\n"


class Connection:
    def __init__(self, path: str, connect_timeout: float | None) -> None:
        self.path = path
        self.pid = os.getpid()
        self._buffer = bytearray()
        self._scanned = 0
        self._next_id = 1
        self.closed = False
        self.sock = _connect(path, connect_timeout)

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the socket. Never ``shutdown()``: after a fork the parent may still use the
        same open file, and close() only drops this process's descriptor."""
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def owned_by_this_process(self) -> bool:
        return self.pid == os.getpid()

    def peer_closed(self) -> bool:
        """True if the server has closed its end (for example it was restarted) while the
        connection sat idle. Checked before sending, so that a request that has not been
        sent can safely go out on a fresh connection whatever its method."""
        if self.closed:
            return True
        if self._buffer:
            return False
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        if not readable:
            return False
        try:
            data = self.sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True
        return data == b""

    # -- requests --------------------------------------------------------------------------

    def request(
        self,
        method: str,
        params: dict[str, Any] | None,
        timeout: float | None,
        on_notification: Callable[[dict[str, Any]], None] | None = None,
    ) -> Any:
        """Sends one request and returns its ``result``, raising the mapped ``TidemarkError``
        for an ``error``. Raises ``ConnectionBroken`` or ``RequestTimeout``; after either
        (or a ``ProtocolError``) the connection must be closed."""
        request_id = self._next_id
        self._next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        deadline = None if timeout is None else time.monotonic() + timeout
        self.send(encode(message), deadline)
        return self.read_response(request_id, deadline, on_notification)

    def send(self, data: bytes, deadline: float | None) -> None:
        view = memoryview(data)
        sent_any = False
        try:
            while view:
                self.sock.settimeout(_remaining(deadline))
                count = self.sock.send(view)
                sent_any = sent_any or count > 0
                view = view[count:]
        except socket.timeout as error:
            raise RequestTimeout("sending the request timed out") from error
        except OSError as error:
            refusal = self._refusal()
            if refusal is not None:
                self.close()
                raise refusal from error
            raise ConnectionBroken(f"sending failed: {error.strerror or error}", sent_any, error) from error

    def _refusal(self) -> Exception | None:
        """The error line a server sends before closing a connection it will not serve (over
        ``--max-connections``: -32001 with id null), if it is waiting unread."""
        try:
            while True:
                chunk = self.sock.recv(_RECV_BYTES, socket.MSG_DONTWAIT)
                if not chunk:
                    break
                self._buffer += chunk
        except OSError:
            pass
        index = self._buffer.find(b"\n")
        if index < 0:
            return None
        try:
            message = json.loads(bytes(self._buffer[:index]))
        except ValueError:
            return None
        if isinstance(message, dict) and message.get("id", 0) is None and "error" in message:
            return error_from_json(message["error"])
        return None

    def read_response(
        self,
        request_id: int,
        deadline: float | None,
        on_notification: Callable[[dict[str, Any]], None] | None = None,
    ) -> Any:
        while True:
            message = self.read_message(deadline)
            if "id" not in message:
                # A notification (watch.event, watch.lost or a method this client does not
                # know): never the answer to a request.
                if on_notification is not None:
                    on_notification(message)
                continue
            if message["id"] == request_id or (message["id"] is None and "error" in message):
                # id null answers the line as a whole (line too long, parse error): the one
                # request on that line is ours.
                if "error" in message:
                    raise error_from_json(message["error"])
                if "result" not in message:
                    raise ProtocolError(f"response without result or error: {message!r}")
                return message["result"]
            raise ProtocolError(f"response for id {message['id']!r} while waiting for id {request_id}")

    def read_message(self, deadline: float | None) -> dict[str, Any]:
        line = self.read_line(deadline)
        try:
            message = json.loads(line)
        except ValueError as error:
            raise ProtocolError(f"the server sent a line that is not JSON: {line[:200]!r}") from error
        if not isinstance(message, dict):
            raise ProtocolError(f"the server sent a line that is not a JSON object: {line[:200]!r}")
        return message

    def read_line(self, deadline: float | None) -> bytes:
        """The next line without its ``\\n``; responses may be of any length."""
        while True:
            index = self._buffer.find(b"\n", self._scanned)
            if index >= 0:
                line = bytes(self._buffer[:index])
                del self._buffer[: index + 1]
                self._scanned = 0
                return line[:-1] if line.endswith(b"\r") else line
            self._scanned = len(self._buffer)
            try:
                self.sock.settimeout(_remaining(deadline))
                chunk = self.sock.recv(_RECV_BYTES)
            except socket.timeout as error:
                raise RequestTimeout("no answer before the timeout") from error
            except OSError as error:
                raise ConnectionBroken(f"reading failed: {error.strerror or error}", True, error) from error
            if not chunk:
                raise ConnectionBroken("the server closed the connection", True)
            self._buffer += chunk

    def wait_readable(self, timeout: float | None) -> bool:
        """True when a line is buffered or the socket has data (or EOF) within ``timeout``."""
        if b"\n" in self._buffer:
            return True
        try:
            readable, _, _ = select.select([self.sock], [], [], timeout)
        except InterruptedError:
            return False
        except (OSError, ValueError) as error:
            raise ConnectionBroken(f"waiting failed: {error}", True, error) from error
        return bool(readable)


def _connect(path: str, timeout: float | None) -> socket.socket:
    """Connects within ``timeout``. A Unix socket whose listen backlog is full refuses a
    connect at once (EAGAIN) instead of queueing it, so that case is retried with a short
    backoff until the timeout, which is what a server busy accepting needs."""
    deadline = None if timeout is None else time.monotonic() + timeout
    pause = 0.001
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(path)
            return sock
        except BlockingIOError as error:
            sock.close()
            if deadline is not None and time.monotonic() + pause > deadline:
                raise Unavailable(
                    f"connecting to {path} timed out after {timeout}s (the server's backlog is full)", error
                ) from error
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        except socket.timeout as error:
            sock.close()
            raise Unavailable(f"connecting to {path} timed out after {timeout}s", error) from error
        except OSError as error:
            sock.close()
            raise Unavailable(f"cannot connect to {path}: {error.strerror or error}", error) from error


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise socket.timeout(errno.ETIMEDOUT, "timed out")
    return remaining

