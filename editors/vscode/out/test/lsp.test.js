"use strict";
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
// Black-box test of `gale lsp` over stdio with the protocol library vscode-languageclient is
// built on (vscode-languageserver-protocol), in plain Node: the same JSON-RPC framing and
// message shapes VS Code uses, without downloading VS Code (@vscode/test-electron cannot run
// offline). The server binary comes from $GALE_BIN or <repo>/target/debug/gale.
const strict_1 = __importDefault(require("node:assert/strict"));
const node_child_process_1 = require("node:child_process");
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const node_test_1 = require("node:test");
const node_1 = require("vscode-languageserver-protocol/node");
const repo = (0, node_path_1.join)(__dirname, '..', '..', '..', '..');
const binary = process.env.GALE_BIN ?? (0, node_path_1.join)(repo, 'target', 'debug', 'gale');
const missing = !(0, node_fs_1.existsSync)(binary);
if (missing && process.env.CI) {
    throw new Error(`gale binary not found at ${binary} (set GALE_BIN or build it first)`);
}
const skip = missing ? `SKIPPED: gale binary not found at ${binary}` : false;
const uri = 'file:///tmp/gale-lsp-test/wf.mistral.yaml';
const text = [
    "version: '2.0'", //                       0
    'my_wf:', //                               1
    '  tasks:', //                             2
    '    t1:', //                              3
    '      action: std.noop', //               4
    '      on-success:', //                    5
    '        - t2', //                         6
    '        - missing_task', //               7
    '    t2:', //                              8
    '      action: std.echo output=<% $.x %>', // 9
    '',
].join('\n');
let server;
let connection;
let initialized;
let diagnostics;
function within(promise, what, ms = 10_000) {
    return Promise.race([
        promise,
        new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref()),
    ]);
}
(0, node_test_1.before)(async () => {
    if (missing) {
        return;
    }
    server = (0, node_child_process_1.spawn)(binary, ['lsp'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const conn = (0, node_1.createProtocolConnection)(new node_1.StreamMessageReader(server.stdout), new node_1.StreamMessageWriter(server.stdin));
    connection = conn;
    diagnostics = new Promise((resolve) => {
        conn.onNotification(node_1.PublishDiagnosticsNotification.type, (params) => {
            if (params.uri === uri) {
                resolve(params);
            }
        });
    });
    conn.listen();
    initialized = await within(conn.sendRequest(node_1.InitializeRequest.type, {
        processId: process.pid,
        rootUri: null,
        workspaceFolders: null,
        capabilities: {
            textDocument: {
                documentSymbol: { hierarchicalDocumentSymbolSupport: true },
                hover: { contentFormat: ['markdown', 'plaintext'] },
                publishDiagnostics: { relatedInformation: true },
            },
            general: { positionEncodings: ['utf-16'] },
        },
    }), 'initialize');
    await conn.sendNotification(node_1.InitializedNotification.type, {});
    await conn.sendNotification(node_1.DidOpenTextDocumentNotification.type, {
        textDocument: { uri, languageId: 'mistral', version: 1, text },
    });
});
(0, node_test_1.after)(async () => {
    if (connection !== undefined) {
        await within(connection.sendRequest(node_1.ShutdownRequest.type), 'shutdown').catch(() => undefined);
        await connection.sendNotification(node_1.ExitNotification.type).catch(() => undefined);
        connection.dispose();
    }
    server?.kill();
});
(0, node_test_1.test)('initialize advertises the features the extension relies on', { skip }, () => {
    const caps = initialized.capabilities;
    strict_1.default.equal(initialized.serverInfo?.name, 'gale');
    strict_1.default.ok(caps.hoverProvider, 'hover');
    strict_1.default.ok(caps.definitionProvider, 'definition');
    strict_1.default.ok(caps.referencesProvider, 'references');
    strict_1.default.ok(caps.documentSymbolProvider, 'document symbols');
    strict_1.default.ok(caps.textDocumentSync !== undefined, 'text document sync');
});
(0, node_test_1.test)('didOpen publishes an unknown-task diagnostic on the right range', { skip }, async () => {
    const params = await within(diagnostics, 'publishDiagnostics');
    const unknown = params.diagnostics.find((d) => d.code === 'unknown-task');
    strict_1.default.ok(unknown, JSON.stringify(params.diagnostics));
    strict_1.default.deepEqual(unknown.range, { start: { line: 7, character: 10 }, end: { line: 7, character: 22 } });
    strict_1.default.equal(unknown.severity, 1);
});
(0, node_test_1.test)('document symbols list the workflow and its tasks', { skip }, async () => {
    const symbols = (await within(connection.sendRequest(node_1.DocumentSymbolRequest.type, { textDocument: { uri } }), 'documentSymbol'));
    const names = (list) => (list ?? []).flatMap((s) => [s.name, ...names(s.children)]);
    const all = names(symbols);
    for (const name of ['my_wf', 't1', 't2']) {
        strict_1.default.ok(all.includes(name), `${name} in ${JSON.stringify(all)}`);
    }
});
(0, node_test_1.test)('definition of a transition target jumps to the task', { skip }, async () => {
    const result = await within(connection.sendRequest(node_1.DefinitionRequest.type, { textDocument: { uri }, position: { line: 6, character: 11 } }), 'definition');
    const locations = (Array.isArray(result) ? result : [result]);
    strict_1.default.ok(locations.length > 0, 'a definition');
    strict_1.default.equal(locations[0].range.start.line, 8);
});
(0, node_test_1.test)('references of a task include the transition', { skip }, async () => {
    const result = await within(connection.sendRequest(node_1.ReferencesRequest.type, {
        textDocument: { uri },
        position: { line: 8, character: 5 },
        context: { includeDeclaration: false },
    }), 'references');
    strict_1.default.ok(result !== null && result.some((l) => l.range.start.line === 6), JSON.stringify(result));
});
(0, node_test_1.test)('hover answers without error', { skip }, async () => {
    const result = await within(connection.sendRequest(node_1.HoverRequest.type, { textDocument: { uri }, position: { line: 4, character: 16 } }), 'hover');
    strict_1.default.ok(result === null || result.contents !== undefined);
});
//# sourceMappingURL=lsp.test.js.map