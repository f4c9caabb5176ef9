// Unit tests for locating the `gale` executable (src/server.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandPath, findOnPath, resolveServer, type ResolveInput } from '../src/server';

function input(files: string[], overrides: Partial<ResolveInput> = {}): ResolveInput {
  const set = new Set(files);
  return {
    configured: 'gale',
    extensionPath: '/ext',
    env: { PATH: '/usr/local/bin:/usr/bin' },
    platform: 'linux',
    home: '/home/me',
    isExecutable: (f) => set.has(f),
    ...overrides,
  };
}

test('default setting finds gale on PATH, first directory wins', () => {
  const r = resolveServer(input(['/usr/bin/gale', '/usr/local/bin/gale']));
  assert.deepEqual(r, { ok: true, command: '/usr/local/bin/gale', source: 'path' });
});

test('a bundled server is preferred over PATH', () => {
  const r = resolveServer(input(['/ext/server/gale', '/usr/bin/gale']));
  assert.deepEqual(r, { ok: true, command: '/ext/server/gale', source: 'bundled' });
});

test('an explicit setting wins over everything and expands ~', () => {
  const r = resolveServer(input(['/home/me/bin/gale', '/ext/server/gale'], { configured: '~/bin/gale' }));
  assert.deepEqual(r, { ok: true, command: '/home/me/bin/gale', source: 'setting' });
});

test('a relative setting with a slash resolves against the workspace folder', () => {
  const r = resolveServer(
    input(['/ws/target/debug/gale'], { configured: 'target/debug/gale', workspaceFolder: '/ws' }),
  );
  assert.deepEqual(r, { ok: true, command: '/ws/target/debug/gale', source: 'setting' });
});

test('a bare name in the setting is looked up on PATH', () => {
  const r = resolveServer(input(['/usr/bin/gale-nightly'], { configured: 'gale-nightly' }));
  assert.deepEqual(r, { ok: true, command: '/usr/bin/gale-nightly', source: 'setting' });
});

test('GALE_SERVER_PATH is used when the setting is the default', () => {
  const r = resolveServer(input(['/opt/gale'], { env: { PATH: '/usr/bin', GALE_SERVER_PATH: '/opt/gale' } }));
  assert.deepEqual(r, { ok: true, command: '/opt/gale', source: 'environment' });
});

test('missing server gives a clear message naming the setting', () => {
  const r = resolveServer(input([]));
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.message.includes('not on PATH'), JSON.stringify(r));
  assert.ok(!r.ok && r.message.includes('gale.server.path'));
});

test('a setting pointing at a missing file says where it looked', () => {
  const r = resolveServer(input(['/usr/bin/gale'], { configured: '/nope/gale' }));
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.message.includes('/nope/gale') && r.message.includes('gale.server.path'));
});

test('Windows: PATHEXT and ; separator', () => {
  const found = findOnPath(
    'gale',
    { Path: 'C:\\bin;C:\\tools', PATHEXT: '.EXE;.CMD' },
    'win32',
    (f) => f === 'C:\\tools\\gale.EXE',
  );
  assert.equal(found, 'C:\\tools\\gale.EXE');
});

test('expandPath leaves absolute paths and bare names alone', () => {
  assert.equal(expandPath('/a/gale', '/h', '/ws'), '/a/gale');
  assert.equal(expandPath('gale', '/h', '/ws'), 'gale');
  assert.equal(expandPath('~', '/h'), '/h');
});
