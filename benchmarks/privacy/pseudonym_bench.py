"""Pseudonymisation speed: BehaviorKit's Pseudonymizer against Python's hmac, side by side.

Both sides make the same pseudonyms, HMAC-SHA256 of 1,000,000 distinct ids (user-0 ...
user-999999) with one 32-byte key, the first 128 bits in hex behind the key id, on one thread,
five timed runs after a warm-up; the median run is reported. Python's fastest form is
`hmac.digest` (one C call into OpenSSL per id); `hmac.new(...).hexdigest()` is the common one.

    python benchmarks/privacy/pseudonym_bench.py --bench .build/release/behave-bench
"""

import argparse
import hmac
import json
import statistics
import subprocess
import time

KEY = bytes(range(32))
IDS = [f"user-{i}" for i in range(1_000_000)]


def python_rate(make):
    make(IDS[:1000])
    runs = []
    for _ in range(6):
        start = time.perf_counter()
        out = make(IDS)
        runs.append(len(IDS) / (time.perf_counter() - start))
        assert len(out) == len(IDS) and len(out[0]) == 35
    return statistics.median(runs[1:])


def digest_form(ids):
    return ["k1-" + hmac.digest(KEY, i.encode(), "sha256")[:16].hex() for i in ids]


def common_form(ids):
    return ["k1-" + hmac.new(KEY, i.encode(), "sha256").hexdigest()[:32] for i in ids]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", default=".build/release/behave-bench")
    args = parser.parse_args()
    swift = json.loads(
        subprocess.run([args.bench, "--case", "pseudonymize"], check=True, capture_output=True, text=True).stdout
    )
    ours = swift["value"]
    rows = [("BehaviorKit Pseudonymizer", ours), ("Python hmac.digest", python_rate(digest_form)),
            ("Python hmac.new().hexdigest()", python_rate(common_form))]
    print("| implementation | ids/s (one thread) | ours / theirs |")
    print("|---|---|---|")
    for name, rate in rows:
        print(f"| {name} | {rate:,.0f} | {ours / rate:.2f}x |")
    print(f"target >= 2,000,000 ids/s: {'met' if ours >= 2e6 else 'MISSED'}")


if __name__ == "__main__":
    main()
