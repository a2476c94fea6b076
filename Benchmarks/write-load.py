#!/usr/bin/env python3
"""A simple durable-write load: N connections, each writing one key per request and
waiting for the answer, for a fixed time. Prints writes/s and how many writes shared an
fsync (from the server's `stats`: mutations / commits). Not the real benchmark (that is
`tidemark bench`); a quick way to see group commit at work.

    Benchmarks/write-load.py --socket /tmp/tm.sock --clients 20 --seconds 5
"""
import argparse
import json
import socket
import threading
import time


def call(sock, reader, request):
    sock.sendall((json.dumps(request) + "\n").encode())
    return json.loads(reader.readline())


def connect(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    return sock, sock.makefile("r")


def stats(path):
    sock, reader = connect(path)
    try:
        return call(sock, reader, {"jsonrpc": "2.0", "id": 1, "method": "stats"})["result"]
    finally:
        sock.close()


def writer(path, index, deadline, counts):
    sock, reader = connect(path)
    done = 0
    while time.monotonic() < deadline:
        request = {"jsonrpc": "2.0", "id": done, "method": "write",
                   "params": {"changes": [{"table": "load", "keys": [f"{index}-{done}"]}]}}
        response = call(sock, reader, request)
        if "result" not in response:
            raise SystemExit(f"write failed: {response}")
        done += 1
    counts[index] = done
    sock.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--socket", required=True)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    before = stats(args.socket)
    counts = [0] * args.clients
    deadline = time.monotonic() + args.seconds
    threads = [threading.Thread(target=writer, args=(args.socket, i, deadline, counts)) for i in range(args.clients)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    after = stats(args.socket)
    commits = after["commits"] - before["commits"]
    mutations = after["mutations"] - before["mutations"]
    total = sum(counts)
    print(json.dumps({
        "clients": args.clients,
        "writes": total,
        "seconds": round(elapsed, 2),
        "writes_per_second": round(total / elapsed),
        "commits": commits,
        "writes_per_fsync": round(mutations / commits, 2) if commits else None,
        "sync": after["sync"],
    }))


if __name__ == "__main__":
    main()
