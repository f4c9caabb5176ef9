// Copies the TextMate grammars from <repo>/grammar (their single source of truth) into
// dist/syntaxes, where package.json's contributes.grammars points. VSIX packaging can
// only include files under the extension folder, hence the copy.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, '..', '..', '..', 'grammar');
const target = join(here, '..', 'dist', 'syntaxes');
mkdirSync(target, { recursive: true });
for (const file of ['mistral.tmLanguage.json', 'mistral-expressions.injection.tmLanguage.json']) {
  copyFileSync(join(source, file), join(target, file));
  console.log(`grammar: ${file} -> dist/syntaxes/`);
}
