"""LocalReader against the real server: the same answers and exceptions as the socket client
over random histories, a replaced data directory, permissions, and bad input."""

from __future__ import annotations

import os
import random
import shutil
import stat
from pathlib import Path

import pytest

from tidemark import (
    Change,
    Client,
    Dep,
    InvalidParams,
    LocalReader,
    LocalReadingRefused,
    Stamp,
    TidemarkError,
    Unavailable,
    UnknownIntent,
)

SEED = int(os.environ.get("TIDEMARK_LOCAL_SEED", "0x6c6f63616c21"), 0)
TABLES = ["accounts", "orders", "tags"]


@pytest.fixture
def local_server(start_server):
    return start_server("--local-readers", str(os.getgid()))


def random_deps(rng: random.Random) -> list[Dep]:
    deps = []
    for _ in range(rng.randint(0, 3)):
        table = rng.choice(TABLES)
        deps.append(Dep(table) if rng.random() < 0.15 else Dep(table, f"k{rng.randrange(6)}"))
    return deps


def random_changes(rng: random.Random) -> list[Change]:
    changes = []
    for _ in range(rng.randint(1, 2)):
        table = rng.choice(TABLES)
        if rng.random() < 0.2:
            changes.append(Change(table))
        else:
            changes.append(Change(table, [f"k{rng.randrange(6)}" for _ in range(rng.randint(1, 3))]))
    return changes


def mutate(client: Client, rng: random.Random, stamps: list, intents: list, names: list) -> None:
    roll = rng.randrange(100)
    if roll < 35:
        stamps.append(client.write(random_changes(rng)).stamp)
    elif roll < 50:
        # Leases of a few ms end at once and read as pending until housekeeping expires them.
        ttl = rng.randint(1, 20) if rng.random() < 0.5 else 60_000
        intents.append(client.begin(random_changes(rng), ttl_ms=ttl).intent)
    elif roll < 66 and intents:
        intent = intents.pop(rng.randrange(len(intents)))
        try:
            client.commit(intent) if roll < 60 else client.abort(intent)
        except UnknownIntent:
            pass  # a short lease expired first; nothing changed
    elif roll < 80:
        stamps.append(client.stamp().stamp)
        name = f"n{rng.randrange(8)}"
        client.register(name, rng.choice(stamps), random_deps(rng))
        names.append(name)
    elif roll < 84:
        client.compact(client.stamp().lsn // 2)
    else:
        s = client.stamp()
        stamps.append(Stamp(s.epoch, s.lsn + rng.randint(0, 2)))


def compare(client: Client, reader: LocalReader, rng: random.Random, stamps: list, names: list) -> bool:
    """Random checks and a stamp answered by both while the LSN stood still."""
    entries = [(rng.choice(stamps), random_deps(rng)) for _ in range(8)]
    entries += rng.sample(names, min(3, len(names))) if names else ["n0"]
    single = entries[0]
    stamp_deps = random_deps(rng)
    for _ in range(20):
        before = reader.stamp()
        server = client.check_many(entries)
        server_single = client.check(*single)
        server_stamp = client.stamp(stamp_deps)
        local = reader.check_many(entries)
        local_single = reader.check(*single)
        local_stamp = reader.stamp(stamp_deps)
        after = reader.stamp()
        if before != after or server_stamp.lsn != after.lsn or server_stamp.epoch != after.epoch:
            continue
        assert local == server, entries
        assert local_single == server_single, single
        assert local_stamp == server_stamp, stamp_deps
        return True
    return False


def test_local_answers_equal_the_servers_over_a_random_history(local_server, start_server):
    rng = random.Random(SEED)
    client = Client(local_server.socket_path)
    reader = LocalReader(local_server.data_dir)
    stamps = [Stamp("0" * 32, 0)]
    intents: list = []
    names: list = []
    epochs = set()
    compared = 0
    steps = 120
    server = local_server
    for step in range(steps):
        if step == steps // 2:
            # The data directory replaced under the running reader: a new epoch.
            server.stop()
            shutil.rmtree(server.data_dir)
            server = start_server("--local-readers", str(os.getgid()), directory=Path(server.data_dir).parent)
            client.close()
            intents, names = [], []
        mutate(client, rng, stamps, intents, names)
        epochs.add(client.stamp().epoch)
        compared += compare(client, reader, rng, stamps, names)
    assert len(epochs) == 2
    assert compared >= steps * 9 // 10, f"{compared} of {steps} steps compared at a quiet moment"
    assert reader.epoch == client.hello().epoch


BAD_CHECKS = [
    lambda r, s: r.check(s, [Dep("")]),
    lambda r, s: r.check(s, [Dep("t" * 129)]),
    lambda r, s: r.check(s, [Dep("t", "")]),
    lambda r, s: r.check(s, [Dep("t", "k" * 257)]),
    lambda r, s: r.check(s, [Dep(7)]),
    lambda r, s: r.check(s, [Dep("t", 1.5)]),
    lambda r, s: r.check(s, [{"table": "t", "key": None, "extra": 1}] * 2 + [5]),
    lambda r, s: r.check(s, [Dep("t")] * 1001),
    lambda r, s: r.check("nothex" * 4, 1, []),
    lambda r, s: r.check("ab" * 16, -1, []),
    lambda r, s: r.check(Stamp("ab" * 16, True), []),
    lambda r, s: r.check(Stamp("ab" * 16, 2**64), []),
    lambda r, s: r.check(Stamp(None, 1), []),
    lambda r, s: r.check_name(""),
    lambda r, s: r.check_name("n" * 257),
    lambda r, s: r.check_name(42),
    lambda r, s: r.check_many(["ok", (s, [Dep("t", "")])]),
    lambda r, s: r.check_many([{"name": "x", "lsn": 1}]),
    lambda r, s: r.check_many([{"epoch": s.epoch, "lsn": 1, "deps": [], "entries": []}]),
    lambda r, s: r.check_many([{}]),
    lambda r, s: r.check_many(["x"] * 1001),
    lambda r, s: r.stamp([Dep("")]),
    lambda r, s: r.stamp([{"table": "t", "": 1}]),
    lambda r, s: r.stamp([Dep("t")] * 1001),
    lambda r, s: r.check(s),
    lambda r, s: r.check(s, 5),
]


def outcome(call, target, stamp):
    try:
        return ("result", call(target, stamp))
    except Exception as error:  # noqa: BLE001 - compared below
        return ("error", error)


@pytest.mark.parametrize("call", BAD_CHECKS)
def test_bad_input_raises_what_the_socket_client_raises(local_server, call):
    client = Client(local_server.socket_path)
    reader = LocalReader(local_server.data_dir)
    stamp = client.stamp().stamp
    server_kind, server_value = outcome(call, client, stamp)
    local_kind, local_value = outcome(call, reader, stamp)
    assert local_kind == server_kind, (local_value, server_value)
    if server_kind == "result":
        assert local_value == server_value
        return
    assert type(local_value) is type(server_value), (local_value, server_value)
    if isinstance(server_value, TidemarkError):
        assert (local_value.code, local_value.data, local_value.message) == (
            server_value.code, server_value.data, server_value.message)


def test_valid_shapes_answer_like_the_socket(local_server):
    client = Client(local_server.socket_path)
    reader = LocalReader(local_server.data_dir)
    client.write([Change("users", ["42"]), Change("orders")])
    stamp = client.stamp(["users:42"])
    for args in [(stamp, ["users:42", "orders"]), (stamp.epoch.upper(), stamp.lsn, [("users", 42)]), (stamp.stamp, [])]:
        assert reader.check(*args) == client.check(*args)
    assert reader.check(stamp, deps=[{"table": "orders"}]) == client.check(stamp, deps=[{"table": "orders"}])
    assert reader.stamp("users:42") == client.stamp("users:42")
    assert reader.stamp() == client.stamp()
    assert reader.is_valid(stamp, ["users:42"]) is client.is_valid(stamp, ["users:42"]) is True
    assert reader.safe_stamp(["users:42"]) == client.safe_stamp(["users:42"])


def test_a_replaced_directory_is_noticed_and_old_stamps_are_invalid(local_server, start_server):
    client = Client(local_server.socket_path)
    reader = LocalReader(local_server.data_dir)
    old = client.write([Change("users", ["1"])]).stamp
    assert reader.check(old, [Dep("users", "1")]).valid
    local_server.stop()
    shutil.rmtree(local_server.data_dir)
    with pytest.raises(Unavailable):
        # The directory is gone: the reader finds out at its next identity check and never
        # answers from the deleted file after that.
        for _ in range(100_000):
            reader.check(old, [Dep("users", "1")])
    fresh = start_server("--local-readers", str(os.getgid()), directory=Path(local_server.data_dir).parent)
    client.close()
    new_epoch = client.hello().epoch
    assert new_epoch != old.epoch
    answer = reader.check(old, [Dep("users", "1")])
    assert answer.reason == "epoch" and answer == client.check(old, [Dep("users", "1")])
    assert reader.epoch == new_epoch
    assert fresh.data_dir == local_server.data_dir


def test_without_local_readers_the_reader_is_refused_naming_the_flag(start_server):
    server = start_server()
    assert stat.S_IMODE(os.stat(os.path.join(server.data_dir, "data.mdb")).st_mode) == 0o600
    with pytest.raises(LocalReadingRefused) as caught:
        LocalReader(server.data_dir)
    assert "--local-readers" in str(caught.value)
    assert isinstance(caught.value, Unavailable)


def test_a_missing_directory_is_unavailable(short_tmp):
    with pytest.raises(Unavailable):
        LocalReader(short_tmp / "absent")


def test_readers_of_one_process_share_the_open_file(local_server):
    first = LocalReader(local_server.data_dir)
    second = LocalReader(local_server.data_dir + "/.")
    assert first._current() is second._current()
    first.close()
    assert second.stamp().epoch == Client(local_server.socket_path).hello().epoch


def test_a_forked_child_reads_on_a_handle_of_its_own(local_server):
    client = Client(local_server.socket_path)
    reader = LocalReader(local_server.data_dir)
    client.write([Change("users", ["1"])])
    parent_answer = reader.stamp(["users:1"])
    parent_generation = reader._current().generation
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            ok = reader.stamp(["users:1"]) == parent_answer and reader._current().generation != parent_generation
            os.write(write_end, b"ok" if ok else b"bad")
        finally:
            os._exit(0)
    os.close(write_end)
    assert os.read(read_end, 16) == b"ok"
    os.waitpid(pid, 0)
    os.close(read_end)
    assert reader.stamp(["users:1"]) == parent_answer
