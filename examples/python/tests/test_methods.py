"""Every protocol method against a real server."""

from __future__ import annotations

import os
import time

import pytest

from tidemark import (
    AbortResult,
    Change,
    ChangedDep,
    Dep,
    Hello,
    IntentResult,
    LogPage,
    Peer,
    RegisterResult,
    Stamp,
    StampResult,
    WriteResult,
)


def test_hello(client):
    hello = client.hello()
    assert isinstance(hello, Hello)
    assert hello.server == "tidemark" and hello.protocol == 1
    assert len(hello.epoch) == 32 and int(hello.epoch, 16) >= 0
    assert hello.lsn >= 0 and hello.version
    assert hello.limits["max_line_bytes"] == 1048576
    assert hello.limits["max_deps"] == 1000


def test_ping(client):
    assert client.ping() is None


def test_write_and_stamp(client, ns):
    users = f"{ns}.users"
    before = client.stamp([Dep(users, "1"), Dep(users)])
    assert isinstance(before, StampResult)
    assert before.versions == [0, 0] and before.cacheable
    assert before.stamp == Stamp(before.epoch, before.lsn)

    result = client.write([Change(users, ["1"]), Change(f"{ns}.totals")], meta={"txid": 88123})
    assert isinstance(result, WriteResult)
    assert result.epoch == before.epoch and result.lsn > before.lsn
    assert result.invalidated == [] and not result.invalidated_truncated

    after = client.stamp([Dep(users, "1"), Dep(users, "2"), Dep(users), f"{ns}.totals"])
    assert after.versions == [result.lsn, 0, result.lsn, result.lsn]
    assert after.lsn >= result.lsn
    # no deps at all: just the current position
    assert client.stamp().versions == []


def test_write_accepts_shorthand_changes(client, ns):
    result = client.write([f"{ns}.a:1", (f"{ns}.b", ["x", "y"]), {"table": f"{ns}.c"}])
    page = client.log(from_lsn=result.lsn, limit=1)
    assert page.records[0].changes == [Change(f"{ns}.a", ["1"]), Change(f"{ns}.b", ["x", "y"]), Change(f"{ns}.c")]


def test_check_stamp_forms(client, ns):
    t = f"{ns}.orders"
    stamp = client.stamp([Dep(t, "1042")]).stamp
    assert client.check(stamp, [Dep(t, "1042")]).valid
    assert client.check(stamp, deps=[f"{t}:1042"])
    assert client.check(stamp.epoch, stamp.lsn, [Dep(t, "1042")]).valid
    assert client.check(stamp, Dep(t, "1042")).valid  # a single dep

    written = client.write([Change(t, ["1042"])])
    result = client.check(stamp, [Dep(t, "1042"), Dep(t, "7"), Dep(t)])
    assert not result.valid and result.reason == "changed"
    assert result.changed == [ChangedDep(t, "1042", written.lsn), ChangedDep(t, None, written.lsn)]
    assert result.changed[0].dep == Dep(t, "1042")
    assert result.pending == []

    other_epoch = "0" * 32 if stamp.epoch != "0" * 32 else "1" * 32
    assert client.check(other_epoch, stamp.lsn, []).reason == "epoch"
    assert client.check(stamp.epoch, written.lsn + 10**6, []).reason == "future"
    with pytest.raises(TypeError):
        client.check(stamp)  # deps are required


def test_intents_begin_commit_abort(client, ns):
    t = f"{ns}.orders"
    stamp = client.stamp([Dep(t, "1")]).stamp
    intent = client.begin([Change(t, ["1"])], ttl_ms=10000, meta={"txid": 1})
    assert isinstance(intent, IntentResult)
    assert intent.lsn > stamp.lsn and intent.expires_at > time.time() * 1000
    pending = client.check(stamp, [Dep(t, "1"), Dep(t, "2"), Dep(t)])
    assert pending.reason == "pending" and pending.pending == [Dep(t, "1"), Dep(t)]
    assert not client.stamp([Dep(t, "1")]).cacheable
    assert client.safe_stamp([Dep(t, "1")]) is None
    assert client.safe_stamp([Dep(t, "2")]) is not None

    committed = client.commit(intent)
    assert isinstance(committed, WriteResult) and committed.lsn > intent.lsn
    assert client.stamp([Dep(t, "1")]).versions == [committed.lsn]
    assert client.check(stamp, [Dep(t, "1")]).reason == "changed"

    second = client.begin([Change(t)])
    assert not client.stamp([Dep(t, "99")]).cacheable  # wide intent covers every key
    aborted = client.abort(second.intent)
    assert isinstance(aborted, AbortResult) and aborted.lsn > second.lsn
    fresh = client.stamp([Dep(t, "99")])
    assert fresh.cacheable and fresh.versions == [0]

    kinds = [r.kind for r in client.log(from_lsn=intent.lsn, tables=[t]).records]
    assert kinds == ["begin", "commit", "begin", "abort"]


def test_register_and_named_checks(client, ns):
    t = f"{ns}.orders"
    name = f"{ns}:detail:1"
    stamp = client.stamp([Dep(t, "1")])
    assert client.register(name, stamp, [Dep(t, "1")], ttl_ms=60000) == RegisterResult(True, True)
    assert client.check_name(name).valid
    assert client.is_name_valid(name)
    results = client.check_many([name, (stamp.stamp, [Dep(t, "1")]), (stamp.epoch, stamp.lsn, [Dep(t, "2")]), f"{ns}:nope"])
    assert [r.valid for r in results] == [True, True, True, False]
    assert results[3].reason == "unknown"
    assert client.check_many([]) == []

    write = client.write([Change(t, ["1"])])
    assert write.invalidated == [name]
    assert client.check_name(name).reason == "unknown"
    assert not client.is_name_valid(name)
    # a stale stamp is refused and drops nothing new
    assert client.register(name, stamp, [Dep(t, "1")]) == RegisterResult(False, False)


def test_log_paging_and_records(client, ns):
    t = f"{ns}.log"
    lsns = [client.write([Change(t, [str(i)])], meta={"i": i}).lsn for i in range(5)]
    page = client.log(from_lsn=lsns[0], limit=2)
    assert isinstance(page, LogPage)
    assert [r.lsn for r in page.records] == lsns[:2] and page.next == lsns[1] + 1
    assert page.oldest >= 1
    record = page.records[0]
    assert record.kind == "write" and record.changes == [Change(t, ["0"])] and record.meta == {"i": 0}
    assert record.intent is None and record.time > 0
    assert record.peer == Peer(os.getpid(), os.getuid(), os.getgid())

    filtered = client.log(from_lsn=lsns[0], tables=[t])
    assert [r.lsn for r in filtered.records] == lsns
    assert [r.lsn for r in client.iter_log(lsns[0], lsns[-1], tables=[t], page_size=2)] == lsns
    assert client.log(from_lsn=lsns[-1] + 1000).records == []


def test_stats(client):
    stats = client.stats()
    for member in ("lsn", "oldest", "records", "open_intents", "names", "sync", "connections", "watchers"):
        assert member in stats
    assert stats["sync"] == "full" and stats["connections"] >= 1


def test_compact_keeps_versions(client, ns):
    t = f"{ns}.c"
    first = client.write([Change(t, ["1"])]).lsn
    second = client.write([Change(t, ["2"])]).lsn
    oldest_before = client.log(limit=0).oldest
    assert client.compact(0) == oldest_before  # at or below oldest: no change
    assert client.compact(second) == second
    assert client.log(limit=0).oldest == second
    assert client.stamp([Dep(t, "1")]).versions == [first]  # versions survive compaction


def test_raw_call(client):
    assert client.call("ping") == {}
    assert client.call("stamp", {"deps": []})["versions"] == []


def test_unencodable_params_leave_the_client_usable(client, ns):
    with pytest.raises(ValueError):
        client.write([Change(f"{ns}.t")], meta={"x": float("nan")})
    client.ping()


def test_named_entry_expires(client, ns):
    name = f"{ns}:short"
    assert client.register(name, client.stamp([]), [], ttl_ms=1).registered
    deadline = time.monotonic() + 10
    while (reason := client.check_name(name).reason) is None:
        assert time.monotonic() < deadline, "the name never expired"
        time.sleep(0.01)
    assert reason in ("expired", "unknown")
    assert not client.is_name_valid(name)
