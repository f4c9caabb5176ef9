#!/usr/bin/env python3
"""PyYAML event oracle for gale_yaml (run with /work/venv/bin/python).

Drives ``mistral.utils.safe_yaml.SafeLoader`` (PyYAML's pure-Python SafeLoader with
``&``/``*`` scanned as plain text and a leading ``@`` allowed) the way
``yaml.load`` does, but records the *event stream* (``yaml.parse``) instead of the
constructed value. Like ``yaml.load`` (``Composer.get_single_node``), a second
document stops with the composer error "expected a single document in the stream".

Usage::

    pyyaml_events.py FILE              # JSON lines: one per event, then the error if any
    pyyaml_events.py --corpus [OUT]    # compiler/gale_yaml/tests/data/corpus_events.jsonl
    pyyaml_events.py --cases IN OUT    # IN: {"name", "text"[, "dialect"]} per line
    pyyaml_events.py --fuzz N OUT      # N seeded random edits of corpus files

Canonical event encoding (gale_yaml's tests implement the same; one line per event,
fields separated by one space, ``-`` for None, ``T``/``F`` for booleans, strings as
``json.dumps(s, ensure_ascii=True)``, marks as CHARACTER indexes):

* ``StreamStart S E`` / ``StreamEnd S E`` / ``SequenceEnd S E`` / ``MappingEnd S E``
* ``DocumentStart EXPLICIT VERSION TAGS S E`` (VERSION ``1.1``; TAGS ``h=p,h=p`` with
  h and p JSON strings, in declaration order)
* ``DocumentEnd EXPLICIT S E``
* ``Alias ANCHOR S E``
* ``Scalar ANCHOR TAG IMPLICIT STYLE S E VALUE`` (IMPLICIT two letters, STYLE ``-``
  for plain or the style character)
* ``SequenceStart|MappingStart ANCHOR TAG IMPLICIT FLOW S E``

The stream hash is the SHA-256 of the lines joined with ``\\n`` (plus a final ``\\n``)
for the events produced before any error. ``error`` is null or
``{"kind", "problem", "line", "column", "index", "context", "context_line",
"context_column"}`` (0-based line/column like PyYAML's Mark).
"""

import hashlib
import json
import os
import sys

import yaml
from mistral.utils import safe_yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(ROOT, "..", "shared", "corpus")
OUT = os.path.join(ROOT, "compiler", "gale_yaml", "tests", "data", "corpus_events.jsonl")


def js(s):
    return "-" if s is None else json.dumps(s, ensure_ascii=True)


def tf(b):
    return "T" if b else "F"


def canon(ev):
    name = type(ev).__name__[: -len("Event")]
    marks = "%d %d" % (ev.start_mark.index, ev.end_mark.index)
    if isinstance(ev, yaml.DocumentStartEvent):
        version = "-" if ev.version is None else "%d.%d" % ev.version
        tags = "-" if not ev.tags else ",".join("%s=%s" % (js(h), js(p)) for h, p in ev.tags.items())
        return "%s %s %s %s %s" % (name, tf(ev.explicit), version, tags, marks)
    if isinstance(ev, yaml.DocumentEndEvent):
        return "%s %s %s" % (name, tf(ev.explicit), marks)
    if isinstance(ev, yaml.AliasEvent):
        return "%s %s %s" % (name, js(ev.anchor), marks)
    if isinstance(ev, yaml.ScalarEvent):
        return "%s %s %s %s%s %s %s %s" % (
            name, js(ev.anchor), js(ev.tag), tf(ev.implicit[0]), tf(ev.implicit[1]),
            ev.style or "-", marks, js(ev.value))
    if isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
        return "%s %s %s %s %s %s" % (name, js(ev.anchor), js(ev.tag), tf(ev.implicit),
                                      tf(ev.flow_style), marks)
    return "%s %s" % (name, marks)


def mark_fields(prefix, mark):
    if mark is None:
        return {}
    return {prefix + "line": mark.line, prefix + "column": mark.column}


def error_dict(e):
    if isinstance(e, yaml.reader.ReaderError):
        return {"kind": "ReaderError", "index": e.position,
                "problem": "unacceptable character #x%04x: %s" % (e.character, e.reason)}
    if isinstance(e, yaml.MarkedYAMLError):
        d = {"kind": type(e).__name__, "problem": e.problem, "context": e.context}
        d.update(mark_fields("", e.problem_mark))
        d.update(mark_fields("context_", e.context_mark))
        if e.problem_mark is not None:
            d["index"] = e.problem_mark.index
        return d
    return {"kind": type(e).__name__, "problem": str(e)}


class StandardLoader(yaml.SafeLoader):
    pass


def events(text, dialect="mistral"):
    """``(canonical lines, error dict or None)``."""
    lines = []
    loader_class = safe_yaml.SafeLoader if dialect == "mistral" else StandardLoader
    single = dialect == "mistral"
    try:
        loader = loader_class(text)
    except yaml.YAMLError as e:
        return lines, error_dict(e)
    documents = 0
    root_mark = None
    awaiting_root = False
    try:
        while True:
            ev = loader.get_event()
            if ev is None:
                break
            if isinstance(ev, yaml.DocumentStartEvent):
                documents += 1
                if single and documents == 2:
                    # Composer.get_single_node
                    raise yaml.composer.ComposerError(
                        "expected a single document in the stream", root_mark,
                        "but found another document", ev.start_mark)
                awaiting_root = True
            elif awaiting_root and not isinstance(ev, yaml.DocumentEndEvent):
                awaiting_root = False
                if root_mark is None:
                    root_mark = ev.start_mark
            lines.append(canon(ev))
    except (yaml.YAMLError, ValueError) as e:
        return lines, error_dict(e)
    finally:
        loader.dispose()
    return lines, None


def digest(lines):
    return hashlib.sha256("".join(l + "\n" for l in lines).encode("utf-8", "surrogatepass")).hexdigest()


def corpus_paths():
    for manifest in ("manifest.jsonl", os.path.join("mutants", "manifest.jsonl")):
        with open(os.path.join(CORPUS, manifest), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield json.loads(line)["path"]


FUZZ_INSERTS = [":", ": ", " ", "\t", "-", "- ", "[", "]", "{", "}", "\n", "\n  ", "'", "\"",
                "#", "&", "*", "@", "!", "!!str ", "|", ">", "|-", ">+2", "? ", "%", "---\n",
                "...\n", "\\", "\r", "\u00e9", "\u2028", "\u0085", ",", "  ", "&a ", "*a",
                "%YAML 1.1\n", "%TAG ! tag:x,\n", "\\x4", "{{ _.x }}", "\ufeff", "\x07"]


def fuzz(n, out):
    """Seeded random single edits (delete 0-3 chars at a char position, insert one of
    FUZZ_INSERTS or nothing) of corpus files; the edit is recorded with BYTE offsets.
    One in four uses the standard dialect."""
    import random
    rng = random.Random(20261128)
    paths = list(corpus_paths())
    with open(out, "w", encoding="utf-8") as w:
        for i in range(n):
            path = rng.choice(paths)
            with open(os.path.join(CORPUS, path), "rb") as f:
                text = f.read().decode("utf-8")
            for _ in range(1 + (i % 3 == 0)):
                pos = rng.randrange(len(text) + 1)
                delete = rng.choice([0, 0, 1, 1, 2, 3])
                insert = rng.choice(FUZZ_INSERTS + [""])
                if delete == 0 and insert == "":
                    insert = ":"
                break
            start = len(text[:pos].encode("utf-8"))
            dbytes = len(text[pos:pos + delete].encode("utf-8"))
            mutated = text[:pos] + insert + text[pos + delete:]
            dialect = "standard" if i % 4 == 3 else "mistral"
            lines, err = events(mutated, dialect)
            w.write(json.dumps({"path": path, "offset": start, "delete": dbytes, "insert": insert,
                                "dialect": dialect, "sha256": digest(lines), "events": len(lines),
                                "error": err}, sort_keys=True) + "\n")


def main():
    args = sys.argv[1:]
    if args[:1] == ["--fuzz"]:
        fuzz(int(args[1]), args[2])
        return
    if args[:1] == ["--corpus"]:
        out = args[1] if len(args) > 1 else OUT
        n = 0
        with open(out, "w", encoding="utf-8") as w:
            for path in corpus_paths():
                with open(os.path.join(CORPUS, path), "rb") as f:
                    text = f.read().decode("utf-8")
                lines, err = events(text)
                w.write(json.dumps({"path": path, "sha256": digest(lines), "events": len(lines),
                                    "error": err}, sort_keys=True) + "\n")
                n += 1
        print("wrote %d lines to %s" % (n, out), file=sys.stderr)
    elif args[:1] == ["--cases"]:
        with open(args[1], encoding="utf-8") as f, open(args[2], "w", encoding="utf-8") as w:
            for line in f:
                if not line.strip():
                    continue
                case = json.loads(line)
                lines, err = events(case["text"], case.get("dialect", "mistral"))
                w.write(json.dumps({"name": case["name"], "events": lines, "error": err},
                                   sort_keys=True) + "\n")
    else:
        with open(args[0], "rb") as f:
            text = f.read().decode("utf-8")
        lines, err = events(text)
        for l in lines:
            print(json.dumps(l))
        if err:
            print(json.dumps({"error": err}))


if __name__ == "__main__":
    main()
