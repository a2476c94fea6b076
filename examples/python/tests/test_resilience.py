"""Fail-safe helpers, timeouts, the retry policy and reconnecting after a restart."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import time

import pytest

from fakeserver import FakeServer

from tidemark import Change, Client, Dep, Overloaded, Stamp, Unavailable


def never_answer(server: FakeServer, conn: socket.socket) -> None:
    while server.read_request(conn) is not None:
        pass


def close_after_reading(server: FakeServer, conn: socket.socket) -> None:
    """The first connection dies after reading one request; later ones answer it."""
    request = server.read_request(conn)
    if server.accepted == 1:
        conn.close()
        return
    while request is not None:
        conn.sendall(json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": {}}).encode() + b"\n")
        request = server.read_request(conn)


# -- fail-safe ------------------------------------------------------------------------------


def test_missing_socket_fails_safe(short_tmp):
    client = Client(str(short_tmp / "absent.sock"))
    stamp = Stamp("ab" * 16, 1)
    started = time.monotonic()
    assert client.is_valid(stamp, [Dep("t", "1")]) is False
    assert client.is_name_valid("name") is False
    assert client.safe_stamp([Dep("t")]) is None
    assert time.monotonic() - started < 1.0  # no waiting on a missing socket
    with pytest.raises(Unavailable) as caught:
        client.ping()
    assert caught.value.code is None and isinstance(caught.value.__cause__, FileNotFoundError)
    with pytest.raises(Unavailable):
        client.write([Change("t")])


def test_refused_connection_fails_safe(short_tmp):
    path = str(short_tmp / "dead.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.close()  # the file exists, nobody listens: ECONNREFUSED
    client = Client(path)
    assert client.is_valid(Stamp("ab" * 16, 1), []) is False
    with pytest.raises(Unavailable) as caught:
        client.hello()
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


def test_fail_safe_helpers_never_say_valid_for_bad_input(client):
    assert client.is_valid(None, []) is False
    assert client.is_valid(Stamp("zz", 1), []) is False  # server: -32602 on the epoch
    assert client.is_valid(Stamp(client.hello().epoch, 0), None) is False  # deps missing
    assert client.is_name_valid("") is False


# -- timeouts -------------------------------------------------------------------------------


def test_read_timeout_raises_unavailable(fake):
    server = fake(never_answer)
    client = Client(server.path, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(Unavailable) as caught:
        client.ping()
    elapsed = time.monotonic() - started
    assert 0.25 <= elapsed < 2.0, elapsed
    assert "within 0.3s" in str(caught.value)
    # a timed-out connection is dropped (its answer could still arrive) and helpers fail safe
    started = time.monotonic()
    assert client.is_valid(Stamp("ab" * 16, 1), []) is False
    assert client.safe_stamp([]) is None
    assert time.monotonic() - started < 2.0
    assert server.accepted == 3


def test_connect_timeout_when_the_backlog_is_full(short_tmp):
    path = str(short_tmp / "full.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(0)  # never accepts
    fillers = []
    try:
        # Fill the backlog with non-blocking connects until the kernel refuses more.
        for _ in range(64):
            filler = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            filler.setblocking(False)
            try:
                filler.connect(path)
            except BlockingIOError:
                filler.close()
                break
            fillers.append(filler)
        client = Client(path, connect_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(Unavailable) as caught:
            client.ping()
        elapsed = time.monotonic() - started
        assert 0.2 <= elapsed < 2.0, elapsed
        assert "timed out" in str(caught.value)
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


# -- retry policy ---------------------------------------------------------------------------


def test_idempotent_request_is_retried_once_on_a_broken_connection(fake):
    server = fake(close_after_reading)
    client = Client(server.path, timeout=2.0)
    client.ping()
    assert server.accepted == 2
    assert [r["method"] for r in server.requests] == ["ping", "ping"]


def test_write_is_not_resent_after_the_connection_broke(fake):
    server = fake(close_after_reading)
    client = Client(server.path, timeout=2.0)
    with pytest.raises(Unavailable) as caught:
        client.write([Change("t")])
    assert "may or may not have been applied" in str(caught.value)
    assert server.accepted == 1 and [r["method"] for r in server.requests] == ["write"]


# -- restart --------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_same_client_works_after_a_server_restart(start_server, short_tmp, sig):
    proc = start_server(directory=short_tmp)
    client = Client(proc.socket_path)
    t = "restart.t"
    before = client.write([Change(t, ["1"])])
    stamp = client.stamp([Dep(t, "1")])
    name_stamp = client.stamp([Dep(t, "2")])
    assert client.register("restart:2", name_stamp, [Dep(t, "2")]).registered

    proc.stop(sig)
    # While it is down: fail safe, and say so.
    assert client.is_valid(stamp, [Dep(t, "1")]) is False
    with pytest.raises(Unavailable):
        client.ping()

    proc.start()  # same socket, same data directory
    hello = client.hello()  # the same Client object reconnects
    assert hello.epoch == before.epoch and hello.lsn >= before.lsn  # durable state kept
    assert client.is_valid(stamp, [Dep(t, "1")])
    assert client.is_name_valid("restart:2")
    after = client.write([Change(t, ["1"])])
    if os.environ.get("TIDEMARK_TEST_ETCD"):
        assert after.lsn > before.lsn  # etcd revisions: increasing, with gaps (PROTOCOL.md §16.1)
    else:
        assert after.lsn == before.lsn + 1  # dense LSNs across the restart
    assert not client.is_valid(stamp, [Dep(t, "1")])
    client.close()


def test_write_after_a_restart_goes_out_on_a_fresh_connection(start_server, short_tmp):
    """The idle connection died with the old server; the client notices before sending, so
    even a write (never resent blindly) succeeds on its first attempt."""
    proc = start_server(directory=short_tmp)
    client = Client(proc.socket_path)
    first = client.write([Change("t")])
    old = client._local.connection
    proc.stop()
    proc.start()
    second = client.write([Change("t")])
    # Written once: the only record after the first is the second (LSNs may have gaps on
    # the etcd backend, so its LSN is not simply first + 1 there).
    after = client.log(from_lsn=first.lsn + 1, limit=10).records
    assert [record.lsn for record in after] == [second.lsn]
    assert client._local.connection is not old and old.closed
    client.close()


def test_watch_reports_a_restart_and_resumes_without_gap(start_server, short_tmp):
    proc = start_server(directory=short_tmp)
    client = Client(proc.socket_path)
    watch = client.watch(tables=["w"])
    first = client.write([Change("w", ["1"])])
    assert watch.next_event(10).record.lsn == first.lsn
    proc.stop()
    with pytest.raises(Unavailable):
        watch.next_event(10)
    proc.start()
    missed = client.write([Change("w", ["2"])])
    with client.watch(from_lsn=watch.next_lsn, tables=["w"]) as resumed:
        assert resumed.next_event(10).record.lsn == missed.lsn
    client.close()


def test_overloaded_when_the_server_refuses_connections(start_server):
    proc = start_server("--max-connections", "1")
    holder = Client(proc.socket_path)
    ping_until_admitted(holder)  # takes the only slot (once the readiness probe's is released)
    other = Client(proc.socket_path, timeout=2.0)
    try:
        # The server sends -32001 (id null) on the extra connection and closes it. Whether
        # the request is sent before or after that close, the client reports the refusal.
        with pytest.raises(Overloaded) as caught:
            other.ping()
        assert caught.value.retryable
        conn = other._connection()  # connect without sending, let the refusal arrive first
        select.select([conn.sock], [], [], 5)
        time.sleep(0.2)
        with pytest.raises(Overloaded):
            other.ping()
        assert other.is_valid(Stamp("ab" * 16, 1), []) is False
        assert other.safe_stamp([]) is None
    finally:
        holder.close()
        other.close()
    ping_until_admitted(other)  # the slot is free again once the holder disconnected
    other.close()


def ping_until_admitted(client: Client) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return
        except Overloaded:
            assert time.monotonic() < deadline, "the server never freed a connection slot"
            time.sleep(0.01)
