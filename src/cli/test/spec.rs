//! The test file format (`*.test.yaml`, see `docs/testing.md`), read with
//! `gale_syntax` so that every error and every expectation keeps its
//! `file:line:column`.
//!
//! Reading never panics: any shape problem becomes a [`FileError`] located at the
//! offending node.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gale_diagnostics::LineIndex;
use gale_syntax::{IntValue, Node, NodeKind, ScalarValue};
use serde_json::{Map, Value as Json};

/// A 1-based position in a test file.
#[derive(Clone, Debug, PartialEq)]
pub struct Loc {
    /// The test file as given on the command line (or found in a folder).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// A problem in a test file (exit code 2).
#[derive(Clone, Debug, PartialEq)]
pub struct FileError {
    /// Where (file only when no position is known).
    pub loc: Option<Loc>,
    /// The file, always.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.loc {
            Some(l) => write!(f, "{l}: error: {}", self.message),
            None => write!(f, "{}: error: {}", self.file, self.message),
        }
    }
}

/// One test file.
#[derive(Clone, Debug)]
pub struct TestFile {
    /// The path as shown in reports.
    pub display: String,
    /// The tests, in file order.
    pub tests: Vec<TestCase>,
}

/// One test.
#[derive(Clone, Debug)]
pub struct TestCase {
    /// Its name.
    pub name: String,
    /// Where its entry starts.
    pub loc: Loc,
    /// The workflow document (resolved against the test file's folder).
    pub workflow_file: PathBuf,
    /// Where `workflow-file` was written.
    pub workflow_file_loc: Loc,
    /// The workflow to start (default: the document's first workflow).
    pub workflow: Option<String>,
    /// Workflow input.
    pub input: Map<String, Json>,
    /// Execution environment.
    pub env: Option<Json>,
    /// Target task of a reverse workflow.
    pub task: Option<String>,
    /// Multiplier on the engine's waits; `None` = automatic.
    pub time_scale: Option<f64>,
    /// Real-time limit of the run, in seconds.
    pub timeout: f64,
    /// Mocked actions and tasks.
    pub mocks: Mocks,
    /// What must hold at the end.
    pub expect: Expect,
}

/// Mocks of one test.
#[derive(Clone, Debug, Default)]
pub struct Mocks {
    /// By action name (`std.http`): every call of that action.
    pub actions: BTreeMap<String, Mock>,
    /// By task name: the action of that task, whatever it is.
    pub tasks: BTreeMap<String, Mock>,
}

/// One mock.
#[derive(Clone, Debug, PartialEq)]
pub struct Mock {
    /// What it answers.
    pub kind: MockKind,
    /// Seconds to wait before answering (scaled by the time scale).
    pub delay: f64,
    /// Where it is written.
    pub loc: Loc,
}

/// What a mock answers.
#[derive(Clone, Debug, PartialEq)]
pub enum MockKind {
    /// Success with this result.
    Result(Json),
    /// Failure with this error payload.
    Error(Json),
    /// One mock per with-items iteration (by item index).
    Results(Vec<Mock>),
    /// One mock per successive call (retries), counted per task and iteration.
    Calls(Vec<Mock>),
    /// Never answers (an asynchronous action left RUNNING).
    Pending,
}

/// Expectations of one test.
#[derive(Clone, Debug, Default)]
pub struct Expect {
    /// The root execution's state.
    pub state: Option<(Expected, Loc)>,
    /// Its state info.
    pub state_info: Option<(Expected, Loc)>,
    /// Its output.
    pub output: Option<(Expected, Loc)>,
    /// The workflow must not start, with this error (e.g. invalid input).
    pub start_error: Option<(Expected, Loc)>,
    /// Per task.
    pub tasks: Vec<TaskExpect>,
}

/// Expectations on one task (its last execution).
#[derive(Clone, Debug)]
pub struct TaskExpect {
    /// Task name.
    pub name: String,
    /// Where its entry is.
    pub loc: Loc,
    /// Named checks: (field, expected, where).
    pub checks: Vec<(String, Expected, Loc)>,
}

/// An expected value: plain data compared exactly, with matchers inside.
#[derive(Clone, Debug)]
pub enum Expected {
    /// A scalar compared exactly (numbers by value).
    Value(Json),
    /// A list: same length, item by item.
    List(Vec<Expected>),
    /// A mapping: same keys (`subset` false) or at least these keys.
    Map {
        /// Entries in file order.
        entries: Vec<(String, Expected)>,
        /// `$subset`: other keys are allowed.
        subset: bool,
    },
    /// `$contains`: a substring of a string, an item of a list, a key of a mapping.
    Contains(Json),
    /// `$matches`: a regular expression found in the string (Python syntax).
    Matches(String, Box<fancy_regex::Regex>),
    /// `$any`: anything (the key must exist).
    Any,
}

/// Test-file keys, for "did you mean".
const FILE_KEYS: &[&str] = &[
    "workflow-file",
    "workflow",
    "time-scale",
    "timeout",
    "env",
    "mocks",
    "tests",
];
const TEST_KEYS: &[&str] = &[
    "name",
    "workflow-file",
    "workflow",
    "input",
    "env",
    "task",
    "time-scale",
    "timeout",
    "mocks",
    "expect",
];
const MOCKS_KEYS: &[&str] = &["actions", "tasks"];
const MOCK_KEYS: &[&str] = &["result", "error", "results", "calls", "pending", "delay"];
const EXPECT_KEYS: &[&str] = &["state", "state_info", "output", "tasks", "start_error"];
const TASK_KEYS: &[&str] = &[
    "state",
    "state_info",
    "published",
    "result",
    "input",
    "action_executions",
    "runs",
];
const STATES: &[&str] = &[
    "SUCCESS",
    "ERROR",
    "RUNNING",
    "PAUSED",
    "CANCELLED",
    "WAITING",
    "IDLE",
    "RUNNING_DELAYED",
];

struct Reader<'a> {
    text: &'a str,
    index: LineIndex,
    file: String,
}

type R<T> = Result<T, FileError>;

impl Reader<'_> {
    fn loc(&self, node: &Node) -> Loc {
        self.loc_at(node.span.start)
    }

    fn loc_at(&self, offset: u32) -> Loc {
        let lc = self.index.line_col(self.text, offset);
        Loc {
            file: self.file.clone(),
            line: lc.line + 1,
            col: lc.col + 1,
        }
    }

    fn err<T>(&self, node: &Node, message: impl Into<String>) -> R<T> {
        Err(FileError {
            loc: Some(self.loc(node)),
            file: self.file.clone(),
            message: message.into(),
        })
    }

    /// The entries of a mapping node, keys as strings, rejecting unknown and
    /// duplicate keys when `known` is given.
    fn entries<'n>(
        &self,
        node: &'n Node,
        what: &str,
        known: Option<&[&str]>,
    ) -> R<Vec<(String, &'n Node, &'n Node)>> {
        let Some(m) = node.as_mapping() else {
            return self.err(node, format!("{what} must be a mapping"));
        };
        let mut out: Vec<(String, &Node, &Node)> = Vec::new();
        for e in &m.entries {
            let key = match &e.key.kind {
                NodeKind::Scalar(s) => s.text.clone(),
                _ => return self.err(&e.key, format!("{what}: keys must be plain text")),
            };
            if out.iter().any(|(k, _, _)| *k == key) {
                return self.err(&e.key, format!("duplicate key `{key}` in {what}"));
            }
            if let Some(known) = known
                && !known.contains(&key.as_str())
            {
                let hint = match did_you_mean(&key, known) {
                    Some(k) => format!(" (did you mean `{k}`?)"),
                    None => format!(" (expected one of: {})", known.join(", ")),
                };
                return self.err(&e.key, format!("unknown key `{key}` in {what}{hint}"));
            }
            out.push((key, &e.key, &e.value));
        }
        Ok(out)
    }

    fn string(&self, node: &Node, what: &str) -> R<String> {
        match &node.kind {
            NodeKind::Scalar(s) if !node.is_null() => Ok(s.text.clone()),
            _ => self.err(node, format!("{what} must be a string")),
        }
    }

    fn number(&self, node: &Node, what: &str) -> R<f64> {
        match self.json(node)? {
            Json::Number(n) => match n.as_f64() {
                Some(x) if x >= 0.0 => Ok(x),
                _ => self.err(node, format!("{what} must be a number ≥ 0")),
            },
            _ => self.err(node, format!("{what} must be a number ≥ 0")),
        }
    }

    /// Plain data: YAML 1.1 values as Mistral's loader resolves them.
    fn json(&self, node: &Node) -> R<Json> {
        match &node.kind {
            NodeKind::Scalar(s) => Ok(match &s.value {
                ScalarValue::Null => Json::Null,
                ScalarValue::Bool(b) => Json::Bool(*b),
                ScalarValue::Int(IntValue::Small(i)) => {
                    if let Ok(v) = i64::try_from(*i) {
                        Json::from(v)
                    } else if let Ok(v) = u64::try_from(*i) {
                        Json::from(v)
                    } else {
                        Json::from(*i as f64)
                    }
                }
                ScalarValue::Int(IntValue::Big(d)) => {
                    serde_json::from_str(d).unwrap_or_else(|_| Json::String(d.clone()))
                }
                ScalarValue::Float(f) => match serde_json::Number::from_f64(*f) {
                    Some(n) => Json::Number(n),
                    None => return self.err(node, "NaN and infinity are not JSON values"),
                },
                ScalarValue::Timestamp(t) => Json::String(t.clone()),
                ScalarValue::Str => Json::String(s.text.clone()),
            }),
            NodeKind::Sequence(seq) => seq
                .items
                .iter()
                .map(|n| self.json(n))
                .collect::<R<Vec<_>>>()
                .map(Json::Array),
            NodeKind::Mapping(_) => {
                let mut m = Map::new();
                for (k, _, v) in self.entries(node, "a mapping", None)? {
                    m.insert(k, self.json(v)?);
                }
                Ok(Json::Object(m))
            }
        }
    }

    fn expected(&self, node: &Node) -> R<Expected> {
        match &node.kind {
            NodeKind::Scalar(_) => Ok(Expected::Value(self.json(node)?)),
            NodeKind::Sequence(seq) => seq
                .items
                .iter()
                .map(|n| self.expected(n))
                .collect::<R<Vec<_>>>()
                .map(Expected::List),
            NodeKind::Mapping(_) => {
                let entries = self.entries(node, "an expected mapping", None)?;
                if let [(key, key_node, value)] = entries.as_slice()
                    && key.starts_with('$')
                {
                    return match key.as_str() {
                        "$contains" => Ok(Expected::Contains(self.json(value)?)),
                        "$matches" => {
                            let re = self.string(value, "`$matches`")?;
                            match fancy_regex::Regex::new(&re) {
                                Ok(r) => Ok(Expected::Matches(re, Box::new(r))),
                                Err(e) => self.err(value, format!("invalid regular expression: {e}")),
                            }
                        }
                        "$subset" => match self.expected(value)? {
                            Expected::Map { entries, .. } => Ok(Expected::Map {
                                entries,
                                subset: true,
                            }),
                            _ => self.err(value, "`$subset` takes a mapping"),
                        },
                        "$any" => Ok(Expected::Any),
                        other => self.err(
                            key_node,
                            format!(
                                "unknown matcher `{other}` (matchers: $contains, $matches, $subset, $any)"
                            ),
                        ),
                    };
                }
                let mut out = Vec::new();
                for (k, _, v) in entries {
                    out.push((k, self.expected(v)?));
                }
                Ok(Expected::Map {
                    entries: out,
                    subset: false,
                })
            }
        }
    }

    fn mock(&self, node: &Node, what: &str) -> R<Mock> {
        let entries = self.entries(node, what, Some(MOCK_KEYS))?;
        let mut kind: Option<MockKind> = None;
        let mut delay = 0.0;
        for (key, key_node, value) in entries {
            let k = match key.as_str() {
                "delay" => {
                    delay = self.number(value, "`delay`")?;
                    continue;
                }
                "result" => MockKind::Result(self.json(value)?),
                "error" => MockKind::Error(self.json(value)?),
                "pending" => match self.json(value)? {
                    Json::Bool(true) => MockKind::Pending,
                    _ => return self.err(value, "`pending` takes `true`"),
                },
                "results" | "calls" => {
                    let Some(seq) = value.as_sequence() else {
                        return self.err(value, format!("`{key}` takes a list of mocks"));
                    };
                    if seq.items.is_empty() {
                        return self.err(value, format!("`{key}` needs at least one mock"));
                    }
                    let mocks = seq
                        .items
                        .iter()
                        .enumerate()
                        .map(|(i, n)| self.mock(n, &format!("{what}.{key}[{i}]")))
                        .collect::<R<Vec<_>>>()?;
                    if key == "results" {
                        MockKind::Results(mocks)
                    } else {
                        MockKind::Calls(mocks)
                    }
                }
                _ => continue,
            };
            if kind.is_some() {
                return self.err(
                    key_node,
                    format!("{what}: give only one of result, error, results, calls, pending"),
                );
            }
            kind = Some(k);
        }
        let Some(kind) = kind else {
            return self.err(
                node,
                format!("{what}: a mock needs one of result, error, results, calls, pending"),
            );
        };
        Ok(Mock {
            kind,
            delay,
            loc: self.loc(node),
        })
    }

    fn mocks(&self, node: &Node) -> R<Mocks> {
        let mut mocks = Mocks::default();
        for (key, _, value) in self.entries(node, "`mocks`", Some(MOCKS_KEYS))? {
            let table = if key == "actions" {
                &mut mocks.actions
            } else {
                &mut mocks.tasks
            };
            for (name, _, m) in self.entries(value, &format!("`mocks.{key}`"), None)? {
                let mock = self.mock(m, &format!("mocks.{key}.{name}"))?;
                table.insert(name, mock);
            }
        }
        Ok(mocks)
    }

    fn state(&self, node: &Node, what: &str) -> R<Expected> {
        let e = self.expected(node)?;
        if let Expected::Value(Json::String(s)) = &e
            && !STATES.contains(&s.as_str())
        {
            let hint = did_you_mean(&s.to_uppercase(), STATES)
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            return self.err(node, format!("{what}: `{s}` is not a Mistral state{hint}"));
        }
        Ok(e)
    }

    fn expect(&self, node: &Node) -> R<Expect> {
        let mut ex = Expect::default();
        for (key, _, value) in self.entries(node, "`expect`", Some(EXPECT_KEYS))? {
            let loc = self.loc(value);
            match key.as_str() {
                "state" => ex.state = Some((self.state(value, "expect.state")?, loc)),
                "state_info" => ex.state_info = Some((self.expected(value)?, loc)),
                "output" => ex.output = Some((self.expected(value)?, loc)),
                "start_error" => ex.start_error = Some((self.expected(value)?, loc)),
                _ => {
                    for (name, name_node, t) in self.entries(value, "`expect.tasks`", None)? {
                        let mut checks = Vec::new();
                        for (field, _, v) in
                            self.entries(t, &format!("`expect.tasks.{name}`"), Some(TASK_KEYS))?
                        {
                            let e = if field == "state" {
                                self.state(v, &format!("expect.tasks.{name}.state"))?
                            } else {
                                self.expected(v)?
                            };
                            checks.push((field, e, self.loc(v)));
                        }
                        ex.tasks.push(TaskExpect {
                            name,
                            loc: self.loc(name_node),
                            checks,
                        });
                    }
                }
            }
        }
        Ok(ex)
    }
}

/// The closest known key within edit distance 2.
pub fn did_you_mean<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (levenshtein(word, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let v = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            cur.push(v);
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

/// Reads a test file. `display` is how the file is named in reports.
pub fn read(path: &Path, display: &str) -> Result<TestFile, FileError> {
    let file_err = |message: String| FileError {
        loc: None,
        file: display.to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_err(e.to_string()))?;
    let parsed = gale_syntax::parse(&text);
    let r = Reader {
        text: &text,
        index: LineIndex::new(&text),
        file: display.to_string(),
    };
    if let Some(d) = parsed
        .diagnostics
        .iter()
        .find(|d| d.severity == gale_diagnostics::Severity::Error)
    {
        return Err(FileError {
            loc: Some(r.loc_at(d.primary.span.start)),
            file: display.to_string(),
            message: d.message.clone(),
        });
    }
    let Some(root) = parsed.root.as_ref() else {
        return Err(file_err("the test file is empty".into()));
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let mut workflow_file: Option<(PathBuf, Loc)> = None;
    let mut workflow = None;
    let mut time_scale = None;
    let mut timeout = 60.0;
    let mut tests_node = None;
    let mut file_env = None;
    let mut file_mocks = Mocks::default();
    for (key, _, value) in r.entries(root, "a test file", Some(FILE_KEYS))? {
        match key.as_str() {
            "workflow-file" => {
                workflow_file = Some((base.join(r.string(value, "`workflow-file`")?), r.loc(value)))
            }
            "workflow" => workflow = Some(r.string(value, "`workflow`")?),
            "time-scale" => time_scale = Some(r.number(value, "`time-scale`")?),
            "timeout" => timeout = r.number(value, "`timeout`")?,
            "env" => file_env = Some(r.json(value)?),
            "mocks" => file_mocks = r.mocks(value)?,
            _ => tests_node = Some(value),
        }
    }
    let Some(tests_node) = tests_node else {
        return r.err(root, "a test file needs `tests:` (a list of tests)");
    };
    let Some(seq) = tests_node.as_sequence() else {
        return r.err(tests_node, "`tests` must be a list of tests");
    };
    let mut tests = Vec::new();
    for item in &seq.items {
        let entries = r.entries(item, "a test", Some(TEST_KEYS))?;
        let mut name = None;
        let mut case_file = workflow_file.clone();
        let mut case = TestCase {
            name: String::new(),
            loc: r.loc(item),
            workflow_file: PathBuf::new(),
            workflow_file_loc: r.loc(item),
            workflow: workflow.clone(),
            input: Map::new(),
            env: file_env.clone(),
            task: None,
            time_scale,
            timeout,
            mocks: file_mocks.clone(),
            expect: Expect::default(),
        };
        for (key, _, value) in entries {
            match key.as_str() {
                "name" => name = Some(r.string(value, "`name`")?),
                "workflow-file" => {
                    case_file = Some((base.join(r.string(value, "`workflow-file`")?), r.loc(value)))
                }
                "workflow" => case.workflow = Some(r.string(value, "`workflow`")?),
                "input" => match r.json(value)? {
                    Json::Object(m) => case.input = m,
                    Json::Null => {}
                    _ => return r.err(value, "`input` must be a mapping"),
                },
                "env" => case.env = Some(r.json(value)?),
                "task" => case.task = Some(r.string(value, "`task`")?),
                "time-scale" => case.time_scale = Some(r.number(value, "`time-scale`")?),
                "timeout" => case.timeout = r.number(value, "`timeout`")?,
                "mocks" => {
                    // The test's mocks add to (and override by name) the file's.
                    let m = r.mocks(value)?;
                    case.mocks.actions.extend(m.actions);
                    case.mocks.tasks.extend(m.tasks);
                }
                _ => case.expect = r.expect(value)?,
            }
        }
        let Some(name) = name else {
            return r.err(item, "a test needs a `name`");
        };
        if tests.iter().any(|t: &TestCase| t.name == name) {
            return r.err(item, format!("two tests are named `{name}`"));
        }
        let Some((wf_file, wf_loc)) = case_file else {
            return r.err(
                item,
                "no `workflow-file`: give it at the top of the file or in the test",
            );
        };
        case.name = name;
        case.workflow_file = wf_file;
        case.workflow_file_loc = wf_loc;
        tests.push(case);
    }
    Ok(TestFile {
        display: display.to_string(),
        tests,
    })
}

/// Reads `text` (a YAML value) as an [`Expected`], for tests.
#[cfg(test)]
pub fn expected_from(text: &str) -> R<Expected> {
    let parsed = gale_syntax::parse(text);
    let r = Reader {
        text,
        index: LineIndex::new(text),
        file: "t".into(),
    };
    match parsed.root.as_ref() {
        Some(root) => r.expected(root),
        None => Ok(Expected::Value(Json::Null)),
    }
}
