"""``watch`` as an iterator on its own connection."""

from __future__ import annotations

import time

import pytest

from tidemark import Change, Client, Dep, WatchEvent, WatchLost

EVENT_TIMEOUT = 10.0


def wait_for_watchers(client, count):
    deadline = time.monotonic() + EVENT_TIMEOUT
    while client.stats()["watchers"] != count:
        assert time.monotonic() < deadline, f"watchers never reached {count}"
        time.sleep(0.01)


def test_live_watch_receives_a_write(client, ns):
    t = f"{ns}.orders"
    name = f"{ns}:detail:7"
    client.register(name, client.stamp([Dep(t, "7")]), [Dep(t, "7")])
    with client.watch(tables=[t]) as watch:
        assert watch.id >= 1 and watch.lsn >= 0
        client.write([Change(f"{ns}.other")])  # filtered out
        written = client.write([Change(t, ["7"])], meta={"who": "test"})
        event = watch.next_event(EVENT_TIMEOUT)
        assert isinstance(event, WatchEvent)
        assert event.watch == watch.id
        assert event.record.lsn == written.lsn and event.record.kind == "write"
        assert event.record.changes == [Change(t, ["7"])] and event.record.meta == {"who": "test"}
        assert event.invalidated == [name]
        assert watch.next_lsn == written.lsn + 1
        assert watch.next_event(0.05) is None  # nothing more
        polled = client.write([Change(t, ["8"])])
        deadline = time.monotonic() + EVENT_TIMEOUT
        while (event := watch.next_event(0)) is None:  # polling without blocking
            assert time.monotonic() < deadline
            time.sleep(0.005)
        assert event.record.lsn == polled.lsn
    assert watch.closed
    assert list(watch) == []


def test_watch_replays_from_an_lsn_then_goes_live(client, ns):
    t = f"{ns}.t"
    lsns = [client.write([Change(t, [str(i)])]).lsn for i in range(3)]
    watch = client.watch(from_lsn=lsns[0], tables=[t])
    try:
        replayed = [next(watch) for _ in range(3)]
        assert [e.record.lsn for e in replayed] == lsns
        assert all(e.invalidated == [] for e in replayed)
        live = client.write([Change(t, ["9"])]).lsn
        assert next(watch).record.lsn == live
    finally:
        watch.close()


def test_iterating_in_a_for_loop_and_closing_unwatches(client, ns):
    t = f"{ns}.t"
    baseline = client.stats()["watchers"]
    watch = client.watch(tables=[t])
    wait_for_watchers(client, baseline + 1)
    expected = [client.write([Change(t, [str(i)])]).lsn for i in range(3)]
    seen = []
    for event in watch:
        seen.append(event.record.lsn)
        if len(seen) == 3:
            break
    assert seen == expected
    watch.close()
    wait_for_watchers(client, baseline)


def test_intent_records_reach_the_watch(client, ns):
    t = f"{ns}.t"
    with client.watch(tables=[t]) as watch:
        intent = client.begin([Change(t, ["1"])])
        client.commit(intent)
        kinds = [watch.next_event(EVENT_TIMEOUT).record for _ in range(2)]
        assert [(r.kind, r.intent) for r in kinds] == [("begin", intent.intent), ("commit", intent.intent)]


def test_client_close_closes_watches(client, ns):
    watch = client.watch(tables=[f"{ns}.t"])
    client.close()
    assert watch.closed


def _record(lsn: int) -> dict:
    return {"lsn": lsn, "time": 1, "kind": "write", "changes": [{"table": "t"}], "peer": {"pid": 1, "uid": 0, "gid": 0}}


def test_replay_before_the_response_unknown_notifications_and_watch_lost(fake):
    """Scripted: replayed events arrive before the watch response (allowed by PROTOCOL.md
    7.11), an unknown notification is ignored, then the server ends the watch."""

    def behaviour(server, conn):
        request = server.read_request(conn)
        server.send(conn, {"jsonrpc": "2.0", "method": "watch.event", "params": {"watch": 3, "record": _record(5)}})
        server.send(conn, {"jsonrpc": "2.0", "id": request["id"], "result": {"watch": 3, "lsn": 6}})
        server.send(conn, {"jsonrpc": "2.0", "method": "something.new", "params": {"x": 1}})
        server.send(conn, {"jsonrpc": "2.0", "method": "watch.event", "params": {"watch": 3, "record": _record(6)}})
        server.send(conn, {"jsonrpc": "2.0", "method": "watch.lost", "params": {"watch": 3, "lsn": 6}})
        server.read_request(conn)  # until the client closes

    server = fake(behaviour)
    client = Client(server.path)
    watch = client.watch(from_lsn=5)
    assert server.requests[0]["method"] == "watch" and server.requests[0]["params"] == {"from": 5}
    assert (watch.id, watch.lsn) == (3, 6)
    assert [next(watch).record.lsn, next(watch).record.lsn] == [5, 6]
    with pytest.raises(WatchLost) as caught:
        next(watch)
    assert caught.value.lsn == 6 and caught.value.watch == 3
    assert watch.next_lsn == 7  # resume point: watch(from_lsn=lost.lsn + 1)
    watch.close()


def test_watch_close_sends_unwatch(fake):
    def behaviour(server, conn):
        request = server.read_request(conn)
        server.send(conn, {"jsonrpc": "2.0", "id": request["id"], "result": {"watch": 1, "lsn": 0}})
        request = server.read_request(conn)
        if request is not None:
            server.send(conn, {"jsonrpc": "2.0", "id": request["id"], "result": {}})
        server.read_request(conn)

    server = fake(behaviour)
    with Client(server.path).watch(tables=["a", "b"]):
        pass
    assert [(r["method"], r.get("params")) for r in server.requests] == [
        ("watch", {"tables": ["a", "b"]}),
        ("unwatch", {"watch": 1}),
    ]
