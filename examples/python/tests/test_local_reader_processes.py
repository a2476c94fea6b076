"""LocalReaders in other processes: checking while the server writes, is killed with kill -9,
restarts and compacts; and a reader killed inside a read does not pin pages for ever."""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import subprocess
import sys
import time
from pathlib import Path

import local_reader_worker
from tidemark import Change, Client

HERE = Path(__file__).resolve().parent


def test_reader_processes_see_every_acknowledged_write_through_kill_restart_and_compaction(start_server):
    server = start_server("--local-readers", str(os.getgid()))
    directory = Path(server.data_dir).parent
    context = multiprocessing.get_context("spawn")
    acknowledged = context.Value("Q", 0, lock=False)
    stop = context.Value("b", 0, lock=False)
    reads = context.Value("Q", 0)
    problems = context.Queue()
    readers = [
        context.Process(target=local_reader_worker.read_loop, args=(server.data_dir, acknowledged, stop, problems, reads))
        for _ in range(2)
    ]
    client = Client(server.socket_path)
    client.write([Change("hot", ["k"])])  # the data file exists before the readers open it
    for process in readers:
        process.start()
    try:
        for round_ in range(4):
            for _ in range(100):
                acknowledged.value = client.write([Change("hot", ["k"])]).lsn
            client.compact(acknowledged.value - 50)
            server.stop(signal.SIGKILL if round_ % 2 == 0 else signal.SIGTERM)
            server = start_server("--local-readers", str(os.getgid()), directory=directory)
            client.close()
    finally:
        stop.value = 1
        for process in readers:
            process.join(timeout=30)
    assert [p.exitcode for p in readers] == [0, 0]
    found = []
    while True:
        try:
            found.append(problems.get_nowait())
        except queue.Empty:
            break
    assert found == []
    assert reads.value > 200, "the readers kept reading"


def _readers(data_dir: str) -> dict[int, str]:
    """pid -> txnid of LMDB's reader table, as `mdb_stat -r` lists it ("-" when idle)."""
    # mdb_stat exits 1 after printing only the reader table; the listing is what counts.
    listing = subprocess.run(["mdb_stat", "-r", data_dir], capture_output=True, text=True).stdout
    assert "Reader Table Status" in listing, listing
    table = {}
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].isdigit():
            table[int(parts[0])] = parts[2]
    return table


def _used_pages(client: Client) -> int:
    return client.stats()["used_bytes"] // 4096


def test_a_reader_killed_inside_a_read_is_cleared_and_its_pages_are_reused(start_server):
    server = start_server("--local-readers", str(os.getgid()))
    client = Client(server.socket_path)
    client.write([Change("hot", ["k"])])
    holder = subprocess.Popen(
        [sys.executable, str(HERE / "local_reader_worker.py"), server.data_dir],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(HERE)},
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert _readers(server.data_dir).get(holder.pid, "-") != "-", "the holder's slot holds a snapshot"
        # While its snapshot is held, pages freed by later commits cannot be reused.
        before = _used_pages(client)
        for _ in range(300):
            client.write([Change("hot", ["k"])])
        pinned_growth = _used_pages(client) - before
    finally:
        holder.kill()  # kill -9, inside its read transaction
        holder.wait()
    deadline = time.monotonic() + 15
    while holder.pid in _readers(server.data_dir):
        assert time.monotonic() < deadline, "the server did not clear the dead reader's slot"
        time.sleep(0.05)  # polling the reader table for the server's housekeeping
    before = _used_pages(client)
    for _ in range(300):
        client.write([Change("hot", ["k"])])
    growth_after = _used_pages(client) - before
    assert pinned_growth >= 100, pinned_growth
    assert growth_after * 4 <= pinned_growth, (growth_after, pinned_growth)
    assert "cleared stale reader slots" in server.log()
