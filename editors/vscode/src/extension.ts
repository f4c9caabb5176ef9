/**
 * Gale for VS Code: starts the `gale lsp` language server for `mistral` documents.
 *
 * The server is started lazily, when the first Mistral document is open, so activating
 * on `yaml` (needed to re-detect Mistral files saved as `.yaml`) costs nothing otherwise.
 */
import * as vscode from 'vscode';
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';
import { looksLikeMistral } from './detect';
import { resolveServer } from './server';

const LANGUAGE_ID = 'mistral';

let client: LanguageClient | undefined;
let starting: Promise<void> | undefined;
let output: vscode.LogOutputChannel | undefined;

/** Entry point called by VS Code. */
export function activate(context: vscode.ExtensionContext): void {
  output = vscode.window.createOutputChannel('Gale Language Server', { log: true });
  context.subscriptions.push(output);

  context.subscriptions.push(
    vscode.commands.registerCommand('gale.restartServer', async () => {
      await stopClient();
      await ensureClient(context, true);
    }),
    vscode.commands.registerCommand('gale.showOutput', () => output?.show(true)),
    vscode.workspace.onDidOpenTextDocument((doc) => onDocument(context, doc)),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('gale.server') && client !== undefined) {
        await stopClient();
        await ensureClient(context, true);
      }
    }),
  );
  for (const doc of vscode.workspace.textDocuments) {
    void onDocument(context, doc);
  }
}

/** Called by VS Code on shutdown. */
export function deactivate(): Thenable<void> | undefined {
  return stopClient();
}

async function onDocument(context: vscode.ExtensionContext, doc: vscode.TextDocument): Promise<void> {
  if (doc.languageId === 'yaml' && vscode.workspace.getConfiguration('gale').get<boolean>('detectYamlFiles', true)) {
    if (looksLikeMistral(doc.getText())) {
      // Re-opens the document as `mistral`; onDidOpenTextDocument fires again for it.
      await vscode.languages.setTextDocumentLanguage(doc, LANGUAGE_ID);
    }
    return;
  }
  if (doc.languageId === LANGUAGE_ID) {
    await ensureClient(context, false);
  }
}

async function ensureClient(context: vscode.ExtensionContext, userInitiated: boolean): Promise<void> {
  if (client !== undefined) {
    return;
  }
  if (starting !== undefined) {
    return starting;
  }
  starting = startClient(context, userInitiated).finally(() => {
    starting = undefined;
  });
  return starting;
}

async function startClient(context: vscode.ExtensionContext, userInitiated: boolean): Promise<void> {
  const config = vscode.workspace.getConfiguration('gale');
  const resolved = resolveServer({
    configured: config.get<string>('server.path'),
    extensionPath: context.extensionPath,
    workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    env: process.env,
    platform: process.platform,
  });
  if (!resolved.ok) {
    output?.error(resolved.message);
    void showError(resolved.message, userInitiated);
    return;
  }
  output?.info(`Starting ${resolved.command} lsp (found via ${resolved.source})`);
  const args = ['lsp', ...config.get<string[]>('server.extraArgs', [])];
  const executable = { command: resolved.command, args, transport: TransportKind.stdio };
  const serverOptions: ServerOptions = { run: executable, debug: executable };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: LANGUAGE_ID },
      { scheme: 'untitled', language: LANGUAGE_ID },
    ],
    outputChannel: output,
    traceOutputChannel: vscode.window.createOutputChannel('Gale Language Server Trace', { log: true }),
  };
  const created = new LanguageClient('gale', 'Gale Language Server', serverOptions, clientOptions);
  try {
    await created.start();
    client = created;
  } catch (error) {
    const message = `The Gale language server (${resolved.command} lsp) failed to start: ${String(error)}`;
    output?.error(message);
    void showError(message, true);
  }
}

async function stopClient(): Promise<void> {
  const current = client;
  client = undefined;
  if (current !== undefined) {
    await current.stop();
  }
}

async function showError(message: string, always: boolean): Promise<void> {
  // Shown once per session unless the user asked for a (re)start.
  if (!always && shownMissingServer) {
    return;
  }
  shownMissingServer = true;
  const choice = await vscode.window.showErrorMessage(message, 'Open Settings', 'Show Output');
  if (choice === 'Open Settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'gale.server.path');
  } else if (choice === 'Show Output') {
    output?.show(true);
  }
}

let shownMissingServer = false;
