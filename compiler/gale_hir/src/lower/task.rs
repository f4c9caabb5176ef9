//! Tasks: every key Mistral accepts, `action`/`workflow` with inline parameters,
//! `input`, `with-items`, `publish*`, `join`, `requires`, and the task-level checks
//! (name length, `action` with `workflow`, inline parameters with a string input).

use gale_diagnostics::{Diagnostic, Span};
use gale_syntax::{Entry, Node, Scalar, ScalarValue};

use super::inline_params::{Alteration, CmdAndParams, parse_cmd_and_input};
use super::{Lower, describe, last_entries, positive_integer};
use crate::model::{
    BoolOrExpr, Call, CallKind, Collection, DataMap, Join, Policies, Task, TaskInput, Value,
    WithItem, WorkflowType,
};
use crate::schema::{DIRECT_TASK_KEYS, INJECTED_TASK_KEYS, MAX_JOIN_TASK_NAME, MAX_TASK_NAME};
use crate::source_map::Item;

impl Lower {
    /// Lowers one task `name: body` of a workflow of type `kind`.
    pub fn task(&mut self, entry: &Entry, name: &str, kind: WorkflowType) -> Option<Task> {
        let id = self.task_id();
        let item = Item::Task(id);
        self.map.set_item(item, entry.key.span, entry.value.span);
        let what = format!("task `{name}`");
        let body = match entry.value.as_mapping() {
            Some(m) if m.entries.is_empty() => {
                self.push(
                    Diagnostic::error(
                        "empty-value",
                        entry.value.span,
                        format!("{what} has no attributes"),
                    )
                    .with_help("give it an `action`, or `action: std.noop`"),
                );
                return None;
            }
            Some(m) => m,
            None => {
                self.wrong_type(&entry.value, &what, "a mapping of task attributes");
                return None;
            }
        };
        let direct = kind == WorkflowType::Direct;
        let mut task = Task {
            id,
            name: name.to_string(),
            description: None,
            tags: Vec::new(),
            call: Call {
                kind: CallKind::Action,
                name: "std.noop".to_string(),
                inline: Vec::new(),
                explicit: false,
            },
            input: TaskInput::None,
            with_items: Vec::new(),
            publish: None,
            publish_on_error: None,
            publish_on_skip: None,
            policies: Policies::default(),
            target: None,
            keep_result: BoolOrExpr::Bool(true),
            safe_rerun: None,
            join: None,
            on_success: None,
            on_error: None,
            on_complete: None,
            on_skip: None,
            requires: Vec::new(),
            inline_overrides: Vec::new(),
        };
        let mut action: Option<&Entry> = None;
        let mut workflow: Option<&Entry> = None;
        let mut input: Option<&Entry> = None;
        let mut join_entry: Option<&Entry> = None;
        let valid: &[&'static str] = if direct {
            crate::schema::DIRECT_WORKFLOW_TASK_KEYS
        } else {
            crate::schema::REVERSE_WORKFLOW_TASK_KEYS
        };

        for e in last_entries(body) {
            let key = e.key.as_key_str().unwrap_or("");
            if let Some(k) = valid.iter().find(|k| **k == key) {
                self.map.set_field(item, k, e.key.span, e.value.span);
            }
            let v = &e.value;
            match key {
                "action" => {
                    if self.nonempty_string(v, "`action`").is_some() {
                        action = Some(e);
                    }
                }
                "workflow" => {
                    if self.nonempty_string(v, "`workflow`").is_some() {
                        workflow = Some(e);
                    }
                }
                "input" => {
                    if v.as_mapping().is_some() {
                        if let Some(m) = self.data_map(v, "task `input`", item, "input") {
                            task.input = TaskInput::Map(m);
                            input = Some(e);
                        }
                    } else if v.as_str().is_some() {
                        if let Some(s) = self.nonempty_string(v, "task `input`") {
                            self.check_strings(v, item, "input");
                            task.input = TaskInput::Expression(s.to_string());
                            input = Some(e);
                        }
                    } else {
                        self.wrong_type(v, "task `input`", "a mapping of parameters, or an expression");
                    }
                }
                "with-items" => task.with_items = self.with_items(v, item),
                "publish" => task.publish = self.data_map(v, "`publish`", item, "publish"),
                "publish-on-error" => {
                    task.publish_on_error = self.data_map(v, "`publish-on-error`", item, "publish-on-error")
                }
                "publish-on-skip" => {
                    task.publish_on_skip = self.data_map(v, "`publish-on-skip`", item, "publish-on-skip")
                }
                "target" => {
                    if let Some(s) = self.nonempty_string(v, "`target`") {
                        task.target = Some(s.to_string());
                        self.check_strings(v, item, "target");
                    }
                }
                "keep-result" => {
                    if let Some(b) = self.bool_or_expr(v, item, "keep-result") {
                        task.keep_result = b;
                    }
                }
                "safe-rerun" => task.safe_rerun = self.bool_or_expr(v, item, "safe-rerun"),
                "description" => task.description = self.nonempty_string(v, "`description`").map(str::to_string),
                "tags" => task.tags = self.unique_string_list(v, "`tags`"),
                "join" if direct => {
                    task.join = self.join(v);
                    join_entry = Some(e);
                }
                "on-success" | "on-error" | "on-complete" | "on-skip" if direct => {
                    let Some(kind) = crate::model::ClauseKind::from_key(key) else { continue };
                    let clause = self.clause(v, kind.key(), item);
                    match kind {
                        crate::model::ClauseKind::OnSuccess => task.on_success = clause,
                        crate::model::ClauseKind::OnError => task.on_error = clause,
                        crate::model::ClauseKind::OnComplete => task.on_complete = clause,
                        crate::model::ClauseKind::OnSkip => task.on_skip = clause,
                    }
                }
                "requires" if !direct => task.requires = self.requires(v),
                _ if self.policy(e, key, item, &mut task.policies) => {}
                _ if INJECTED_TASK_KEYS.contains(&key) => self.push(
                    Diagnostic::warning(
                        "ignored-key",
                        e.key.span,
                        format!("Mistral replaces `{key}` of a task with its own value"),
                    )
                    .with_help("remove it"),
                ),
                "requires" => self.push(
                    Diagnostic::error(
                        "requires-in-direct-workflow",
                        e.key.span,
                        format!("`requires` is only allowed in reverse workflows ({what} is in a direct workflow)"),
                    )
                    .with_help("use `on-success` on the required task instead, or set `type: reverse` on the workflow"),
                ),
                _ if !direct && DIRECT_TASK_KEYS.contains(&key) => self.push(
                    Diagnostic::error(
                        "transition-in-reverse-workflow",
                        e.key.span,
                        format!("`{key}` is only allowed in direct workflows ({what} is in a reverse workflow)"),
                    )
                    .with_help("in a reverse workflow, list prerequisites with `requires`"),
                ),
                _ => {
                    let extra = if direct { "" } else { " (reverse workflow)" };
                    self.unknown_key(e, &format!("{what}{extra}"), valid, None);
                }
            }
        }

        // Name length.
        let len = name.chars().count();
        if len > MAX_TASK_NAME {
            self.push(
                Diagnostic::error(
                    "task-name-too-long",
                    entry.key.span,
                    format!(
                        "task name is {len} characters long; Mistral allows at most {MAX_TASK_NAME}"
                    ),
                )
                .with_help("shorten the name"),
            );
        } else if task.join.is_some() && len > MAX_JOIN_TASK_NAME {
            let span = join_entry.map_or(entry.key.span, |j| j.key.span);
            self.push(
                Diagnostic::error(
                    "task-name-too-long",
                    entry.key.span,
                    format!(
                        "the name of a task with `join` is {len} characters long; Mistral allows at most {MAX_JOIN_TASK_NAME}"
                    ),
                )
                .with_secondary(span, "because of this `join`")
                .with_help("shorten the name"),
            );
        }

        // action / workflow.
        if let (Some(a), Some(w)) = (action, workflow) {
            self.push(
                Diagnostic::error(
                    "action-and-workflow",
                    w.key.span,
                    format!("{what} has both `action` and `workflow`"),
                )
                .with_secondary(a.key.span, "`action` given here")
                .with_help("a task runs either an action or a sub-workflow: remove one of them"),
            );
        }
        let call_entry = action
            .map(|a| (a, CallKind::Action))
            .or(workflow.map(|w| (w, CallKind::Workflow)));
        if let Some((e, kind)) = call_entry
            && let Some(s) = e.value.as_scalar()
        {
            let field = if kind == CallKind::Action {
                "action"
            } else {
                "workflow"
            };
            if let Some((name, inline)) = self.command(s, e.value.span, item, field) {
                if !inline.is_empty() {
                    if let (TaskInput::Expression(_), Some(i)) = (&task.input, input) {
                        self.push(
                            Diagnostic::error(
                                "inline-parameters-with-string-input",
                                e.value.span,
                                "inline parameters cannot be combined with an `input` expression",
                            )
                            .with_secondary(i.value.span, "`input` is a string here")
                            .with_note(
                                "Mistral crashes on this combination when it reads the workflow",
                            )
                            .with_help(
                                "move the parameters into `input`, or drop them from the name",
                            ),
                        );
                    } else if let TaskInput::Map(m) = &mut task.input {
                        task.inline_overrides = merge_inline(m, &inline);
                    } else {
                        task.input = TaskInput::Map(inline.clone());
                    }
                }
                task.call = Call {
                    kind,
                    name,
                    inline,
                    explicit: true,
                };
            }
        }
        Some(task)
    }

    /// Splits `name p=v` of `action`/`workflow`/`base`, reporting what Mistral
    /// rejects or silently drops; checks the expressions of name and values.
    pub fn command(
        &mut self,
        s: &Scalar,
        span: Span,
        item: Item,
        field: &'static str,
    ) -> Option<(String, DataMap)> {
        let text = s.text.as_str();
        let Some(CmdAndParams {
            command,
            params,
            dropped,
            altered,
        }) = parse_cmd_and_input(text)
        else {
            self.push(
                Diagnostic::error(
                    "invalid-inline-parameters",
                    span,
                    format!("Mistral cannot read `{text}` as a name followed by parameters"),
                )
                .with_help("start with the name (letters, digits, `_`, `.`, `-`) or one expression, then `key=value` pairs"),
            );
            return None;
        };
        self.check_expr_range(s, command.clone());
        for p in &params {
            self.check_expr_range(s, p.value.clone());
        }
        for r in dropped {
            let shown = &text[r.clone()];
            let key = shown.split('=').next().unwrap_or(shown);
            let value = shown.split_once('=').map_or("", |(_, v)| v);
            let help = if value.is_empty() {
                "give it a value, or remove it".to_string()
            } else if matches!(
                value,
                "True" | "False" | "TRUE" | "FALSE" | "Null" | "None" | "NULL"
            ) {
                format!(
                    "write `{key}={}` (JSON spelling, lower case)",
                    match value {
                        "True" | "TRUE" => "true",
                        "False" | "FALSE" => "false",
                        _ => "null",
                    }
                )
            } else if value.starts_with('{') && value.ends_with('}') && !value.starts_with("{{") {
                format!(
                    "write the expression as `{key}=<% {} %>`",
                    value[1..value.len() - 1].trim()
                )
            } else {
                format!("quote the value: `{key}=\"{value}\"`")
            };
            self.push(
                Diagnostic::warning(
                    "ignored-inline-parameter",
                    s.offsets.span(r.start as u32, r.end as u32),
                    format!("Mistral silently drops the inline parameter `{key}`: its value is not one it can read"),
                )
                .with_note("inline values must be quoted strings, integers, `true`/`false`/`null`, JSON lists or expressions")
                .with_help(help),
            );
        }
        for (r, how) in altered {
            let shown = &text[r.clone()];
            let (message, help) = match how {
                Alteration::Truncated => (
                    format!("Mistral reads only the leading digits of `{shown}`"),
                    "quote the value to pass it as a string, or write a whole number".to_string(),
                ),
                Alteration::Swallowed => (
                    format!(
                        "the list value `{shown}` runs to the last `]` and swallows the parameters after it"
                    ),
                    "move the list parameter last, or put the parameters in `input`".to_string(),
                ),
                Alteration::Overridden => (
                    format!("`{shown}` is given again later; Mistral keeps only the last value"),
                    "remove one of them".to_string(),
                ),
                Alteration::KeySplit => (
                    format!("Mistral reads the parameter name as `{shown}`"),
                    "parameter names may contain only letters, digits, `_` and `-`".to_string(),
                ),
            };
            self.push(
                Diagnostic::warning(
                    "altered-inline-parameter",
                    s.offsets.span(r.start as u32, r.end as u32),
                    message,
                )
                .with_help(help),
            );
        }
        self.register_site(s, span, item, field);
        let mut inline: DataMap = Vec::with_capacity(params.len());
        for p in params {
            if let Some(slot) = inline.iter_mut().find(|(k, _)| *k == p.name) {
                slot.1 = p.parsed;
            } else {
                inline.push((p.name, p.parsed));
            }
        }
        Some((text[command].to_string(), inline))
    }

    /// `join: all | one | N`.
    fn join(&mut self, node: &Node) -> Option<Join> {
        match positive_integer(node) {
            Some(Ok(0)) => return None,
            Some(Ok(n)) => return Some(Join::Count(n)),
            _ => {}
        }
        match node.as_str() {
            Some("all") => Some(Join::All),
            Some("one") => Some(Join::Count(1)),
            _ => {
                let mut d = Diagnostic::error(
                    "invalid-value",
                    node.span,
                    format!(
                        "`join` must be `all`, `one` or a number of tasks, not {}",
                        describe(node)
                    ),
                )
                .with_label("expected `all`, `one` or an integer ≥ 0");
                if let Some(s) = node.as_str() {
                    let t = s.trim();
                    if t == "all" || t == "one" {
                        d = d.with_help(format!("remove the spaces: `{t}`"));
                    } else if t.parse::<u64>().is_ok() {
                        d = d.with_help(format!("remove the quotes: `{t}`"));
                    }
                }
                self.push(d);
                None
            }
        }
    }

    /// `requires`: a task name or a list of them.
    pub fn requires(&mut self, node: &Node) -> Vec<String> {
        if node.as_sequence().is_some() {
            self.unique_string_list(node, "`requires`")
        } else if node.as_str().is_some() {
            self.nonempty_string(node, "`requires`")
                .map(|s| vec![s.to_string()])
                .unwrap_or_default()
        } else {
            self.wrong_type(node, "`requires`", "a task name or a list of task names");
            Vec::new()
        }
    }

    /// `with-items`: `var in <collection>` or a list of them.
    fn with_items(&mut self, node: &Node, item: Item) -> Vec<WithItem> {
        let entries: Vec<&Node> = if node.as_str().is_some() {
            match self.nonempty_string(node, "`with-items`") {
                Some(_) => vec![node],
                None => return Vec::new(),
            }
        } else if let Some(seq) = node.as_sequence() {
            if seq.items.is_empty() {
                self.empty_value(node, "`with-items`", "write `x in <% $.list %>`");
                return Vec::new();
            }
            let mut out = Vec::new();
            let dups = super::duplicates(&seq.items);
            for (n, dup) in seq.items.iter().zip(dups) {
                if n.as_str().is_none() {
                    self.wrong_type(
                        n,
                        "each `with-items` entry",
                        "a string `var in <collection>`",
                    );
                    continue;
                }
                if let Some(prev) = dup.and_then(|j| seq.items.get(j)) {
                    self.push(
                        Diagnostic::error(
                            "duplicate-item",
                            n.span,
                            "this `with-items` entry is listed twice",
                        )
                        .with_secondary(prev.span, "first listed here"),
                    );
                    continue;
                }
                if self.nonempty_string(n, "each `with-items` entry").is_some() {
                    out.push(n);
                }
            }
            out
        } else {
            self.wrong_type(
                node,
                "`with-items`",
                "a string `var in <collection>` or a list of them",
            );
            return Vec::new();
        };
        let mut out = Vec::with_capacity(entries.len());
        for n in entries {
            let Some(s) = n.as_scalar().filter(|s| s.value == ScalarValue::Str) else {
                continue;
            };
            if let Some(w) = self.with_item(s, n.span, item) {
                out.push(w);
            }
        }
        out
    }

    fn with_item(&mut self, s: &Scalar, span: Span, item: Item) -> Option<WithItem> {
        let text = s.text.as_str();
        let Some(m) = match_with_items(text) else {
            let mut d = Diagnostic::error(
                "invalid-with-items",
                span,
                format!("`with-items` must read `var in <collection>`, not `{text}`"),
            )
            .with_note("the collection is a JSON list such as `[1, 2]` or an expression such as `<% $.items %>`");
            let expr_at = text.find("<%").or_else(|| text.find("{{"));
            d = match expr_at {
                Some(at) => d.with_help(format!("write `item in {}`", text[at..].trim())),
                None => match text.split_once(" in ") {
                    Some((var, coll)) if !coll.trim().is_empty() => d.with_help(format!(
                        "write the collection as an expression: `{} in <% {} %>`",
                        var.trim(),
                        coll.trim()
                    )),
                    _ => d.with_help("write `item in <% $.list %>` or `item in [1, 2]`"),
                },
            };
            self.push(d);
            return None;
        };
        let (var, coll) = (m.var, m.collection.clone());
        let trailing = &text[m.end..];
        if !trailing.trim().is_empty() {
            let start = m.end + (trailing.len() - trailing.trim_start().len());
            self.push(
                Diagnostic::warning(
                    "with-items-trailing-text",
                    s.offsets.span(start as u32, text.trim_end().len() as u32),
                    "Mistral ignores this text after the `with-items` collection",
                )
                .with_help("remove it, or move it inside the expression"),
            );
        }
        self.check_expr_range(s, coll.clone());
        self.register_site(s, span, item, "with-items");
        let ctext = &text[coll.clone()];
        let collection = if ctext.starts_with('[') {
            match serde_json::from_str::<serde_json::Value>(ctext) {
                Ok(serde_json::Value::Array(a)) => {
                    Collection::List(a.into_iter().map(super::inline_params::from_json).collect())
                }
                Ok(_) | Err(_) => {
                    self.push(
                        Diagnostic::error(
                            "invalid-with-items",
                            s.offsets.span(coll.start as u32, coll.end as u32),
                            format!("`{ctext}` is not a JSON list"),
                        )
                        .with_note("a literal `with-items` list must be strict JSON: strings in double quotes")
                        .with_help("quote the strings (`[\"a\", \"b\"]`) or use an expression"),
                    );
                    return None;
                }
            }
        } else {
            Collection::Expression(ctext.to_string())
        };
        Some(WithItem {
            var: text[var].to_string(),
            collection,
        })
    }
}

/// Merges inline parameters into `input` as Mistral's `merge_dicts` does: the
/// inline value wins, except that two mappings are merged recursively. Returns the
/// keys both set, with the values `input` wrote.
fn merge_inline(input: &mut DataMap, inline: &DataMap) -> DataMap {
    let mut overlap = Vec::new();
    for (k, v) in inline {
        if let Some(slot) = input.iter_mut().find(|(n, _)| n == k) {
            overlap.push((k.clone(), slot.1.clone()));
            merge_value(&mut slot.1, v);
        } else {
            input.push((k.clone(), v.clone()));
        }
    }
    overlap
}

/// `merge_dicts` on one value: mappings merge key by key, anything else is
/// replaced.
fn merge_value(left: &mut Value, right: &Value) {
    match (left, right) {
        (Value::Map(l), Value::Map(r)) => {
            for (k, v) in r {
                if let Some(slot) = l.iter_mut().find(|(n, _)| n == k) {
                    merge_value(&mut slot.1, v);
                } else {
                    l.push((k.clone(), v.clone()));
                }
            }
        }
        (left, right) => *left = right.clone(),
    }
}

/// A match of Mistral's `WITH_ITEMS_PTRN`.
struct WithItemsMatch {
    var: std::ops::Range<usize>,
    collection: std::ops::Range<usize>,
    end: usize,
}

/// `\s*([\w\d_\-]+)\s*in\s*(\[.+\]|({{(.*?)}})|<%.*?%>)` with `re.match`.
fn match_with_items(s: &str) -> Option<WithItemsMatch> {
    let is_var = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let start = s.len() - s.trim_start().len();
    let run_end = start
        + s[start..]
            .chars()
            .take_while(|&c| is_var(c))
            .map(char::len_utf8)
            .sum::<usize>();
    // Backtrack over the variable's length, longest first.
    let mut var_end = run_end;
    while var_end > start {
        let after = var_end + (s[var_end..].len() - s[var_end..].trim_start().len());
        if s[after..].starts_with("in") {
            let coll_start = after + 2 + (s[after + 2..].len() - s[after + 2..].trim_start().len());
            if let Some(end) = collection_end(s, coll_start) {
                return Some(WithItemsMatch {
                    var: start..var_end,
                    collection: coll_start..end,
                    end,
                });
            }
        }
        // Step back one character.
        var_end = s[..var_end]
            .char_indices()
            .next_back()
            .map_or(start, |(i, _)| i);
    }
    None
}

fn collection_end(s: &str, pos: usize) -> Option<usize> {
    let rest = &s[pos..];
    if rest.starts_with('[') {
        let line_end = rest.find('\n').unwrap_or(rest.len());
        // `\[.+\]`: at least one character between the brackets.
        if let Some(close) = rest[..line_end].rfind(']')
            && close >= 2
        {
            return Some(pos + close + 1);
        }
    }
    super::inline_params::lazy_delimited(s, pos, "{{", "}}")
        .or_else(|| super::inline_params::lazy_delimited(s, pos, "<%", "%>"))
}

#[cfg(test)]
mod tests {
    use super::match_with_items;

    fn parts(s: &str) -> Option<(&str, &str, &str)> {
        match_with_items(s).map(|m| (&s[m.var], &s[m.collection], &s[m.end..]))
    }

    #[test]
    fn with_items_syntax() {
        assert_eq!(parts("x in <% $.l %>"), Some(("x", "<% $.l %>", "")));
        assert_eq!(parts("  x in [1, 2]"), Some(("x", "[1, 2]", "")));
        assert_eq!(
            parts("x in <% $.l %> junk"),
            Some(("x", "<% $.l %>", " junk"))
        );
        assert_eq!(
            parts("item-1 in {{ _.l }}"),
            Some(("item-1", "{{ _.l }}", ""))
        );
        assert_eq!(parts("<% $.y %>"), None);
        assert_eq!(parts("x in y"), None);
        assert_eq!(parts("x in [1, 2"), None);
        assert_eq!(parts("item in"), None);
        assert_eq!(parts("in <% $.items %>"), None);
        assert_eq!(parts("xin [1]"), Some(("x", "[1]", "")));
    }
}
