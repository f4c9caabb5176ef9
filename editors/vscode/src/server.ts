/**
 * Locating the `gale` executable that serves `gale lsp`.
 *
 * Resolution order (like rust-analyzer's): the `gale.server.path` setting when it is not
 * the default, then the `GALE_SERVER_PATH` environment variable, then a binary bundled in
 * the extension (`server/gale[.exe]`, present in platform-specific VSIX builds), then
 * `gale` on `PATH`. Free of the `vscode` API so it is unit-tested in plain Node.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The default value of the `gale.server.path` setting. */
export const DEFAULT_SERVER_PATH = 'gale';

/** Everything {@link resolveServer} needs from the outside world. */
export interface ResolveInput {
  /** Value of the `gale.server.path` setting. */
  configured: string | undefined;
  /** Directory the extension is installed in. */
  extensionPath: string;
  /** First workspace folder, for relative `gale.server.path` values. */
  workspaceFolder?: string;
  /** Process environment (`PATH`, `PATHEXT`, `GALE_SERVER_PATH`). */
  env: NodeJS.ProcessEnv;
  /** `process.platform`. */
  platform: NodeJS.Platform;
  /** Is there an executable file at this path? */
  isExecutable?: (file: string) => boolean;
  /** Home directory, for `~` expansion. */
  home?: string;
}

/** Where the server executable was found. */
export type ServerSource = 'setting' | 'environment' | 'bundled' | 'path';

/** Outcome of {@link resolveServer}: a command to run, or a message for the user. */
export type ResolveResult =
  | { ok: true; command: string; source: ServerSource }
  | { ok: false; message: string };

/** Default executable check: a regular file with an execute bit (any file on Windows). */
export function isExecutableFile(file: string): boolean {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) {
      return false;
    }
    if (process.platform === 'win32') {
      return true;
    }
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Expand a leading `~` and resolve a relative path that names a directory part. */
export function expandPath(value: string, home: string, workspaceFolder?: string): string {
  let result = value.trim();
  if (result === '~') {
    result = home;
  } else if (result.startsWith('~/') || result.startsWith('~\\')) {
    result = path.join(home, result.slice(2));
  }
  if (!path.isAbsolute(result) && /[\\/]/.test(result) && workspaceFolder) {
    result = path.resolve(workspaceFolder, result);
  }
  return result;
}

/** Search `PATH` (and `PATHEXT` on Windows) for a bare command name. */
export function findOnPath(
  name: string,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
  isExecutable: (file: string) => boolean,
): string | undefined {
  const pathValue = env.PATH ?? env.Path ?? '';
  const delimiter = platform === 'win32' ? ';' : ':';
  const extensions =
    platform === 'win32'
      ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter((e) => e.length > 0)]
      : [''];
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  for (const dir of pathValue.split(delimiter)) {
    if (dir.length === 0) {
      continue;
    }
    for (const ext of extensions) {
      const candidate = join(dir, name + ext);
      if (isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

const INSTALL_HINT =
  'Install Gale (for example `cargo install --path .` in a Gale checkout) or set the ' +
  '`gale.server.path` setting to the full path of the `gale` executable.';

/** Find the server executable, or explain why it cannot be found. */
export function resolveServer(input: ResolveInput): ResolveResult {
  const isExecutable = input.isExecutable ?? isExecutableFile;
  const home = input.home ?? os.homedir();
  const configured = (input.configured ?? '').trim();
  const exe = input.platform === 'win32' ? 'gale.exe' : 'gale';

  const explicit = (value: string, source: ServerSource, what: string): ResolveResult => {
    const expanded = expandPath(value, home, input.workspaceFolder);
    if (/[\\/]/.test(expanded)) {
      return isExecutable(expanded)
        ? { ok: true, command: expanded, source }
        : { ok: false, message: `${what} is "${value}", but there is no executable file at ${expanded}. ${INSTALL_HINT}` };
    }
    const found = findOnPath(expanded, input.env, input.platform, isExecutable);
    return found !== undefined
      ? { ok: true, command: found, source }
      : { ok: false, message: `${what} is "${value}", but no such executable was found on PATH. ${INSTALL_HINT}` };
  };

  if (configured.length > 0 && configured !== DEFAULT_SERVER_PATH) {
    return explicit(configured, 'setting', 'The setting gale.server.path');
  }
  const fromEnv = (input.env.GALE_SERVER_PATH ?? '').trim();
  if (fromEnv.length > 0) {
    return explicit(fromEnv, 'environment', 'The environment variable GALE_SERVER_PATH');
  }
  const bundled = path.join(input.extensionPath, 'server', exe);
  if (isExecutable(bundled)) {
    return { ok: true, command: bundled, source: 'bundled' };
  }
  const onPath = findOnPath(DEFAULT_SERVER_PATH, input.env, input.platform, isExecutable);
  if (onPath !== undefined) {
    return { ok: true, command: onPath, source: 'path' };
  }
  return {
    ok: false,
    message: `The Gale language server was not found: \`gale\` is not on PATH and no server is bundled with the extension. ${INSTALL_HINT}`,
  };
}
