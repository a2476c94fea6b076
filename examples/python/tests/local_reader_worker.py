"""Reader processes for test_local_reader_processes (started with multiprocessing's spawn)."""

from __future__ import annotations

import signal
import sys

from tidemark import Dep, LocalReader, Stamp

DEP = Dep("hot", "k")


def read_loop(data_dir: str, acknowledged, stop, problems, reads) -> None:
    """Checks without pause until told to stop: every write acknowledged before a read began
    must show in it, and the LSN never goes back."""
    reader = LocalReader(data_dir)
    epoch = reader.epoch
    last = 0
    count = 0
    while not stop.value:
        acked = acknowledged.value
        try:
            stamp = reader.stamp([DEP])
            if stamp.lsn < last:
                problems.put(f"the LSN went back from {last} to {stamp.lsn}")
            if stamp.versions[0] < acked:
                problems.put(f"version {stamp.versions[0]} after the write at {acked} was acknowledged")
            if acked and reader.check(Stamp(epoch, acked - 1), [DEP]).valid:
                problems.put("a stamp older than an acknowledged write read as valid")
            last = stamp.lsn
            count += 1
        except Exception as error:  # noqa: BLE001 - reported to the test
            problems.put(f"{type(error).__name__}: {error}")
    with reads.get_lock():
        reads.value += count


def hold_snapshot(data_dir: str) -> None:
    """Opens a read transaction, says so on stdout, and waits to be killed inside it."""
    reader = LocalReader(data_dir)
    with reader._snapshot() as txn:
        txn.get(b"lsn", db=reader._current().dbs["meta"])
        print("holding", flush=True)
        signal.pause()


if __name__ == "__main__":
    hold_snapshot(sys.argv[1])
