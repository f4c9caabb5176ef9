#!/usr/bin/env python3
"""Record the runtime conformance cases on the real Mistral 23 engine.

Every case is a Mistral document `testsuite/runtime/cases/<feature>/<name>.yaml`
whose leading YAML comment block holds the run parameters (see
`testsuite/runtime/README.md`). This script runs every case through the
mistral-oracle (`../shared/tools/mistral-oracle/run_wf.py --batch`), normalises
the outcome and (re)writes `<name>.expected.json` beside the case.

Usage (from the workspace root, any Python 3 works for this script itself):

    python3 scripts/record_runtime_cases.py                 # record everything
    python3 scripts/record_runtime_cases.py --only join/    # cases whose id contains 'join/'
    python3 scripts/record_runtime_cases.py --check         # compare only, exit 1 on a difference
    python3 scripts/record_runtime_cases.py --repeat 2      # run twice, report unstable cases

Options: --python (a Python with mistral==23.0.0; default /work/venv/bin/python
or $MISTRAL_PYTHON), --oracle (path of run_wf.py), --jobs N (default 2).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, 'testsuite', 'runtime', 'cases')
DEFAULT_ORACLE = os.path.join(ROOT, '..', 'shared', 'tools', 'mistral-oracle',
                              'run_wf.py')
DEFAULT_PYTHON = os.environ.get('MISTRAL_PYTHON', '/work/venv/bin/python')
DEFAULT_TIMEOUT = 10.0

# Header keys and whether their value is JSON.
HEADER_KEYS = {
    'workflow': False,      # name of the workflow to start (workbook: 'wb.wf')
    'input': True,          # workflow input mapping (default {})
    'env': True,            # execution env mapping (default: none)
    'task': False,          # target task of a reverse workflow
    'params': True,         # other start parameters (e.g. {"evaluate_env": false})
    'timeout': True,        # oracle timeout in seconds (default 10)
    'description': False,   # one line, used in MANIFEST.md
    'expect': False,        # 'start-error' / 'definition-error' / 'timeout' when deliberate
    'task-order': False,    # 'any': compare tasks as a multiset (parallel branches)
}


def parse_header(text):
    """Return the run parameters from the leading `# key: value` comment block."""
    header = {}
    for line in text.splitlines():
        if not line.startswith('#'):
            break
        body = line[1:].strip()
        if ':' not in body:
            continue
        key, _, value = body.partition(':')
        key = key.strip()
        value = value.strip()
        if key not in HEADER_KEYS:
            continue
        if key == 'description' and 'description' in header:
            header['description'] += ' ' + value
            continue
        header[key] = json.loads(value) if HEADER_KEYS[key] else value
    if 'workflow' not in header:
        raise ValueError('missing "# workflow:" header line')
    return header


def find_cases(only=None):
    out = []
    for dirpath, _dirs, files in os.walk(CASES):
        for f in sorted(files):
            if f.endswith('.yaml'):
                path = os.path.join(dirpath, f)
                cid = os.path.relpath(path, CASES)[:-len('.yaml')]
                if only and not any(o in cid for o in only):
                    continue
                out.append((cid, path))
    return sorted(out)


def to_oracle_case(cid, path):
    text = open(path, encoding='utf-8').read()
    h = parse_header(text)
    params = dict(h.get('params') or {})
    if 'env' in h:
        params['env'] = h['env']
    if 'task' in h:
        params['task_name'] = h['task']
    return h, {
        'id': cid,
        'definitions': [{'kind': 'auto', 'yaml': text, 'namespace': ''}],
        'workflow': h['workflow'],
        'input': h.get('input') or {},
        'params': params,
        'namespace': '',
        'timeout': h.get('timeout', DEFAULT_TIMEOUT),
    }


# --------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------

# A Python traceback: header, indented frame lines, the exception line, and
# any chained tracebacks.
_TB_RE = re.compile(
    r'Traceback \(most recent call last\):\n'
    r'(?:(?: [^\n]*\n)+[^\n]*(?:\n|$)'
    r'(?:\n(?:During handling of the above exception, another exception occurred:'
    r'|The above exception was the direct cause of the following exception:)\n\n'
    r'Traceback \(most recent call last\):\n)?)+')
_ADDR_RE = re.compile(r' at 0x[0-9a-fA-F]+>')


def norm_str(s):
    s = _TB_RE.sub('<traceback>\n', s)
    s = _ADDR_RE.sub(' at 0x<addr>>', s)
    return s


def norm(v):
    if isinstance(v, str):
        return norm_str(v)
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {norm_str(k): norm(x) for k, x in v.items()}
    return v


def normalise(h, res):
    out = {
        'workflow': res.get('workflow'),
        'state': res.get('state'),
        'state_info': norm(res.get('state_info')),
        'output': norm(res.get('output')),
    }
    if res.get('error') is not None:
        # Definition errors embed the whole JSON schema: keep the first paragraph.
        out['error'] = norm(res['error']).split('\n\n')[0]
    if res.get('timed_out'):
        out['timed_out'] = True
    tasks = []
    for t in res.get('tasks') or []:
        tasks.append({
            'name': t['name'],
            'state': t['state'],
            'state_info': norm(t.get('state_info')),
            'published': norm(t.get('published')),
            'result': norm(t.get('result')),
            'action_executions': t.get('executions'),
        })
    out['tasks'] = tasks
    if h.get('task-order') == 'any':
        out['task_order'] = 'any'
    return out


def comparable(exp):
    """What --check / --repeat compare (task order ignored when declared)."""
    if exp.get('task_order') == 'any':
        exp = dict(exp)
        exp['tasks'] = sorted(exp['tasks'],
                              key=lambda t: json.dumps(t, sort_keys=True))
    return json.dumps(exp, sort_keys=True)


def write_manifest(headers, results):
    """Rewrite testsuite/runtime/MANIFEST.md: one table row per case, by feature."""
    by_feature = {}
    for cid, (h, _path) in sorted(headers.items()):
        feature, _, name = cid.partition('/')
        by_feature.setdefault(feature, []).append((name, h, results.get(cid)))
    lines = ['# Runtime conformance cases — manifest', '',
             'Generated by `scripts/record_runtime_cases.py` (do not edit by hand). '
             'State = the outcome recorded from real Mistral 23.0.0.', '',
             '| feature | cases |', '|---|---|']
    for feature, rows in sorted(by_feature.items()):
        lines.append('| [%s](#%s) | %d |' % (feature, feature, len(rows)))
    lines.append('| **total** | **%d** |' % len(headers))
    for feature, rows in sorted(by_feature.items()):
        lines += ['', '## %s' % feature, '', '| case | recorded state | what it checks |',
                  '|---|---|---|']
        for name, h, exp in rows:
            state = exp['state'] if exp else '?'
            desc = h.get('description', '').replace('|', '\\|')
            lines.append('| `%s` | %s | %s |' % (name, state, desc))
    with open(os.path.join(ROOT, 'testsuite', 'runtime', 'MANIFEST.md'), 'w',
              encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')


def run_oracle(args, cases):
    with tempfile.TemporaryDirectory() as tmp:
        inp = os.path.join(tmp, 'cases.jsonl')
        outp = os.path.join(tmp, 'results.jsonl')
        with open(inp, 'w') as f:
            for c in cases:
                f.write(json.dumps(c) + '\n')
        cmd = [args.python, args.oracle, '--batch', inp, '--out', outp,
               '--jobs', str(args.jobs), '--timeout', str(DEFAULT_TIMEOUT)]
        if args.quiet:
            cmd.append('--quiet')
        subprocess.run(cmd, check=True)
        with open(outp) as f:
            return {r['id']: r for r in (json.loads(l) for l in f if l.strip())}


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--only', action='append',
                   help='substring of case ids to run (repeatable)')
    p.add_argument('--check', action='store_true',
                   help='do not write; exit 1 if an outcome differs')
    p.add_argument('--repeat', type=int, default=1,
                   help='run N times and report cases whose outcome varies')
    p.add_argument('--python', default=DEFAULT_PYTHON)
    p.add_argument('--oracle', default=DEFAULT_ORACLE)
    p.add_argument('--jobs', type=int, default=2)
    p.add_argument('--quiet', action='store_true')
    args = p.parse_args()

    found = find_cases(args.only)
    headers, cases = {}, []
    for cid, path in found:
        h, c = to_oracle_case(cid, path)
        headers[cid] = (h, path)
        cases.append(c)

    runs = [run_oracle(args, cases) for _ in range(max(1, args.repeat))]

    unstable, differ, unexpected = [], [], []
    recorded = {}
    for cid, (h, path) in headers.items():
        outs = [normalise(h, r[cid]) for r in runs]
        recorded[cid] = outs[0]
        if len({comparable(o) for o in outs}) > 1:
            unstable.append(cid)
        exp = outs[0]
        st = exp['state']
        deliberate = h.get('expect')
        if (st == 'DEFINITION_ERROR' and deliberate != 'definition-error') or \
           (st == 'START_ERROR' and deliberate != 'start-error') or \
           (exp.get('timed_out') and deliberate != 'timeout') or \
           st == 'HARNESS_ERROR':
            unexpected.append('%s: %s %s' % (cid, st, exp.get('error', '')))
        target = path[:-len('.yaml')] + '.expected.json'
        text = json.dumps(exp, indent=2, sort_keys=False, ensure_ascii=False) + '\n'
        if args.check:
            try:
                old = json.load(open(target, encoding='utf-8'))
            except (OSError, ValueError):
                old = None
            if old is None or comparable(old) != comparable(exp):
                differ.append(cid)
        else:
            with open(target, 'w', encoding='utf-8') as f:
                f.write(text)

    if not args.check and not args.only:
        write_manifest(headers, recorded)
    print('%d cases%s' % (len(headers), '' if args.check else ' recorded'))
    for title, items in (('UNSTABLE (outcome varies between runs)', unstable),
                         ('DIFFERENT from .expected.json', differ),
                         ('UNEXPECTED state (not declared in "# expect:")',
                          unexpected)):
        if items:
            print('%s: %d' % (title, len(items)))
            for i in items:
                print('  ' + i)
    sys.exit(1 if (differ or unstable or unexpected) else 0)


if __name__ == '__main__':
    main()
