"""One Client shared by threads, and across os.fork()."""

from __future__ import annotations

import json
import os
import threading

from tidemark import Change, Client, Dep

THREADS = 8
ROUNDS = 25


def test_threads_share_one_client(server, ns):
    client = Client(server.socket_path)
    t = f"{ns}.t"
    accepted_before = client.stats()["connections_accepted"]
    lsns: list[int] = []
    failures: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def worker(index: int) -> None:
        try:
            start.wait()
            for round_ in range(ROUNDS):
                key = f"{index}-{round_}"
                written = client.write([Change(t, [key])])
                stamp = client.stamp([Dep(t, key)])
                # Read-your-writes holds because each thread has its own connection.
                assert stamp.versions == [written.lsn]
                assert client.check(stamp, [Dep(t, key)]).valid
                assert client.is_valid(stamp.stamp, [Dep(t, key)])
                lsns.append(written.lsn)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(lsns) == len(set(lsns)) == THREADS * ROUNDS
    # one connection per thread, opened once and reused for all its requests
    assert client.stats()["connections_accepted"] - accepted_before == THREADS
    records = list(client.iter_log(min(lsns), max(lsns), tables=[t]))
    assert sorted(lsns) == [r.lsn for r in records]
    client.close()


def test_connections_of_finished_threads_are_released(server):
    client = Client(server.socket_path)
    client.ping()
    thread = threading.Thread(target=client.ping)
    thread.start()
    thread.join()
    import gc

    gc.collect()
    assert len(client._connections) == 1  # only the main thread's
    client.close()


def _run_in_child(body) -> dict:
    """Runs ``body()`` in a forked child and returns what it reported (a JSON object)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read_end)
        code = 1
        try:
            report = body()
            os.write(write_end, json.dumps(report).encode())
            code = 0
        except BaseException as error:  # noqa: BLE001
            os.write(write_end, json.dumps({"error": repr(error)}).encode())
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    report = json.loads(b"".join(chunks) or b"{}")
    assert os.waitstatus_to_exitcode(status) == 0, report
    return report


def test_forked_child_never_uses_the_parents_socket(client, ns):
    t = f"{ns}.t"
    client.write([Change(t, ["parent-before"])])  # the parent's connection is open
    parent_conn = client._local.connection

    def child() -> dict:
        # The at-fork hook already dropped what the child inherited, before any request.
        inherited = len(client._connections) + (getattr(client._local, "connection", None) is not None)
        written = client.write([Change(t, ["child"])])
        record = client.log(from_lsn=written.lsn, limit=1).records[0]
        return {"lsn": written.lsn, "peer_pid": record.peer.pid, "pid": os.getpid(), "inherited": inherited}

    report = _run_in_child(child)
    assert report["inherited"] == 0
    # The server identifies a connection by SO_PEERCRED at connect time: the child's write
    # came from a connection the child opened itself.
    assert report["peer_pid"] == report["pid"] != os.getpid()

    # The parent keeps using its own, intact connection.
    written = client.write([Change(t, ["parent-after"])])
    assert client._local.connection is parent_conn
    assert client.log(from_lsn=written.lsn, limit=1).records[0].peer.pid == os.getpid()
    assert client.stamp([Dep(t, "child")]).versions == [report["lsn"]]


def test_child_without_the_fork_hook_still_reconnects(client):
    client.ping()
    conn = client._local.connection
    conn.pid = -1  # as if this connection had been inherited from another process
    client.ping()
    assert client._local.connection is not conn and conn.closed


def test_fail_safe_helpers_in_a_child(client, ns):
    t = f"{ns}.t"
    stamp = client.stamp([Dep(t)]).stamp

    def child() -> dict:
        return {"valid": client.is_valid(stamp, [Dep(t)]), "cacheable": client.safe_stamp([Dep(t)]) is not None}

    assert _run_in_child(child) == {"valid": True, "cacheable": True}
    assert client.is_valid(stamp, [Dep(t)])
