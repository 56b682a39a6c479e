#!/usr/bin/env python3
"""Scoring server benchmark (issue 14): `behave serve` under `wrk` on loopback.

Usage (from the repository root; needs wrk, `apt-get install wrk`, and for the FastAPI side a
Python with torch, fastapi, uvicorn[standard] and safetensors, which `make bench-serve` sets up
in .venv):

    python3 benchmarks/serve_bench.py [--behave .build/release/behave] [--data ../shared/data/ml-100k/ml-100k.inter]
        [--duration 60] [--connections 16] [--python .venv/bin/python | --skip-python] [--json-out FILE]

Parts, each a `wrk -t1 -c16 -d60s --latency` run with the server held to core 0 and wrk to
core 1 (`taskset`), the server started with `--slots 16` so that the limit is not what is
measured:

1. score: a table MLP (128, 64 hidden units, as the purchase MLP; 20 columns, 16 numeric and
   4 categorical, trained on a seeded synthetic table by `behave train classify`), one row per
   `POST /v1/models/purchase-mlp/score`. Target >= 10,000 req/s with p99 < 5 ms.
2. recommend: SASRec on MovieLens-100K (the default recipe, trained for --train-budget
   seconds: speed, not quality, is measured), `POST /v1/models/ml-sasrec/recommend` with a
   history of 50 items. Target >= 2,000 req/s with p99 < 10 ms.
3. promotions: the recommend load again while version 1 and version 2 of the SASRec model
   (two trainings) are promoted in turn 100 times (`behave models promote`); a checker
   thread sends the same request throughout and compares each answer with what the version
   it names answers alone. Counted: non-2xx answers (wrk and checker) and mixed answers
   (items that are not those of the version named). Target 0 and 0.
4. FastAPI + uvicorn + PyTorch (benchmarks/serve_python/app.py): the same two models from the
   same registry bundles, re-implemented in PyTorch, under the same score and recommend loads
   (uvicorn held to core 0, one worker), printed beside ours with the ratios (req/s ours over
   theirs, p99 theirs over ours). Before any load, a sample of requests (varied rows with
   missing, unseen and text values; histories of 1 to 300 items, k up to 100, exclude_seen;
   a few bad requests) goes to both servers: a probability more than 1e-4 apart, other items
   or another order in a recommendation, or another status, error code or field stops the
   benchmark. --skip-python leaves this part out.

Event ingestion over HTTP, kill -9 during ingestion and two servers on one PostgreSQL store are
measured by benchmarks/ingest_http_bench.py (`make bench-serve` runs both).
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
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "ml-100k" / "ml-100k.inter"


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{result.stderr[-2000:]}")
    return result


def synthetic_table(path: Path, rows: int = 20_000, seed: int = 3) -> list[str]:
    """20 columns (16 numeric, 4 categorical) and a label that depends on a few of them."""
    rng = random.Random(seed)
    numeric = [f"x{i}" for i in range(16)]
    categorical = {"channel": ["web", "app", "mail"], "device": ["phone", "desktop", "tablet"],
                   "country": ["de", "fr", "us", "jp", "br"], "plan": ["free", "pro"]}
    header = numeric + list(categorical) + ["label"]
    with path.open("w") as out:
        out.write(",".join(header) + "\n")
        for _ in range(rows):
            values = [rng.gauss(0, 1) for _ in numeric]
            cats = [rng.choice(options) for options in categorical.values()]
            logit = values[0] - 0.5 * values[1] + (0.8 if cats[0] == "app" else 0) + rng.gauss(0, 0.5)
            out.write(",".join(f"{v:.4f}" for v in values) + "," + ",".join(cats) + f",{int(logit > 0)}\n")
    return header[:-1]


def wrk(url: str, body: str, key: str, duration: int, connections: int, work: Path) -> dict:
    script = work / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {key}"\n')
    out = run(["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s",
               str(script), url]).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def milliseconds(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M).groups()
        return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {"requests_per_second": rate, "p50_ms": milliseconds("50"), "p99_ms": milliseconds("99"),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": sum(map(int, errors.groups())) if errors else 0}


def wait_ready(process: subprocess.Popen, port: int, what: str, log: Path, seconds: float = 30):
    """Until GET /readyz answers 200; stops the benchmark if the server exits or takes longer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with status {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{what} did not become ready in {seconds:.0f} s; see {log}")


class Server:
    def __init__(self, behave: str, registry: Path, keys: Path, port: int, log: Path):
        self.port = port
        self.log = log.open("w")
        # No --store: every request here gives its history (a server opened on a store measured
        # 20% fewer score requests per second; see benchmarks/README.md).
        self.process = subprocess.Popen(
            ["taskset", "-c", "0", behave, "serve", "--registry", str(registry), "--keys", str(keys), "--port",
             str(port), "--slots", "16", "--reload-interval", "0.1"],
            stdout=self.log, stderr=self.log)
        wait_ready(self.process, port, "behave serve", log)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self.log.close()


PYTHON_PACKAGES = ("torch", "fastapi", "uvicorn", "safetensors", "pydantic")


def python_versions(python: str) -> dict | str:
    """The versions of the FastAPI side's packages in `python`, or why they cannot be imported."""
    probe = ("import json, platform\n"
             f"names = {PYTHON_PACKAGES!r}\n"
             "modules = [__import__(name) for name in names]\n"
             "print(json.dumps({'python': platform.python_version(),"
             " **{name: module.__version__ for name, module in zip(names, modules)}}))")
    try:
        result = subprocess.run([python, "-c", probe], capture_output=True, text=True, timeout=120)
    except OSError as error:
        return str(error)
    if result.returncode != 0:
        return (result.stderr.strip().splitlines() or ["no output"])[-1]
    return json.loads(result.stdout)


class PythonServer:
    """benchmarks/serve_python/app.py under uvicorn, held to core 0 like behave serve."""

    def __init__(self, python: str, registry: Path, key: str, port: int, log: Path):
        self.log = log.open("w")
        self.process = subprocess.Popen(
            ["taskset", "-c", "0", python, str(HERE / "serve_python" / "app.py"), "--registry", str(registry),
             "--port", str(port)],
            stdout=self.log, stderr=self.log, env={**os.environ, "BEHAVE_API_KEY": key})
        # Importing torch and FastAPI on one busy core can take a while.
        wait_ready(self.process, port, "the FastAPI server (benchmarks/serve_python/app.py)", log, seconds=120)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def post(port: int, path: str, body: str, key: str) -> tuple[int, dict]:
    status, _, answer = exchange(port, path, body, key)
    return status, answer


def exchange(port: int, path: str, body: str, key: str) -> tuple[int, str | None, dict]:
    """Status, X-Model-Version header and JSON answer of one POST."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", path, body=body,
                       headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    response = connection.getresponse()
    text = response.read()
    try:
        answer = json.loads(text or b"{}")
    except ValueError:
        answer = {"not_json": text[:500].decode(errors="replace")}
    return response.status, response.getheader("X-Model-Version"), answer


def parity_requests(columns: list[str], items: list[str], score_body: str, history: str,
                    seed: int = 11) -> list[tuple[str, str]]:
    """(path, body) pairs for the parity check: the two load requests, varied valid requests
    and a few that must be refused the same way."""
    rng = random.Random(seed)
    categories = {"channel": ["web", "app", "mail"], "device": ["phone", "desktop", "tablet"],
                  "country": ["de", "fr", "us", "jp", "br"], "plan": ["free", "pro"]}

    def row() -> dict:
        cells = {}
        for name in columns:
            draw = rng.random()
            if name in categories:
                # Known values, an unseen one (the "other" slot), null and a missing word (imputed).
                cells[name] = (rng.choice(categories[name]) if draw < 0.8 else "zz" if draw < 0.9
                               else None if draw < 0.95 else "NA")
            else:
                # Numbers, numbers as text (with spaces), null, missing words, a far value.
                value = rng.gauss(0, 1.5)
                cells[name] = (value if draw < 0.8 else f" {value:.3f}" if draw < 0.88 else None if draw < 0.93
                               else "n/a" if draw < 0.97 else rng.choice([1e6, -2e5]))
        return cells

    score, recommend = "/v1/models/purchase-mlp/score", "/v1/models/ml-sasrec/recommend"
    requests = [(score, score_body), (recommend, history)]
    requests += [(score, json.dumps({"rows": [row()]})) for _ in range(40)]
    requests.append((score, json.dumps({"rows": [row() for _ in range(25)]})))
    for index in range(40):
        length = [1, 2, 5, 20, 50, 199, 200, 201, 300][index % 9]
        body = {"history": rng.choices(items, k=length) if index % 3 == 0 else rng.sample(items, length),
                "k": rng.choice([1, 10, 20, 100])}
        if index % 2 == 0:
            body["exclude_seen"] = index % 4 == 0
        requests.append((recommend, json.dumps(body)))
    bad_row = row()
    bad_row[columns[3]] = "abc"
    short_row = row()
    del short_row[columns[-1]]
    requests += [(score, json.dumps({"rows": [bad_row]})), (score, json.dumps({"rows": [short_row]})),
                 (score, json.dumps({"rows": []})), (recommend, json.dumps({"history": [items[0], "no-such-item"]})),
                 (recommend, json.dumps({"history": []})), (recommend, json.dumps({"history": items[:3], "k": 0})),
                 (recommend, json.dumps({"history": items[:3], "colour": "red"})),
                 ("/v1/models/no-such-model/recommend", history)]
    return requests


def check_parity(ours: int, theirs: int, key: str, requests: list[tuple[str, str]]) -> dict:
    """Sends every request to both servers; stops the benchmark at the first answer that differs."""
    summary = {"requests": len(requests), "refused_alike": 0, "max_probability_difference": 0.0,
               "max_item_score_difference": 0.0}

    def fail(path: str, body: str, why: str, answers: tuple):
        raise SystemExit(
            f"parity check failed: the FastAPI + PyTorch server answers differently from behave serve ({why})\n"
            f"request: POST {path} {body[:400]}\nbehave serve: {json.dumps(answers[0])[:1500]}\n"
            f"FastAPI:      {json.dumps(answers[1])[:1500]}\n"
            "(--skip-python runs the benchmark without the FastAPI side)")

    for path, body in requests:
        status, version, a = exchange(ours, path, body, key)
        status_b, version_b, b = exchange(theirs, path, body, key)
        answers = ({"status": status, "body": a}, {"status": status_b, "body": b})
        if status != status_b:
            fail(path, body, f"status {status} against {status_b}", answers)
        if status != 200:
            error_a, error_b = a.get("error") or {}, b.get("error") or {}
            fields = ("code", "field")
            if not error_a or [error_a.get(f) for f in fields] != [error_b.get(f) for f in fields]:
                fail(path, body, "another error code or field", answers)
            summary["refused_alike"] += 1
            continue
        names = (a.get("model"), a.get("version"), version)
        if set(a) != set(b) or names != (b.get("model"), b.get("version"), version_b):
            fail(path, body, "other members, model or version", answers)
        if "scores" in a:
            if len(a["scores"]) != len(b["scores"]) or abs(a["threshold"] - b["threshold"]) > 1e-12:
                fail(path, body, "another number of scores or threshold", answers)
            for ours_score, their_score in zip(a["scores"], b["scores"]):
                difference = abs(ours_score["probability"] - their_score["probability"])
                summary["max_probability_difference"] = max(summary["max_probability_difference"], difference)
                if difference > 1e-4:
                    fail(path, body, f"probabilities {difference:.2g} apart", answers)
                # A decision may flip only for a probability within the tolerance of the threshold.
                if (ours_score["decision"] != their_score["decision"]
                        and abs(ours_score["probability"] - a["threshold"]) > 1e-4):
                    fail(path, body, "another decision", answers)
        else:
            if a["history_length"] != b["history_length"]:
                fail(path, body, "another history_length", answers)
            if [item["item"] for item in a["items"]] != [item["item"] for item in b["items"]]:
                fail(path, body, "other items or another order", answers)
            for ours_item, their_item in zip(a["items"], b["items"]):
                difference = abs(ours_item["score"] - their_item["score"])
                summary["max_item_score_difference"] = max(summary["max_item_score_difference"], difference)
                if difference > 1e-4 * max(1.0, abs(ours_item["score"])):
                    fail(path, body, f"item scores {difference:.2g} apart", answers)
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--behave", default=str(ROOT / ".build" / "release" / "behave"))
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--train-budget", type=int, default=60)
    parser.add_argument("--promotions", type=int, default=100)
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--python", default=sys.executable,
                        help="the Python with torch, fastapi, uvicorn and safetensors for the FastAPI side")
    parser.add_argument("--python-port", type=int, default=18081)
    parser.add_argument("--skip-python", action="store_true", help="leave out the FastAPI + PyTorch side")
    parser.add_argument("--json-out")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    versions = None
    if args.skip_python:
        print("FastAPI + PyTorch side skipped (--skip-python)", file=sys.stderr)
    else:
        versions = python_versions(args.python)
        if isinstance(versions, str):
            raise SystemExit(
                f"the FastAPI + PyTorch side needs {', '.join(PYTHON_PACKAGES)} in {args.python}, which says: "
                f"{versions}\nInstall them (pip install -r benchmarks/serve_python/requirements.txt; make "
                "bench-serve sets up .venv), point --python at a Python that has them, or pass --skip-python.")
    work = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    registry, keys = work / "registry", work / "keys.json"
    print(f"work folder {work}", file=sys.stderr)

    columns = synthetic_table(work / "table.csv")
    run([args.behave, "train", "classify", "--data", str(work / "table.csv"), "--label", "label", "--registry",
         str(registry), "--name", "purchase-mlp"])
    store = work / "ml.db"
    run([args.behave, "ingest", args.data, "--store", str(store)])
    for seed in (1, 2):
        run([args.behave, "train", "next-item", "--store", str(store), "--registry", str(registry), "--name",
             "ml-sasrec", "--time-budget", str(args.train_budget), "--seed", str(seed)])
    key = run([args.behave, "keys", "add", "--file", str(keys), "--scope", "score"]).stdout.strip()

    items = json.loads((registry / "ml-sasrec" / "1" / "items.json").read_text())
    rng = random.Random(5)
    history = json.dumps({"history": rng.sample(items, 50), "k": 10})
    row = {name: (0.3 if name.startswith("x") else None) for name in columns}
    row.update({"channel": "app", "device": "phone", "country": "de", "plan": "pro"})
    score_body = json.dumps({"rows": [row]})

    results = {"date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count(), "connections": args.connections,
               "duration_s": args.duration}
    server = Server(args.behave, registry, keys, args.port, work / "serve.log")
    try:
        if versions is not None:
            # Both servers answer a sample of requests before any load, so a mismatch stops the
            # run early; the FastAPI server is stopped again while behave serve is measured.
            python_server = PythonServer(args.python, registry, key, args.python_port, work / "uvicorn-parity.log")
            try:
                results["parity"] = check_parity(
                    args.port, args.python_port, key, parity_requests(columns, items, score_body, history))
            finally:
                python_server.stop()
            print(f"parity with FastAPI + PyTorch: {results['parity']}", flush=True)
        base = f"http://127.0.0.1:{args.port}"
        status, answer = post(args.port, "/v1/models/purchase-mlp/score", score_body, key)
        assert status == 200, answer
        results["score"] = wrk(f"{base}/v1/models/purchase-mlp/score", score_body, key, args.duration,
                               args.connections, work)
        print(f"score, one row: {results['score']}", flush=True)
        status, answer = post(args.port, "/v1/models/ml-sasrec/recommend", history, key)
        assert status == 200, answer
        results["recommend"] = wrk(f"{base}/v1/models/ml-sasrec/recommend", history, key, args.duration,
                                   args.connections, work)
        print(f"recommend, history 50: {results['recommend']}", flush=True)

        # Promotions under load: the answer of each version alone, then the load, the checker
        # and the promotions together.
        expected = {}
        for version in ("2", "1"):
            run([args.behave, "models", "promote", "ml-sasrec", version, "--registry", str(registry)])
            for _ in range(100):
                status, answer = post(args.port, "/v1/models/ml-sasrec/recommend", history, key)
                if answer.get("version") == version:
                    break
                time.sleep(0.05)
            expected[version] = [item["item"] for item in answer["items"]]
        checked = {"answers": 0, "non_2xx": 0, "mixed": 0, "versions": {}}
        stop = threading.Event()

        def check():
            while not stop.is_set():
                status, answer = post(args.port, "/v1/models/ml-sasrec/recommend", history, key)
                checked["answers"] += 1
                if status != 200:
                    checked["non_2xx"] += 1
                    continue
                version = answer.get("version")
                checked["versions"][version] = checked["versions"].get(version, 0) + 1
                if [item["item"] for item in answer["items"]] != expected.get(version):
                    checked["mixed"] += 1

        def promote():
            pause = args.duration / (args.promotions + 1)
            for index in range(args.promotions):
                time.sleep(pause)
                run([args.behave, "models", "promote", "ml-sasrec", "2" if index % 2 == 0 else "1", "--registry",
                     str(registry)])

        threads = [threading.Thread(target=check), threading.Thread(target=promote)]
        for thread in threads:
            thread.start()
        load = wrk(f"{base}/v1/models/ml-sasrec/recommend", history, key, args.duration, args.connections, work)
        threads[1].join()
        stop.set()
        threads[0].join()
        results["promotions"] = {"promotions": args.promotions, "wrk": load, "checker": checked}
        print(f"promotions under load: {results['promotions']}", flush=True)
    finally:
        server.stop()

    if versions is not None:
        # The version the parity check saw (the promotions may have left the other one live).
        run([args.behave, "models", "promote", "ml-sasrec", "1", "--registry", str(registry)])
        python_server = PythonServer(args.python, registry, key, args.python_port, work / "uvicorn.log")
        theirs = {}
        try:
            base = f"http://127.0.0.1:{args.python_port}"
            for part, path, body in (("score", "/v1/models/purchase-mlp/score", score_body),
                                     ("recommend", "/v1/models/ml-sasrec/recommend", history)):
                status, answer = post(args.python_port, path, body, key)
                assert status == 200, answer
                theirs[part] = wrk(base + path, body, key, args.duration, args.connections, work)
                print(f"{part}, FastAPI + PyTorch: {theirs[part]}", flush=True)
        finally:
            python_server.stop()
        results["fastapi"] = {**theirs, "versions": versions}
        results["ratios"] = {
            part: {"requests_per_second_ours_over_theirs":
                   results[part]["requests_per_second"] / theirs[part]["requests_per_second"],
                   "p99_theirs_over_ours": theirs[part]["p99_ms"] / results[part]["p99_ms"]}
            for part in ("score", "recommend")}

    print("\n| part | req/s | p50 ms | p99 ms | non-2xx | target |\n|---|---|---|---|---|---|")
    for part, target in (("score", ">= 10,000 req/s, p99 < 5 ms"), ("recommend", ">= 2,000 req/s, p99 < 10 ms")):
        r = results[part]
        print(f"| {part} | {r['requests_per_second']:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
              f"{r['non_2xx']} | {target} |")
    p = results["promotions"]
    print(f"| recommend during {p['promotions']} promotions | {p['wrk']['requests_per_second']:,.0f} | "
          f"{p['wrk']['p50_ms']:.2f} | {p['wrk']['p99_ms']:.2f} | {p['wrk']['non_2xx']} (checker: "
          f"{p['checker']['non_2xx']} of {p['checker']['answers']}, mixed {p['checker']['mixed']}) | 0 and 0 |")
    if versions is not None:
        v = versions
        print(f"\nFastAPI {v['fastapi']} + uvicorn {v['uvicorn']} + PyTorch {v['torch']} (Python {v['python']}), "
              "same bundles, same loads:\n")
        print("| part | server | req/s | p50 ms | p99 ms | non-2xx | req/s ours/theirs | p99 theirs/ours |\n"
              "|---|---|---|---|---|---|---|---|")
        for part in ("score", "recommend"):
            ours, theirs, ratio = results[part], results["fastapi"][part], results["ratios"][part]
            print(f"| {part} | behave serve | {ours['requests_per_second']:,.0f} | {ours['p50_ms']:.2f} | "
                  f"{ours['p99_ms']:.2f} | {ours['non_2xx']} | **{ratio['requests_per_second_ours_over_theirs']:.2f}** "
                  f"| **{ratio['p99_theirs_over_ours']:.2f}** |")
            print(f"| {part} | FastAPI + PyTorch | {theirs['requests_per_second']:,.0f} | {theirs['p50_ms']:.2f} | "
                  f"{theirs['p99_ms']:.2f} | {theirs['non_2xx']} | | |")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
