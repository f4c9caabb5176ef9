"use strict";
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", { value: true });
exports.DEFAULT_SERVER_PATH = void 0;
exports.isExecutableFile = isExecutableFile;
exports.expandPath = expandPath;
exports.findOnPath = findOnPath;
exports.resolveServer = resolveServer;
/**
 * Locating the `gale` executable that serves `gale lsp`.
 *
 * Resolution order (like rust-analyzer's): the `gale.server.path` setting when it is not
 * the default, then the `GALE_SERVER_PATH` environment variable, then a binary bundled in
 * the extension (`server/gale[.exe]`, present in platform-specific VSIX builds), then
 * `gale` on `PATH`. Free of the `vscode` API so it is unit-tested in plain Node.
 */
const fs = __importStar(require("node:fs"));
const os = __importStar(require("node:os"));
const path = __importStar(require("node:path"));
/** The default value of the `gale.server.path` setting. */
exports.DEFAULT_SERVER_PATH = 'gale';
/** Default executable check: a regular file with an execute bit (any file on Windows). */
function isExecutableFile(file) {
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
    }
    catch {
        return false;
    }
}
/** Expand a leading `~` and resolve a relative path that names a directory part. */
function expandPath(value, home, workspaceFolder) {
    let result = value.trim();
    if (result === '~') {
        result = home;
    }
    else if (result.startsWith('~/') || result.startsWith('~\\')) {
        result = path.join(home, result.slice(2));
    }
    if (!path.isAbsolute(result) && /[\\/]/.test(result) && workspaceFolder) {
        result = path.resolve(workspaceFolder, result);
    }
    return result;
}
/** Search `PATH` (and `PATHEXT` on Windows) for a bare command name. */
function findOnPath(name, env, platform, isExecutable) {
    const pathValue = env.PATH ?? env.Path ?? '';
    const delimiter = platform === 'win32' ? ';' : ':';
    const extensions = platform === 'win32'
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
const INSTALL_HINT = 'Install Gale (for example `cargo install --path .` in a Gale checkout) or set the ' +
    '`gale.server.path` setting to the full path of the `gale` executable.';
/** Find the server executable, or explain why it cannot be found. */
function resolveServer(input) {
    const isExecutable = input.isExecutable ?? isExecutableFile;
    const home = input.home ?? os.homedir();
    const configured = (input.configured ?? '').trim();
    const exe = input.platform === 'win32' ? 'gale.exe' : 'gale';
    const explicit = (value, source, what) => {
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
    if (configured.length > 0 && configured !== exports.DEFAULT_SERVER_PATH) {
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
    const onPath = findOnPath(exports.DEFAULT_SERVER_PATH, input.env, input.platform, isExecutable);
    if (onPath !== undefined) {
        return { ok: true, command: onPath, source: 'path' };
    }
    return {
        ok: false,
        message: `The Gale language server was not found: \`gale\` is not on PATH and no server is bundled with the extension. ${INSTALL_HINT}`,
    };
}
//# sourceMappingURL=server.js.map