#!/usr/bin/env python3
"""Print real Mistral 23's verdict on Mistral documents: one JSON line per file.

Usage: mistral_verdict.py FILE... (run with a Python that has mistral==23.0.0).
The kind is guessed the way Gale and the corpus manifest do: a top-level
`workflows`/`actions` mapping makes a workbook; mappings whose bodies all have
`base` make an action list; otherwise a workflow list.
"""
import json
import sys

from mistral.lang import parser
from mistral.utils import safe_yaml


def kind_of(data):
    if isinstance(data, dict):
        if isinstance(data.get("workflows"), dict) or isinstance(data.get("actions"), dict):
            return "workbook"
        bodies = [v for k, v in data.items() if k != "version"]
        if bodies and all(isinstance(b, dict) and "base" in b for b in bodies):
            return "actions"
    return "workflows"


def verdict(path):
    text = open(path, encoding="utf-8").read()
    try:
        data = safe_yaml.safe_load(text)
    except Exception:  # the parser below reports YAML errors itself
        data = None
    kind = kind_of(data)
    load = {
        "workbook": parser.get_workbook_spec_from_yaml,
        "actions": parser.get_action_list_spec_from_yaml,
        "workflows": parser.get_workflow_list_spec_from_yaml,
    }[kind]
    try:
        load(text, validate=True)
        return {"path": path, "kind": kind, "verdict": "accepted"}
    except Exception as exc:  # noqa: BLE001 - we report every failure
        return {"path": path, "kind": kind, "verdict": "rejected",
                "class": type(exc).__name__, "message": str(exc).splitlines()[0][:300]}


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(json.dumps(verdict(p)))
