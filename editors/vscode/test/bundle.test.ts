// Loads the bundled extension (dist/extension.js, built by `npm run build`) against a stub of
// the `vscode` API and drives activate(): the offline stand-in for an @vscode/test-electron
// run, which would need to download VS Code. Checks the bundle loads, registers its commands,
// re-detects Mistral YAML files, and reports a missing server clearly.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';

const bundle = join(__dirname, '..', '..', 'dist', 'extension.js');

interface Doc {
  languageId: string;
  uri: { scheme: string; fsPath: string; toString(): string };
  getText(): string;
}

function makeVscode(settings: Record<string, unknown>) {
  const calls = {
    commands: [] as string[],
    languageSwitches: [] as [Doc, string][],
    errors: [] as string[],
    logs: [] as string[],
  };
  const openListeners: ((d: Doc) => unknown)[] = [];
  const channel = {
    info: (m: string) => calls.logs.push(m),
    error: (m: string) => calls.logs.push(m),
    appendLine: (m: string) => calls.logs.push(m),
    show: () => undefined,
    dispose: () => undefined,
  };
  const disposable = { dispose: () => undefined };
  const vscode = {
    window: {
      createOutputChannel: () => channel,
      showErrorMessage: async (m: string) => {
        calls.errors.push(m);
        return undefined;
      },
    },
    commands: {
      registerCommand: (name: string) => {
        calls.commands.push(name);
        return disposable;
      },
      executeCommand: async () => undefined,
    },
    workspace: {
      textDocuments: [] as Doc[],
      workspaceFolders: undefined,
      onDidOpenTextDocument: (f: (d: Doc) => unknown) => {
        openListeners.push(f);
        return disposable;
      },
      onDidChangeConfiguration: () => disposable,
      getConfiguration: () => ({
        get: (key: string, fallback?: unknown) => (key in settings ? settings[key] : fallback),
      }),
    },
    languages: {
      setTextDocumentLanguage: async (doc: Doc, lang: string) => {
        calls.languageSwitches.push([doc, lang]);
        return doc;
      },
    },
  };
  return { vscode, calls, open: async (d: Doc) => Promise.all(openListeners.map((f) => f(d))) };
}

function doc(languageId: string, text: string): Doc {
  const fsPath = '/tmp/wf.yaml';
  return { languageId, uri: { scheme: 'file', fsPath, toString: () => `file://${fsPath}` }, getText: () => text };
}

/** A permissive stand-in for the parts of the API vscode-languageclient touches at load time. */
function anything(): unknown {
  const target = class {};
  return new Proxy(target, {
    get: (t, key) => (key in t ? (t as unknown as Record<string | symbol, unknown>)[key] : anything()),
  });
}

function withFallback<T extends object>(api: T): T {
  return new Proxy(api, {
    get: (t, key) => (key in t ? (t as Record<string | symbol, unknown>)[key] : anything()),
  });
}

function loadWith(stub: unknown): { activate(ctx: unknown): void } {
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = loader._load;
  loader._load = (request: string, ...rest: unknown[]) => (request === 'vscode' ? stub : original(request, ...rest));
  try {
    delete require.cache[require.resolve(bundle)];
    return require(bundle);
  } finally {
    loader._load = original;
  }
}

const skip = existsSync(bundle) ? false : `SKIPPED: ${bundle} not built (npm run build)`;

test('bundle activates, registers commands, detects Mistral YAML, reports a missing server', { skip }, async () => {
  const { vscode, calls, open } = makeVscode({ 'server.path': '/nonexistent/gale', detectYamlFiles: true });
  const extension = loadWith(withFallback(vscode));
  extension.activate({ subscriptions: [], extensionPath: '/nonexistent-extension' });
  assert.deepEqual(calls.commands.sort(), ['gale.restartServer', 'gale.showOutput']);

  // A YAML file that is a Mistral workflow is switched to `mistral`; others are not.
  const workflow = doc('yaml', "version: '2.0'\nwf:\n  tasks:\n    t:\n      action: std.noop\n");
  await open(workflow);
  await open(doc('yaml', "version: '2.0'\nservices:\n  web: {}\n"));
  assert.deepEqual(
    calls.languageSwitches.map(([d, lang]) => [d.getText().split('\n')[1], lang]),
    [['wf:', 'mistral']],
  );

  // Opening a `mistral` document starts the client; the configured server does not exist.
  await open(doc('mistral', workflow.getText()));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(calls.errors.length, 1, JSON.stringify(calls));
  assert.match(calls.errors[0], /gale\.server\.path/);
  assert.match(calls.errors[0], /\/nonexistent\/gale/);
});
