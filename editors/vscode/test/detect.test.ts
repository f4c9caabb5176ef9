// Unit tests for content-based Mistral detection and the contributed firstLine pattern.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIRST_LINE_PATTERN, looksLikeMistral } from '../src/detect';

const workflow = `---
version: '2.0'
my_wf:
  tasks:
    t1:
      action: std.noop
`;

test('workflow after --- with single-quoted version', () => {
  assert.equal(looksLikeMistral(workflow), true);
});

test('workbook with name before version and double quotes', () => {
  assert.equal(looksLikeMistral('name: wb\nversion: "2.0"\nworkflows:\n  wf:\n    tasks: {}\n'), true);
});

test('unquoted version and a top-level actions section', () => {
  assert.equal(looksLikeMistral('version: 2.0\nactions:\n  a:\n    base: std.echo\n'), true);
});

test('Docker Compose with version 2.0 is not Mistral', () => {
  assert.equal(looksLikeMistral("version: '2.0'\nservices:\n  web:\n    image: x\n    tasks:\n"), false);
});

test('version alone, other versions, nested version are not Mistral', () => {
  assert.equal(looksLikeMistral("version: '2.0'\nfoo: bar\n"), false);
  assert.equal(looksLikeMistral("version: '1.0'\nwf:\n  tasks:\n"), false);
  assert.equal(looksLikeMistral("x:\n  version: '2.0'\n  tasks:\n"), false);
  assert.equal(looksLikeMistral("version: '2.0\"\nwf:\n  tasks:\n"), false);
});

test('CRLF line endings', () => {
  assert.equal(looksLikeMistral(workflow.replace(/\n/g, '\r\n')), true);
});

test('firstLine pattern (package.json) accepts the version line in any quoting', () => {
  const re = new RegExp(FIRST_LINE_PATTERN);
  for (const line of ["version: '2.0'", 'version: "2.0"', 'version: 2.0', "version:   '2.0'  # v2"]) {
    assert.ok(re.test(line), line);
  }
  for (const line of ['---', "version: '2.0\"", "version: '2.01'", "  version: '2.0'", "version: '1.0'"]) {
    assert.ok(!re.test(line), line);
  }
});
