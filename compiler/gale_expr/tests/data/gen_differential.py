"""Generates differential.jsonl: strings and what Mistral 23.0.0's
`mistral.expressions.validate` says about them (null = accepted, else the exception
class and message).

Inputs: hand-written edge cases plus seeded single-character mutations of the
expression strings found in shared/corpus. Run with the venv that has mistral:
    /work/venv/bin/python tests/data/gen_differential.py ../../../shared/corpus
"""
import json
import os
import random
import re
import sys

from mistral import config  # noqa: F401  (registers the options)
from oslo_config import cfg

cfg.CONF([], project="mistral")
from mistral.db.v2 import api  # noqa: F401,E402  (import order as in the services)
from mistral import expressions  # noqa: E402

HAND = [
    "<% $.a %>", "<% * %>", "<% $.__env %>", "<% 1e5 %>", "<% 'a\\x4g' %>", "<% \"\\N{DASH}\" %>",
    "<% f(1,) %>", "<% f(,1) %>", "<% f(1,,x=>2) %>", "<% f(1,,,x=>2) %>", "<% f(x=>1, 2) %>",
    "<% [1,,2] %>", "<% {a=>1,} %>", "<% a mod(2) %>", "<% not(true) %>", "<% f (1) %>",
    "<% $.a?.b %>", "<% $.a.-1 %>", "<% -$.a[0] %>", "<% $a->$b %>", "<% 1 => 2 %>",
    "<% `raw\\n` %>", "<% 'it''s' %>", "<% $1 %>", "<% $ %>", "<% 007 %>", "<% 1.50 2 %>",
    "<% true 1 %>", "<% null 1 %>", "<% 'x' 1 %>", "<% ab 1 %>", "<% ab( %>", "<% ab(1 %>",
    "<% $.a + %> <% * %>", "<%% 1 %%>", "<%5>2%>", "<% é %>", "<% $.é 1 %>",
    "{{ _.a | default('x') }}", "{{ _.a is not none }}", "{{ a if b else c }}", "{{ a if b }}",
    "{{ x.1 }}", "{{ x.'a' }}", "{{ x[] }}", "{{ x[1:2:3] }}", "{{ f(a=1, 2) }}", "{{ f(*a, *b) }}",
    "{{ f(**a, b=1) }}", "{{ f(1,) }}", "{{ (1,) }}", "{{ () }}", "{{ [1,] }}", "{{ {'a':1,} }}",
    "{{ {'a'} }}", "{{ 1 2 }}", "{{ 1 = 2 }}", "{{ 1e }}", "{{ 0x }}", "{{ 1_ }}", "{{ 0777 }}",
    "{{ 'a' 'b' }}", "{{ \"\\xzz\" }}", "{{ a is is }}", "{{ a is not }}", "{{ not }}",
    "{% if a %}x{% elif %}{% endif %}", "{% if a %}x{% else %}y{% elif b %}{% endif %}",
    "{% for a, b in c %}{% endfor %}", "{% for 1 in c %}{% endfor %}", "{% for a in %}{% endfor %}",
    "{% set x %}a{% endset %}", "{% set 1 = 2 %}", "{% set a.b = 1 %}", "{% with a = 1 %}{% endwith %}",
    "{% macro m(a, b=1) %}{% endmacro %}", "{% macro m(a=1, b) %}{% endmacro %}",
    "{% raw %}{{ $ }}{% endraw %}", "{% raw %}{{ $ }}", "{# c #}{{ x }}", "{# c {{ x }}", "{{ x }}{#",
    "{% do x %}{{ y }}", "{% break %}", "{%- if a -%}x{%- endif -%}", "{{- x -}}", "{% %}",
    "{{ x }} {% endif %}", "{{ x }\n}}", "a {{ x\n}} {{ y }}", "{{ x | }}", "{{ x | f( }}",
    "{{ x | f.g }}", "{{ x is f.g }}", "{{ a ~ b ~ }}", "{{ -a ** 2 }}", "{{ a not b }}",
    "{{ a not in b }}", "{{ a in }}", "{{ [1, 2 }}", "{{ (1 }}", "{{ x ]] }}", "{{ '}}' }}",
    "{{ _.a }}\n", "{{ _.a }}\r\n{{ $ }}", "x\r\n{{ $ }}", "{% if x %}\n{{ $ }}", "{{ ü }}",
    "{{ 1.e5 }}", "{{ .5 }}", "{{ 1..2 }}", "{% block a-b %}{% endblock %}", "{% filter upper %}x{% endfilter %}",
    "{% call f() %}x{% endcall %}", "{% call x %}{% endcall %}", "{% include 'a' ignore missing %}",
    "{% from 'a' import b as c, _d %}", "{% import 'a' as b with context %}", "{% extends 'a' %}",
    "{% print 1, 2 %}", "{% autoescape true %}x{% endautoescape %}", "{% if %}",
]


def outcome(s):
    try:
        expressions.validate(s)
        return None
    except Exception as e:  # noqa: BLE001
        try:
            msg = str(e)
        except TypeError:  # YaqlGrammarException wrapping a UnicodeDecodeError
            msg = str(getattr(e, "message", e.args[0] if e.args else ""))
        return {"error": type(e).__name__, "message": msg}


def corpus_strings(root):
    found = set()
    pat = re.compile(r"(<%.*?%>|\{\{.*?\}\}|\{%.*?%\})")
    for d, _, files in os.walk(root):
        for f in sorted(files):
            if f.endswith((".yaml", ".yml")):
                with open(os.path.join(d, f), encoding="utf-8", errors="replace") as fh:
                    for line in fh:
                        for m in pat.findall(line):
                            found.add(m)
    return sorted(found)


def mutate(rng, s):
    chars = "*()[]{},.'\"=<>!|$_-+~%#:?` abc1"
    i = rng.randrange(len(s) + 1)
    op = rng.randrange(3)
    if op == 0 and len(s) > 4:
        return s[:i] + s[i + 1:]
    if op == 1:
        return s[:i] + rng.choice(chars) + s[i:]
    return s[:i] + rng.choice(chars) + s[i + 1:]


def main():
    rng = random.Random(20260601)
    strings = list(HAND)
    base = corpus_strings(sys.argv[1]) if len(sys.argv) > 1 else []
    strings += base
    for _ in range(3000):
        if base:
            strings.append(mutate(rng, rng.choice(base)))
    seen = set()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "differential.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for s in strings:
            if s in seen:
                continue
            seen.add(s)
            fh.write(json.dumps({"s": s, "expect": outcome(s)}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
