#!/usr/bin/env python3
"""The expressions of `cargo bench --bench yaql` on Python yaql 3.2.0 (Mistral's
engine settings), medians in microseconds: parse + evaluate ("full") and evaluate
only ("eval"). Run with /work/venv/bin/python; pass the Rust bench output file as
argument to print the ratios side by side.

    cargo bench --bench yaql | tee /tmp/yaql-rust.txt
    /work/venv/bin/python scripts/bench_yaql.py /tmp/yaql-rust.txt
"""
import statistics
import sys
import time

import yaql
import yaql.language.utils
from yaql.language import factory

ITEMS = [{"id": i, "state": "ERROR" if i % 10 == 0 else "SUCCESS"} for i in range(10000)]
SMALL = {"x": 42, "name": "vm-1", "n": 7}
CASES = [
    ("member", "$.x", SMALL),
    ("format", "$.name + ' has ' + str($.n) + ' items'", SMALL),
    ("dict", "{id => $.x, name => $.name, tags => [1, 2, 3], nested => {n => $.n}}", SMALL),
    ("where-select-10k", "$.items.where($.state = 'ERROR').select($.id)", {"items": ITEMS}),
]
OPTIONS = {
    "yaql.limitIterators": -1,
    "yaql.memoryQuota": -1,
    "yaql.convertTuplesToLists": True,
    "yaql.convertSetsToLists": False,
    "yaql.iterableDicts": False,
    "yaql.convertOutputData": True,
    # The data is converted once up front, as the Rust bench decodes it once.
    "yaql.convertInputData": False,
}


def measure(f):
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < 0.02 or n < 1:
        f()
        n += 1
    samples = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(n):
            f()
        samples.append((time.perf_counter() - t) / n)
    return statistics.median(samples) * 1e6


def main():
    engine = factory.YaqlFactory().create(options=OPTIONS)
    context = yaql.create_context()
    rust = {}
    if len(sys.argv) > 1:
        for line in open(sys.argv[1]):
            parts = line.split()
            if len(parts) >= 5 and parts[2] == "µs":
                rust[parts[0]] = (float(parts[1]), float(parts[3]))
    print(f"{'expression':<18} {'full µs':>10} {'eval µs':>10}" + ("   ratio full   ratio eval" if rust else ""))
    for name, expr, data in CASES:
        data = yaql.language.utils.convert_input_data(data)
        full = measure(lambda: engine(expr).evaluate(data=data, context=context.create_child_context()))
        parsed = engine(expr)
        ev = measure(lambda: parsed.evaluate(data=data, context=context.create_child_context()))
        line = f"{name:<18} {full:>10.2f} {ev:>10.2f}"
        if name in rust:
            rf, re_ = rust[name]
            line += f"   {full / rf:>9.1f}x  {ev / re_:>9.1f}x"
        print(line)


if __name__ == "__main__":
    main()
