"use strict";
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
// Unit tests for locating the `gale` executable (src/server.ts).
const strict_1 = __importDefault(require("node:assert/strict"));
const node_test_1 = require("node:test");
const server_1 = require("../src/server");
function input(files, overrides = {}) {
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
(0, node_test_1.test)('default setting finds gale on PATH, first directory wins', () => {
    const r = (0, server_1.resolveServer)(input(['/usr/bin/gale', '/usr/local/bin/gale']));
    strict_1.default.deepEqual(r, { ok: true, command: '/usr/local/bin/gale', source: 'path' });
});
(0, node_test_1.test)('a bundled server is preferred over PATH', () => {
    const r = (0, server_1.resolveServer)(input(['/ext/server/gale', '/usr/bin/gale']));
    strict_1.default.deepEqual(r, { ok: true, command: '/ext/server/gale', source: 'bundled' });
});
(0, node_test_1.test)('an explicit setting wins over everything and expands ~', () => {
    const r = (0, server_1.resolveServer)(input(['/home/me/bin/gale', '/ext/server/gale'], { configured: '~/bin/gale' }));
    strict_1.default.deepEqual(r, { ok: true, command: '/home/me/bin/gale', source: 'setting' });
});
(0, node_test_1.test)('a relative setting with a slash resolves against the workspace folder', () => {
    const r = (0, server_1.resolveServer)(input(['/ws/target/debug/gale'], { configured: 'target/debug/gale', workspaceFolder: '/ws' }));
    strict_1.default.deepEqual(r, { ok: true, command: '/ws/target/debug/gale', source: 'setting' });
});
(0, node_test_1.test)('a bare name in the setting is looked up on PATH', () => {
    const r = (0, server_1.resolveServer)(input(['/usr/bin/gale-nightly'], { configured: 'gale-nightly' }));
    strict_1.default.deepEqual(r, { ok: true, command: '/usr/bin/gale-nightly', source: 'setting' });
});
(0, node_test_1.test)('GALE_SERVER_PATH is used when the setting is the default', () => {
    const r = (0, server_1.resolveServer)(input(['/opt/gale'], { env: { PATH: '/usr/bin', GALE_SERVER_PATH: '/opt/gale' } }));
    strict_1.default.deepEqual(r, { ok: true, command: '/opt/gale', source: 'environment' });
});
(0, node_test_1.test)('missing server gives a clear message naming the setting', () => {
    const r = (0, server_1.resolveServer)(input([]));
    strict_1.default.equal(r.ok, false);
    strict_1.default.ok(!r.ok && r.message.includes('not on PATH'), JSON.stringify(r));
    strict_1.default.ok(!r.ok && r.message.includes('gale.server.path'));
});
(0, node_test_1.test)('a setting pointing at a missing file says where it looked', () => {
    const r = (0, server_1.resolveServer)(input(['/usr/bin/gale'], { configured: '/nope/gale' }));
    strict_1.default.equal(r.ok, false);
    strict_1.default.ok(!r.ok && r.message.includes('/nope/gale') && r.message.includes('gale.server.path'));
});
(0, node_test_1.test)('Windows: PATHEXT and ; separator', () => {
    const found = (0, server_1.findOnPath)('gale', { Path: 'C:\\bin;C:\\tools', PATHEXT: '.EXE;.CMD' }, 'win32', (f) => f === 'C:\\tools\\gale.EXE');
    strict_1.default.equal(found, 'C:\\tools\\gale.EXE');
});
(0, node_test_1.test)('expandPath leaves absolute paths and bare names alone', () => {
    strict_1.default.equal((0, server_1.expandPath)('/a/gale', '/h', '/ws'), '/a/gale');
    strict_1.default.equal((0, server_1.expandPath)('gale', '/h', '/ws'), 'gale');
    strict_1.default.equal((0, server_1.expandPath)('~', '/h'), '/h');
});
//# sourceMappingURL=server.test.js.map