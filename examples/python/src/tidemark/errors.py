"""Exceptions. Every error the client raises is a ``TidemarkError``.

Server errors carry the JSON-RPC ``code``, ``message`` and ``data`` of the response and
are mapped to one subclass per code. ``Unavailable`` (the service cannot be reached or the
connection broke) and ``ProtocolError`` (the server sent something that is not a valid
response) are raised by the client itself and have ``code`` None.
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = [
    "TidemarkError",
    "Unavailable",
    "ProtocolError",
    "WatchLost",
    "ParseError",
    "InvalidRequest",
    "MethodNotFound",
    "InvalidParams",
    "InternalError",
    "Overloaded",
    "StorageFull",
    "UnknownIntent",
    "Compacted",
    "Forbidden",
    "ShuttingDown",
    "error_from_json",
]


class TidemarkError(Exception):
    """Base of every Tidemark error. ``code`` is the JSON-RPC error code, or None for errors
    raised by the client itself (``Unavailable``, ``ProtocolError``, ``WatchLost``)."""

    code: int | None = None
    #: True when trying again later (or against a restarted server) may succeed.
    retryable: bool = False

    def __init__(self, code: int | None, message: str, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data: dict[str, Any] = dict(data) if isinstance(data, Mapping) else {}

    def __str__(self) -> str:
        return self.message if self.code is None else f"{self.message} (code {self.code})"

    def __reduce__(self):
        return (_rebuild, (type(self), self.code, self.message, self.data))


def _rebuild(cls, code, message, data):
    error = cls.__new__(cls)
    TidemarkError.__init__(error, code, message, data)
    return error


class Unavailable(TidemarkError):
    """The service cannot be reached: the socket is missing, the connection was refused,
    reset or closed, or a connect or read timed out. ``code`` is None.

    For a non-idempotent request (write, begin, commit, abort, register, compact) this can
    also mean "the request may or may not have been applied": see the README's retry policy.
    """

    retryable = True

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(None, message)
        self.__cause__ = cause


class ProtocolError(TidemarkError):
    """The server's answer is not a valid JSON-RPC response (the connection is dropped)."""

    def __init__(self, message: str) -> None:
        super().__init__(None, message)


class WatchLost(TidemarkError):
    """A watch fell too far behind and the server ended it (``watch.lost``). Every record up
    to ``lsn`` was delivered; resume with ``client.watch(from_lsn=lost.lsn + 1, ...)``."""

    def __init__(self, watch: int, lsn: int) -> None:
        super().__init__(None, f"watch {watch} lost after lsn {lsn}", {"watch": watch, "lsn": lsn})
        self.watch = watch
        self.lsn = lsn

    def __reduce__(self):
        return (WatchLost, (self.watch, self.lsn))


class ParseError(TidemarkError):
    """-32700: the line was not strict JSON."""


class InvalidRequest(TidemarkError):
    """-32600: not a valid request, or a line longer than ``limits.max_line_bytes``."""


class MethodNotFound(TidemarkError):
    """-32601. ``method`` names the unknown method."""

    @property
    def method(self) -> str | None:
        return self.data.get("method")


class InvalidParams(TidemarkError):
    """-32602. ``field`` is the path of the field at fault, e.g. ``changes[1].keys[0]``."""

    @property
    def field(self) -> str | None:
        return self.data.get("field")


class InternalError(TidemarkError):
    """-32603: an unexpected failure in the server or its storage."""


class Overloaded(TidemarkError):
    """-32001: the writer's queue is full; nothing was done. Retry later."""

    retryable = True


class StorageFull(TidemarkError):
    """-32002: the data file reached its size limit; nothing was written."""


class UnknownIntent(TidemarkError):
    """-32003: commit/abort of an id naming no open intent. ``state`` is ``committed``,
    ``aborted``, ``expired`` or ``unknown``."""

    @property
    def state(self) -> str | None:
        return self.data.get("state")


class Compacted(TidemarkError):
    """-32004: ``log``/``watch`` from an LSN below ``oldest``."""

    @property
    def oldest(self) -> int | None:
        return self.data.get("oldest")


class Forbidden(TidemarkError):
    """-32005: refused by the server's access policy (reserved in protocol 1)."""


class ShuttingDown(TidemarkError):
    """-32006: the server is stopping and takes no new writes. Retry after a restart."""

    retryable = True


class SourceOutOfOrder(TidemarkError):
    """-32007: a sourced write whose ``after`` is not the recorded ``position``."""

    @property
    def position(self) -> int | None:
        return self.data.get("position")


class BackendUnavailable(TidemarkError):
    """-32008: the server's remote backend (etcd) cannot answer now: no quorum or no
    member reachable. Never an answer: the fail-safe helpers treat it as "not valid".
    A write that got it may still have been applied. Retry later."""

    retryable = True


_BY_CODE: dict[int, type[TidemarkError]] = {
    -32700: ParseError,
    -32600: InvalidRequest,
    -32601: MethodNotFound,
    -32602: InvalidParams,
    -32603: InternalError,
    -32001: Overloaded,
    -32002: StorageFull,
    -32003: UnknownIntent,
    -32004: Compacted,
    -32005: Forbidden,
    -32006: ShuttingDown,
    -32007: SourceOutOfOrder,
    -32008: BackendUnavailable,
}

for _code, _cls in _BY_CODE.items():
    _cls.code = _code


def error_from_json(error: Any) -> TidemarkError:
    """Builds the exception for a JSON-RPC ``error`` object; unknown codes give a plain
    ``TidemarkError``."""
    if not isinstance(error, Mapping) or not isinstance(error.get("code"), int):
        return ProtocolError(f"malformed error object: {error!r}")
    code = error["code"]
    message = error.get("message")
    if not isinstance(message, str):
        message = f"error {code}"
    data = error.get("data")
    cls = _BY_CODE.get(code, TidemarkError)
    return cls(code, message, data if isinstance(data, Mapping) else None)
