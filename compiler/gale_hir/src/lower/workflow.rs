//! Workflows: their keys, `input`, `task-defaults`, the task list, and the
//! workflow-level semantic checks Mistral runs once all tasks are read (transition
//! and `requires` targets, start tasks, joins), plus the graph warnings Gale adds
//! (unreachable tasks, single-inbound joins, `concurrency` without `with-items`).

use gale_diagnostics::{Diagnostic, Span};

use super::did_you_mean;
use gale_syntax::{Entry, Node, NodeKind};

use super::{Lower, describe, key_text, last_entries, overridden_entries, value};
use crate::fx::{FxHashMap as HashMap, FxHashSet as HashSet};
use crate::model::{ClauseKind, Join, Parameter, TaskDefaults, Workflow, WorkflowType};
use crate::schema::{
    ENGINE_COMMANDS, INJECTED_ITEM_KEYS, TASK_DEFAULTS_KEYS, WORKFLOW_KEYS, WORKFLOW_TYPES,
};
use crate::source_map::Item;

/// `oslo_utils.uuidutils.is_uuid_like`.
pub(crate) fn is_uuid_like(s: &str) -> bool {
    let t = s.replace("urn:", "").replace("uuid:", "");
    let t = t.trim_matches(|c| c == '{' || c == '}').replace('-', "");
    t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Lower {
    /// Lowers one workflow `name: body`.
    pub fn workflow(&mut self, entry: &Entry, name: &str) -> Option<Workflow> {
        let id = self.workflow_id();
        let item = Item::Workflow(id);
        self.map.set_item(item, entry.key.span, entry.value.span);
        let what = format!("workflow `{name}`");
        let body = match entry.value.as_mapping() {
            Some(m) if m.entries.is_empty() => {
                self.push(
                    Diagnostic::error("empty-value", entry.value.span, format!("{what} is empty"))
                        .with_help("give it `tasks:`"),
                );
                return None;
            }
            Some(m) => m,
            None => {
                self.wrong_type(&entry.value, &what, "a mapping with `tasks`");
                return None;
            }
        };
        if is_uuid_like(name) {
            self.push(
                Diagnostic::error(
                    "uuid-workflow-name",
                    entry.key.span,
                    "a workflow name must not look like a UUID",
                )
                .with_note("Mistral uses UUIDs to tell workflow ids from names")
                .with_help("choose a descriptive name"),
            );
        }
        let mut wf = Workflow {
            id,
            name: name.to_string(),
            kind: WorkflowType::Direct,
            description: None,
            tags: Vec::new(),
            input: Vec::new(),
            output: None,
            output_on_error: None,
            vars: None,
            task_defaults: None,
            tasks: Vec::new(),
            task_index: Default::default(),
        };
        // The type decides which task keys are valid: read it first.
        if let Some(t) = body.entry("type") {
            self.map.set_field(item, "type", t.key.span, t.value.span);
            match t.value.as_str() {
                Some("direct") => wf.kind = WorkflowType::Direct,
                Some("reverse") => wf.kind = WorkflowType::Reverse,
                _ => {
                    let mut d = Diagnostic::error(
                        "unknown-workflow-type",
                        t.value.span,
                        format!("unknown workflow type {}", describe(&t.value)),
                    )
                    .with_note("valid types: `direct` (the default) and `reverse`");
                    if let Some(s) = t.value.as_str()
                        && let Some(best) = did_you_mean(s, WORKFLOW_TYPES.iter().copied())
                    {
                        d = d.with_help(format!("did you mean `{best}`?")).with_fix(
                            format!("replace with `{best}`"),
                            t.value.span,
                            best,
                        );
                    }
                    self.push(d);
                }
            }
        }
        let mut tasks_entry: Option<&Entry> = None;
        let mut defaults_entry: Option<&Entry> = None;
        for e in last_entries(body) {
            let key = e.key.as_key_str().unwrap_or("");
            if let Some(k) = WORKFLOW_KEYS.iter().find(|k| **k == key) {
                self.map.set_field(item, k, e.key.span, e.value.span);
            }
            let v = &e.value;
            match key {
                "type" => {}
                "description" => wf.description = Some(value(v)),
                "tags" => wf.tags = self.unique_string_list(v, "workflow `tags`"),
                "input" => wf.input = self.parameters(v, "workflow `input`"),
                "output" => wf.output = self.data_map(v, "`output`", item, "output"),
                "output-on-error" => {
                    wf.output_on_error =
                        self.data_map(v, "`output-on-error`", item, "output-on-error")
                }
                "vars" => wf.vars = self.data_map(v, "`vars`", item, "vars"),
                "task-defaults" => defaults_entry = Some(e),
                "tasks" => tasks_entry = Some(e),
                _ if INJECTED_ITEM_KEYS.contains(&key) => self.push(
                    Diagnostic::warning(
                        "ignored-key",
                        e.key.span,
                        format!("Mistral replaces `{key}` of a workflow with its own value"),
                    )
                    .with_help("remove it"),
                ),
                _ => self.unknown_workflow_key(e, &what),
            }
        }
        if let Some(e) = defaults_entry {
            wf.task_defaults = self.task_defaults(&e.value, id, wf.kind);
        }
        let Some(tasks) = tasks_entry else {
            self.push(
                Diagnostic::error(
                    "missing-key",
                    entry.key.span,
                    format!("{what} has no `tasks`"),
                )
                .with_help("add `tasks:` with at least one task"),
            );
            return Some(wf);
        };
        let tasks_node = &tasks.value;
        let Some(tm) = tasks_node.as_mapping() else {
            let help = if tasks_node.as_sequence().is_some() {
                "write tasks as a mapping: `tasks:` then `  task_name:` entries, without `-`"
            } else {
                "write `tasks:` followed by `  task_name: {action: …}` entries"
            };
            self.push(
                Diagnostic::error(
                    "wrong-type",
                    tasks_node.span,
                    format!(
                        "`tasks` must be a mapping of task names to tasks, not {}",
                        describe(tasks_node)
                    ),
                )
                .with_help(help),
            );
            return Some(wf);
        };
        if tm.entries.is_empty() {
            self.empty_value(tasks_node, "`tasks`", "add at least one task");
            return Some(wf);
        }
        let mut first_def: HashMap<&str, Span> =
            HashMap::with_capacity_and_hasher(tm.entries.len(), Default::default());
        wf.tasks.reserve_exact(tm.entries.len());
        for (earlier, later) in overridden_entries(tm) {
            let (e, l) = (&tm.entries[earlier], &tm.entries[later]);
            self.push(
                Diagnostic::error(
                    "duplicate-task",
                    l.key.span,
                    format!("task `{}` is defined twice in {what}", key_text(&l.key)),
                )
                .with_secondary(e.key.span, "first definition, silently replaced by Mistral")
                .with_help("rename one of the tasks"),
            );
        }
        for e in last_entries(tm) {
            let Some(tname) = e.key.as_key_str() else {
                self.push(
                    Diagnostic::error(
                        "wrong-type",
                        e.key.span,
                        format!("task name {} must be a string", describe(&e.key)),
                    )
                    .with_help(format!("quote it: `\"{}\"`", key_text(&e.key))),
                );
                continue;
            };
            if tname == "version" {
                self.push(
                    Diagnostic::error(
                        "reserved-task-name",
                        e.key.span,
                        "a task cannot be named `version`: Mistral silently drops it",
                    )
                    .with_help("rename the task"),
                );
                continue;
            }
            first_def.entry(tname).or_insert(e.key.span);
            if let Some(t) = self.task(e, tname, wf.kind) {
                wf.tasks.push(t);
            }
        }
        if ENGINE_COMMANDS.iter().any(|c| first_def.contains_key(c)) {
            for c in ENGINE_COMMANDS {
                if let Some(span) = first_def.get(c) {
                    self.push(
                        Diagnostic::warning(
                            "engine-command-task-name",
                            *span,
                            format!(
                                "a transition to `{c}` runs the engine command, never this task"
                            ),
                        )
                        .with_help("rename the task"),
                    );
                }
            }
        }
        // Only tasks that lowered become graph nodes; names of tasks with errors
        // still count as existing, so they do not cause "unknown task" noise.
        let all_names: HashSet<&str> = first_def.keys().copied().collect();
        match wf.kind {
            WorkflowType::Direct => self.direct_semantics(&wf, &all_names, entry.key.span),
            WorkflowType::Reverse => self.reverse_semantics(&wf, &all_names),
        }
        Some(wf)
    }

    /// An unknown workflow key: an error when it looks like a misspelt key (Mistral
    /// ignores it silently, so the setting is lost), a warning otherwise (vendor
    /// extensions such as Nokia's `workflow_meta`).
    fn unknown_workflow_key(&mut self, e: &Entry, what: &str) {
        let key = key_text(&e.key);
        let alias = crate::schema::KEY_ALIASES
            .iter()
            .find(|(a, k)| a.eq_ignore_ascii_case(&key) && WORKFLOW_KEYS.contains(k))
            .map(|(_, k)| *k)
            .or_else(|| did_you_mean(&key, WORKFLOW_KEYS.iter().copied()));
        let Some(best) = alias else {
            self.push(
                Diagnostic::warning(
                    "unknown-workflow-key",
                    e.key.span,
                    format!("Mistral ignores the key `{key}` in {what}"),
                )
                .with_note(format!(
                    "workflow keys: {}",
                    super::backticked(WORKFLOW_KEYS)
                ))
                .with_help("remove it unless another tool reads it"),
            );
            return;
        };
        self.push(
            Diagnostic::error(
                "unknown-key",
                e.key.span,
                format!("unknown key `{key}` in {what}"),
            )
            .with_help(format!("did you mean `{best}`?"))
            .with_fix(format!("replace with `{best}`"), e.key.span, best)
            .with_note(
                "Mistral silently ignores unknown workflow keys, so this setting has no effect",
            )
            .with_note(format!(
                "valid keys here: {}",
                super::backticked(WORKFLOW_KEYS)
            )),
        );
    }

    /// `input` of a workflow or ad-hoc action: `[name | {name: default}, …]`.
    pub fn parameters(&mut self, node: &Node, what: &str) -> Vec<Parameter> {
        let Some(seq) = node.as_sequence() else {
            let mut d = Diagnostic::error(
                "wrong-type",
                node.span,
                format!("{what} must be a list of names, not {}", describe(node)),
            );
            if node.as_mapping().is_some() {
                d = d.with_help("write each input as a list item: `- name` or `- name: default`");
            }
            self.push(d);
            return Vec::new();
        };
        if seq.items.is_empty() {
            self.empty_value(node, what, "list the inputs, or remove the key");
            return Vec::new();
        }
        let mut out: Vec<Parameter> = Vec::new();
        let dups = super::duplicates(&seq.items);
        for (n, dup) in seq.items.iter().zip(dups) {
            if let Some(prev) = dup.and_then(|j| seq.items.get(j)) {
                let name = n.as_str().unwrap_or("this item").to_string();
                self.push(
                    Diagnostic::error(
                        "duplicate-item",
                        n.span,
                        format!("input `{name}` is listed twice"),
                    )
                    .with_secondary(prev.span, "first listed here")
                    .with_help("remove one of them"),
                );
                continue;
            }
            match &n.kind {
                NodeKind::Scalar(_) if n.as_str().is_some() => {
                    if let Some(s) = self.nonempty_string(n, "an input name") {
                        out.push(Parameter {
                            name: s.to_string(),
                            default: None,
                        });
                    }
                }
                NodeKind::Mapping(m) if m.entries.len() == 1 => {
                    if let Some(e) = m.entries.first() {
                        out.push(Parameter {
                            name: key_text(&e.key),
                            default: Some(value(&e.value)),
                        });
                    }
                }
                NodeKind::Mapping(m) => {
                    self.push(
                        Diagnostic::error(
                            "invalid-value",
                            n.span,
                            if m.entries.is_empty() {
                                "an input item must be a name or `name: default`, not an empty mapping".to_string()
                            } else {
                                "an input with a default must be one `name: default` pair per list item".to_string()
                            },
                        )
                        .with_help("write one `- name: default` item per input"),
                    );
                }
                _ => self.wrong_type(n, "an input item", "a name or `name: default`"),
            }
        }
        // `[a, {a: 1}]` passes Mistral's uniqueness check; the later item wins.
        let mut seen: HashMap<&str, usize> = HashMap::default();
        let mut redefined = Vec::new();
        for (i, p) in out.iter().enumerate() {
            if seen.contains_key(p.name.as_str()) {
                redefined.push(i);
            } else {
                seen.insert(p.name.as_str(), i);
            }
        }
        for later in redefined {
            let name = out[later].name.clone();
            let find = |nth: usize| {
                seq.items
                    .iter()
                    .filter(|n| {
                        n.as_str() == Some(name.as_str())
                            || n.as_mapping().is_some_and(|m| {
                                m.entries
                                    .first()
                                    .is_some_and(|e| super::key_str(&e.key) == name)
                            })
                    })
                    .nth(nth)
                    .map(|n| n.span)
            };
            if let (Some(a), Some(b)) = (find(0), find(1)) {
                self.push(
                    Diagnostic::warning(
                        "input-redefined",
                        b,
                        format!("input `{name}` is declared twice; the later declaration wins"),
                    )
                    .with_secondary(a, "first declared here")
                    .with_help("keep one declaration (with the default, if it needs one)"),
                );
            }
        }
        out
    }

    /// `task-defaults`.
    fn task_defaults(
        &mut self,
        node: &Node,
        wf: crate::model::WorkflowId,
        kind: WorkflowType,
    ) -> Option<TaskDefaults> {
        let item = Item::TaskDefaults(wf);
        self.map.set_item(item, node.span, node.span);
        let m = self.nonempty_dict(node, "`task-defaults`")?;
        let mut d = TaskDefaults::default();
        for e in last_entries(m) {
            let key = e.key.as_key_str().unwrap_or("");
            if let Some(k) = TASK_DEFAULTS_KEYS.iter().find(|k| **k == key) {
                self.map.set_field(item, k, e.key.span, e.value.span);
            }
            match key {
                "on-success" | "on-error" | "on-complete" | "on-skip" => {
                    let k: &'static str = match key {
                        "on-success" => "on-success",
                        "on-error" => "on-error",
                        "on-complete" => "on-complete",
                        _ => "on-skip",
                    };
                    let c = self.clause(&e.value, k, item);
                    if kind == WorkflowType::Direct {
                        match k {
                            "on-success" => d.on_success = c,
                            "on-error" => d.on_error = c,
                            "on-complete" => d.on_complete = c,
                            _ => d.on_skip = c,
                        }
                    }
                }
                "safe-rerun" => d.safe_rerun = self.bool_or_expr(&e.value, item, "safe-rerun"),
                "requires" => d.requires = self.requires(&e.value),
                _ if self.policy(e, key, item, &mut d.policies) => {}
                _ => self.unknown_key(
                    e,
                    "`task-defaults`",
                    TASK_DEFAULTS_KEYS,
                    matches!(key, "publish" | "keep-result" | "target" | "input" | "action")
                        .then_some("`task-defaults` holds only policies, transitions, `safe-rerun` and `requires`"),
                ),
            }
        }
        Some(d)
    }

    /// Mistral's direct-workflow semantics, plus Gale's graph warnings.
    fn direct_semantics(&mut self, wf: &Workflow, names: &HashSet<&str>, wf_span: Span) {
        let index: HashMap<&str, usize> = wf
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.as_str(), i))
            .collect();
        // Distinct outbound targets per task, and inbound sources per task.
        let mut inbound: Vec<Vec<usize>> = vec![Vec::new(); wf.tasks.len()];
        let mut outbound: Vec<Vec<usize>> = vec![Vec::new(); wf.tasks.len()];
        let mut reported: HashSet<crate::model::TransitionId> = HashSet::default();
        for (i, t) in wf.tasks.iter().enumerate() {
            let mut seen: HashSet<&str> = HashSet::default();
            for kind in ClauseKind::ALL {
                for tr in wf.effective_clause(t, kind) {
                    if !seen.insert(tr.target.as_str()) {
                        continue;
                    }
                    if let Some(&j) = index.get(tr.target.as_str()) {
                        if tr.command.is_none() {
                            outbound[i].push(j);
                            inbound[j].push(i);
                        }
                    } else if tr.command.is_none()
                        && !names.contains(tr.target.as_str())
                        && reported.insert(tr.id)
                    {
                        self.unknown_task(tr, names, true);
                    }
                }
            }
        }
        // Tasks that failed to lower still have inbound edges from others; they are
        // absent from `wf.tasks`, which can only add start tasks, never remove them.
        let lowered_all = wf.tasks.len() == names.len();
        let starts: Vec<usize> = (0..wf.tasks.len())
            .filter(|&i| inbound[i].is_empty())
            .collect();
        if starts.is_empty() && lowered_all && !wf.tasks.is_empty() {
            let span = self
                .map
                .field(Item::Workflow(wf.id), "tasks")
                .map_or(wf_span, |f| f.key);
            self.push(
                Diagnostic::error(
                    "no-start-task",
                    span,
                    format!(
                        "workflow `{}` has no start task: every task is the target of a transition",
                        wf.name
                    ),
                )
                .with_note("a direct workflow starts with the tasks that no transition leads to")
                .with_help("remove the transition into the task that should run first"),
            );
        }
        for (i, t) in wf.tasks.iter().enumerate() {
            let n = inbound[i].len();
            if !lowered_all {
                // A task that failed to lower may be a missing inbound edge.
                break;
            }
            let join_span = self
                .map
                .field(Item::Task(t.id), "join")
                .map(|f| f.value)
                .or_else(|| self.map.item(Item::Task(t.id)).map(|s| s.name))
                .unwrap_or_default();
            match t.join {
                Some(Join::All) if n == 0 => self.push(
                    Diagnostic::error(
                        "join-not-enough-inbound",
                        join_span,
                        format!("task `{}` has `join: all` but no transition leads to it", t.name),
                    )
                    .with_help("add transitions into this task from the tasks it should wait for, or remove `join`"),
                ),
                Some(Join::Count(k)) if (n as u64) < k => self.push(
                    Diagnostic::error(
                        "join-not-enough-inbound",
                        join_span,
                        format!(
                            "task `{}` waits for {k} inbound task{} but only {n} lead{} to it",
                            t.name,
                            if k == 1 { "" } else { "s" },
                            if n == 1 { "s" } else { "" }
                        ),
                    )
                    .with_help(format!("lower the `join` to at most {n}, or add transitions into this task")),
                ),
                Some(Join::All | Join::Count(1)) if n == 1 => self.push(
                    Diagnostic::warning(
                        "join-single-inbound",
                        join_span,
                        format!("task `{}` joins a single inbound task, so `join` has no effect", t.name),
                    )
                    .with_help("remove `join`, or add the other transitions it should wait for"),
                ),
                _ => {}
            }
            if t.policies.concurrency.is_some() && t.with_items.is_empty() {
                let span = self
                    .map
                    .field(Item::Task(t.id), "concurrency")
                    .map(|f| f.key)
                    .unwrap_or_default();
                self.push(
                    Diagnostic::warning(
                        "concurrency-without-with-items",
                        span,
                        format!(
                            "`concurrency` has no effect: task `{}` has no `with-items`",
                            t.name
                        ),
                    )
                    .with_help("remove `concurrency`, or add `with-items`"),
                );
            }
        }
        // Unreachable tasks (only when the graph is complete).
        if !starts.is_empty() && lowered_all {
            let mut reached = vec![false; wf.tasks.len()];
            let mut stack = starts.clone();
            for &s in &starts {
                reached[s] = true;
            }
            while let Some(i) = stack.pop() {
                for &j in &outbound[i] {
                    if !reached[j] {
                        reached[j] = true;
                        stack.push(j);
                    }
                }
            }
            for (i, t) in wf.tasks.iter().enumerate() {
                if !reached[i] {
                    let span = self
                        .map
                        .item(Item::Task(t.id))
                        .map(|s| s.name)
                        .unwrap_or_default();
                    self.push(
                        Diagnostic::warning(
                            "unreachable-task",
                            span,
                            format!("task `{}` can never run: no start task leads to it", t.name),
                        )
                        .with_help("add a transition to it from a task that runs, or remove it"),
                    );
                }
            }
        }
    }

    fn reverse_semantics(&mut self, wf: &Workflow, names: &HashSet<&str>) {
        let defaults = wf
            .task_defaults
            .as_ref()
            .map(|d| d.requires.as_slice())
            .unwrap_or(&[]);
        let mut reported_defaults: HashSet<&str> = HashSet::default();
        for t in &wf.tasks {
            for r in &t.requires {
                if r != &t.name && !names.contains(r.as_str()) {
                    let span = self
                        .map
                        .field(Item::Task(t.id), "requires")
                        .map(|f| f.value)
                        .unwrap_or_default();
                    self.unknown_requirement(r, span, names);
                }
            }
            for r in defaults {
                if r != &t.name
                    && !names.contains(r.as_str())
                    && reported_defaults.insert(r.as_str())
                {
                    let span = self
                        .map
                        .field(Item::TaskDefaults(wf.id), "requires")
                        .map(|f| f.value)
                        .unwrap_or_default();
                    self.unknown_requirement(r, span, names);
                }
            }
        }
    }

    fn unknown_requirement(&mut self, name: &str, span: Span, names: &HashSet<&str>) {
        let mut d = Diagnostic::error(
            "unknown-task",
            span,
            format!("`requires` names `{name}`, which is not a task of this workflow"),
        );
        if ENGINE_COMMANDS.contains(&name) {
            d = d.with_note("engine commands cannot be required");
        } else if let Some(best) = did_you_mean(name, names.iter().copied()) {
            d = d.with_help(format!("did you mean `{best}`?"));
        }
        self.push(d);
    }

    fn unknown_task(
        &mut self,
        tr: &crate::model::Transition,
        names: &HashSet<&str>,
        _direct: bool,
    ) {
        let span = self
            .map
            .item(Item::Transition(tr.id))
            .map(|s| s.name)
            .unwrap_or_default();
        let mut d = Diagnostic::error(
            "unknown-task",
            span,
            format!(
                "transition to `{}`, which is not a task of this workflow",
                tr.target
            ),
        );
        let best_task = did_you_mean(&tr.target, names.iter().copied());
        let best_cmd = did_you_mean(&tr.target, ENGINE_COMMANDS.iter().copied());
        if let Some(best) = best_task {
            d = d.with_help(format!("did you mean `{best}`?")).with_fix(
                format!("replace with `{best}`"),
                span,
                best,
            );
        } else if let Some(cmd) = best_cmd {
            d = d
                .with_help(format!("did you mean the engine command `{cmd}`?"))
                .with_fix(format!("replace with `{cmd}`"), span, cmd);
        } else {
            let mut known: Vec<&str> = names.iter().copied().collect();
            known.sort_unstable();
            let shown: Vec<String> = known.iter().take(12).map(|n| format!("`{n}`")).collect();
            let more = if known.len() > 12 { ", …" } else { "" };
            d = d.with_note(format!(
                "targets are the tasks of this workflow ({}{more}) or the engine commands `fail`, `succeed`, `pause`, `noop`",
                shown.join(", ")
            ));
        }
        self.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::is_uuid_like;

    #[test]
    fn uuid_names() {
        assert!(is_uuid_like("b98180ba-48a0-4e26-ab2e-50dc224f6fd1"));
        assert!(is_uuid_like("B98180BA48A04E26AB2E50DC224F6FD1"));
        assert!(is_uuid_like("{b98180ba-48a0-4e26-ab2e-50dc224f6fd1}"));
        assert!(!is_uuid_like("my_workflow"));
        assert!(!is_uuid_like("b98180ba-48a0-4e26-ab2e-50dc224f6fd"));
    }
}
