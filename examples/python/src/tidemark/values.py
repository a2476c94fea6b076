"""Value types of the Tidemark protocol (PROTOCOL.md section 5) and typed method results.

Everything here is a plain dataclass: picklable, comparable, and free of I/O, so a
``Stamp`` can be stored next to a cached value in memcached or Redis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Union

__all__ = [
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
    "DepLike",
    "ChangeLike",
    "StampLike",
]


def _key(key: object) -> object:
    # Primary keys are usually integers; the protocol's keys are strings.
    return str(key) if isinstance(key, int) and not isinstance(key, bool) else key


@dataclass(frozen=True)
class Dep:
    """A dependency: a whole table (``key is None``) or one key of it."""

    table: str
    key: str | None = None

    def __post_init__(self) -> None:
        if self.key is not None:
            object.__setattr__(self, "key", _key(self.key))

    @classmethod
    def parse(cls, text: str) -> "Dep":
        """``"users:42"`` -> ``Dep("users", "42")``; ``"orders"`` -> ``Dep("orders")``.

        The text is split at the first ``:``, so a key may contain ``:`` but a table
        written this way may not (build ``Dep(table, key)`` directly for such tables).
        """
        table, sep, key = text.partition(":")
        if not table or (sep and not key):
            raise ValueError(f"not a dependency: {text!r} (expected 'table' or 'table:key')")
        return cls(table, key if sep else None)

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table} if self.key is None else {"table": self.table, "key": self.key}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Dep":
        return cls(obj["table"], obj.get("key"))

    def __str__(self) -> str:
        return self.table if self.key is None else f"{self.table}:{self.key}"


@dataclass(frozen=True)
class Change:
    """One table's part of a write: some keys of it, or the whole table (``keys`` None or empty)."""

    table: str
    keys: list[str] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.keys, str):
            raise TypeError("Change.keys must be a list of keys, not a string")
        if self.keys is not None:
            object.__setattr__(self, "keys", [_key(k) for k in self.keys])

    @property
    def wide(self) -> bool:
        return not self.keys

    def __hash__(self) -> int:
        return hash((self.table, tuple(self.keys) if self.keys else None))

    @classmethod
    def parse(cls, text: str) -> "Change":
        """``"users:42"`` -> one key; ``"orders"`` -> a wide change of the table."""
        dep = Dep.parse(text)
        return cls(dep.table, None if dep.key is None else [dep.key])

    def to_json(self) -> dict[str, Any]:
        if not self.keys:
            return {"table": self.table}
        return {"table": self.table, "keys": list(self.keys)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Change":
        keys = obj.get("keys")
        return cls(obj["table"], list(keys) if keys else None)


@dataclass(frozen=True)
class Stamp:
    """``{epoch, lsn}``: taken before reading the database, stored with the cached entry."""

    epoch: str
    lsn: int

    def to_json(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "lsn": self.lsn}


@dataclass(frozen=True)
class ChangedDep:
    """A dep written after the stamp, with its current version."""

    table: str
    key: str | None
    version: int

    @property
    def dep(self) -> Dep:
        return Dep(self.table, self.key)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "ChangedDep":
        return cls(obj["table"], obj.get("key"), obj["version"])


@dataclass(frozen=True)
class Hello:
    server: str
    version: str
    protocol: int
    epoch: str
    lsn: int
    limits: dict[str, int]

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Hello":
        return cls(obj["server"], obj["version"], obj["protocol"], obj["epoch"], obj["lsn"], dict(obj.get("limits", {})))


@dataclass(frozen=True)
class WriteResult:
    """Result of ``write`` and ``commit``. ``invalidated`` is cut at ``limits.max_invalidated``
    (``invalidated_truncated`` is then true)."""

    epoch: str
    lsn: int
    invalidated: list[str] = field(default_factory=list)
    invalidated_truncated: bool = False

    @property
    def stamp(self) -> Stamp:
        return Stamp(self.epoch, self.lsn)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "WriteResult":
        return cls(
            obj["epoch"], obj["lsn"], list(obj.get("invalidated") or []), bool(obj.get("invalidated_truncated", False))
        )


@dataclass(frozen=True)
class StampResult:
    epoch: str
    lsn: int
    versions: list[int]
    cacheable: bool

    @property
    def stamp(self) -> Stamp:
        return Stamp(self.epoch, self.lsn)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "StampResult":
        return cls(obj["epoch"], obj["lsn"], list(obj.get("versions") or []), bool(obj["cacheable"]))


@dataclass(frozen=True)
class CheckResult:
    """A validity answer. ``reason`` is None when valid, else one of ``epoch``, ``future``,
    ``changed``, ``pending``, ``unknown``, ``expired``. Truthy iff valid."""

    valid: bool
    reason: str | None = None
    changed: list[ChangedDep] = field(default_factory=list)
    pending: list[Dep] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.valid

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "CheckResult":
        return cls(
            bool(obj["valid"]),
            obj.get("reason"),
            [ChangedDep.from_json(c) for c in obj.get("changed") or []],
            [Dep.from_json(p) for p in obj.get("pending") or []],
        )


@dataclass(frozen=True)
class RegisterResult:
    registered: bool
    valid: bool

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "RegisterResult":
        return cls(bool(obj["registered"]), bool(obj["valid"]))


@dataclass(frozen=True)
class IntentResult:
    """Result of ``begin``: the opaque intent id, the LSN of the ``begin`` record and the lease
    end (milliseconds since the Unix epoch, server clock)."""

    intent: str
    lsn: int
    expires_at: int

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "IntentResult":
        return cls(obj["intent"], obj["lsn"], obj["expires_at"])


@dataclass(frozen=True)
class AbortResult:
    lsn: int

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "AbortResult":
        return cls(obj["lsn"])


@dataclass(frozen=True)
class Peer:
    """Kernel credentials (SO_PEERCRED) of the connection that caused a record."""

    pid: int
    uid: int
    gid: int

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Peer":
        return cls(obj["pid"], obj["uid"], obj["gid"])


@dataclass(frozen=True)
class Record:
    """One entry of the change log. ``kind`` is write, begin, commit, abort or expire."""

    lsn: int
    time: int
    kind: str
    changes: list[Change]
    intent: str | None
    meta: dict[str, Any] | None
    peer: Peer

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Record":
        return cls(
            obj["lsn"],
            obj["time"],
            obj["kind"],
            [Change.from_json(c) for c in obj.get("changes") or []],
            obj.get("intent"),
            obj.get("meta"),
            Peer.from_json(obj["peer"]),
        )


@dataclass(frozen=True)
class LogPage:
    """A page of the log. Continue with ``log(from_lsn=page.next)``; a short page does not
    mean the end (PROTOCOL.md 7.10)."""

    records: list[Record]
    next: int
    oldest: int

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "LogPage":
        return cls([Record.from_json(r) for r in obj.get("records") or []], obj["next"], obj["oldest"])


@dataclass(frozen=True)
class WatchEvent:
    """One ``watch.event``. ``invalidated`` is the complete list of names the record dropped
    (live events only; replayed events have none)."""

    watch: int
    record: Record
    invalidated: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "WatchEvent":
        return cls(obj["watch"], Record.from_json(obj["record"]), list(obj.get("invalidated") or []))


DepLike = Union[Dep, str, tuple, Mapping[str, Any]]
ChangeLike = Union[Change, str, tuple, Mapping[str, Any]]
StampLike = Union[Stamp, StampResult, WriteResult, tuple, Mapping[str, Any]]


def to_dep(value: DepLike) -> Dep:
    """Accepts a Dep, ``"table"``/``"table:key"``, ``(table,)``/``(table, key)`` or a dict."""
    if isinstance(value, Dep):
        return value
    if isinstance(value, str):
        return Dep.parse(value)
    if isinstance(value, tuple) and 1 <= len(value) <= 2:
        return Dep(*value)
    if isinstance(value, Mapping):
        return Dep.from_json(value)
    raise TypeError(f"not a dependency: {value!r}")


def to_change(value: ChangeLike) -> Change:
    """Accepts a Change, ``"table"``/``"table:key"``, ``(table, keys)`` or a dict."""
    if isinstance(value, Change):
        return value
    if isinstance(value, str):
        return Change.parse(value)
    if isinstance(value, tuple) and 1 <= len(value) <= 2:
        table = value[0]
        keys = value[1] if len(value) == 2 else None
        if isinstance(keys, (str, int)):
            keys = [keys]
        return Change(table, list(keys) if keys else None)
    if isinstance(value, Mapping):
        return Change.from_json(value)
    raise TypeError(f"not a change: {value!r}")


def to_stamp(value: StampLike) -> Stamp:
    if isinstance(value, Stamp):
        return value
    if isinstance(value, (StampResult, WriteResult)):
        return value.stamp
    if isinstance(value, tuple) and len(value) == 2:
        return Stamp(value[0], value[1])
    if isinstance(value, Mapping):
        return Stamp(value["epoch"], value["lsn"])
    raise TypeError(f"not a stamp: {value!r}")


def deps_json(deps: Iterable[DepLike] | DepLike | None) -> list[dict[str, Any]]:
    if deps is None:
        return []
    if isinstance(deps, (Dep, str)):
        deps = [deps]
    return [to_dep(d).to_json() for d in deps]


def changes_json(changes: Iterable[ChangeLike] | ChangeLike) -> list[dict[str, Any]]:
    if isinstance(changes, (Change, str)):
        changes = [changes]
    return [to_change(c).to_json() for c in changes]
