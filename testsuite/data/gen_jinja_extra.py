"""Records Mistral 23's outcome for extra Jinja strings (differential test data).

Run with the venv that has mistral 23.0.0 installed:
    cd /tmp && /work/venv/bin/python <this dir>/gen_jinja_extra.py > <this dir>/jinja_extra.jsonl
(functions that need Mistral's database, `task`/`tasks`/`executions`, are left out).
Each line has the format of shared/conformance/yaql/mistral_cases.jsonl.
"""
import copy
import json
import sys
import types
import warnings

warnings.filterwarnings("ignore")
from mistral.db.v2 import api as _db  # noqa: F401  (as the services do: filters exist)
from mistral.expressions import evaluate

CTX = {
    "a": 1, "b": 2.5, "neg": -7, "s": "hello", "e": "", "t": True, "f": False, "n": None,
    "list": [1, 2, 3], "strs": ["b", "A", "c"], "empty": [], "d": {"k1": "v1", "k2": 2},
    "servers": [{"name": "web1", "status": "ACTIVE", "cpu": 2},
                {"name": "db1", "status": "ERROR", "cpu": 8},
                {"name": "web2", "status": "active", "cpu": 4}],
    "words": "the quick  brown fox", "html": "<b>x</b> & 'y'",
    "__env": {"region": "R1"},
}

EXPRS = r"""
{{ _.list | map('string') | join('-') }}
{{ _.strs | sort }}
{{ _.strs | sort(case_sensitive=true) }}
{{ _.strs | sort(reverse=true) }}
{{ _.servers | sort(attribute='cpu') | map(attribute='name') | list }}
{{ _.servers | groupby('status') | map(attribute='grouper') | list }}
{{ _.servers | groupby('status', case_sensitive=true) | map(attribute='grouper') | list }}
{{ _.servers | rejectattr('cpu', 'gt', 3) | map(attribute='name') | list }}
{{ _.servers | selectattr('cpu', '>', 3) | list | length }}
{{ _.list | reject('odd') | list }}
{{ _.list | select | list }}
{{ [0, 1, '', 'x', none] | select | list }}
{{ _.servers | max(attribute='cpu') }}
{{ _.servers | min(attribute='cpu') }}
{{ _.empty | max }}
{{ _.strs | max }}
{{ _.strs | max(case_sensitive=true) }}
{{ _.list | sum(start=10) }}
{{ _.d | dictsort(by='value') }}
{{ _.d | dictsort(reverse=true) }}
{{ _.list | batch(2, 0) | list }}
{{ [1,2,3,4,5] | slice(2) | list }}
{{ [1,2,3,4,5] | slice(3, 'x') | list }}
{{ _.s | center(11) }}
{{ _.s | capitalize }}
{{ 'hELLo wORLD' | title }}
{{ _.words | wordcount }}
{{ _.html | e }}
{{ _.html | striptags }}
{{ '  x  ' | trim }}
{{ 'xxhixx' | trim('x') }}
{{ _.s | truncate(3) }}
{{ 'a very long sentence indeed' | truncate(12) }}
{{ 'a very long sentence indeed' | truncate(12, true) }}
{{ 'line1\nline2' | indent(2) }}
{{ 'line1\nline2' | indent(2, true) }}
{{ 1234567 | filesizeformat }}
{{ 1234567 | filesizeformat(true) }}
{{ 'a b&c' | urlencode }}
{{ {'a': 1, 'b': 'x y'} | urlencode }}
{{ _.d | tojson(2) }}
{{ {'b': 1, 'a': '<x>'} | tojson }}
{{ _.s | reverse }}
{{ _.list | reverse | list }}
{{ '42' | int }}
{{ 'x' | int }}
{{ 'x' | int(5) }}
{{ '0x1A' | int(0, 16) }}
{{ '3.7' | int }}
{{ '3.5' | float }}
{{ 'x' | float }}
{{ 3.7 | int }}
{{ 2.675 | round(2) }}
{{ 2.5 | round }}
{{ 3.5 | round }}
{{ 2.1 | round(method='ceil') }}
{{ 2.9 | round(0, 'floor') }}
{{ -3 | abs }}
{{ _.neg | abs }}
{{ _.list | first }}
{{ _.empty | first }}
{{ _.empty | first is defined }}
{{ _.s | first }}
{{ _.s | last }}
{{ _.d | list }}
{{ _.d | length }}
{{ _.d | count }}
{{ [3, 1, 3, 2, 1] | unique | list }}
{{ ['a', 'A', 'b'] | unique | list }}
{{ _.list | random in _.list }}
{{ '%s and %s' | format('x', 'y') }}
{{ '%(a)s!' | format(a=1) }}
{{ '%05.1f|%-4d|%x' | format(3.14159, 7, 255) }}
{{ 'v=%r' % (_.s,) }}
{{ 'v=%s' % _.list }}
{{ '{} {}'.format('a', 1) }}
{{ '{x}-{y}'.format(x=1, y=2) }}
{{ '{0[k1]}'.format(_.d) }}
{{ '{:>5}|{:<4}|{:^5}'.format('a', 'b', 'c') }}
{{ '{:.2f}'.format(3.14159) }}
{{ _.s.replace('l', 'L', 1) }}
{{ _.s.startswith('he') }}
{{ _.s.endswith(('x', 'lo')) }}
{{ _.s.find('l') }}
{{ _.s.index('z') }}
{{ _.s.count('l') }}
{{ ' a b '.strip() }}
{{ 'a,b,,c'.split(',') }}
{{ 'a b  c'.split() }}
{{ 'a b c'.split(' ', 1) }}
{{ 'a b c'.rsplit(' ', 1) }}
{{ '-'.join(['a', 'b']) }}
{{ '-'.join([1, 2]) }}
{{ 'abc'.upper().lower() }}
{{ '42'.isdigit() }}
{{ '7'.zfill(3) }}
{{ _.d.get('k1') }}
{{ _.d.get('zz', 'dflt') }}
{{ _.d.items() | list }}
{{ _.d.values() | list }}
{{ _.d.keys() | list }}
{{ 'k1' in _.d.keys() }}
{{ _.list.index(2) }}
{{ _.list.count(2) }}
{{ _.list.pop() }}
{{ _.s[::-1] }}
{{ _.s[-3:] }}
{{ _.list[::2] }}
{{ _.list[5:] }}
{{ _.list[0:2] + [9] }}
{{ (1, 2) + (3,) }}
{{ [1] * 3 }}
{{ 3 * 'ab' }}
{{ 2 ** -1 }}
{{ 2 ** 100 }}
{{ 7.0 // 2 }}
{{ -7.5 % 2 }}
{{ 10 / 4 }}
{{ 10 / 5 }}
{{ 1 - true }}
{{ none + 1 }}
{{ [1] + (2,) }}
{{ {'a': 1} + {'b': 2} }}
{{ -'x' }}
{{ not none }}
{{ 1 < 2 > 1.5 }}
{{ 1 == 1 == 2 }}
{{ [1, 2] < [1, 3] }}
{{ (1, 2) == [1, 2] }}
{{ 'b' > 'a' }}
{{ none < 1 }}
{{ 1 in 'abc' }}
{{ 'x' not in _.strs }}
{{ 3 in _.d }}
{{ _.a is divisibleby 1 }}
{{ 10 is divisibleby 3 }}
{{ _.list is sequence }}
{{ _.s is sequence }}
{{ _.a is sequence }}
{{ _.d is iterable }}
{{ _.a is iterable }}
{{ _.t is boolean }}
{{ _.a is boolean }}
{{ _.b is float }}
{{ _.a is integer }}
{{ _.t is integer }}
{{ _.t is number }}
{{ _.s is lower }}
{{ 'ABC' is upper }}
{{ _.n is sameas none }}
{{ _.t is true }}
{{ _.f is false }}
{{ _.a is eq 1 }}
{{ _.a is ne 1 }}
{{ _.a is lt 2 }}
{{ _.a is ge 1 }}
{{ _.a is in _.list }}
{{ _.a is even }}
{{ _.s is callable }}
{{ _.s.upper is callable }}
{{ range is callable }}
{{ 'upper' is filter }}
{{ 'odd' is test }}
{{ 'nope' is filter }}
{{ _.a is not none }}
{{ _.missing is undefined }}
{{ _.a is nosuchtest }}
{{ _.a | nosuchfilter }}
{{ _.missing | length }}
{{ _.missing | default }}
{{ _.missing or 'x' }}
{{ _.missing == 1 }}
{{ _.missing + 1 }}
{{ _['missing'] }}
{{ _.list[1.5] }}
{{ _.s.missing }}
{{ _.n.x }}
{{ _.a.b }}
{{ _.get('missing') }}
{{ _.get('a') }}
{{ _.__env }}
{{ _._private }}
{{ _['__class__'] }}
{{ 1 if _.f }}
{{ (1 if _.f) is defined }}
{{ 'yes' if _.t else 'no' }}
{{ range(1, 10, 3) | list }}
{{ range(5, 0, -2) | list }}
{{ range(0) | list }}
{{ range(3) | length }}
{{ range(2) | sum }}
{{ dict(a=1, b=2) }}
{{ dict([('a', 1)]) }}
{{ dict({'x': 1}, y=2) }}
{{ namespace(a=1) }}
{{ joiner() }}
{{ cycler('a', 'b').next() }}
{{ lipsum is callable }}
{{ env().region }}
{{ env }}
{{ json_dump }}
{{ json_dump([1, {'a': none}]) }}
{{ json_parse('{"a": [1, 2.5, null, true]}') }}
{{ json_parse('nope') }}
{{ yaml_dump({'a': [1, 'x']}) }}
{{ _ | env | list }}
{{ 'x' | env }}
{{ _ | json_dump([1]) }}
{{ uuid is callable }}
{{ execution() }}
{{ global('x') }}
{{ 10 ** 5000 }}
{{ 'é' | length }}
{{ 'héllo' | upper }}
{{ 'héllo'[1] }}
{{ '\u00e9\t\x41' }}
{{ 1e400 }}
{{ 1_0.5 }}
{{ 0b101 + 0o17 }}
{{ [1, 2, 3][-1:] }}
{{ (1,) }}
{{ () }}
{{ {} }}
{{ {'a': [1, (2, 3)]} }}
{{ {1: 'x', none: 2} }}
{{ {[1]: 2} }}
{{ 'a' ~ none ~ true ~ 1.0 }}
{{ _.b * 2 }}
{{ _.list * 2 }}
{{ _.d | items | map('list') | list }}
{{ _.servers | map(attribute='nope') | list }}
{{ _.servers | map(attribute='nope', default='-') | list }}
{{ _.servers | map(attribute='name') | map('upper') | list }}
{{ _.servers | map('length') | list }}
{{ _.servers[0] | dictsort | first }}
{{ _.servers | join(', ', attribute='name') }}
{{ _.list | join }}
{{ [[1, 2], [3]] | map('sum') | list }}
{{ _.servers | sum(attribute='nope') }}
v={{ _.list | map(attribute='x') | list }};
v={{ _.servers | groupby('status') | list }};
v={{ _.d.keys() }};
v={{ range(3) }};
v={{ namespace(a=1) }};
v={{ _.missing | default('d') }};
{% for x in _.list %}{{ loop.index }}/{{ loop.length }}{% if not loop.last %},{% endif %}{% endfor %}{{ '' }}
{% for x in _.list %}{{ loop.revindex0 }}{{ loop.first }}{% endfor %}{{ '' }}
{% for x in _.empty %}a{% else %}none{% endfor %}{{ '' }}
{% for x in _.list if x > 5 %}a{% else %}none{% endfor %}{{ '' }}
{% for k in _.d %}{{ k }};{% endfor %}{{ '' }}
{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }} {% endfor %}{{ '' }}
{% for a, b in [(1, 2, 3)] %}{{ a }}{% endfor %}{{ '' }}
{% for x in 5 %}{{ x }}{% endfor %}{{ '' }}
{% for c in 'ab' %}[{{ c }}]{% endfor %}{{ '' }}
{% for x in _.list %}{% set y = x * 2 %}{{ y }}{% endfor %}{{ y is defined }}
{% set y = 1 %}{% for x in _.list %}{% set y = x %}{% endfor %}{{ y }}
{% set ns = namespace(total=0) %}{% for x in _.list %}{% set ns.total = ns.total + x %}{% endfor %}{{ ns.total }}
{% set a, b = 1, 2 %}{{ a }}-{{ b }}
{% set t %}inner {{ _.a }}{% endset %}[{{ t }}]
{% set t | upper %}inner {{ _.s }}{% endset %}[{{ t }}]
{% with x = 5, y = 6 %}{{ x * y }}{% endwith %}{{ x is defined }}
{% if _.a == 1 %}one{% elif _.a == 2 %}two{% else %}other{% endif %}{{ '' }}
{% if _.a == 3 %}one{% elif _.a == 1 %}two{% else %}other{% endif %}{{ '' }}
{% if _.missing %}x{% endif %}{{ 1 }}
{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('a') }} {{ greet('b', '?') }} {{ greet(name='c') }}
{% macro m() %}{{ _.a }}{% endmacro %}{{ m() | length }}
{% filter upper %}shout {{ _.s }}{% endfilter %}{{ '' }}
{% print _.a %}{{ '' }}
{% block b %}blk{{ _.a }}{% endblock %}{{ '' }}
{% do x %}{{ 1 }}
{% break %}{{ 1 }}
{% import 'x' as y %}{{ 1 }}
{{ 1 }}   {# c #}   x
{{ 1 }}
   {# c #}
x
a {{- ' b ' -}} c
a {%- if true %} b {% endif -%} c{{ '' }}
   {%+ if true %}x{% endif %}{{ '' }}
  {% if true %}
  y
  {% endif %}
{{ _.a }}
x{{ '' }}
a
b {{ _.a }}

{{ _.a }}
{{ 1 }}{{ 2 }}

x {{ _.a }}
{{ 1 }}
{{ 'a' }}
{{ [1, 'a', none, true, 2.0] }} !
{{ {'k': (1,)} }} !
{{ 1e20 }} {{ 1.0e-5 }} {{ 123456789012345678.0 }} !
{{ _.missing }}{% if false %}{% endif %}
{% for x in range(100000) %}{% endfor %}{{ 'done' }}
{% set l = [] %}{% for x in _.list %}{% set _x = l.append(x * 2) %}{% endfor %}{{ l }}
{{ _.list.append(4) }}{{ _.list }}
{% set d = {} %}{{ d.update({'a': 1}) }}{{ d.setdefault('b', 2) }}{{ d }}
{% set ns = namespace(items=[]) %}{% for x in [1,2] %}{{ ns.items.append(x) }}{% endfor %}{{ ns.items }}
{{ _.d.pop('k1') }}{{ _.d }}
{{ _.servers[0].update(cpu=9) }}{{ _.servers[0].cpu }}
{{ _.list.extend([7, 8]) }}{{ _.list.insert(0, 0) }}{{ _.list.remove(2) }}{{ _.list }}
{{ _.strs.sort() }}{{ _.strs }}
{{ _.strs.sort(reverse=true) }}{{ _.strs.reverse() }}{{ _.strs }}
{{ _.d.popitem() }}{{ _.d.clear() }}{{ _.d }}
{{ _.list.pop(0) }}{{ _.list.pop() }}{{ _.list }}
{{ [1].pop(5) }}
{{ _.d.pop('zz') }}
{{ _.d.pop('zz', 1) }}
{{ _.list.remove(9) }}
"""


def encode(v):
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v if -2**63 <= v < 2**63 else {"$bigint": str(v)}
    if isinstance(v, float):
        if v != v:
            return {"$float": "nan"}
        if v in (float("inf"), float("-inf")):
            return {"$float": "inf" if v > 0 else "-inf"}
        return v
    if isinstance(v, tuple):
        return {"$tuple": [encode(x) for x in v]}
    if isinstance(v, list):
        return [encode(x) for x in v]
    if isinstance(v, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in v):
            return {k: encode(x) for k, x in v.items()}
        return {"$dict": [[encode(k), encode(x)] for k, x in v.items()]}
    if isinstance(v, (types.GeneratorType, range)):
        return {"$iterator": [encode(x) for x in v]}
    t = type(v)
    return {"$opaque": f"{t.__module__}.{t.__qualname__}"}


def main():
    texts = [t for t in EXPRS.split("\n") if t]
    # multi-line cases: joined with a literal "\n" marker below
    multi = [
        "{{ 1 }}   {# c #}   x",
        "{{ 1 }}\n   {# c #}\nx",
        "  {% if true %}\n  y\n  {% endif %}\n{{ _.a }}",
        "x{{ '' }}\na\nb {{ _.a }}\n\n",
        "{{ _.a }}\n{{ 1 }}{{ 2 }}\n\n",
        "x {{ _.a }}\n",
    ]
    out = []
    for i, text in enumerate(texts + multi):
        case = {"id": f"jinja_extra#{i}", "source": "gale::jinja_extra", "mode": "evaluate",
                "language": "jinja", "expr": text, "context": copy.deepcopy(CTX)}
        try:
            v = evaluate(text, copy.deepcopy(CTX))
            case["expect"] = {"value": encode(v)}
        except Exception as e:  # noqa: BLE001
            cause = e.__cause__ or e.__context__
            case["expect"] = {"error": type(e).__name__,
                              "cause": type(cause).__name__ if cause else None,
                              "message": str(e)}
        out.append(case)
    for c in out:
        sys.stdout.write(json.dumps(c) + "\n")


main()
