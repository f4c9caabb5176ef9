//! The documentation of every diagnostic code this crate emits.

use gale_diagnostics::{CodeInfo, Severity};

/// Every code `gale_syntax` emits.
pub const CODES: &[CodeInfo] = &[
    CodeInfo {
        code: "yaml-syntax",
        severity: Severity::Error,
        summary: "the file is not YAML that Mistral's loader can read",
        explanation: "Mistral reads definitions with PyYAML's YAML 1.1 `SafeLoader` (with `&` and `*` \
read as plain text). Anything that loader rejects makes Mistral reject the whole file with \
`Definition could not be parsed: …`. Gale reports the problem where it is and keeps checking what \
it could read.\n\n\
Common causes: an unquoted Jinja expression (`key: {{ _.x }}` is a YAML flow mapping used as a \
key), a tab used for indentation, `key: value: other` on one line, an anchor (`&a`) followed by a \
nested mapping, a second document after `---`.\n\n\
**Fix:** quote values that start with `{`, `[`, `*`, `&` or contain `: `; indent with spaces.",
    },
    CodeInfo {
        code: "yaml-too-deep",
        severity: Severity::Error,
        summary: "the YAML nesting is deeper than Gale reads",
        explanation: "Collections nested more than 128 levels deep are not read (a defence against \
nesting bombs). No real workflow comes close.\n\n**Fix:** flatten the data.",
    },
    CodeInfo {
        code: "yaml-too-large",
        severity: Severity::Error,
        summary: "the file is too large to read",
        explanation: "Files of 4 GiB or more are not read.\n\n**Fix:** split the file.",
    },
    CodeInfo {
        code: "duplicate-key",
        severity: Severity::Warning,
        summary: "a mapping has the same key twice; Mistral silently keeps the last",
        explanation: "PyYAML accepts duplicate keys and keeps the last value, so the first \
definition silently disappears. (A duplicated task or workflow name is reported as an error by \
its own check.)\n\n```yaml\ninput:\n  x: 1\n  x: 2   # duplicate-key: `x` is 2\n```\n\n\
**Fix:** remove or rename one of them.",
    },
    CodeInfo {
        code: "yaml-11-key",
        severity: Severity::Warning,
        summary: "a mapping key is read as a boolean, number or null, not as text",
        explanation: "YAML 1.1 (which Mistral uses) reads `on`, `off`, `yes`, `no`, \
`true`, `false`, numbers and `~` as typed values, also as keys. `on:` is the boolean `True`, so \
Mistral never sees a key named `on`.\n\n**Fix:** quote the key: `'on':`.",
    },
    CodeInfo {
        code: "yaml-11-value",
        severity: Severity::Warning,
        summary: "a value's type differs between YAML 1.1 and 1.2 in a surprising way",
        explanation: "Mistral reads YAML 1.1: `1:30` is the integer 90 (base 60) and `017` is the \
octal 15. Most other YAML tools (YAML 1.2) read them as the text `1:30` and the number 17.\n\n\
**Fix:** quote the value if you meant text (`'1:30'`), or write the number plainly.",
    },
];
