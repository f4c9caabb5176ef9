#!/usr/bin/env python3
"""The strings of `cargo bench --bench jinja` on Python Jinja2 3.1.6 configured as
Mistral 23 configures it (`SandboxedEnvironment(undefined=StrictUndefined,
trim_blocks=True, lstrip_blocks=True)`), medians in microseconds: compile + run
("full": what Mistral does on every evaluation, `compile_expression` for a whole
`{{ E }}`, `from_string(...).render` otherwise) and run only ("eval", compiled
once). Run with /work/venv/bin/python; pass the Rust bench output file as argument
to print the ratios side by side.

    cargo bench --bench jinja | tee /tmp/jinja-rust.txt
    /work/venv/bin/python scripts/bench_jinja.py /tmp/jinja-rust.txt
"""
import re
import statistics
import sys
import time

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

ITEMS = [{"id": i, "state": "ERROR" if i % 10 == 0 else "SUCCESS"} for i in range(10000)]
SMALL = {"x": 42, "name": "vm-1", "n": 7}
CASES = [
    ("member", "{{ _.x }}", SMALL),
    ("format", "{{ _.name ~ ' has ' ~ _.n ~ ' items' }}", SMALL),
    ("template",
     "Hello {{ _.name }}, you have {{ _.n }} items{% if _.n > 5 %} (many){% endif %}.", SMALL),
    ("for-10k", "{% for i in _.rows if i.state == 'ERROR' %}{{ i.id }},{% endfor %}",
     {"rows": ITEMS}),
    ("filters-10k",
     "{{ _.rows | selectattr('state', 'equalto', 'ERROR') | map(attribute='id') | list | length }}",
     {"rows": ITEMS}),
]


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
    env = SandboxedEnvironment(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    rust = {}
    if len(sys.argv) > 1:
        for line in open(sys.argv[1], encoding="utf-8"):
            parts = line.split()
            if len(parts) >= 7 and parts[2] == "µs":
                rust[parts[0]] = (float(parts[1]), float(parts[3]))
    print(f"{'case':<14} {'full µs':>10} {'eval µs':>10}"
          + ("   ratio full   ratio eval" if rust else ""))
    for name, text, data in CASES:
        variables = {"_": data}
        patterns = re.findall("({{(.*?)}})", text)
        if patterns and patterns[0][0] == text:
            inner = patterns[0][1]
            full = measure(lambda: env.compile_expression(inner, undefined_to_none=False)(**variables))
            compiled = env.compile_expression(inner, undefined_to_none=False)
            ev = measure(lambda: compiled(**variables))
        else:
            full = measure(lambda: env.from_string(text).render(**variables))
            compiled = env.from_string(text)
            ev = measure(lambda: compiled.render(**variables))
        line = f"{name:<14} {full:>10.2f} {ev:>10.2f}"
        if name in rust:
            rf, re_ = rust[name]
            line += f"   {full / rf:>9.1f}x  {ev / re_:>9.1f}x"
        print(line)


if __name__ == "__main__":
    main()
