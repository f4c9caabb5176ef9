// Black-box test of `gale lsp` over stdio with the protocol library vscode-languageclient is
// built on (vscode-languageserver-protocol), in plain Node: the same JSON-RPC framing and
// message shapes VS Code uses, without downloading VS Code (@vscode/test-electron cannot run
// offline). The server binary comes from $GALE_BIN or <repo>/target/debug/gale.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  createProtocolConnection,
  DefinitionRequest,
  DidOpenTextDocumentNotification,
  DocumentSymbolRequest,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  type InitializeResult,
  type Location,
  type ProtocolConnection,
  PublishDiagnosticsNotification,
  type PublishDiagnosticsParams,
  ReferencesRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type DocumentSymbol,
} from 'vscode-languageserver-protocol/node';

const repo = join(__dirname, '..', '..', '..', '..');
const binary = process.env.GALE_BIN ?? join(repo, 'target', 'debug', 'gale');
const missing = !existsSync(binary);
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

let server: ChildProcess | undefined;
let connection: ProtocolConnection | undefined;
let initialized: InitializeResult | undefined;
let diagnostics: Promise<PublishDiagnosticsParams> | undefined;

function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref()),
  ]);
}

before(async () => {
  if (missing) {
    return;
  }
  server = spawn(binary, ['lsp'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createProtocolConnection(
    new StreamMessageReader(server.stdout!),
    new StreamMessageWriter(server.stdin!),
  );
  connection = conn;
  diagnostics = new Promise((resolve) => {
    conn.onNotification(PublishDiagnosticsNotification.type, (params) => {
      if (params.uri === uri) {
        resolve(params);
      }
    });
  });
  conn.listen();
  initialized = await within(
    conn.sendRequest(InitializeRequest.type, {
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
    }),
    'initialize',
  );
  await conn.sendNotification(InitializedNotification.type, {});
  await conn.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: 'mistral', version: 1, text },
  });
});

after(async () => {
  if (connection !== undefined) {
    await within(connection.sendRequest(ShutdownRequest.type), 'shutdown').catch(() => undefined);
    await connection.sendNotification(ExitNotification.type).catch(() => undefined);
    connection.dispose();
  }
  server?.kill();
});

test('initialize advertises the features the extension relies on', { skip }, () => {
  const caps = initialized!.capabilities;
  assert.equal(initialized!.serverInfo?.name, 'gale');
  assert.ok(caps.hoverProvider, 'hover');
  assert.ok(caps.definitionProvider, 'definition');
  assert.ok(caps.referencesProvider, 'references');
  assert.ok(caps.documentSymbolProvider, 'document symbols');
  assert.ok(caps.textDocumentSync !== undefined, 'text document sync');
});

test('didOpen publishes an unknown-task diagnostic on the right range', { skip }, async () => {
  const params = await within(diagnostics!, 'publishDiagnostics');
  const unknown = params.diagnostics.find((d) => d.code === 'unknown-task');
  assert.ok(unknown, JSON.stringify(params.diagnostics));
  assert.deepEqual(unknown.range, { start: { line: 7, character: 10 }, end: { line: 7, character: 22 } });
  assert.equal(unknown.severity, 1);
});

test('document symbols list the workflow and its tasks', { skip }, async () => {
  const symbols = (await within(
    connection!.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } }),
    'documentSymbol',
  )) as DocumentSymbol[];
  const names = (list: DocumentSymbol[] | undefined): string[] =>
    (list ?? []).flatMap((s) => [s.name, ...names(s.children)]);
  const all = names(symbols);
  for (const name of ['my_wf', 't1', 't2']) {
    assert.ok(all.includes(name), `${name} in ${JSON.stringify(all)}`);
  }
});

test('definition of a transition target jumps to the task', { skip }, async () => {
  const result = await within(
    connection!.sendRequest(DefinitionRequest.type, { textDocument: { uri }, position: { line: 6, character: 11 } }),
    'definition',
  );
  const locations = (Array.isArray(result) ? result : [result]) as Location[];
  assert.ok(locations.length > 0, 'a definition');
  assert.equal(locations[0].range.start.line, 8);
});

test('references of a task include the transition', { skip }, async () => {
  const result = await within(
    connection!.sendRequest(ReferencesRequest.type, {
      textDocument: { uri },
      position: { line: 8, character: 5 },
      context: { includeDeclaration: false },
    }),
    'references',
  );
  assert.ok(result !== null && result.some((l) => l.range.start.line === 6), JSON.stringify(result));
});

test('hover answers without error', { skip }, async () => {
  const result = await within(
    connection!.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 4, character: 16 } }),
    'hover',
  );
  assert.ok(result === null || result.contents !== undefined);
});
