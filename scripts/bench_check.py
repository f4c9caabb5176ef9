#!/usr/bin/env python3
"""Side-by-side speed of `gale check` and real Mistral 23's parser on the corpus.

Usage (from the repository root, after `cargo build --release`):

    python3 -m venv target/bench-venv && target/bench-venv/bin/pip install mistral==23.0.0
    target/bench-venv/bin/python scripts/bench_check.py [--repeats 3] [--gale-repeats 21]

Mistral side: every corpus file Mistral accepts is parsed with validation on, by the
parser matching its kind (as the API does), with the JSON-schema self-check memoised
exactly as `../shared/tools/mistral-oracle/run_wf.py` does (Mistral's best case).
Gale side: one `gale check` process over the same files (both cores may be used),
wall time and CPU time (user+sys of the child). Medians are printed as Markdown.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")


def accepted_files():
    corpus = os.path.join(SHARED, "corpus")
    out = []
    with open(os.path.join(corpus, "manifest.jsonl"), encoding="utf-8") as f:
        for line in f:
            entry = json.loads(line)
            if entry["mistral_verdict"] == "accepted":
                out.append((os.path.join(corpus, entry["path"]), entry["kind"]))
    return out


def bench_mistral(files, repeats):
    sys.path.insert(0, os.path.join(SHARED, "tools", "mistral-oracle"))
    import run_wf  # noqa: E402  (the oracle's own memoisation of the schema self-check)
    from mistral.lang import parser

    run_wf.memoize_schema_self_check()
    load = {
        "workbook": parser.get_workbook_spec_from_yaml,
        "actions": parser.get_action_list_spec_from_yaml,
        "workflows": parser.get_workflow_list_spec_from_yaml,
    }
    texts = [(open(p, encoding="utf-8").read(), k) for p, k in files]
    cpu, wall = [], []
    for _ in range(repeats):
        parser.clear_caches()
        c0, w0 = time.process_time(), time.perf_counter()
        for text, kind in texts:
            load[kind](text, validate=True)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(wall), statistics.median(cpu)


def bench_gale(files, repeats):
    gale = os.path.join(ROOT, "target", "release", "gale")
    args = [gale, "check", "--format", "concise", *[p for p, _ in files]]
    subprocess.run(args, capture_output=True)  # warm the page cache
    wall, cpu = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        w0 = time.perf_counter()
        run = subprocess.run(args, capture_output=True)
        wall.append(time.perf_counter() - w0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))
        if run.returncode not in (0, 1):
            sys.exit(f"gale check failed: {run.stderr.decode()}")
    return statistics.median(wall), statistics.median(cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--gale-repeats", type=int, default=21)
    ap.add_argument("--only", choices=["gale", "mistral"], help="measure one side only")
    args = ap.parse_args()
    files = accepted_files()
    size = sum(os.path.getsize(p) for p, _ in files)
    g_wall = g_cpu = m_wall = m_cpu = float("nan")
    if args.only != "mistral":
        g_wall, g_cpu = bench_gale(files, args.gale_repeats)
    if args.only != "gale":
        m_wall, m_cpu = bench_mistral(files, args.repeats)
    print(f"{len(files)} accepted corpus files, {size / 1e6:.2f} MB\n")
    print("| tool | median wall | median CPU |")
    print("|---|---:|---:|")
    print(f"| Mistral 23 parser (schema self-check memoised) | {m_wall:.3f} s | {m_cpu:.3f} s |")
    print(f"| `gale check` (one process, all files) | {g_wall * 1000:.1f} ms | {g_cpu * 1000:.1f} ms |")
    print(f"\nratio (wall): {m_wall / g_wall:,.0f}x; ratio (CPU): {m_cpu / max(g_cpu, 1e-9):,.0f}x")


if __name__ == "__main__":
    main()
