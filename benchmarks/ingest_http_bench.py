#!/usr/bin/env python3
"""Event ingestion over HTTP (issue 14): `POST /v1/events` of `behave serve` into SQLite and
PostgreSQL, `kill -9` during ingestion, and two servers sharing one PostgreSQL store.

Usage (from the repository root; needs wrk, sqlite3 and PostgreSQL's server binaries and psql,
`apt-get install wrk sqlite3 postgresql`; `make bench-serve` runs it after serve_bench.py):

    python3 benchmarks/ingest_http_bench.py [--behave .build/release/behave] [--parts ingest,kill,scaleout]
        [--stores sqlite,postgres] [--duration 60] [--batch-sizes 1,100,1000] [--json-out FILE]

PostgreSQL: a throwaway cluster (initdb into a temporary folder as user postgres when run as
root, trust login, loopback and a unix socket in that folder, a free port) with fsync,
synchronous_commit and full_page_writes ON, since durability is part of what is measured (the
settings are printed and kept in the JSON), held to core 0 with the server except in the
scale-out part. --postgres-url uses a running server instead (the parts create their own
schemas in it).

Parts:

1. ingest: for each store kind and each scale of --scales (USERS:ITEMS; default 1,000 users
   and 1,000 items, then 100,000 users and 20,000 items), a store filled with
   --events-per-user events per user (80% views, 15% add_to_cart, 5% purchases; `behave
   ingest` of a JSON Lines file), then for each batch size a `wrk -t1 -c16 -d60s` load of
   `POST /v1/events` with the server (and the PostgreSQL server) held to core 0 and wrk to
   core 1. wrk's Lua script builds every body itself (a counter gives each event its own
   millisecond, so no two events are duplicates; users uniform over the same users, items
   skewed towards popular ones) and reads every answer's `stored`, `duplicates` and
   `rejected`. Events/s counts only events acknowledged with 2xx; the store's event count
   before and after is checked against them. The scales matter: each request reads the
   store's whole user and item dictionaries (see benchmarks/README.md). Reference for
   PostgreSQL: the events the loads stored, read back from the store's `event` table and
   copied by `psql \\copy` into an equivalent table (`CREATE TABLE ... (LIKE event INCLUDING
   ALL)`, holding the preloaded rows) in transactions of the same batch size (one `\\copy ...
   from stdin` each, in one psql session, psql on core 1; at least --reference-transactions
   of them), and all of them in one `\\copy`.
2. kill: a Python load generator (--kill-threads threads with keep-alive connections, batches
   of --kill-batch events over 10,000 users and 2,000 items; Python rather than wrk because
   every acknowledged event has to be recorded) ingests into a fresh store; --kill-rounds
   times, at a random moment, the server gets SIGKILL and is started again on the same store. Then: every event acknowledged with
   2xx must be in the store with its user and item (lost: target 0); a batch whose request
   was in flight at the kill must be stored whole or not at all (partial: target 0); the store
   must hold no event that was not sent (target 0); the store's integrity check must pass
   (SQLite: `PRAGMA integrity_check` and `PRAGMA foreign_key_check`; PostgreSQL: amcheck's
   `bt_index_check(index, heapallindexed => true)` on every index of the store's tables and
   `verify_heapam` on every table, and a query reading every row of `event`). Also reported:
   the staged batch files left behind (`behave-serve-events-*/*.jsonl`) and how long after each restart the
   first batch was acknowledged.
3. scaleout (PostgreSQL only): MovieLens-100K (--data) ingested into a PostgreSQL store,
   SASRec trained on it for --train-budget seconds into a registry, and two `behave serve`
   processes (A held to core 0, B to core 1) on the same store and registry. Visibility: an
   event for a MovieLens user with an item the model knows is posted to one server and, as
   soon as it is acknowledged, `POST /v1/models/ml-sasrec/recommend {"user": ID, "k": 5}` is
   sent to the other until `history_length` has grown by one; the delay from the
   acknowledgement to that answer is measured (--visibility-samples times, alternating A->B
   and B->A, idle and again under the load below), with the number of first reads that did
   not see the event yet. Throughput: wrk (unpinned: on 2 cores it shares them with the
   servers and PostgreSQL) sends recommend requests for random MovieLens users, first
   through A alone (-c16), then through A and B together (two wrk processes, -c8 each), and
   for scale through one server on an SQLite store with the same events. Last, the Python
   load generator of part 2 ingests through A and B at once for 10 s: every acknowledged
   event must be stored with its user and item, and no user or item id stored twice.

Every load runs --duration seconds (default 60; use 5-10 for a quick check). The JSON output
(--json-out) holds every number printed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from serve_bench import DEFAULT_DATA, ROOT, run, wait_ready

DAY_MS = 86_400_000
# Preloaded events start on 2024-01-01; each load of the ingest part starts 100 days after the
# previous one's start (room for 8.6e9 events, one millisecond apart).
PRELOAD_START_MS = 1_704_067_200_000
LOAD_START_MS = 1_735_689_600_000
EVENT_TYPES = ["view"] * 16 + ["add_to_cart"] * 3 + ["purchase"]
# Users and items of the kill part's events.
KILL_SCALE = (10_000, 2_000)


# MARK: - Processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU time of a process (and of its reaped children), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


class Server:
    """`behave serve` on a store; staged files go to `tmp` (TMPDIR) so that leftovers can be
    counted."""

    def __init__(self, behave: str, registry: Path, keys: Path, store: str, port: int, log: Path, cpus: str,
                 tmp: Path):
        self.port = port
        self.log_path = log
        self.log = log.open("a")
        tmp.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["taskset", "-c", cpus, behave, "serve", "--registry", str(registry), "--keys", str(keys), "--store", store,
             "--port", str(port), "--slots", "16"],
            stdout=self.log, stderr=self.log, env={**os.environ, "TMPDIR": str(tmp)})
        wait_ready(self.process, port, "behave serve", log, seconds=120)

    @property
    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.log.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                   key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.parent.name)])
    return found[-1].parent if found else None


class Postgres:
    """A throwaway cluster with durable settings, or a server given by URL."""

    SETTINGS = ("server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_sync_method",
                "shared_buffers", "max_wal_size", "checkpoint_timeout")

    def __init__(self, url: str | None, cpus: str, work: Path):
        self.cluster = None
        self.bin = postgres_bin()
        if url:
            self.base = url.split("?")[0]
        else:
            if self.bin is None:
                raise SystemExit("PostgreSQL's server binaries are missing (apt-get install postgresql), "
                                 "or give --postgres-url, or --stores sqlite")
            self.cluster = Path(tempfile.mkdtemp(prefix="ingest-bench-pg-", dir=work))
            port = free_port()
            assert port != 55432
            as_postgres = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
            if os.getuid() == 0:
                shutil.chown(self.cluster, "postgres")
                os.chmod(work, 0o755)
            self.as_postgres = as_postgres
            run(as_postgres + [str(self.bin / "initdb"), "-D", str(self.cluster / "data"), "-U", "postgres",
                               "--auth=trust", "-E", "UTF8", "--locale=C"])
            options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {self.cluster} -c fsync=on "
                       "-c synchronous_commit=on -c full_page_writes=on")
            run(["taskset", "-c", cpus] + as_postgres +
                [str(self.bin / "pg_ctl"), "-D", str(self.cluster / "data"), "-l", str(self.cluster / "server.log"),
                 "-w", "-t", "60", "-o", options, "start"])
            self.base = f"postgres://postgres@127.0.0.1:{port}/postgres"
        match = re.match(r"postgres(?:ql)?://([^@/:]+)(?::[^@/]*)?@([^:/]+)(?::(\d+))?/([^?]+)", self.base)
        if not match:
            raise SystemExit(f"--postgres-url {url}: expected postgres://USER@HOST:PORT/DB")
        user, host, port, database = match.groups()
        self.psql_args = ["-h", host, "-p", port or "5432", "-U", user, "-d", database]
        self.settings = {name: self.query(f"SHOW {name}") for name in self.SETTINGS}

    def url(self, schema: str) -> str:
        return f"{self.base}?schema={schema}"

    def psql(self, *statements: str, cpus: str | None = None, file: Path | None = None) -> str:
        """Runs each statement in its own transaction (or a script file) and returns the output."""
        argv = (["taskset", "-c", cpus] if cpus else []) + [
            "psql", *self.psql_args, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
        for statement in statements:
            argv += ["-c", statement]
        if file:
            argv += ["-f", str(file)]
        return run(argv).stdout

    def query(self, sql: str) -> str:
        return self.psql(sql).strip()

    @property
    def postmaster(self) -> int | None:
        if not self.cluster:
            return None
        return int((self.cluster / "data" / "postmaster.pid").read_text().split()[0])

    @property
    def cpu(self) -> float:
        """CPU seconds of the cluster's processes (live backends and those already ended)."""
        pid = self.postmaster
        if pid is None:
            return 0.0
        total = cpu_seconds(pid, children=True)
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                total += cpu_seconds(int(stat.parent.name))
        return total

    def pin(self, cpus: str):
        """Holds the postmaster (and so the backends it starts from now on) to `cpus`."""
        if self.postmaster:
            run(["taskset", "-a", "-p", "-c", cpus, str(self.postmaster)])

    def drop_schema(self, schema: str):
        self.psql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def stop(self):
        if self.cluster:
            subprocess.run(self.as_postgres + [str(self.bin / "pg_ctl"), "-D", str(self.cluster / "data"), "-m",
                                               "fast", "stop"], capture_output=True)


class Store:
    """One event store (an SQLite file or a PostgreSQL schema) and SQL against it."""

    def __init__(self, kind: str, name: str, work: Path, postgres: Postgres | None):
        self.kind = kind
        self.postgres = postgres
        if kind == "sqlite":
            self.path = work / f"{name}.db"
            self.location = str(self.path)
            self.folder = work
        else:
            self.schema = name
            postgres.drop_schema(name)
            self.location = postgres.url(name)

    def sql(self, sql: str) -> str:
        if self.kind == "sqlite":
            return run(["sqlite3", "-batch", "-noheader", "-separator", "|", str(self.path), sql]).stdout
        return self.postgres.psql(f'SET search_path TO "{self.schema}"; {sql}')

    def count(self) -> int:
        return int(self.sql("SELECT count(*) FROM event").strip())

    def events_by_time(self) -> dict[int, tuple[str, str]]:
        """Every stored event as timestamp -> (user, item) (the loads give each event its own ms)."""
        rows = self.sql("SELECT e.ts, u.external, coalesce(i.external, '') FROM event e "
                        'JOIN "user" u ON u.id = e.user_id LEFT JOIN item i ON i.id = e.item_id')
        stored = {}
        for line in rows.splitlines():
            ts, user, item = line.split("|")
            stored[int(ts)] = (user, item)
        return stored

    def integrity(self) -> dict:
        if self.kind == "sqlite":
            check = self.sql("PRAGMA integrity_check").strip()
            keys = self.sql("PRAGMA foreign_key_check").strip()
            return {"integrity_check": check, "foreign_key_check": keys or "ok",
                    "passed": check == "ok" and not keys}
        schema = self.schema
        self.postgres.psql("CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA public")
        indexes = self.postgres.query(
            "SELECT count(bt_index_check(c.oid, true)) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
            f"JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am a ON a.oid = c.relam "
            f"WHERE n.nspname = '{schema}' AND a.amname = 'btree'")
        heap = self.postgres.query(
            "SELECT count(v.*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, "
            f"LATERAL verify_heapam(c.oid) v WHERE n.nspname = '{schema}' AND c.relkind = 'r'")
        # A query reading every column of every row (detoasting properties and sessions).
        scan = self.sql("SELECT count(*), sum(length(e::text)) FROM event e").strip()
        return {"btree_indexes_checked": int(indexes), "heap_corruptions": int(heap), "full_scan": scan,
                "passed": int(heap) == 0}

    def staged_leftovers(self, tmp: Path) -> int:
        """Staged batch files still on disk: each server stages in `behave-serve-events-PID-UUID`
        in its temporary directory, and a server starting removes the folders of dead ones."""
        return len(list(tmp.glob("behave-serve-events-*/*.jsonl")))


# MARK: - Events


def synthetic_events(count: int, users: int, items: int, start_ms: int, seed: int):
    """(user, timestamp, type, item): uniform users, items skewed to the popular (item index ~
    items * u^2), one millisecond apart (so every event is distinct)."""
    rng = random.Random(seed)
    for n in range(count):
        u = rng.random()
        yield (f"u{rng.randrange(users)}", start_ms + n, rng.choice(EVENT_TYPES), f"i{int(items * u * u)}")


def event_json(user: str, ts: int, kind: str, item: str) -> str:
    return f'{{"user_id":"{user}","timestamp":{ts},"event_type":"{kind}","item_id":"{item}"}}'


def preload(behave: str, store: Store, count: int, users: int, items: int, work: Path) -> dict:
    if count <= 0:
        return {"events": 0}
    path = work / f"preload-{count}.jsonl"
    if not path.exists():
        with path.open("w") as out:
            for event in synthetic_events(count, users, items, PRELOAD_START_MS, seed=1):
                out.write(event_json(*event) + "\n")
    started = time.monotonic()
    run([behave, "ingest", str(path), "--store", store.location])
    return {"events": store.count(), "seconds": round(time.monotonic() - started, 1)}


def ingest_script(path: Path, key: str, batch: int, users: int, items: int, start_ms: int, seed: int):
    """wrk's Lua script: unique events per request, and the answers' counts summed."""
    path.write_text(f"""
local batch, users, items = {batch}, {users}, {items}
local ts = {start_ms - 1}
local types = {{{", ".join(json.dumps(t) for t in EVENT_TYPES)}}}
local rand, floor, fmt, concat = math.random, math.floor, string.format, table.concat
math.randomseed({seed})
local parts = {{}}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
acked, failed, stored, duplicates, rejected, sent = 0, 0, 0, 0, 0, 0

request = function()
  for j = 1, batch do
    ts = ts + 1
    local r = rand()
    parts[j] = fmt('{{"user_id":"u%d","timestamp":%.0f,"event_type":"%s","item_id":"i%d"}}',
      rand(0, users - 1), ts, types[rand(1, #types)], floor(items * r * r))
  end
  sent = sent + 1
  return wrk.format(nil, nil, nil, '{{"events":[' .. concat(parts, ",", 1, batch) .. ']}}')
end

response = function(status, headers, body)
  if status >= 200 and status < 300 then
    acked = acked + 1
    stored = stored + tonumber(body:match('"stored":(%d+)') or "0")
    duplicates = duplicates + tonumber(body:match('"duplicates":(%d+)') or "0")
    rejected = rejected + tonumber(body:match('"rejected":(%d+)') or "0")
  else
    failed = failed + 1
    if failed <= 3 then io.stderr:write("answer " .. status .. ": " .. body:sub(1, 300) .. "\\n") end
  end
end

local threads = {{}}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  for _, t in ipairs(threads) do
    io.write(fmt("COUNTS acked=%d failed=%d stored=%d duplicates=%d rejected=%d sent=%d last_ts=%.0f\\n",
      t:get("acked"), t:get("failed"), t:get("stored"), t:get("duplicates"), t:get("rejected"), t:get("sent"),
      t:get("ts") or 0))
  end
  io.write(fmt("DURATION_US %d\\n", summary.duration))
end
""")


def parse_wrk(out: str) -> dict:
    def milliseconds(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50_ms": milliseconds("50"), "p99_ms": milliseconds("99"),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sum(map(int, errors.groups())) if errors else 0}


def wrk(url: str, script: Path, duration: int, connections: int, cpus: str | None) -> dict:
    argv = (["taskset", "-c", cpus] if cpus else []) + [
        "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "60s", "--latency", "-s", str(script), url]
    out = run(argv).stdout
    result = parse_wrk(out)
    counts = re.search(r"COUNTS (.*)", out)
    if counts:
        result.update({k: int(v) for k, v in (pair.split("=") for pair in counts.group(1).split())})
        result["seconds"] = int(re.search(r"DURATION_US (\d+)", out).group(1)) / 1e6
    return result


# MARK: - Part 1: ingest


def part_ingest(args, key: str, registry: Path, keys: Path, work: Path, postgres: Postgres | None) -> dict:
    """For each store kind and scale: a preloaded store, then one load per batch size."""
    results = {}
    for kind in args.stores:
        results[kind] = []
        for users, items in args.scales:
            results[kind].append(ingest_scale(args, kind, users, items, key, registry, keys, work, postgres))
    return results


def ingest_scale(args, kind: str, users: int, items: int, key: str, registry: Path, keys: Path, work: Path,
                 postgres: Postgres | None) -> dict:
    name = f"ingest_{users}_users"
    label = f"ingest/{kind}, {users:,} users"
    store = Store(kind, name, work, postgres)
    loaded = preload(args.behave, store, args.events_per_user * users, users, items, work)
    loaded.update(users=int(store.sql('SELECT count(*) FROM "user"')), items=int(store.sql("SELECT count(*) FROM item")))
    print(f"[{label}] preloaded {loaded}", flush=True)
    if kind == "postgres":
        postgres.psql(f'VACUUM ANALYZE "{name}".event')
    tmp = work / f"tmp-{name}-{kind}"
    server = Server(args.behave, registry, keys, store.location, args.port, work / f"serve-{name}-{kind}.log", "0",
                    tmp)
    runs = []
    try:
        for index, batch in enumerate(args.batch_sizes):
            start_ms = LOAD_START_MS + index * 100 * DAY_MS
            script = work / f"ingest-{batch}.lua"
            ingest_script(script, key, batch, users, items, start_ms, seed=10 + index)
            before = store.count()
            cpu = (server.cpu, postgres.cpu if kind == "postgres" else 0.0)
            load = wrk(f"http://127.0.0.1:{args.port}/v1/events", script, args.duration, args.connections, "1")
            # Requests wrk left in flight are still ingested: wait until the count settles.
            after = store.count()
            while True:
                time.sleep(1)
                settled = store.count()
                if settled == after:
                    break
                after = settled
            result = {
                "batch": batch, **load, "events_per_second": load["stored"] / load["seconds"],
                "store_events_added": after - before, "store_events": after,
                "server_cpu_s": round(server.cpu - cpu[0], 1),
                "postgres_cpu_s": round(postgres.cpu - cpu[1], 1) if kind == "postgres" else None,
                "first_ts": start_ms, "last_ts": start_ms + batch * load["sent"] - 1}
            # Every acknowledged event is stored, and nothing beyond what was sent (requests wrk
            # gave up on at the end may be stored too).
            result["count_matches"] = load["stored"] <= result["store_events_added"] <= load["sent"] * batch
            runs.append(result)
            print(f"[{label}] batch {batch}: {result['events_per_second']:,.0f} events/s "
                  f"({load['requests_per_second']:,.1f} req/s, p50 {load['p50_ms']:.1f} ms, p99 "
                  f"{load['p99_ms']:.1f} ms), acked {load['acked']} requests, stored {load['stored']}, "
                  f"duplicates {load['duplicates']}, rejected {load['rejected']}, non-2xx {load['failed']}, "
                  f"store +{result['store_events_added']}, server CPU {result['server_cpu_s']} s"
                  + (f", PostgreSQL CPU {result['postgres_cpu_s']} s" if kind == "postgres" else ""), flush=True)
    finally:
        server.stop()
    entry = {"users": users, "items": items, "preload": loaded, "runs": runs,
             "staged_files_left": store.staged_leftovers(tmp)}
    if kind == "postgres":
        entry["copy_reference"] = copy_reference(store, postgres, runs, work, label, args.reference_transactions)
        postgres.drop_schema(name)
    else:
        entry["store_bytes"] = sum(p.stat().st_size for p in work.glob(f"{name}.db*"))
        for path in work.glob(f"{name}.db*"):
            path.unlink()
    return entry


def copy_reference(store: Store, postgres: Postgres, runs: list[dict], work: Path, label: str,
                   transactions: int) -> list[dict]:
    """The events the HTTP loads stored, read back from the store and copied by psql into a
    table like `event` (its indexes, the preloaded rows) in transactions of each batch size:
    the load's own events, topped up with the other loads' ones to `transactions`
    transactions when it stored fewer (psql's start would count otherwise); for the largest
    batch size also all of them in one transaction."""
    columns = ("user_id, ts, type_id, item_id, value, session, occurrence, duration, category, properties, "
               "source_id, line")
    postgres.psql("DROP SCHEMA IF EXISTS copy_reference CASCADE", "CREATE SCHEMA copy_reference",
                  f'CREATE TABLE copy_reference.event (LIKE "{store.schema}".event INCLUDING ALL)')
    data = work / "copy.csv"
    # Each load's events first, in the order they arrived (by time, as they were generated).
    order = " ".join(f"WHEN ts BETWEEN {r['first_ts']} AND {r['last_ts']} THEN {i}" for i, r in enumerate(runs))
    out = []
    for position, result in enumerate(runs):
        batch = result["batch"]
        postgres.psql(f"\\copy (SELECT {columns} FROM \"{store.schema}\".event WHERE ts >= {LOAD_START_MS} "
                      f"ORDER BY CASE {order} ELSE {len(runs)} END <> {position}, ts LIMIT "
                      f"{max(result['store_events_added'], transactions * batch)}) TO '{data}' WITH (FORMAT csv)")
        rows = data.read_text().splitlines(keepends=True)
        variants = [(f"\\copy, {batch:,} per transaction", batch)]
        if batch == max(r["batch"] for r in runs) and len(rows) > batch:
            variants.append(("\\copy, one transaction", len(rows)))
        for name, size in variants:
            if not rows:
                continue
            script = work / "copy.sql"
            with script.open("w") as sql:
                for start in range(0, len(rows), size):
                    sql.write(f"\\copy copy_reference.event ({columns}) from stdin with (format csv)\n")
                    sql.writelines(rows[start:start + size])
                    sql.write("\\.\n")
            postgres.psql("TRUNCATE copy_reference.event",
                          f'INSERT INTO copy_reference.event SELECT * FROM "{store.schema}".event '
                          f"WHERE ts < {LOAD_START_MS}", "VACUUM ANALYZE copy_reference.event", "CHECKPOINT")
            started = time.monotonic()
            postgres.psql(cpus="1", file=script)
            seconds = time.monotonic() - started
            copied = int(postgres.query(f"SELECT count(*) FROM copy_reference.event WHERE ts >= {LOAD_START_MS}"))
            entry = {"batch": batch, "transaction_rows": size, "events": len(rows), "copied": copied,
                     "seconds": round(seconds, 2), "events_per_second": len(rows) / seconds, "label": name}
            out.append(entry)
            print(f"[{label}] psql {name}: {len(rows):,} events in {seconds:.2f} s = "
                  f"{entry['events_per_second']:,.0f} events/s", flush=True)
            script.unlink()
    data.unlink(missing_ok=True)
    postgres.drop_schema("copy_reference")
    return out


# MARK: - Part 2: kill -9


class Loader:
    """Threads posting batches of unique events, recording what was acknowledged and what
    was in flight when a request failed."""

    def __init__(self, port: int, key: str, batch: int, threads: int, users: int, items: int, start_ms: int):
        self.port, self.key, self.batch = port, key, batch
        self.users, self.items = users, items
        self.next_ts = start_ms
        self.lock = threading.Lock()
        self.acked: list[tuple[int, str, str]] = []
        self.in_flight: list[list[tuple[int, str, str]]] = []  # failed without an answer
        self.refused: list[list[tuple[int, str, str]]] = []  # never sent (connection refused)
        self.non_2xx: list[tuple[int, list]] = []
        self.odd_answers: list[dict] = []  # 2xx answers that do not account for every event as stored
        self.acked_at: list[float] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.work, args=(index,)) for index in range(threads)]

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def take(self, rng: random.Random) -> list[tuple[int, str, str]]:
        with self.lock:
            start = self.next_ts
            self.next_ts += self.batch
        events = []
        for ts in range(start, start + self.batch):
            u = rng.random()
            events.append((ts, f"u{rng.randrange(self.users)}", f"i{int(self.items * u * u)}"))
        return events

    def work(self, index: int):
        rng = random.Random(100 + index)
        connection = None
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"}
        while not self.stop.is_set():
            events = self.take(rng)
            body = '{"events":[' + ",".join(event_json(user, ts, "view", item) for ts, user, item in events) + "]}"
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                    connection.connect()
            except OSError:
                connection = None
                with self.lock:
                    self.refused.append(events)
                time.sleep(0.02)
                continue
            try:
                connection.request("POST", "/v1/events", body=body, headers=headers)
                response = connection.getresponse()
                text = response.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = None
                with self.lock:
                    self.in_flight.append(events)
                continue
            with self.lock:
                if 200 <= response.status < 300:
                    answer = json.loads(text)
                    self.acked.extend(events)
                    self.acked_at.append(time.monotonic())
                    if answer.get("stored") != len(events):
                        self.odd_answers.append(answer)
                else:
                    self.non_2xx.append((response.status, events))


def part_kill(args, key: str, registry: Path, keys: Path, work: Path, postgres: Postgres | None) -> dict:
    results = {}
    for kind in args.stores:
        store = Store(kind, "kill_bench", work, postgres)
        # behave serve wants an existing store.
        preload(args.behave, store, 1_000, *KILL_SCALE, work)
        tmp = work / f"tmp-kill-{kind}"
        log = work / f"serve-kill-{kind}.log"
        server = Server(args.behave, registry, keys, store.location, args.port, log, "0", tmp)
        loader = Loader(args.port, key, args.kill_batch, args.kill_threads, *KILL_SCALE, LOAD_START_MS)
        rng = random.Random(7)
        kills = []
        loader.start()
        try:
            for _ in range(args.kill_rounds):
                time.sleep(rng.uniform(0.5, 1.0) * args.duration / (args.kill_rounds + 1))
                with loader.lock:
                    acked_before = len(loader.acked)
                server.kill()
                killed_at = time.monotonic()
                time.sleep(0.2)
                server = Server(args.behave, registry, keys, store.location, args.port, log, "0", tmp)
                ready_at = time.monotonic()
                first_ack = None
                for _ in range(600):
                    with loader.lock:
                        after = [t for t in loader.acked_at if t > ready_at]
                    if after:
                        first_ack = after[0]
                        break
                    time.sleep(0.05)
                kills.append({"acked_events_before": acked_before,
                              "restart_ready_s": round(ready_at - killed_at, 2),
                              "first_ack_after_ready_s": round(first_ack - ready_at, 3) if first_ack else None})
                print(f"[kill/{kind}] kill -9 after {acked_before:,} acknowledged events; ready again in "
                      f"{kills[-1]['restart_ready_s']} s, first acknowledgement {kills[-1]['first_ack_after_ready_s']}"
                      " s later", flush=True)
            time.sleep(args.duration / (args.kill_rounds + 1))
        finally:
            loader.finish()
            server.stop()
        stored = store.events_by_time()
        acked = loader.acked
        lost = [e for e in acked if stored.get(e[0]) != (e[1], e[2])]
        whole = partial = none = 0
        for events in loader.in_flight:
            present = sum(stored.get(ts) == (user, item) for ts, user, item in events)
            if present == len(events):
                whole += 1
            elif present == 0:
                none += 1
            else:
                partial += 1
        sent = {e[0] for e in acked}
        for events in loader.in_flight + [events for _, events in loader.non_2xx]:
            sent.update(ts for ts, _, _ in events)
        unsent = len([ts for ts in stored if ts >= LOAD_START_MS and ts not in sent])
        non_2xx_stored = sum(1 for _, events in loader.non_2xx for ts, _, _ in events if ts in stored)
        incomplete_sources = int(store.sql("SELECT count(*) FROM source WHERE NOT completed").strip() or 0)
        integrity = store.integrity()
        result = {
            "batch": args.kill_batch, "threads": args.kill_threads, "kills": kills,
            "acked_events": len(acked), "acked_requests": len(loader.acked_at), "store_events": len(stored),
            "lost_acked_events": len(lost), "lost_examples": lost[:5],
            "in_flight_batches": len(loader.in_flight), "in_flight_stored_whole": whole,
            "in_flight_not_stored": none, "in_flight_partial": partial,
            "refused_connections": len(loader.refused), "non_2xx": len(loader.non_2xx),
            "non_2xx_statuses": sorted({status for status, _ in loader.non_2xx}),
            "non_2xx_events_stored": non_2xx_stored, "odd_2xx_answers": loader.odd_answers[:5],
            "events_never_sent_in_store": unsent, "incomplete_source_rows": incomplete_sources,
            "staged_files_left": store.staged_leftovers(tmp), "integrity": integrity}
        results[kind] = result
        print(f"[kill/{kind}] acknowledged {len(acked):,} events, lost {len(lost)}; in flight at the kills "
              f"{len(loader.in_flight)} batches (whole {whole}, none {none}, partial {partial}); never-sent "
              f"events in store {unsent}; integrity {integrity}; staged files left {result['staged_files_left']}",
              flush=True)
    return results


# MARK: - Part 3: scale-out


def recommend(port: int, key: str, user: str) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/v1/models/ml-sasrec/recommend", body=json.dumps({"user": user, "k": 5}),
                       headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    response = connection.getresponse()
    answer = json.loads(response.read() or b"{}")
    connection.close()
    return response.status, answer


def ingest_one(port: int, key: str, event: dict) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/v1/events", body=json.dumps({"events": [event]}),
                       headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def visibility(ports: tuple[int, int], key: str, users: list[str], items: list[str], samples: int,
               clock: list[int], seed: int, deadline: float | None = None) -> dict:
    """Posts one event through one server and reads the user's history_length through the other
    until it has grown by one; the delays in ms from the acknowledgement (until `deadline`, a
    time.monotonic(), when given)."""
    rng = random.Random(seed)
    delays, stale_first_reads, failures = [], 0, []
    for index in range(samples):
        if deadline is not None and time.monotonic() > deadline:
            break
        writer, reader = (ports if index % 2 == 0 else ports[::-1])
        user = rng.choice(users)
        status, answer = recommend(reader, key, user)
        if status != 200:
            failures.append(f"recommend {status} {answer}")
            continue
        before = answer["history_length"]
        clock[0] = max(clock[0] + 1, int(time.time() * 1000))
        event = {"user_id": user, "timestamp": clock[0], "event_type": "view", "item_id": rng.choice(items)}
        status = ingest_one(writer, key, event)
        acked = time.monotonic()
        if status != 200:
            failures.append(f"ingest {status}")
            continue
        reads = 0
        while True:
            status, answer = recommend(reader, key, user)
            reads += 1
            if status == 200 and answer["history_length"] == before + 1:
                break
            if status == 200 and answer["history_length"] != before:
                failures.append(f"history_length {before} -> {answer['history_length']}")
                break
            if time.monotonic() - acked > 10:
                failures.append("not visible after 10 s")
                break
        delays.append((time.monotonic() - acked) * 1e3)
        stale_first_reads += reads > 1
    delays.sort()
    return {"samples": len(delays), "median_ms": statistics.median(delays) if delays else None,
            "p95_ms": delays[int(0.95 * (len(delays) - 1))] if delays else None,
            "max_ms": delays[-1] if delays else None, "first_read_stale": stale_first_reads,
            "failures": failures[:5], "failure_count": len(failures)}


def recommend_script(path: Path, key: str, users: list[str], seed: int):
    path.write_text(f"""
local users = {{{", ".join(json.dumps(u) for u in users)}}}
math.randomseed({seed})
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
request = function()
  return wrk.format(nil, nil, nil, '{{"user":"' .. users[math.random(#users)] .. '","k":5}}')
end
""")


def part_scaleout(args, key: str, work: Path, postgres: Postgres) -> dict:
    store = Store("postgres", "scaleout_bench", work, postgres)
    registry, keys = work / "registry-scaleout", work / "keys.json"
    started = time.monotonic()
    run([args.behave, "ingest", args.data, "--store", store.location])
    print(f"[scaleout] {store.count():,} MovieLens events ingested in {time.monotonic() - started:.1f} s", flush=True)
    started = time.monotonic()
    run([args.behave, "train", "next-item", "--store", store.location, "--registry", str(registry), "--name",
         "ml-sasrec", "--time-budget", str(args.train_budget), "--seed", "1"])
    print(f"[scaleout] SASRec trained in {time.monotonic() - started:.1f} s", flush=True)
    items = json.loads((registry / "ml-sasrec" / "1" / "items.json").read_text())
    users = sorted(set(store.sql('SELECT external FROM "user"').split()))
    # The servers' backends may use both cores from now on (A is on core 0, B on core 1).
    postgres.pin("0,1")
    ports = (args.port, args.port + 1)
    tmp = work / "tmp-scaleout"
    servers = [Server(args.behave, registry, keys, store.location, port, work / f"serve-scaleout-{name}.log", cpus,
                      tmp) for port, name, cpus in ((ports[0], "a", "0"), (ports[1], "b", "1"))]
    clock = [int(time.time() * 1000)]
    result = {"users": len(users), "model_items": len(items)}
    try:
        result["visibility_idle"] = visibility(ports, key, users, items, args.visibility_samples, clock, seed=1)
        print(f"[scaleout] visibility, idle: {result['visibility_idle']}", flush=True)
        script = work / "recommend-user.lua"
        recommend_script(script, key, users, seed=3)
        status, answer = recommend(ports[0], key, users[0])
        assert status == 200, answer
        cpu = [s.cpu for s in servers]
        one = wrk(f"http://127.0.0.1:{ports[0]}/v1/models/ml-sasrec/recommend", script, args.duration,
                  args.connections, None)
        one["server_cpu_s"] = [round(s.cpu - c, 1) for s, c in zip(servers, cpu)]
        result["one_server"] = one
        print(f"[scaleout] recommend {{user}} through A alone: {one}", flush=True)
        loads: list[dict] = [{}, {}]

        def load(index: int):
            loads[index] = wrk(f"http://127.0.0.1:{ports[index]}/v1/models/ml-sasrec/recommend", script,
                               args.duration, max(1, args.connections // 2), None)

        cpu = [s.cpu for s in servers]
        threads = [threading.Thread(target=load, args=(index,)) for index in (0, 1)]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        time.sleep(min(2.0, args.duration / 4))
        under_load = visibility(ports, key, users, items, args.visibility_samples, clock, seed=2,
                                deadline=started + args.duration - 1)
        for thread in threads:
            thread.join()
        both = {"requests_per_second": sum(l["requests_per_second"] for l in loads),
                "p99_ms": max(l["p99_ms"] for l in loads), "non_2xx": sum(l["non_2xx"] for l in loads),
                "socket_errors": sum(l["socket_errors"] for l in loads), "per_server": loads,
                "server_cpu_s": [round(s.cpu - c, 1) for s, c in zip(servers, cpu)]}
        both["ratio_to_one"] = both["requests_per_second"] / one["requests_per_second"]
        result["two_servers"] = both
        result["visibility_under_load"] = under_load
        print(f"[scaleout] recommend {{user}} through A and B: {both['requests_per_second']:,.0f} req/s "
              f"({both['ratio_to_one']:.2f}x one), p99 {both['p99_ms']:.1f} ms; visibility under load: {under_load}",
              flush=True)
        result["concurrent_ingest"] = concurrent_ingest(ports, key, store, min(10, args.duration))
        print(f"[scaleout] ingest through A and B at once: {result['concurrent_ingest']}", flush=True)
    finally:
        for server in servers:
            server.stop()
        postgres.pin("0")
    # The same recommend load on an SQLite store with the same events, one server, for scale.
    sqlite = Store("sqlite", "scaleout_bench", work, None)
    run([args.behave, "ingest", args.data, "--store", sqlite.location])
    server = Server(args.behave, registry, keys, sqlite.location, ports[0], work / "serve-scaleout-sqlite.log", "0",
                    tmp)
    try:
        cpu = server.cpu
        baseline = wrk(f"http://127.0.0.1:{ports[0]}/v1/models/ml-sasrec/recommend", script, args.duration,
                       args.connections, None)
        baseline["server_cpu_s"] = round(server.cpu - cpu, 1)
    finally:
        server.stop()
    result["one_server_sqlite"] = baseline
    print(f"[scaleout] recommend {{user}}, one server on an SQLite copy of the store: {baseline}", flush=True)
    return result


def concurrent_ingest(ports: tuple[int, int], key: str, store: Store, seconds: float) -> dict:
    """Batches of new users' events through both servers at once (their ingests wait for each
    other on the store's advisory lock); every acknowledged event must be stored with its user
    and item, and the dictionaries must hold each id once."""
    loaders = [Loader(port, key, 100, 2, *KILL_SCALE, LOAD_START_MS + index * 100 * DAY_MS)
               for index, port in enumerate(ports)]
    for loader in loaders:
        loader.start()
    time.sleep(seconds)
    for loader in loaders:
        loader.finish()
    stored = store.events_by_time()
    acked = [event for loader in loaders for event in loader.acked]
    lost = [e for e in acked if stored.get(e[0]) != (e[1], e[2])]
    repeated_ids = int(store.sql('SELECT (SELECT count(*) - count(DISTINCT external) FROM "user") + '
                                 "(SELECT count(*) - count(DISTINCT external) FROM item)").strip())
    return {"seconds": seconds, "acked_events": [len(loader.acked) for loader in loaders],
            "events_per_second": len(acked) / seconds, "lost_acked_events": len(lost),
            "non_2xx": sum(len(loader.non_2xx) for loader in loaders),
            "failed_requests": sum(len(loader.in_flight) + len(loader.refused) for loader in loaders),
            "repeated_dictionary_ids": repeated_ids}


# MARK: - Main


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--behave", default=str(ROOT / ".build" / "release" / "behave"))
    parser.add_argument("--parts", default="ingest,kill,scaleout", help="comma separated: ingest, kill, scaleout")
    parser.add_argument("--stores", default="sqlite,postgres", help="for ingest and kill: sqlite and/or postgres")
    parser.add_argument("--duration", type=int, default=60, help="seconds of each load")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--batch-sizes", default="1,100,1000")
    parser.add_argument("--scales", default="1000:1000,100000:20000",
                        help="the ingest part's stores, USERS:ITEMS each: preloaded with --events-per-user events "
                        "per user, and the loads' events drawn from the same users and items")
    parser.add_argument("--events-per-user", type=int, default=10)
    parser.add_argument("--reference-transactions", type=int, default=2_000,
                        help="psql reference: at least this many transactions per batch size (when there are enough "
                        "events)")
    parser.add_argument("--kill-batch", type=int, default=100)
    parser.add_argument("--kill-threads", type=int, default=4)
    parser.add_argument("--kill-rounds", type=int, default=3)
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="MovieLens-100K for the scale-out part")
    parser.add_argument("--train-budget", type=int, default=60)
    parser.add_argument("--visibility-samples", type=int, default=50)
    parser.add_argument("--port", type=int, default=18090, help="the server's port (scale-out: also the next one)")
    parser.add_argument("--postgres-url", help="a running PostgreSQL (postgres://USER@HOST:PORT/DB) instead of a "
                        "throwaway cluster")
    parser.add_argument("--keep-work", action="store_true", help="keep the work folder (stores, logs)")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    args.parts = [p for p in args.parts.split(",") if p]
    args.stores = [s for s in args.stores.split(",") if s]
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    args.scales = [tuple(int(n) for n in scale.split(":")) for scale in args.scales.split(",")]
    unknown = set(args.parts) - {"ingest", "kill", "scaleout"} | set(args.stores) - {"sqlite", "postgres"}
    if unknown:
        raise SystemExit(f"unknown parts or stores: {', '.join(sorted(unknown))}")
    for tool in ("wrk", "sqlite3", "psql"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing: apt-get install {'postgresql-client' if tool == 'psql' else tool}")
    if max(args.batch_sizes) > 10_000:
        raise SystemExit("--batch-sizes: behave serve takes at most 10,000 events a request (--max-events)")

    work = Path(tempfile.mkdtemp(prefix="ingest-http-bench-"))
    print(f"work folder {work}", file=sys.stderr)
    registry, keys = work / "registry", work / "keys.json"
    registry.mkdir()
    key = run([args.behave, "keys", "add", "--file", str(keys), "--scope", "score,ingest"]).stdout.strip()
    needs_postgres = "scaleout" in args.parts or ("postgres" in args.stores and {"ingest", "kill"} & set(args.parts))
    postgres = Postgres(args.postgres_url, "0", work) if needs_postgres else None
    results = {"date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count(), "duration_s": args.duration,
               "connections": args.connections, "events_per_user": args.events_per_user,
               "postgres": postgres.settings if postgres else None}
    if postgres:
        print(f"PostgreSQL: {postgres.settings}", flush=True)
    try:
        if "ingest" in args.parts:
            results["ingest"] = part_ingest(args, key, registry, keys, work, postgres)
        if "kill" in args.parts:
            results["kill"] = part_kill(args, key, registry, keys, work, postgres)
        if "scaleout" in args.parts:
            results["scaleout"] = part_scaleout(args, key, work, postgres)
    finally:
        if postgres:
            postgres.stop()
    report(results)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    if args.keep_work:
        print(f"kept {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    problems = failed_checks(results)
    if problems:
        raise SystemExit("checks failed: " + "; ".join(problems))


def failed_checks(results: dict) -> list[str]:
    """What must hold whatever the speed: acknowledged events stored, batches whole, stores intact."""
    problems = []
    for kind, entries in results.get("ingest", {}).items():
        for entry in entries:
            for r in entry["runs"]:
                if not r["count_matches"] or r["failed"] or r["duplicates"] or r["rejected"]:
                    problems.append(f"ingest/{kind}, {entry['users']} users, batch {r['batch']}: stored "
                                    f"{r['stored']} of {r['acked']} acknowledged requests, store +"
                                    f"{r['store_events_added']}, {r['failed']} non-2xx, {r['duplicates']} "
                                    f"duplicates, {r['rejected']} rejected")
    for kind, r in results.get("kill", {}).items():
        for name in ("lost_acked_events", "in_flight_partial", "events_never_sent_in_store"):
            if r[name]:
                problems.append(f"kill/{kind}: {name} {r[name]}")
        if not r["integrity"]["passed"]:
            problems.append(f"kill/{kind}: integrity check {r['integrity']}")
    scaleout = results.get("scaleout")
    if scaleout:
        concurrent = scaleout["concurrent_ingest"]
        if concurrent["lost_acked_events"] or concurrent["repeated_dictionary_ids"]:
            problems.append(f"scaleout: concurrent ingest {concurrent}")
        for label in ("visibility_idle", "visibility_under_load"):
            if scaleout[label]["failure_count"]:
                problems.append(f"scaleout: {label} {scaleout[label]['failures']}")
    return problems


def report(results: dict):
    if results.get("postgres"):
        s = results["postgres"]
        print(f"\nPostgreSQL {s['server_version']}: fsync {s['fsync']}, synchronous_commit {s['synchronous_commit']}, "
              f"full_page_writes {s['full_page_writes']}, wal_sync_method {s['wal_sync_method']}, shared_buffers "
              f"{s['shared_buffers']}")
    if "ingest" in results:
        print(f"\nPOST /v1/events, {results['duration_s']} s per load, {results['connections']} connections, stores "
              f"preloaded with {results['events_per_user']} events per user:\n")
        print("| store | users / items | batch | events/s | requests/s | p50 ms | p99 ms | non-2xx | stored = "
              "acknowledged | server CPU s | PostgreSQL CPU s |\n|---|---|---|---|---|---|---|---|---|---|---|")
        for kind, entries in results["ingest"].items():
            for entry in entries:
                scale = f"{entry['users']:,} / {entry['items']:,}"
                for r in entry["runs"]:
                    print(f"| {kind} | {scale} | {r['batch']:,} | {r['events_per_second']:,.0f} | "
                          f"{r['requests_per_second']:,.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['failed']} | "
                          f"{'yes' if r['count_matches'] and r['duplicates'] == 0 else 'NO'} | {r['server_cpu_s']} | "
                          f"{r['postgres_cpu_s'] if r['postgres_cpu_s'] is not None else ''} |")
                for c in entry.get("copy_reference", []):
                    print(f"| postgres: psql {c['label']} | {scale} | {c['batch']:,} | {c['events_per_second']:,.0f} "
                          f"| | | | | {c['copied']:,} of {c['events']:,} copied | | |")
    if "kill" in results:
        print("\nkill -9 during ingestion:\n")
        print("| store | kills | acknowledged events | lost | in flight: whole / none / partial | never sent but "
              "stored | integrity | staged files left |\n|---|---|---|---|---|---|---|---|")
        for kind, r in results["kill"].items():
            print(f"| {kind} | {len(r['kills'])} | {r['acked_events']:,} | **{r['lost_acked_events']}** | "
                  f"{r['in_flight_stored_whole']} / {r['in_flight_not_stored']} / **{r['in_flight_partial']}** | "
                  f"{r['events_never_sent_in_store']} | {'passed' if r['integrity']['passed'] else 'FAILED'} | "
                  f"{r['staged_files_left']} |")
    if "scaleout" in results:
        s = results["scaleout"]
        print("\nTwo servers on one PostgreSQL store:\n")
        print("| measure | value |\n|---|---|")
        for label, v in (("idle", s["visibility_idle"]), ("under load", s["visibility_under_load"])):
            print(f"| visibility on the other server, {label} | median {v['median_ms']:.1f} ms, p95 "
                  f"{v['p95_ms']:.1f} ms, max {v['max_ms']:.1f} ms; {v['first_read_stale']} of {v['samples']} first "
                  f"reads stale, {v['failure_count']} failures |")
        one, both = s["one_server"], s["two_servers"]
        print(f"| recommend {{user}}, A alone | {one['requests_per_second']:,.0f} req/s, p99 {one['p99_ms']:.1f} ms, "
              f"non-2xx {one['non_2xx']} |")
        print(f"| recommend {{user}}, A and B | {both['requests_per_second']:,.0f} req/s "
              f"({both['ratio_to_one']:.2f}x), p99 {both['p99_ms']:.1f} ms, non-2xx {both['non_2xx']} |")
        base = s["one_server_sqlite"]
        print(f"| recommend {{user}}, one server on an SQLite copy | {base['requests_per_second']:,.0f} req/s, p99 "
              f"{base['p99_ms']:.1f} ms, non-2xx {base['non_2xx']} |")
        c = s["concurrent_ingest"]
        print(f"| ingest through A and B at once ({c['seconds']} s, batches of 100) | "
              f"{c['events_per_second']:,.0f} events/s, {sum(c['acked_events']):,} acknowledged, "
              f"**{c['lost_acked_events']} lost**, {c['non_2xx']} non-2xx, {c['repeated_dictionary_ids']} ids stored "
              "twice |")


if __name__ == "__main__":
    main()
