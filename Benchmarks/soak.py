#!/usr/bin/env python3
"""Soak test: a real `tidemark serve` under mixed load from many clients for a long time,
then the invariants, and the server's memory over time.

    make soak                                   # 10 minutes, 50 clients, release build
    make soak SOAK_SECONDS=120
    Benchmarks/soak.py --binary .build/release/tidemark --seconds 600 --clients 50

The clients (python3 stdlib threads, one connection each): writers (keyed writes, some
wide, some with meta, pipelined in small groups), intent writers (begin, then commit,
abort, or leave the lease to expire), named-entry clients (stamp, register, check by name
and in batches), readers (stamp, check, log pages, stats) and watchers (live watches,
some filtered by table; an unfiltered watch must see every LSN once, in order; a
`watch.lost` is answered by resuming from `lsn + 1`, as the protocol says).

At the end: SIGTERM (a clean exit is expected), `tidemark verify` on the data directory,
a restart, and every acknowledged write, commit and abort checked in the log at its LSN
(LSNs dense, nothing twice). VmRSS of the server is sampled every second; the report
gives it at minute 1 and at the end. Exit status 0 when every check passed.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


class Conn:
    """One line-delimited JSON-RPC connection."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.reader = self.sock.makefile("rb")
        self.next_id = 0

    def send(self, method, params=None):
        self.next_id += 1
        request = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            request["params"] = params
        self.sock.sendall((json.dumps(request, separators=(",", ":")) + "\n").encode())
        return self.next_id

    def read(self):
        line = self.reader.readline()
        if not line:
            raise ConnectionError("closed")
        return json.loads(line)

    def call(self, method, params=None):
        wanted = self.send(method, params)
        while True:
            message = self.read()
            if message.get("id") == wanted:
                return message

    def result(self, method, params=None):
        message = self.call(method, params)
        if "result" not in message:
            raise RuntimeError(f"{method} failed: {message}")
        return message["result"]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Soak:
    def __init__(self, args):
        self.args = args
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.writes = []          # (key, lsn)
        self.commits = []         # (intent, lsn)
        self.aborts = []          # (intent, lsn)
        self.begins = {}          # intent -> lsn
        self.problems = []
        self.ops = {}
        self.watch_events = 0
        self.watch_lost = 0
        self.rss = []             # (seconds since start, KiB)
        self.watch_conns = []     # shut down at the end to wake their readers

    def problem(self, text):
        with self.lock:
            if len(self.problems) < 100:
                self.problems.append(text)

    def count(self, kind, n=1):
        with self.lock:
            self.ops[kind] = self.ops.get(kind, 0) + n

    # --- clients -------------------------------------------------------------------------

    def writer(self, number):
        conn = Conn(self.args.socket)
        rng = random.Random(number)
        index = 0
        while not self.stop.is_set():
            sent = []
            for _ in range(rng.randint(1, 4)):
                key = f"w{number}-{index}"
                index += 1
                changes = [{"table": f"soak{number % 5}", "keys": [key]}]
                if rng.random() < 0.02:
                    changes.append({"table": f"wide{number % 3}"})
                params = {"changes": changes}
                if rng.random() < 0.2:
                    params["meta"] = {"by": f"writer {number}", "n": index}
                sent.append((conn.send("write", params), key))
            for request_id, key in sent:
                response = conn.read()
                if response.get("id") != request_id or "result" not in response:
                    self.problem(f"write {key}: {response}")
                    continue
                with self.lock:
                    self.writes.append((key, response["result"]["lsn"]))
            self.count("write", len(sent))
        conn.close()

    def intents(self, number):
        conn = Conn(self.args.socket)
        rng = random.Random(1000 + number)
        index = 0
        while not self.stop.is_set():
            key = f"i{number}-{index}"
            index += 1
            ttl = rng.choice([2000, 5000, 30000])
            response = conn.call("begin", {"changes": [{"table": "intents", "keys": [key]}], "ttl_ms": ttl})
            if "result" not in response:
                self.problem(f"begin {key}: {response}")
                continue
            intent = response["result"]["intent"]
            with self.lock:
                self.begins[intent] = response["result"]["lsn"]
            choice = rng.random()
            if choice < 0.1:
                self.count("intent left to expire")
                continue
            method = "commit" if choice < 0.75 else "abort"
            response = conn.call(method, {"intent": intent})
            if "result" in response:
                with self.lock:
                    (self.commits if method == "commit" else self.aborts).append((intent, response["result"]["lsn"]))
                self.count(method)
            else:
                self.problem(f"{method} {intent}: {response}")
        conn.close()

    def names(self, number):
        conn = Conn(self.args.socket)
        rng = random.Random(2000 + number)
        names = []
        index = 0
        while not self.stop.is_set():
            name = f"n{number}-{index}"
            index += 1
            deps = [{"table": f"soak{rng.randrange(5)}", "key": f"w{rng.randrange(20)}-{rng.randrange(index + 1)}"},
                    {"table": "names", "key": name}]
            stamp = conn.result("stamp", {"deps": deps})
            response = conn.result("register", {"name": name, "epoch": stamp["epoch"], "lsn": stamp["lsn"],
                                                "deps": deps, "ttl_ms": 60000})
            if response["registered"]:
                names.append(name)
                names = names[-200:]
            check = conn.result("check", {"entries": [{"name": n} for n in rng.sample(names, min(len(names), 20))]})
            for result in check["results"]:
                if not result["valid"] and result.get("reason") not in ("changed", "pending", "unknown", "expired"):
                    self.problem(f"check by name: {result}")
            self.count("register+check")
        conn.close()

    def reader(self, number):
        conn = Conn(self.args.socket)
        rng = random.Random(3000 + number)
        while not self.stop.is_set():
            stamp = conn.result("stamp", {"deps": [{"table": f"soak{rng.randrange(5)}"}, {"table": "intents"}]})
            check = conn.result("check", {"epoch": stamp["epoch"], "lsn": stamp["lsn"], "deps": [{"table": "never-written"}]})
            if check != {"valid": True}:
                self.problem(f"check of an untouched table: {check}")
            lsn = stamp["lsn"]
            page = conn.result("log", {"from": max(1, lsn - 50), "limit": 50})
            lsns = [record["lsn"] for record in page["records"]]
            if lsns != list(range(max(1, lsn - 50), max(1, lsn - 50) + len(lsns))):
                self.problem(f"log page not dense: {lsns[:5]}…")
            if rng.random() < 0.05:
                conn.result("stats")
            self.count("read")
        conn.close()

    def watcher(self, number):
        filtered = number % 3 == 2
        tables = [f"soak{number % 5}"] if filtered else None
        conn = Conn(self.args.socket)
        with self.lock:
            self.watch_conns.append(conn)
        params = {"tables": tables} if tables else {}
        request_id = conn.send("watch", params)
        last = None
        watch_id = None
        while not self.stop.is_set():
            message = conn.read()
            if message.get("id") == request_id:
                if "result" not in message:
                    self.problem(f"watch: {message}")
                    return
                watch_id = message["result"]["watch"]
                if last is None:
                    last = message["result"]["lsn"]
                continue
            method = message.get("method")
            params_in = message.get("params", {})
            if method == "watch.event" and params_in.get("watch") == watch_id:
                lsn = params_in["record"]["lsn"]
                if last is not None and (lsn <= last or (not filtered and lsn != last + 1)):
                    self.problem(f"watcher {number}: {last} then {lsn}")
                last = lsn
                with self.lock:
                    self.watch_events += 1
            elif method == "watch.lost" and params_in.get("watch") == watch_id:
                with self.lock:
                    self.watch_lost += 1
                last = params_in["lsn"]
                resume = dict(params)
                resume["from"] = last + 1
                request_id = conn.send("watch", resume)
        conn.close()

    def client(self, kind, number):
        try:
            getattr(self, kind)(number)
        except Exception as error:  # a dead client is a finding, not a crash of the soak
            if not self.stop.is_set():
                self.problem(f"{kind} {number} died: {error!r}")

    # --- the run -------------------------------------------------------------------------

    def sample_rss(self, pid, started):
        while not self.stop.wait(1.0):
            values = memory_kib(pid)
            if values is not None:
                self.rss.append((time.monotonic() - started, values))

    def run(self):
        args = self.args
        plan = []
        kinds = [("watcher", 10), ("writer", 18), ("intents", 8), ("names", 8), ("reader", 6)]
        scale = args.clients / sum(n for _, n in kinds)
        for kind, n in kinds:
            plan += [(kind, i) for i in range(max(1, round(n * scale)))]
        server = start_server(args)
        started = time.monotonic()
        threads = [threading.Thread(target=self.client, args=entry, daemon=True) for entry in plan]
        sampler = threading.Thread(target=self.sample_rss, args=(server.pid, started), daemon=True)
        for thread in threads:
            thread.start()
        sampler.start()
        print(f"soak: {len(plan)} clients ({', '.join(f'{n} {k}' for k, n in kinds_count(plan))}) for {args.seconds} s "
              f"against {args.binary} (pid {server.pid})", flush=True)
        next_report = 60
        while time.monotonic() - started < args.seconds:
            time.sleep(1)
            if time.monotonic() - started >= next_report:
                next_report += 60
                print(f"  {int(time.monotonic() - started)} s: VmRSS {rss_kib(server.pid)} KiB, "
                      f"{len(self.writes)} writes acknowledged, problems {len(self.problems)}", flush=True)
        final_stats = Conn(args.socket).result("stats")
        self.stop.set()
        with self.lock:
            for conn in self.watch_conns:
                try:
                    conn.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        for thread in threads:
            thread.join(timeout=10)
        end_rss = memory_kib(server.pid)
        server.send_signal(signal.SIGTERM)
        status = server.wait(timeout=60)
        return self.check(status, final_stats, end_rss, started)

    def check(self, status, final_stats, end_rss, started):
        args = self.args
        failures = []
        if status != 0:
            failures.append(f"SIGTERM exit status {status}")
        verify = subprocess.run([args.binary, "verify", "--data", args.data], capture_output=True, text=True)
        if verify.returncode != 0:
            failures.append(f"verify exit {verify.returncode}: {verify.stdout[-2000:]}{verify.stderr[-2000:]}")
        server = start_server(args)
        try:
            conn = Conn(args.socket)
            lsn = conn.result("hello")["lsn"]
            records = {}
            start = None
            while True:
                page = conn.result("log", {"limit": 10000} | ({"from": start} if start else {}))
                for record in page["records"]:
                    # Leases that ended while the server was down expire now: judge the
                    # log as of `lsn`.
                    if record["lsn"] <= lsn:
                        records[record["lsn"]] = record
                if page["next"] > lsn or page["next"] == start:
                    break
                start = page["next"]
            if sorted(records) != list(range(1, lsn + 1)):
                failures.append(f"log not dense 1...{lsn}: {len(records)} records")
            logged = {}
            for record in records.values():
                if record["kind"] == "write":
                    for change in record["changes"]:
                        for key in change.get("keys", []):
                            logged.setdefault(key, []).append(record["lsn"])
            lost = [(k, l) for k, l in self.writes if logged.get(k) != [l]]
            if lost:
                failures.append(f"{len(lost)} acknowledged writes not in the log exactly once at their LSN: {lost[:5]}")
            for label, acked, kind in (("commit", self.commits, "commit"), ("abort", self.aborts, "abort")):
                wrong = [(i, l) for i, l in acked if records.get(l, {}).get("kind") != kind or records[l].get("intent") != i]
                if wrong:
                    failures.append(f"{len(wrong)} acknowledged {label}s missing: {wrong[:5]}")
            wrong = [(i, l) for i, l in self.begins.items() if records.get(l, {}).get("intent") != i]
            if wrong:
                failures.append(f"{len(wrong)} acknowledged begins missing: {wrong[:5]}")
            conn.close()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        failures += [f"client: {p}" for p in self.problems]

        minute_one = next((kib for t, kib in self.rss if t >= 60), self.rss[-1][1] if self.rss else {})
        end_rss = end_rss or {}
        peak = max((kib["VmRSS"] for _, kib in self.rss), default=None)
        seconds = args.seconds
        report = {
            "seconds": seconds,
            "clients": args.clients,
            "operations": self.ops,
            "writes_acknowledged": len(self.writes),
            "writes_per_second": round(len(self.writes) / seconds, 1),
            "commits": len(self.commits),
            "aborts": len(self.aborts),
            "watch_events": self.watch_events,
            "watch_lost": self.watch_lost,
            "final_stats": final_stats,
            "memory_kib_minute_1": minute_one,
            "memory_kib_end": end_rss,
            "vmrss_kib_peak": peak,
            "memory_kib_every_30_s": [(round(t), kib) for t, kib in self.rss if round(t) % 30 == 0],
            "verify": verify.stdout.strip().splitlines()[-1:] or verify.stderr.strip().splitlines()[-1:],
            "failures": failures,
        }
        # The heap is what must not grow; mapped file pages follow the data kept.
        anon_one, anon_end = minute_one.get("RssAnon"), end_rss.get("RssAnon")
        if anon_one and anon_end and anon_end > anon_one * 1.25 + 16 * 1024:
            failures.append(f"RssAnon grew from {anon_one} KiB at minute 1 to {anon_end} KiB at the end")
        print(json.dumps(report, indent=2))
        print(f"soak: memory at minute 1 {minute_one} KiB, at the end {end_rss} KiB (VmRSS peak {peak} KiB); "
              f"{len(self.writes)} writes ({report['writes_per_second']}/s), "
              f"{self.watch_events} watch events, {self.watch_lost} watch.lost; "
              f"{'PASS' if not failures else 'FAIL: ' + str(len(failures)) + ' problems'}")
        return 0 if not failures else 1


def kinds_count(plan):
    counts = {}
    for kind, _ in plan:
        counts[kind] = counts.get(kind, 0) + 1
    return counts.items()


def memory_kib(pid):
    """VmRSS, and its parts: RssAnon (heap: what a leak would grow) and RssFile (pages
    of the mapped LMDB file, which grow with the data retained)."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                name = line.split(":")[0]
                if name in ("VmRSS", "RssAnon", "RssFile"):
                    values[name] = int(line.split()[1])
    except OSError:
        return None
    return values or None


def rss_kib(pid):
    values = memory_kib(pid)
    return values and values.get("VmRSS")


def start_server(args):
    server = subprocess.Popen(
        [args.binary, "serve", "--socket", args.socket, "--data", args.data, "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=None)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            Conn(args.socket).result("ping")
            return server
        except (OSError, ConnectionError):
            time.sleep(0.05)
    server.kill()
    raise SystemExit("the server did not start listening within 30 s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/tidemark")
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("SOAK_SECONDS", "600")))
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--dir", help="working directory (default: a fresh one under /tmp, removed on success)")
    args = parser.parse_args()
    work = args.dir or tempfile.mkdtemp(prefix="tm-soak-", dir="/tmp")
    args.socket = os.path.join(work, "tidemark.sock")
    args.data = os.path.join(work, "data")
    status = Soak(args).run()
    if status == 0 and not args.dir:
        shutil.rmtree(work, ignore_errors=True)
    elif status != 0:
        print(f"soak: data kept in {work}")
    sys.exit(status)


if __name__ == "__main__":
    main()
