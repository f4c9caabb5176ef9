// Consistency of package.json contributions, the language configuration and the grammars.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIRST_LINE_PATTERN } from '../src/detect';

// Compiled to out/test/*.js: the extension folder is two levels up.
const root = join(__dirname, '..', '..');
const grammarDir = join(root, '..', '..', 'grammar');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

test('language id, extensions and firstLine', () => {
  const [lang] = pkg.contributes.languages;
  assert.equal(lang.id, 'mistral');
  assert.deepEqual(lang.extensions, ['.mistral.yaml', '.mistral.yml', '.mistral']);
  assert.equal(lang.firstLine, FIRST_LINE_PATTERN);
  assert.ok(existsSync(join(root, lang.configuration)));
});

test('grammars point at dist/syntaxes copies of grammar/ files with matching scope names', () => {
  const grammars: { scopeName: string; path: string; injectTo?: string[] }[] = pkg.contributes.grammars;
  assert.deepEqual(
    grammars.map((g) => g.scopeName),
    ['source.mistral', 'source.mistral.expressions'],
  );
  for (const g of grammars) {
    assert.match(g.path, /^\.\/dist\/syntaxes\/[^/]+\.json$/);
    const source = JSON.parse(readFileSync(join(grammarDir, g.path.split('/').pop() as string), 'utf8'));
    assert.equal(source.scopeName, g.scopeName);
  }
  assert.deepEqual(grammars[1].injectTo, ['source.mistral']);
});

test('contributed grammars match the ones tested in grammar/package.json', () => {
  const tested = JSON.parse(readFileSync(join(grammarDir, 'package.json'), 'utf8')).contributes.grammars;
  const strip = (g: { scopeName: string; path: string; injectTo?: string[] }) => ({
    scopeName: g.scopeName,
    file: g.path.split('/').pop(),
    injectTo: g.injectTo,
  });
  assert.deepEqual(pkg.contributes.grammars.map(strip), tested.map(strip));
});

test('language configuration: comments and expression delimiters auto-close', () => {
  const config = JSON.parse(readFileSync(join(root, 'language-configuration.json'), 'utf8'));
  assert.equal(config.comments.lineComment, '#');
  const pairs = new Map(config.autoClosingPairs.map((p: { open: string; close: string }) => [p.open, p.close]));
  // `{{` comes from `{` twice: `{` -> `{}` then `{` -> `{{}}`.
  assert.equal(pairs.get('{'), '}');
  assert.equal(pairs.get('<%'), ' %>');
  // `{` has already inserted `}`, so `{%` only adds ` %`, giving `{% | %}`.
  assert.equal(pairs.get('{%'), ' %');
  assert.equal(pairs.get('{#'), ' #');
  const brackets = config.brackets.map((b: string[]) => b.join(' '));
  assert.ok(brackets.includes('<% %>') && brackets.includes('{% %}'));
});

test('settings, commands and engine', () => {
  const props = pkg.contributes.configuration.properties;
  assert.equal(props['gale.server.path'].default, 'gale');
  assert.ok(props['gale.trace.server']);
  const commands = pkg.contributes.commands.map((c: { command: string }) => c.command);
  assert.deepEqual(commands, ['gale.restartServer', 'gale.showOutput']);
  const typesVscode = JSON.parse(readFileSync(join(root, 'node_modules/@types/vscode/package.json'), 'utf8')).version;
  assert.equal(`^${typesVscode}`, pkg.engines.vscode, '@types/vscode must match engines.vscode');
});
