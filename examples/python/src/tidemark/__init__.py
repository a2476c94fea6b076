"""Python client for Tidemark, the durable version service for cache invalidation.

    from tidemark import Client, Dep, Change

    client = Client()                       # $TIDEMARK_SOCKET or the server's default path
    stamp = client.safe_stamp([Dep("users", "42")])   # before reading the database
    ...
    if client.is_valid(stamp, [Dep("users", "42")]): ...  # before serving a cached value
"""

from .client import IDEMPOTENT_METHODS, Client
from .errors import (
    Compacted,
    Forbidden,
    InternalError,
    InvalidParams,
    InvalidRequest,
    MethodNotFound,
    Overloaded,
    ParseError,
    ProtocolError,
    ShuttingDown,
    SourceOutOfOrder,
    BackendUnavailable,
    StorageFull,
    TidemarkError,
    Unavailable,
    UnknownIntent,
    WatchLost,
    error_from_json,
)
from .local import LocalReader, LocalReadingRefused, UnsupportedFormat
from .paths import default_socket_path
from .values import (
    AbortResult,
    Change,
    ChangedDep,
    CheckResult,
    Dep,
    Hello,
    IntentResult,
    LogPage,
    Peer,
    Record,
    RegisterResult,
    Stamp,
    StampResult,
    WatchEvent,
    WriteResult,
)
from .watch import Watch

__version__ = "0.1.0"

__all__ = [
    "Client",
    "IDEMPOTENT_METHODS",
    "LocalReader",
    "LocalReadingRefused",
    "UnsupportedFormat",
    "Watch",
    "default_socket_path",
    "Dep",
    "Change",
    "Stamp",
    "ChangedDep",
    "Hello",
    "WriteResult",
    "StampResult",
    "CheckResult",
    "RegisterResult",
    "IntentResult",
    "AbortResult",
    "Peer",
    "Record",
    "LogPage",
    "WatchEvent",
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
    "SourceOutOfOrder",
    "BackendUnavailable",
    "error_from_json",
]
