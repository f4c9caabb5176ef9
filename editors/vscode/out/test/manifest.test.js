"use strict";
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
// Consistency of package.json contributions, the language configuration and the grammars.
const strict_1 = __importDefault(require("node:assert/strict"));
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const node_test_1 = require("node:test");
const detect_1 = require("../src/detect");
// Compiled to out/test/*.js: the extension folder is two levels up.
const root = (0, node_path_1.join)(__dirname, '..', '..');
const grammarDir = (0, node_path_1.join)(root, '..', '..', 'grammar');
const pkg = JSON.parse((0, node_fs_1.readFileSync)((0, node_path_1.join)(root, 'package.json'), 'utf8'));
(0, node_test_1.test)('language id, extensions and firstLine', () => {
    const [lang] = pkg.contributes.languages;
    strict_1.default.equal(lang.id, 'mistral');
    strict_1.default.deepEqual(lang.extensions, ['.mistral.yaml', '.mistral.yml', '.mistral']);
    strict_1.default.equal(lang.firstLine, detect_1.FIRST_LINE_PATTERN);
    strict_1.default.ok((0, node_fs_1.existsSync)((0, node_path_1.join)(root, lang.configuration)));
});
(0, node_test_1.test)('grammars point at dist/syntaxes copies of grammar/ files with matching scope names', () => {
    const grammars = pkg.contributes.grammars;
    strict_1.default.deepEqual(grammars.map((g) => g.scopeName), ['source.mistral', 'source.mistral.expressions']);
    for (const g of grammars) {
        strict_1.default.match(g.path, /^\.\/dist\/syntaxes\/[^/]+\.json$/);
        const source = JSON.parse((0, node_fs_1.readFileSync)((0, node_path_1.join)(grammarDir, g.path.split('/').pop()), 'utf8'));
        strict_1.default.equal(source.scopeName, g.scopeName);
    }
    strict_1.default.deepEqual(grammars[1].injectTo, ['source.mistral']);
});
(0, node_test_1.test)('contributed grammars match the ones tested in grammar/package.json', () => {
    const tested = JSON.parse((0, node_fs_1.readFileSync)((0, node_path_1.join)(grammarDir, 'package.json'), 'utf8')).contributes.grammars;
    const strip = (g) => ({
        scopeName: g.scopeName,
        file: g.path.split('/').pop(),
        injectTo: g.injectTo,
    });
    strict_1.default.deepEqual(pkg.contributes.grammars.map(strip), tested.map(strip));
});
(0, node_test_1.test)('language configuration: comments and expression delimiters auto-close', () => {
    const config = JSON.parse((0, node_fs_1.readFileSync)((0, node_path_1.join)(root, 'language-configuration.json'), 'utf8'));
    strict_1.default.equal(config.comments.lineComment, '#');
    const pairs = new Map(config.autoClosingPairs.map((p) => [p.open, p.close]));
    // `{{` comes from `{` twice: `{` -> `{}` then `{` -> `{{}}`.
    strict_1.default.equal(pairs.get('{'), '}');
    strict_1.default.equal(pairs.get('<%'), ' %>');
    // `{` has already inserted `}`, so `{%` only adds ` %`, giving `{% | %}`.
    strict_1.default.equal(pairs.get('{%'), ' %');
    strict_1.default.equal(pairs.get('{#'), ' #');
    const brackets = config.brackets.map((b) => b.join(' '));
    strict_1.default.ok(brackets.includes('<% %>') && brackets.includes('{% %}'));
});
(0, node_test_1.test)('settings, commands and engine', () => {
    const props = pkg.contributes.configuration.properties;
    strict_1.default.equal(props['gale.server.path'].default, 'gale');
    strict_1.default.ok(props['gale.trace.server']);
    const commands = pkg.contributes.commands.map((c) => c.command);
    strict_1.default.deepEqual(commands, ['gale.restartServer', 'gale.showOutput']);
    const typesVscode = JSON.parse((0, node_fs_1.readFileSync)((0, node_path_1.join)(root, 'node_modules/@types/vscode/package.json'), 'utf8')).version;
    strict_1.default.equal(`^${typesVscode}`, pkg.engines.vscode, '@types/vscode must match engines.vscode');
});
//# sourceMappingURL=manifest.test.js.map