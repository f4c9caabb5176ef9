/**
 * Content-based detection of Mistral Workflow Language v2 documents.
 *
 * VS Code consults a language's `firstLine` pattern only when no file extension or
 * filename pattern matched, so a `*.yaml` file is always `yaml` first. The extension
 * therefore re-checks opened YAML documents with {@link looksLikeMistral} and switches
 * them to the `mistral` language. Kept free of the `vscode` API so it is unit-tested
 * in plain Node.
 */

/** How many lines are inspected at most. */
const MAX_LINES = 400;

const VERSION = /^version\s*:\s*(['"]?)2\.0\1\s*(#.*)?$/;
const MISTRAL_TOP_KEY = /^(workflows|actions)\s*:\s*(#.*)?$/;
const TASKS_KEY = /^[ \t]+tasks\s*:\s*(#.*)?$/;
/** Top-level keys of other `version: '2.0'` formats (Docker Compose). */
const FOREIGN_TOP_KEY = /^(services|volumes|networks)\s*:/;

/**
 * Does this text look like a Mistral v2 workflow or workbook definition?
 *
 * True when a top-level `version: '2.0'` (any quoting) appears and the document has a
 * Mistral-shaped key: an indented `tasks:` or a top-level `workflows:`/`actions:`;
 * Docker Compose files (which also use `version: '2.0'`) are rejected.
 */
export function looksLikeMistral(text: string): boolean {
  let version = false;
  let mistralKey = false;
  const lines = text.split(/\r?\n/, MAX_LINES);
  for (const line of lines) {
    if (VERSION.test(line)) {
      version = true;
    } else if (MISTRAL_TOP_KEY.test(line) || TASKS_KEY.test(line)) {
      mistralKey = true;
    } else if (FOREIGN_TOP_KEY.test(line)) {
      return false;
    }
  }
  return version && mistralKey;
}

/** The `firstLine` pattern contributed in package.json, kept here to test it. */
export const FIRST_LINE_PATTERN = "^version:\\s*(['\"]?)2\\.0\\1\\s*(#.*)?$";
