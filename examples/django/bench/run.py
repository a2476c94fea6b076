"""Side-by-side benchmark: no cache, django-cachalot and tidemark_django on one workload.

    python run.py --tidemark /path/to/release/tidemark [--procs 4] [--seconds 15]

Starts its own memcached (shared by both caches) and `tidemark serve`, seeds PostgreSQL,
then runs every mode twice: a throughput pass, and a verification pass in which each read
is compared with the database. Prints one table (Markdown).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def wait_for(probe, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if probe():
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not become ready")
        time.sleep(0.05)  # polling for readiness


def memcached_up(port):
    with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
        s.sendall(b"version\r\n")
        return s.recv(100).startswith(b"VERSION")


def flush_memcached(port):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"flush_all\r\n")
        assert s.recv(100).startswith(b"OK")


def setup_database(products, categories):
    os.environ["BENCH_MODE"] = "none"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from shop.models import Category, Product

    call_command("migrate", run_syncdb=True, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE shop_product, shop_category RESTART IDENTITY")
    cats = Category.objects.bulk_create([Category(name=f"c{i}") for i in range(categories)])
    Product.objects.bulk_create(
        [Product(category=cats[i % categories], name=f"p{i}", price=100, stock=1 + i % 7) for i in range(products)],
        batch_size=1000,
    )
    return Product.objects.order_by("id").first().pk, cats[0].pk


def reset_data():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE shop_product SET version = 0, price = 100")
        cursor.execute("VACUUM ANALYZE shop_product") if connection.get_autocommit() else None


def run_mode(mode, args, env_base, verify, seed):
    env = dict(env_base, BENCH_MODE=mode, BENCH_VERIFY="1" if verify else "0", BENCH_SECONDS=str(args.seconds), BENCH_WARMUP=str(args.warmup))
    env["BENCH_START"] = str(time.time() + 3 + 0.3 * args.procs)
    procs = [
        subprocess.Popen([sys.executable, os.path.join(HERE, "worker.py"), str(seed + i)], cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(args.procs)
    ]
    totals: dict = {}
    examples = []
    tm: dict = {}
    try:
        outputs = [p.communicate(timeout=args.seconds + args.warmup + 120) for p in procs]
    finally:
        # A worker that hung or outlived a failed one is not left behind.
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (out, err) in zip(procs, outputs):
        if p.returncode != 0:
            raise SystemExit(f"worker failed in mode {mode}:\n{err}")
        result = json.loads(out.strip().splitlines()[-1])
        for k, v in result["counts"].items():
            totals[k] = totals.get(k, 0) + v if k != "elapsed" else max(totals.get(k, 0), v)
        examples += result["stale_examples"]
        for k, v in result["tidemark"].items():
            tm[k] = tm.get(k, 0) + v
        if result.get("hit_path_us") is not None:
            totals.setdefault("hit_path_us", []).append(result["hit_path_us"])
    totals["examples"] = examples[:5]
    totals["tidemark"] = tm
    return totals


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tidemark", required=True, help="the (release) tidemark binary")
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds")
    parser.add_argument("--verify-rounds", type=int, default=1, help="rounds of the verifying pass")
    parser.add_argument("--warmup", type=float, default=5, help="seconds of traffic before counting starts")
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--categories", type=int, default=50)
    parser.add_argument("--writes", type=float, default=0.05)
    parser.add_argument("--modes", default="none,cachalot,tidemark,tidemark-async,tidemark-local")
    parser.add_argument("--memcached-port", type=int, default=11299)
    parser.add_argument("--sync", default="full", choices=["full", "none"], help="tidemark serve --sync")
    parser.add_argument("--json", help="also write the raw results here")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="tm-bench-")
    started = []
    try:
        mc = subprocess.Popen(["memcached", "-l", "127.0.0.1", "-p", str(args.memcached_port), "-U", "0", "-m", "256", "-t", "2", "-u", "root"])
        started.append(mc)
        wait_for(lambda: memcached_up(args.memcached_port), "memcached")
        sock = os.path.join(work, "tidemark.sock")
        log = open(os.path.join(work, "tidemark.log"), "wb")
        # --local-readers: the tidemark-local mode reads the data file in place.
        tm = subprocess.Popen([args.tidemark, "serve", "--socket", sock, "--data", os.path.join(work, "data"), "--sync", args.sync,
                               "--local-readers", str(os.getgid())], stdout=log, stderr=subprocess.STDOUT)
        started.append(tm)
        from tidemark import Client

        probe = Client(sock, timeout=1, connect_timeout=0.5)
        wait_for(lambda: probe.hello() is not None, "tidemark serve")
        probe.close()

        first_product, first_category = setup_database(args.products, args.categories)
        env_base = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="benchsite.settings",
            BENCH_MEMCACHED=f"127.0.0.1:{args.memcached_port}",
            TIDEMARK_SOCKET=sock,
            TIDEMARK_DATA=os.path.join(work, "data"),
            BENCH_PRODUCTS=str(args.products),
            BENCH_CATEGORIES=str(args.categories),
            BENCH_FIRST_PRODUCT=str(first_product),
            BENCH_FIRST_CATEGORY=str(first_category),
            BENCH_WRITES=str(args.writes),
            PYTHONPATH=os.pathsep.join(filter(None, [HERE, os.environ.get("PYTHONPATH")])),
        )
        results: dict = {}
        # Modes take turns, round after round, so that a change in the machine's load
        # (other work on the host) spreads over all of them; the table shows medians.
        for verify in (False, True):
            for rnd in range(args.verify_rounds if verify else args.rounds):
                for n, mode in enumerate(args.modes.split(",")):
                    reset_data()
                    flush_memcached(args.memcached_port)
                    r = run_mode(mode, args, env_base, verify, seed=1000 * rnd + 100 * n)
                    results.setdefault((mode, verify), []).append(r)
                    print(f"  round {rnd + 1} {mode:14} {'verify' if verify else 'throughput':10} {r['requests'] / r['elapsed']:8.0f} req/s  "
                          f"stale {r['stale']}", file=sys.stderr)
        print_table(args, results)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({f"{m}/{'verify' if v else 'throughput'}": rs for (m, v), rs in results.items()}, f, indent=2)
    finally:
        for p in reversed(started):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(work, ignore_errors=True)


def median(values):
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def print_table(args, results):
    modes = args.modes.split(",")
    print()
    print(f"{args.procs} processes; per mode {args.rounds} throughput rounds and {args.verify_rounds} verifying round(s), each "
          f"{args.warmup:g} s warm-up + {args.seconds:g} s measured; "
          f"{args.products} products, {args.writes:.0%} writes, PostgreSQL + memcached, tidemark --sync {args.sync}")
    print()
    print("| mode | requests/s (median) | per round | hit ratio | requests/s verifying (median) | stale reads / checked reads | hit path µs (median) |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for mode in modes:
        ts, vs = results[(mode, False)], results[(mode, True)]
        rates = [r["requests"] / r["elapsed"] for r in ts]
        orm = sum(r["orm_reads"] for r in ts)
        hit = 1 - sum(r["db_selects"] for r in ts) / orm if orm else 0
        vrates = [r["requests"] / r["elapsed"] for r in vs]
        # The cost of one cached read (the same product again): the hit path's check.
        hit_path = [x for r in ts for x in r.get("hit_path_us", [])]
        print(
            f"| {mode} | {median(rates):.0f} | {' '.join(f'{x:.0f}' for x in rates)} | {hit:.1%} | {median(vrates):.0f} | "
            f"{sum(r['stale'] for r in vs)} / {sum(r['checked'] for r in vs)} | {f'{median(hit_path):.1f}' if hit_path else '-'} |"
        )
    for mode in modes:
        for r in results[(mode, True)]:
            for ex in r["examples"]:
                print(f"  stale ({mode}): {ex}")
    for mode in modes:
        tm: dict = {}
        for r in results[(mode, False)]:
            for k, v in r.get("tidemark", {}).items():
                tm[k] = tm.get(k, 0) + v
        if tm:
            print(f"\n{mode} counters (throughput passes): {json.dumps(tm)}")


if __name__ == "__main__":
    main()
