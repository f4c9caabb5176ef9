#!/usr/bin/env python3
"""Side-by-side runtime benchmark: `gale run` vs the real Mistral 23 engine.

Runs the same workflows (the shapes of ../shared/tools/mistral-oracle/bench.py:
a no-op chain publishing a counter, with-items over std.echo publishing
task().result, fan-out N + join) through

* Gale:    `gale run FILE --no-store --format json` (whole process wall time:
           process start, YAML parse, check, compile and run are all included);
           with `--durable`, `gale run FILE --db <fresh file>` instead: every
           state change committed to a new SQLite store, as Mistral's engine
           commits each one to its database;
* Mistral: `run_wf.py --batch` of the mistral-oracle (engine wall time from
           start_workflow() to SUCCESS, `run_s`; definition time and the ~1.5 s
           engine boot are NOT included),

and prints medians and the per-task ratio (Mistral seconds per task / Gale
seconds per task). Mistral is run only for small N (a couple of minutes in
total); for large N the script reuses the figures of
../shared/tools/mistral-oracle/baseline.md, measured on this machine with the
same workflows, and marks them "baseline".

Usage (from the repository root, after `cargo build --release -p gale`):

    python3 scripts/bench_run.py                 # Gale + small Mistral runs
    python3 scripts/bench_run.py --skip-mistral  # Gale only (baseline figures)
    python3 scripts/bench_run.py --quick         # smaller N
    python3 scripts/bench_run.py --durable       # Gale with its store (gale run --db)
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORACLE = os.path.join(ROOT, "..", "shared", "tools", "mistral-oracle")


# The workflows of mistral-oracle/bench.py (same text, so baseline.md applies).
def chain_yaml(n):
    lines = ["---", "version: '2.0'", "", "chain:", "  output:",
             "    count: <% $.count %>", "  tasks:"]
    for i in range(n):
        lines.append("    t%d:" % i)
        lines.append("      action: std.noop")
        lines.append("      publish:")
        lines.append("        count: 1" if i == 0 else "        count: <% $.count + 1 %>")
        if i + 1 < n:
            lines.append("      on-success: t%d" % (i + 1))
    return "\n".join(lines) + "\n"


def items_yaml(n):
    return "\n".join([
        "---", "version: '2.0'", "", "items:", "  input:", "    - n: %d" % n,
        "  output:", "    total: <% $.results.len() %>", "  tasks:", "    t:",
        "      with-items: i in <% range($.n) %>",
        "      action: std.echo output=<% $.i %>",
        "      publish:", "        results: <% task().result %>"]) + "\n"


def fanout_yaml(n):
    lines = ["---", "version: '2.0'", "", "fanout:", "  tasks:",
             "    start:", "      action: std.noop", "      on-success:"]
    lines += ["        - b%d" % i for i in range(n)]
    for i in range(n):
        lines += ["    b%d:" % i, "      action: std.noop", "      on-success: join"]
    lines += ["    join:", "      join: all", "      action: std.noop"]
    return "\n".join(lines) + "\n"


SCENARIOS = {
    "chain": (chain_yaml, lambda n: n),        # tasks = N
    "items": (items_yaml, lambda n: n),        # actions = N (one task)
    "fanout": (fanout_yaml, lambda n: n + 2),  # tasks = N + 2
}

# Real Mistral 23 on this machine: ../shared/tools/mistral-oracle/baseline.md
# (wall s, minimum of the runs), same workflows.
BASELINE = {
    ("chain", 10): 1.04, ("chain", 100): 11.68, ("chain", 500): 135.36,
    ("items", 10): 0.81, ("items", 100): 1.43, ("items", 1000): 17.65,
    ("fanout", 10): 0.83, ("fanout", 50): 11.24, ("fanout", 200): 434.34,
}


def run_gale(gale, text, reps, durable=False):
    times = []
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
        path = f.name
    store_dir = tempfile.mkdtemp(prefix="gale-bench-run-")
    try:
        for rep in range(reps):
            store = ["--db", os.path.join(store_dir, "run-%d.db" % rep)] if durable \
                else ["--no-store"]
            t0 = time.perf_counter()
            p = subprocess.run([gale, "run", path, *store, "--format", "json"],
                               capture_output=True, text=True)
            dt = time.perf_counter() - t0
            try:
                state = json.loads(p.stdout).get("state")
            except ValueError:
                state = None
            if state != "SUCCESS":
                sys.exit("gale run failed (%s): %s" % (state, p.stderr[-500:]))
            times.append(dt)
    finally:
        os.unlink(path)
        shutil.rmtree(store_dir, ignore_errors=True)
    return statistics.median(times)


def run_mistral(python, cases, reps):
    """cases: [(scenario, n)] -> {(scenario, n): median run_s}."""
    lines = []
    for (sc, n) in cases:
        for r in range(reps):
            lines.append(json.dumps({"id": "%s-%d-%d" % (sc, n, r),
                                     "yaml": SCENARIOS[sc][0](n), "workflow": sc,
                                     "input": {}, "timeout": 120}))
    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, "cases.jsonl"), os.path.join(d, "out.jsonl")
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        subprocess.run([python, os.path.join(ORACLE, "run_wf.py"), "--batch", src,
                        "--out", out, "--jobs", "1", "--timeout", "120"],
                       check=True, capture_output=True)
        runs = {}
        with open(out) as f:
            for line in f:
                r = json.loads(line)
                sc, n, _ = r["id"].rsplit("-", 2)
                if r.get("state") != "SUCCESS":
                    print("mistral %s: %s" % (r["id"], r.get("state")), file=sys.stderr)
                    continue
                runs.setdefault((sc, int(n)), []).append(r["run_s"])
    return {k: statistics.median(v) for k, v in runs.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gale", default=os.path.join(ROOT, "target", "release", "gale"))
    ap.add_argument("--python", default="/work/venv/bin/python",
                    help="a Python with mistral==23.0.0 installed")
    ap.add_argument("--skip-mistral", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--durable", action="store_true",
                    help="run Gale with a store (gale run --db FRESH) instead of --no-store")
    args = ap.parse_args()

    sizes = {
        "chain": [10, 100, 500, 10_000],
        "items": [10, 100, 1000, 100_000, 1_000_000],
        "fanout": [10, 50, 200, 1000],
    }
    if args.quick:
        sizes = {"chain": [10, 100, 500], "items": [10, 100, 1000], "fanout": [10, 50, 200]}
    mistral_small = [("chain", 10), ("items", 10), ("items", 100), ("fanout", 10)]

    measured = {}
    if not args.skip_mistral:
        t0 = time.perf_counter()
        measured = run_mistral(args.python, mistral_small, 3)
        print("Mistral side: %.0f s (3 runs per case, one engine boot per batch worker)"
              % (time.perf_counter() - t0), file=sys.stderr)

    mode = "durable" if args.durable else "in memory"
    print("| scenario | N | tasks/actions | Gale (%s) median s | Gale per unit | " % mode +
          "Mistral s | source | Mistral per unit | ratio per unit |")
    print("|---|---|---|---|---|---|---|---|---|")
    for sc, ns in sizes.items():
        make, units = SCENARIOS[sc]
        for n in ns:
            reps = args.reps if n <= 100_000 else 3
            g = run_gale(args.gale, make(n), reps, args.durable)
            u = units(n)
            if (sc, n) in measured:
                m, src = measured[(sc, n)], "measured"
            elif (sc, n) in BASELINE:
                m, src = BASELINE[(sc, n)], "baseline.md"
            else:
                m, src = None, ""
            row = [sc, str(n), str(u), "%.4f" % g, "%.2f µs" % (g / u * 1e6)]
            if m is None:
                row += ["", "", "", ""]
            else:
                row += ["%.2f" % m, src, "%.1f ms" % (m / u * 1e3),
                        "%.0f×" % ((m / u) / (g / u))]
            print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
