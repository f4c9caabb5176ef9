#!/usr/bin/env python3
"""Validates every corpus file with grammar/mistral-v2.schema.json (needs PyYAML and
jsonschema): every file Mistral 23 accepts must validate. Usage:
  python3 grammar/validate_schema_corpus.py [path/to/shared/corpus]
Exits non-zero if an accepted file is rejected."""
import json, sys, os, yaml
from jsonschema import Draft202012Validator
here = os.path.dirname(os.path.abspath(__file__))
schema = json.load(open(os.path.join(here, 'mistral-v2.schema.json')))
v = Draft202012Validator(schema)
root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', '..', 'shared', 'corpus')
ok = bad = 0; rej_pass = rej_fail = 0
fails = []
for line in open(os.path.join(root, 'manifest.jsonl')):
    m = json.loads(line)
    p = os.path.join(root, 'files', m['path']) if os.path.isdir(os.path.join(root,'files')) else os.path.join(root, m['path'])
    try:
        doc = yaml.safe_load(open(p))
    except Exception:
        continue
    errs = list(v.iter_errors(doc))
    if m['mistral_verdict'] == 'accepted':
        if errs: bad += 1; fails.append((m['path'], errs[0].message[:150], list(errs[0].absolute_path)))
        else: ok += 1
    else:
        if errs: rej_fail += 1
        else: rej_pass += 1
print('accepted: valid', ok, 'invalid', bad, '| rejected: schema-invalid', rej_fail, 'schema-valid', rej_pass)
for f in fails[:15]: print(f)
sys.exit(1 if bad else 0)
