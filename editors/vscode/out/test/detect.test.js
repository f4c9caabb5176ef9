"use strict";
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
// Unit tests for content-based Mistral detection and the contributed firstLine pattern.
const strict_1 = __importDefault(require("node:assert/strict"));
const node_test_1 = require("node:test");
const detect_1 = require("../src/detect");
const workflow = `---
version: '2.0'
my_wf:
  tasks:
    t1:
      action: std.noop
`;
(0, node_test_1.test)('workflow after --- with single-quoted version', () => {
    strict_1.default.equal((0, detect_1.looksLikeMistral)(workflow), true);
});
(0, node_test_1.test)('workbook with name before version and double quotes', () => {
    strict_1.default.equal((0, detect_1.looksLikeMistral)('name: wb\nversion: "2.0"\nworkflows:\n  wf:\n    tasks: {}\n'), true);
});
(0, node_test_1.test)('unquoted version and a top-level actions section', () => {
    strict_1.default.equal((0, detect_1.looksLikeMistral)('version: 2.0\nactions:\n  a:\n    base: std.echo\n'), true);
});
(0, node_test_1.test)('Docker Compose with version 2.0 is not Mistral', () => {
    strict_1.default.equal((0, detect_1.looksLikeMistral)("version: '2.0'\nservices:\n  web:\n    image: x\n    tasks:\n"), false);
});
(0, node_test_1.test)('version alone, other versions, nested version are not Mistral', () => {
    strict_1.default.equal((0, detect_1.looksLikeMistral)("version: '2.0'\nfoo: bar\n"), false);
    strict_1.default.equal((0, detect_1.looksLikeMistral)("version: '1.0'\nwf:\n  tasks:\n"), false);
    strict_1.default.equal((0, detect_1.looksLikeMistral)("x:\n  version: '2.0'\n  tasks:\n"), false);
    strict_1.default.equal((0, detect_1.looksLikeMistral)("version: '2.0\"\nwf:\n  tasks:\n"), false);
});
(0, node_test_1.test)('CRLF line endings', () => {
    strict_1.default.equal((0, detect_1.looksLikeMistral)(workflow.replace(/\n/g, '\r\n')), true);
});
(0, node_test_1.test)('firstLine pattern (package.json) accepts the version line in any quoting', () => {
    const re = new RegExp(detect_1.FIRST_LINE_PATTERN);
    for (const line of ["version: '2.0'", 'version: "2.0"', 'version: 2.0', "version:   '2.0'  # v2"]) {
        strict_1.default.ok(re.test(line), line);
    }
    for (const line of ['---', "version: '2.0\"", "version: '2.01'", "  version: '2.0'", "version: '1.0'"]) {
        strict_1.default.ok(!re.test(line), line);
    }
});
//# sourceMappingURL=detect.test.js.map