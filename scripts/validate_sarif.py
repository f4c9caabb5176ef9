#!/usr/bin/env python3
"""Validate `gale check --format sarif` output against the official SARIF 2.1.0 schema.

Usage: validate_sarif.py GALE_BINARY SCHEMA_JSON
Runs gale on the bundled examples, on the check fixtures and (when ../shared is
present) on the corpus mutants, and validates each log. Prints 'N passed, M failed'.
"""
import json
import os
import subprocess
import sys

import jsonschema


def main():
    gale, schema_path = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft7Validator(schema)
    targets = [["examples"], ["testsuite/fixtures/check"]]
    if os.path.isdir("../shared/corpus/mutants"):
        targets.append(["../shared/corpus/mutants"])
    elif os.environ.get("CI"):
        sys.exit("../shared not found: CI must provide it beside the checkout")
    passed = failed = 0
    for args in targets:
        run = subprocess.run([gale, "check", "--format", "sarif", *args], capture_output=True, text=True)
        if run.returncode not in (0, 1):
            print(f"FAIL gale check {args}: exit {run.returncode}\n{run.stderr}")
            failed += 1
            continue
        log = json.loads(run.stdout)
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
        results = len(log["runs"][0]["results"])
        if errors:
            failed += 1
            print(f"FAIL {args}: {len(errors)} schema violations, first: {errors[0].message} at {list(errors[0].path)}")
        elif results == 0 and args != ["examples"]:
            failed += 1
            print(f"FAIL {args}: expected results in the SARIF log, found none")
        else:
            passed += 1
            print(f"ok   {args}: valid SARIF 2.1.0 with {results} results")
    print(f"sarif: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
