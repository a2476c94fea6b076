"""JSON-RPC errors provoked on a real server arrive as the mapped exceptions."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tidemark import (
    Change,
    Client,
    Compacted,
    Dep,
    Forbidden,
    InvalidParams,
    InvalidRequest,
    MethodNotFound,
    ParseError,
    ShuttingDown,
    TidemarkError,
    Unavailable,
    UnknownIntent,
)
from tidemark.connection import Connection


def test_invalid_params_names_the_field(client, ns):
    with pytest.raises(InvalidParams) as caught:
        client.stamp([Dep(f"{ns}.t"), Dep("")])
    assert caught.value.code == -32602 and caught.value.field == "deps[1].table"
    with pytest.raises(InvalidParams) as caught:
        client.call("stamp", {"dep": []})  # the typo the protocol refuses
    assert caught.value.field == "dep"
    with pytest.raises(InvalidParams) as caught:
        client.check("not-an-epoch", 1, [])
    assert caught.value.field == "epoch"
    with pytest.raises(InvalidParams):
        client.write([])
    # the connection stays usable after an error
    client.ping()


def test_method_not_found(client):
    with pytest.raises(MethodNotFound) as caught:
        client.call("nope")
    assert caught.value.code == -32601 and caught.value.method == "nope"


def test_unknown_intent_states(client, ns):
    t = f"{ns}.t"
    with pytest.raises(UnknownIntent) as caught:
        client.commit("no-such-intent")
    assert caught.value.code == -32003 and caught.value.state == "unknown"

    committed = client.begin([Change(t, ["1"])])
    client.commit(committed)
    with pytest.raises(UnknownIntent) as caught:
        client.commit(committed)
    assert caught.value.state == "committed"
    with pytest.raises(UnknownIntent) as caught:
        client.abort(committed.intent)
    assert caught.value.state == "committed"

    aborted = client.begin([Change(t, ["2"])])
    client.abort(aborted)
    with pytest.raises(UnknownIntent) as caught:
        client.commit(aborted)
    assert caught.value.state == "aborted"


def test_expired_intent(client, ns):
    t = f"{ns}.t"
    stamp = client.stamp([Dep(t, "1")]).stamp
    intent = client.begin([Change(t, ["1"])], ttl_ms=1)
    # The server expires leases in a background pass (at most ~100 ms late); wait for its
    # expire record rather than for a fixed time.
    deadline = time.monotonic() + 10
    while client.check(stamp, [Dep(t, "1")]).reason != "changed":
        assert time.monotonic() < deadline, "the intent never expired"
        time.sleep(0.02)
    with pytest.raises(UnknownIntent) as caught:
        client.commit(intent)
    assert caught.value.state == "expired"
    kinds = [r.kind for r in client.log(from_lsn=intent.lsn, tables=[t]).records]
    assert kinds == ["begin", "expire"]


def test_compacted(client, ns):
    t = f"{ns}.t"
    first = client.write([Change(t)]).lsn
    second = client.write([Change(t)]).lsn
    assert client.compact(second) == second
    with pytest.raises(Compacted) as caught:
        client.log(from_lsn=first)
    assert caught.value.code == -32004 and caught.value.oldest >= second
    with pytest.raises(Compacted):
        client.watch(from_lsn=first)
    with pytest.raises(Compacted):
        client.log(from_lsn=0)  # LSN 0 never names a record


def test_line_too_long_is_invalid_request(client, ns):
    limit = client.hello().limits["max_line_bytes"]
    with pytest.raises(InvalidRequest) as caught:
        client.write([Change(f"{ns}.t")], meta={"pad": "x" * limit})
    assert caught.value.code == -32600
    with pytest.raises(InvalidParams) as caught:  # under the line limit, over max_meta_bytes
        client.write([Change(f"{ns}.t")], meta={"pad": "x" * 20000})
    assert caught.value.field.startswith("meta")
    client.ping()


def test_parse_error_on_a_raw_line(server):
    conn = Connection(server.socket_path, 1.0)
    try:
        conn.send(b"{not json\n", None)
        with pytest.raises(ParseError) as caught:
            conn.read_response(0, time.monotonic() + 5)
        assert caught.value.code == -32700
    finally:
        conn.close()


def test_forbidden_for_a_writer_outside_the_policy(start_server):
    other_uid = os.getuid() + 4242
    proc = start_server("--writers", f"uid:{other_uid}", "--readers", f"uid:{other_uid}")
    client = Client(proc.socket_path)
    try:
        client.hello()  # always open
        with pytest.raises(Forbidden) as caught:
            client.write([Change("t")])
        assert caught.value.code == -32005
        with pytest.raises(Forbidden):
            client.stamp([Dep("t")])
        assert client.safe_stamp([Dep("t")]) is None
    finally:
        client.close()


def test_shutting_down_during_the_grace_period(start_server):
    proc = start_server("--shutdown-grace", "5s")
    client = Client(proc.socket_path)
    client.ping()
    os.kill(proc.pid, signal.SIGTERM)
    seen: list[type] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            client.write([Change("t")])
        except ShuttingDown as error:
            assert error.code == -32006 and error.retryable
            seen.append(ShuttingDown)
            break
        except Unavailable:
            seen.append(Unavailable)
            break
        time.sleep(0.01)
    client.close()
    assert seen == [ShuttingDown]


def test_every_error_is_a_tidemark_error(client):
    with pytest.raises(TidemarkError):
        client.call("nope")


def test_invalid_entry_in_check_many_names_its_path(client):
    epoch = client.hello().epoch
    with pytest.raises(InvalidParams) as caught:
        client.check_many(["ok-name", {"epoch": epoch, "lsn": -1, "deps": []}])
    assert caught.value.field == "entries[1].lsn"


def test_backend_unavailable_is_mapped_and_never_valid():
    # -32008 comes from an etcd-backed server without quorum (Swift EtcdServerTests drive
    # the real case); here its mapping and what the fail-safe helpers make of it.
    from tidemark import BackendUnavailable, error_from_json
    from tidemark.failsafe import FailSafeReads

    error = error_from_json({"code": -32008, "message": "backend unavailable: no quorum"})
    assert isinstance(error, BackendUnavailable) and error.retryable

    class NoQuorum(FailSafeReads):
        def stamp(self, deps=None):
            raise error

        def check(self, stamp, deps=None):
            raise error

        def check_name(self, name):
            raise error

    reads = NoQuorum()
    assert reads.safe_stamp(["users"]) is None
    assert reads.is_valid({"epoch": "00" * 16, "lsn": 1}, ["users"]) is False
    assert reads.is_name_valid("page") is False
