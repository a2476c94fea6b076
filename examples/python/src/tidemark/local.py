"""Same-host reading: ``LocalReader`` answers ``stamp`` and ``check`` from the server's data
file in place, with no socket and no server work (PROTOCOL.md, "Local reading").

    from tidemark import LocalReader, Dep

    reader = LocalReader("/var/lib/tidemark")       # the server's --data directory
    stamp = reader.safe_stamp([Dep("users", "42")])
    ...
    if reader.is_valid(stamp, [Dep("users", "42")]): ...

The server must run with ``--local-readers GROUP`` and this process's user be in GROUP.
Writes still go over the socket (``Client``). The answers, results and exceptions are the
socket client's: the same three ``check`` forms, ``InvalidParams`` with the same
``field`` for the same bad input, ``Unavailable`` when the data cannot be read.

Reads use the ``lmdb`` package (``pip install 'tidemark[local]'``).
"""

from __future__ import annotations

import os
import stat as stat_module
import struct
import threading
import time
import weakref
from typing import Any, Iterable, Mapping

from .client import _entry_json, _stamp_query
from .errors import InvalidParams, TidemarkError, Unavailable
from .failsafe import FailSafeReads
from .values import (
    ChangedDep,
    CheckResult,
    Dep,
    DepLike,
    Stamp,
    StampLike,
    StampResult,
    WriteResult,
    deps_json,
)

__all__ = ["LocalReader", "LocalReadingRefused", "UnsupportedFormat", "FORMAT_VERSION"]

#: The on-disk format this reader knows (meta key ``format``). Any other is refused.
FORMAT_VERSION = 1
#: At least this often (seconds) a reader checks that the data path still names the file it
#: has open; a server with --local-readers waits 50 ms at start, several of these.
IDENTITY_INTERVAL = 0.010
# Address space only: a reader's map never needs resizing for any file up to 1 TiB.
_MAP_SIZE = 1 << 40
# The protocol's limits (PROTOCOL.md section 6), which the server applies to the same input.
_MAX_DEPS = 1000
_MAX_ENTRIES = 1000
_MAX_TABLE_BYTES = 128
_MAX_KEY_BYTES = 256
_MAX_NAME_BYTES = 256
_HEX = frozenset("0123456789abcdefABCDEF")
_UINT64_MAX = (1 << 64) - 1
_DATABASES = ("meta", "tables", "keys", "pending_tables", "pending_keys", "names")


class LocalReadingRefused(Unavailable):
    """The data directory cannot be read here: its server runs without ``--local-readers``,
    or this user is not in that group. The message says which. Like every ``Unavailable``,
    the fail-safe helpers answer it with "not valid"."""


class UnsupportedFormat(TidemarkError):
    """The data file's format version is not one this reader knows (``code`` None)."""

    def __init__(self, message: str) -> None:
        super().__init__(None, message)


# Every open data file of this process, by the identities of its data and lock files:
# LMDB must not have one environment open twice in a process (its fcntl locks belong to
# the process and file, and closing a second handle would drop the first one's), so all
# readers of a process share one _DataFile per pair of files.
_open_files: "weakref.WeakValueDictionary[tuple, _DataFile]" = weakref.WeakValueDictionary()
_open_lock = threading.Lock()
_fork_generation = 0


def _after_fork_in_child() -> None:
    # An environment inherited over fork() belongs to the parent's reader slots: a child
    # reopens before reading (see _DataFile.abandon_inherited).
    global _fork_generation, _open_lock
    _fork_generation += 1
    _open_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _identity(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


def _lookup_error(error: OSError, directory: str) -> Unavailable:
    if isinstance(error, PermissionError):
        return LocalReadingRefused(
            f"permission denied reading {directory}: local reading needs the server started with "
            "`tidemark serve --local-readers GROUP` and this user in GROUP"
        )
    if isinstance(error, (FileNotFoundError, NotADirectoryError)):
        return Unavailable(f"no tidemark data file in {directory} (is it the server's --data?)", error)
    return Unavailable(f"cannot look up the data file in {directory}: {error}", error)


class _DataFile:
    """One data file opened read-only: the environment, its databases, its epoch, and a
    descriptor of the file to tell whether the data path still names it."""

    def __init__(self, directory: str, lmdb: Any) -> None:
        data_path = os.path.join(directory, "data.mdb")
        self.generation = _fork_generation
        # Opened before the environment and compared with the path after: if both name the
        # same file then, the environment has that file too (it is held open meanwhile, so
        # its inode cannot be reused).
        self.fd = os.open(data_path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            self.env = lmdb.open(
                directory, readonly=True, lock=True, max_dbs=16, map_size=_MAP_SIZE, create=False,
            )
        except BaseException:
            os.close(self.fd)
            raise
        try:
            self.dbs = {name: self.env.open_db(name.encode(), create=False) for name in _DATABASES}
            self.meta, self.tables, self.keys = self.dbs["meta"], self.dbs["tables"], self.dbs["keys"]
            self.pending_tables, self.pending_keys, self.names = (
                self.dbs["pending_tables"], self.dbs["pending_keys"], self.dbs["names"])
            with self.env.begin(buffers=False) as txn:
                meta = self.dbs["meta"]
                epoch = txn.get(b"epoch", db=meta)
                if epoch is None:
                    raise Unavailable(f"{directory}: the data file has no epoch yet (a server is still creating it)")
                raw_format = txn.get(b"format", db=meta)
                found = int.from_bytes(raw_format, "big") if raw_format is not None and len(raw_format) == 8 else None
                if found != FORMAT_VERSION:
                    raise UnsupportedFormat(
                        f"{directory}: the data file has format version {found if found is not None else '(none)'}; "
                        f"this reader reads version {FORMAT_VERSION}"
                    )
                if len(epoch) != 16:
                    raise UnsupportedFormat(f"{directory}: the stored epoch has {len(epoch)} bytes")
            self.epoch_bytes = epoch
            self.epoch = epoch.hex()
        except BaseException:
            self.close()
            raise

    def is_current(self, directory: str) -> bool:
        named = os.stat(os.path.join(directory, "data.mdb"))
        mine = os.fstat(self.fd)
        # A deleted file's inode number may go to a new one: no links left is never current.
        return mine.st_nlink > 0 and _identity(mine) == _identity(named)

    def close(self) -> None:
        fd, self.fd = self.fd, -1
        if fd < 0:
            return
        try:
            self.env.close()
        finally:
            os.close(fd)

    def abandon_inherited(self) -> None:
        """Closes an environment inherited over fork() in the child, so that the child can
        open its own (the lmdb package refuses a second one). Its reader slots are the
        parent's: fork only while no other thread is inside a reader call."""
        try:
            self.close()
        except Exception:  # noqa: BLE001 - the parent's handle: nothing to report in the child
            pass


def _open_shared(directory: str, lmdb: Any) -> _DataFile:
    try:
        st = os.stat(os.path.join(directory, "data.mdb"))
        lock_st = os.stat(os.path.join(directory, "lock.mdb"))
    except OSError as error:
        raise _lookup_error(error, directory) from error
    if not st.st_mode & stat_module.S_IRGRP:
        raise LocalReadingRefused(
            f"the server does not allow local reading of {directory}: start it with "
            "`tidemark serve --local-readers GROUP`"
        )
    key = (_identity(st), _identity(lock_st))
    with _open_lock:
        existing = _open_files.get(key)
        if existing is not None and existing.generation == _fork_generation:
            return existing
        for other_key, other in list(_open_files.items()):
            if other.generation != _fork_generation:
                other.abandon_inherited()
                del _open_files[other_key]
            elif other_key[1] == key[1]:
                raise Unavailable(
                    f"the data file in {directory} was replaced while its lock file stayed; "
                    "a reader cannot open it beside the old one (restart the reading process)"
                )
        try:
            opened = _DataFile(directory, lmdb)
        except (TidemarkError, OSError) as error:
            if isinstance(error, OSError):
                raise _lookup_error(error, directory) from error
            raise
        except lmdb.Error as error:
            if "Permission denied" in str(error) or "EACCES" in str(error):
                raise LocalReadingRefused(
                    f"permission denied opening {directory}: local reading needs the server started with "
                    "`tidemark serve --local-readers GROUP` and this user in GROUP"
                ) from error
            raise Unavailable(f"cannot open {directory} for reading: {error}", error) from error
        _open_files[key] = opened
        return opened


class LocalReader(FailSafeReads):
    """Answers ``stamp`` and ``check`` by reading the server's data directory in place.

    Never more optimistic than the server at the same moment: every call reads a fresh
    snapshot (so it sees every write acknowledged before it started), at least every 10 ms
    it checks that ``data_dir`` still names the file it has open (a replaced directory is
    reopened, so stamps of the old epoch answer ``epoch``; a missing one raises
    ``Unavailable``), and open intents read as pending until the server closes them, also
    after their lease ended. Thread-safe and fork-safe (a child opens its own handle).
    """

    def __init__(self, data_dir: str | os.PathLike[str], *, clock: Any = None) -> None:
        try:
            import lmdb
        except ImportError as error:  # pragma: no cover - depends on the installation
            raise Unavailable("LocalReader needs the lmdb package: pip install 'tidemark[local]'", error) from error
        self._lmdb = lmdb
        self.data_dir = os.fspath(data_dir)
        # Wall-clock milliseconds, the server's clock on the same host, for name expiry.
        self._clock_ms = clock or (lambda: time.time_ns() // 1_000_000)
        self._file = _open_shared(self.data_dir, lmdb)
        self._verified_at = time.monotonic()
        self._valid_epoch = ""
        # Encoded keys of deps seen before, so a hot entry's check builds nothing.
        self._dep_keys: dict[Dep, tuple[bytes, bytes | None]] = {}

    def __repr__(self) -> str:
        return f"LocalReader(data_dir={self.data_dir!r})"

    def __enter__(self) -> "LocalReader":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Lets go of the data file (closed once no reader of the process uses it)."""
        self._file = None  # type: ignore[assignment]

    @property
    def epoch(self) -> str:
        return self._current().epoch

    # -- the file ------------------------------------------------------------------------

    def _current(self) -> _DataFile:
        opened = self._file
        if opened is None:
            raise Unavailable(f"{self!r} is closed")
        now = time.monotonic()
        if opened.generation == _fork_generation and now - self._verified_at < IDENTITY_INTERVAL:
            return opened
        try:
            current = opened.generation == _fork_generation and opened.is_current(self.data_dir)
        except OSError as error:
            raise _lookup_error(error, self.data_dir) from error
        if not current:
            opened = self._file = _open_shared(self.data_dir, self._lmdb)
        self._verified_at = now
        return opened

    def _snapshot(self):
        """A read transaction on the current file (a context manager), for tests that hold
        one open."""
        return self._current().env.begin(buffers=False)

    # -- stamp -----------------------------------------------------------------------------

    def stamp(self, deps: Iterable[DepLike] | DepLike | None = None) -> StampResult:
        keys = self._fast_deps(deps)
        if keys is None:
            keys = _decode_deps(_params_array({"deps": deps_json(deps)}, "deps", "", optional=True))
        return self._read(_stamp_answer, keys)

    # -- check -----------------------------------------------------------------------------

    def check(
        self,
        stamp_or_epoch: StampLike | str,
        lsn: int | Iterable[DepLike] | None = None,
        deps: Iterable[DepLike] | DepLike | None = None,
    ) -> CheckResult:
        """``check(stamp, deps)`` or ``check(epoch, lsn, deps)``, as ``Client.check``."""
        query = self._fast_stamp_query(stamp_or_epoch, lsn, deps)
        if query is None:
            query = _decode_query(_stamp_query(stamp_or_epoch, lsn, deps), "", None)
        return self._answer([query])[0]

    def check_name(self, name: str) -> CheckResult:
        return self._answer([_decode_query({"name": name}, "", None)])[0]

    def check_many(self, entries: Iterable[Any]) -> list[CheckResult]:
        """Every entry answered from one snapshot, as ``Client.check_many``."""
        values = _params_array({"entries": [_entry_json(entry) for entry in entries]}, "entries", "", max_count=_MAX_ENTRIES)
        return self._answer([_decode_query(value, "entries", index) for index, value in enumerate(values)])

    def _answer(self, queries: list[tuple]) -> list[CheckResult]:
        return self._read(self._check_answers, queries)

    def _read(self, answer: Any, argument: Any) -> Any:
        """``answer(txn, opened, lsn, argument)`` in one snapshot of the current file."""
        opened = self._current()
        try:
            # begin(db, parent, write, buffers), positionally: keywords cost a tenth of a check.
            txn = opened.env.begin(None, None, False, False)
            try:
                return answer(txn, opened, self._snapshot_lsn(txn, opened), argument)
            finally:
                txn.abort()
        except self._lmdb.Error as error:
            raise Unavailable(f"cannot read {self.data_dir}: {error}", error) from error

    def _check_answers(self, txn: Any, opened: _DataFile, current: int, queries: list[tuple]) -> list[CheckResult]:
        results = []
        for query in queries:
            if query[0] == "name":
                results.append(self._named(txn, opened, query[1], current))
            else:
                results.append(_validity(txn, opened, query[1], query[2], query[3], current))
        return results

    def _named(self, txn: Any, opened: _DataFile, name: bytes, current: int) -> CheckResult:
        entry = txn.get(name, None, opened.names)
        if entry is None:
            return _result(False, "unknown")
        epoch, stamp_lsn, expires_at, keys = _decode_named_entry(entry)
        if expires_at <= self._clock_ms():
            return _result(False, "expired")
        return _validity(txn, opened, epoch, stamp_lsn, keys, current)

    def _snapshot_lsn(self, txn: Any, opened: _DataFile) -> int:
        meta = opened.meta
        if txn.get(b"epoch", None, meta) != opened.epoch_bytes:
            raise Unavailable(
                f"the data file in {self.data_dir} was overwritten in place (its epoch is no longer "
                f"{opened.epoch}); restart the reading process"
            )
        return _from_bytes(txn.get(b"lsn", None, meta), "big")

    # -- the common shapes, without building the protocol's dicts -------------------------

    def _fast_deps(self, deps: Any) -> list[tuple] | None:
        """Encoded keys for a list of ``Dep`` values seen valid before, or None to go the
        general way (which also raises the server's errors for bad ones)."""
        if not isinstance(deps, (list, tuple)) or len(deps) > _MAX_DEPS:
            return None
        cache = self._dep_keys
        keys = []
        for dep in deps:
            encoded = cache.get(dep) if type(dep) is Dep else None
            if encoded is None:
                if type(dep) is not Dep:
                    return None
                encoded = _encode_valid_dep(dep)
                if encoded is None:
                    return None
                if len(cache) > 100_000:
                    cache.clear()
                cache[dep] = encoded
            keys.append((dep, encoded[0], encoded[1]))
        return keys

    def _fast_stamp_query(self, stamp_or_epoch: Any, lsn: Any, deps: Any) -> tuple | None:
        if isinstance(stamp_or_epoch, (Stamp, StampResult, WriteResult)):
            if deps is None and lsn is not None and not isinstance(lsn, int):
                lsn, deps = None, lsn
            if lsn is not None:
                return None
            epoch, stamp_lsn = stamp_or_epoch.epoch, stamp_or_epoch.lsn
        elif isinstance(stamp_or_epoch, str) and type(lsn) is int:
            epoch, stamp_lsn = stamp_or_epoch, lsn
        else:
            return None
        if epoch != self._valid_epoch:
            if type(epoch) is not str or len(epoch) != 32 or not _HEX.issuperset(epoch):
                return None
            self._valid_epoch = epoch
        if type(stamp_lsn) is not int or not 0 <= stamp_lsn <= _UINT64_MAX:
            return None
        keys = self._fast_deps(deps)
        if keys is None:
            return None
        return ("stamp", epoch.lower(), stamp_lsn, keys)


# -- the format (PROTOCOL.md, "Local reading") ------------------------------------------


def _table_key(table: bytes) -> bytes:
    return table


def _key_key(table: bytes, key: bytes) -> bytes:
    return bytes((len(table) & 0xFF,)) + table + key


def _encode_valid_dep(dep: Dep) -> tuple[bytes, bytes | None] | None:
    table, key = dep.table, dep.key
    if type(table) is not str or not table or (key is not None and (type(key) is not str or not key)):
        return None
    try:
        table_bytes = table.encode("utf-8")
        key_bytes = None if key is None else key.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if len(table_bytes) > _MAX_TABLE_BYTES or (key_bytes is not None and len(key_bytes) > _MAX_KEY_BYTES):
        return None
    return table_bytes, None if key_bytes is None else _key_key(table_bytes, key_bytes)


_from_bytes = int.from_bytes
_unpack_pair = struct.Struct(">QQ").unpack
_new = object.__new__


def _result(valid: bool, reason: str | None = None, changed: list | None = None, pending: list | None = None) -> CheckResult:
    # CheckResult's own __init__ (a frozen dataclass) costs as much as the whole lookup.
    result = _new(CheckResult)
    result.__dict__.update(valid=valid, reason=reason, changed=changed or [], pending=pending or [])
    return result


def _table_rows(txn: Any, opened: _DataFile, table: bytes) -> tuple[int, int, int, int]:
    """A table's versions and open-intent counts: (ver(table), wide, open, open wide)."""
    get = txn.get
    versions = get(table, None, opened.tables)
    table_version, wide = _unpack_pair(versions) if versions else (0, 0)
    counts = get(table, None, opened.pending_tables)
    open_any, open_wide = _unpack_pair(counts) if counts else (0, 0)
    return table_version, wide, open_any, open_wide


def _version_and_pending(txn: Any, opened: _DataFile, rows: tuple[int, int, int, int], key: bytes | None) -> tuple[int, bool]:
    """ver(dep) and whether an open intent covers it, given its table's rows: the rules of
    SnapshotRules.swift."""
    table_version, wide, open_any, open_wide = rows
    if key is None:
        return table_version, open_any > 0
    get = txn.get
    key_version = get(key, None, opened.keys)
    version = _from_bytes(key_version, "big") if key_version else 0
    if wide > version:
        version = wide
    if open_wide:
        return version, True
    if not open_any:
        return version, False
    keyed = get(key, None, opened.pending_keys)
    return version, bool(keyed) and _from_bytes(keyed, "big") > 0


def _stamp_answer(txn: Any, opened: _DataFile, lsn: int, keys: list) -> StampResult:
    versions = []
    cacheable = True
    tables: dict[bytes, tuple[int, int, int, int]] = {}
    for _, table, key in keys:
        rows = tables.get(table)
        if rows is None:
            rows = tables[table] = _table_rows(txn, opened, table)
        version, pending = _version_and_pending(txn, opened, rows, key)
        versions.append(version)
        cacheable = cacheable and not pending
    return StampResult(opened.epoch, lsn, versions, cacheable)


def _validity(txn: Any, opened: _DataFile, epoch: str, stamp_lsn: int, keys: list, current: int) -> CheckResult:
    # The order of the brief: epoch, future, changed, pending.
    if epoch != opened.epoch:
        return _result(False, "epoch")
    if stamp_lsn > current:
        return _result(False, "future")
    changed = None
    pending = None
    # Each table's rows are read once: the deps of a check mostly share a table, and
    # every row read is an LMDB search.
    tables: dict[bytes, tuple[int, int, int, int]] = {}
    for dep, table, key in keys:
        rows = tables.get(table)
        if rows is None:
            rows = tables[table] = _table_rows(txn, opened, table)
        version, is_pending = _version_and_pending(txn, opened, rows, key)
        if version > stamp_lsn:
            (changed := changed or []).append(ChangedDep(dep.table, dep.key, version))
        if is_pending:
            (pending := pending or []).append(dep)
    if changed:
        return _result(False, "changed", changed, pending)
    if pending:
        return _result(False, "pending", None, pending)
    return _result(True)


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if offset >= len(data) or shift >= 64:
            raise UnsupportedFormat("a stored named entry cannot be decoded")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7


def _bytes(data: bytes, offset: int) -> tuple[bytes, int]:
    length, offset = _varint(data, offset)
    if offset + length > len(data):
        raise UnsupportedFormat("a stored named entry cannot be decoded")
    return data[offset : offset + length], offset + length


def _decode_named_entry(data: bytes) -> tuple[str, int, int, list]:
    if not data or data[0] != 1:
        raise UnsupportedFormat(f"unknown stored named-entry format {data[0] if data else None}")
    high, offset = _varint(data, 1)
    low, offset = _varint(data, offset)
    lsn, offset = _varint(data, offset)
    expires_at, offset = _varint(data, offset)
    count, offset = _varint(data, offset)
    keys = []
    for _ in range(count):
        table, offset = _bytes(data, offset)
        if offset >= len(data):
            raise UnsupportedFormat("a stored named entry cannot be decoded")
        present = data[offset]
        offset += 1
        key = None
        if present == 1:
            key, offset = _bytes(data, offset)
        elif present != 0:
            raise UnsupportedFormat(f"invalid presence flag {present}")
        dep = Dep(table.decode("utf-8", "replace"), None if key is None else key.decode("utf-8", "replace"))
        keys.append((dep, table, None if key is None else _key_key(table, key)))
    epoch = f"{high:016x}{low:016x}"
    return epoch, lsn, expires_at, keys


# -- params, read as the server reads them (ParamsReader) --------------------------------


def _invalid(field: str, message: str) -> InvalidParams:
    return InvalidParams(
        -32602, f"invalid params: {field + ' ' if field else ''}{message}", {"field": field}
    )


def _path(path: str, index: int | None) -> str:
    return path if index is None else f"{path}[{index}]"


def _field(path: str, index: int | None, key: str) -> str:
    base = _path(path, index)
    name = key if key else '""'
    return f"{base}.{name}" if base else name


def _object(value: Any, path: str, index: int | None) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    if value is None and not path:
        return {}
    field = _path(path, index)
    raise _invalid(field or "params", "must be an object")


def _finish(obj: Mapping[str, Any], consumed: set, path: str, index: int | None) -> None:
    for key in obj:
        if key not in consumed:
            raise _invalid(_field(path, index, key), "is not a known field")


def _required(obj: Mapping[str, Any], key: str, consumed: set, path: str, index: int | None) -> Any:
    consumed.add(key)
    value = obj.get(key)
    if value is None:
        raise _invalid(_field(path, index, key), "is required")
    return value


def _string(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise _invalid(field, "must be a string")
    return value


def _name(value: Any, field: str, limit: int) -> str:
    text = _string(value, field)
    if not text:
        raise _invalid(field, "must not be empty")
    count = len(text.encode("utf-8", "surrogatepass"))
    if count > limit:
        raise _invalid(field, f"is {count} bytes, more than the limit of {limit}")
    return text


def _array(value: Any, field: str, limit: int) -> list:
    if not isinstance(value, (list, tuple)):
        raise _invalid(field, "must be an array")
    if len(value) > limit:
        raise _invalid(field, f"has {len(value)} elements, more than the limit of {limit}")
    return list(value)


def _params_array(params: Mapping[str, Any], key: str, path: str, *, optional: bool = False, max_count: int = _MAX_DEPS) -> list:
    """The one array member of a method's params (``stamp.deps``, ``check.entries``)."""
    obj = _object(params, path, None)
    consumed: set = set()
    if optional and obj.get(key) is None:
        consumed.add(key)
        _finish(obj, consumed, path, None)
        return []
    value = _required(obj, key, consumed, path, None)
    values = _array(value, _field(path, None, key), max_count)
    _finish(obj, consumed, path, None)
    return values


def _decode_deps(values: list, field: str = "deps") -> list[tuple]:
    keys = []
    for index, value in enumerate(values):
        obj = _object(value, field, index)
        consumed: set = set()
        table = _name(_required(obj, "table", consumed, field, index), _field(field, index, "table"), _MAX_TABLE_BYTES)
        consumed.add("key")
        key_value = obj.get("key")
        key = None if key_value is None else _name(key_value, _field(field, index, "key"), _MAX_KEY_BYTES)
        _finish(obj, consumed, field, index)
        table_bytes = table.encode("utf-8", "surrogatepass")
        keys.append(
            (
                Dep(table, key),
                table_bytes,
                None if key is None else _key_key(table_bytes, key.encode("utf-8", "surrogatepass")),
            )
        )
    return keys


def _decode_query(value: Any, path: str, index: int | None) -> tuple:
    """One check query, as ``CheckMethod.Params`` decodes it: the name form when ``name`` is
    there, else the stamp form, each refusing fields it does not know."""
    obj = _object(value, path, index)
    consumed: set = set()
    if obj.get("name") is not None:
        name = _name(_required(obj, "name", consumed, path, index), _field(path, index, "name"), _MAX_NAME_BYTES)
        _finish(obj, consumed, path, index)
        return ("name", name.encode("utf-8", "surrogatepass"))
    epoch_field = _field(path, index, "epoch")
    epoch = _string(_required(obj, "epoch", consumed, path, index), epoch_field)
    if len(epoch) != 32 or not _HEX.issuperset(epoch):
        raise _invalid(epoch_field, "must be the 32 hex digits of an epoch")
    lsn = _required(obj, "lsn", consumed, path, index)
    if type(lsn) is not int or not 0 <= lsn <= _UINT64_MAX:
        raise _invalid(_field(path, index, "lsn"), "must be a non-negative integer")
    deps_field = _field(path, index, "deps")
    deps = _array(_required(obj, "deps", consumed, path, index), deps_field, _MAX_DEPS)
    keys = _decode_deps(deps, deps_field)
    _finish(obj, consumed, path, index)
    return ("stamp", epoch.lower(), lsn, keys)
