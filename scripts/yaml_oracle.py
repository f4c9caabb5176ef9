#!/usr/bin/env python3
"""YAML oracle: what Mistral's own loader makes of every corpus file.

Run with the Mistral venv (``/work/venv/bin/python scripts/yaml_oracle.py``). For
every file listed in ``../shared/corpus/manifest.jsonl`` and
``../shared/corpus/mutants/manifest.jsonl`` it loads the text exactly as
``mistral/lang/parser.py`` does (``mistral.utils.safe_yaml.load``, i.e. PyYAML's
SafeLoader with ``&``/``*`` as plain text and ``@`` allowed) and writes one line to
``testsuite/data/yaml_oracle.jsonl``::

    {"path": P, "error": null | "<ExceptionClass>: <first line of message>", "sha256": H | null}

With ``--cases IN OUT`` it does the same for the synthetic dialect cases of
``compiler/gale_syntax/tests/data/dialect_cases.jsonl`` (see ``cases``).

``path`` is the manifest's path (relative to the corpus root). ``sha256`` is the hex
SHA-256 of the UTF-8 bytes of the *canonical JSON encoding* of the loaded value
(``safe_yaml.load(text)``, without Mistral's ``or {}``), null when loading failed.

Canonical JSON encoding (no whitespace anywhere; ``gale_syntax::canonical_json``
implements the same):

* ``None`` -> ``null``; ``True``/``False`` -> ``true``/``false``;
* ``int`` -> ``{"int":"<decimal digits, with '-' if negative>"}``;
* ``float`` -> ``{"float":"<repr(value)>"}`` (``inf``, ``-inf``, ``nan``, ``1e+16``);
* ``datetime.datetime`` -> ``{"datetime":"<value.isoformat()>"}``;
  ``datetime.date`` -> ``{"date":"<value.isoformat()>"}``;
* ``str`` -> ``json.dumps(value, ensure_ascii=True)``;
* ``list`` -> ``[<item>,...]``;
* ``dict`` -> ``{"map":[[<key>,<value>],...]}`` in dict (insertion) order, keys
  encoded like values (they may be non-strings);
* anything else -> ``{"other":"<type name>"}``.
"""

import datetime
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(ROOT, "..", "shared", "corpus")
OUT = os.path.join(ROOT, "testsuite", "data", "yaml_oracle.jsonl")

from mistral.utils import safe_yaml  # noqa: E402


def canon(v):
    """The canonical JSON encoding of a loaded value (see module docstring)."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return '{"int":"%d"}' % v
    if isinstance(v, float):
        return '{"float":"%s"}' % repr(v)
    if isinstance(v, datetime.datetime):
        return '{"datetime":"%s"}' % v.isoformat()
    if isinstance(v, datetime.date):
        return '{"date":"%s"}' % v.isoformat()
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=True)
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, dict):
        return '{"map":[' + ",".join("[%s,%s]" % (canon(k), canon(x)) for k, x in v.items()) + "]}"
    return '{"other":"%s"}' % type(v).__name__


def paths():
    for manifest in ("manifest.jsonl", os.path.join("mutants", "manifest.jsonl")):
        with open(os.path.join(CORPUS, manifest), encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line:
                    yield json.loads(line)["path"]


def load(text):
    """``(error, sha256, canonical)`` for one text, as Mistral's loader reads it."""
    try:
        value = safe_yaml.load(text)
    except Exception as e:  # noqa: BLE001 - any failure is Mistral's failure
        first = (str(e).splitlines() or [""])[0]
        return "%s: %s" % (type(e).__name__, first), None, None
    c = canon(value)
    return None, hashlib.sha256(c.encode("utf-8")).hexdigest(), c


def cases(src, dst):
    """``--cases IN OUT``: IN has one ``{"name", "text"}`` per line; OUT gets
    ``{"name", "error", "sha256", "canonical"}`` per line."""
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
        for line in f:
            if not line.strip():
                continue
            case = json.loads(line)
            error, digest, c = load(case["text"])
            out.write(json.dumps({"name": case["name"], "error": error, "sha256": digest,
                                  "canonical": c}, sort_keys=True) + "\n")


def main():
    if sys.argv[1:2] == ["--cases"]:
        cases(sys.argv[2], sys.argv[3])
        return
    n = 0
    with open(OUT, "w", encoding="utf-8") as out:
        for path in paths():
            with open(os.path.join(CORPUS, path), "rb") as f:
                text = f.read().decode("utf-8")
            error, digest, _ = load(text)
            out.write(json.dumps({"path": path, "error": error, "sha256": digest}, sort_keys=True) + "\n")
            n += 1
    print("wrote %d lines to %s" % (n, OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
