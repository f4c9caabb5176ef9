//! Transition clauses (`on-success`, `on-error`, `on-complete`, `on-skip`) in all
//! their forms: one entry, a list, guarded entries `{task: <% … %>}`, engine
//! commands with parameters, and the advanced `{publish: {branch, global, atomic},
//! next: …}` form (`mistral/lang/v2/on_clause.py`, `publish.py`).

use gale_diagnostics::Diagnostic;

use super::did_you_mean;
use gale_syntax::{Node, NodeKind, ScalarValue};

use super::{Lower, backticked, describe, key_text, last_entries};
use crate::model::{Clause, EngineCommand, Publish, Transition};
use crate::schema::{ADVANCED_CLAUSE_KEYS, PUBLISH_SCOPES};
use crate::source_map::Item;

/// Which of Mistral's three `NEXT_TASK` patterns an entry matches.
fn next_task_patterns(s: &str) -> (bool, bool, bool) {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let word_len = |t: &str| {
        t.chars()
            .take_while(|&c| is_word(c))
            .map(char::len_utf8)
            .sum::<usize>()
    };
    // `^\S+$` (`$` also matches before one final newline).
    let core = s.strip_suffix('\n').unwrap_or(s);
    let plain = !core.is_empty() && !core.chars().any(char::is_whitespace);
    // `^\w+ \w+=(.*)$`
    let with_params = {
        let a = word_len(s);
        a > 0 && s[a..].starts_with(' ') && {
            let rest = &s[a + 1..];
            let b = word_len(rest);
            b > 0 && rest[b..].starts_with('=') && !core[a + 1 + b..].contains('\n')
        }
    };
    // `^\w+\(\w+=(.*)\)$`
    let func = {
        let a = word_len(s);
        a > 0 && s[a..].starts_with('(') && {
            let rest = &s[a + 1..];
            let b = word_len(rest);
            b > 0 && rest[b..].starts_with('=') && core.ends_with(')') && !core.contains('\n')
        }
    };
    (plain, with_params, func)
}

impl Lower {
    /// Lowers a clause value.
    pub fn clause(&mut self, node: &Node, key: &'static str, item: Item) -> Option<Clause> {
        match &node.kind {
            NodeKind::Mapping(m) => {
                let single = m.entries.len() == 1;
                let first_key = m.entries.first().and_then(|e| e.key.as_key_str());
                let is_guard = single
                    && m.entries.first().is_some_and(|e| {
                        !ADVANCED_CLAUSE_KEYS.contains(&first_key.unwrap_or(""))
                            || e.value
                                .as_str()
                                .is_some_and(super::expressions::is_whole_expression)
                    });
                if m.entries.is_empty() {
                    self.empty_value(
                        node,
                        &format!("`{key}`"),
                        "list the next tasks, or remove the key",
                    );
                    return None;
                }
                if is_guard {
                    // `{nxt: t2}`: probably a misspelt `next`.
                    if let Some(e) = m.entries.first()
                        && let Some(k) = e.key.as_key_str()
                        && did_you_mean(k, ADVANCED_CLAUSE_KEYS.iter().copied()).is_some()
                        && !e
                            .value
                            .as_str()
                            .is_some_and(super::expressions::is_whole_expression)
                    {
                        self.unknown_key(
                            e,
                            &format!("the advanced form of `{key}`"),
                            ADVANCED_CLAUSE_KEYS,
                            None,
                        );
                        return None;
                    }
                    // Mistral reads every mapping clause as the advanced form
                    // (`OnClauseSpec`: `data.get('next')`), so `{t2: <% … %>}` has no
                    // entries at all: the transition never fires, `t2` counts as a
                    // start task and the `task-defaults` clause applies instead.
                    let mut dropped = Vec::new();
                    self.entry(node, key, item, &mut dropped);
                    if ADVANCED_CLAUSE_KEYS.contains(&first_key.unwrap_or("")) {
                        // `{next: <% … %>}`: neither form; keep the entry as written.
                        return Some(Clause {
                            publish: None,
                            next: dropped,
                            ignored: Vec::new(),
                        });
                    }
                    return Some(Clause {
                        publish: None,
                        next: Vec::new(),
                        ignored: dropped,
                    });
                }
                let mut clause = Clause::default();
                for e in last_entries(m) {
                    match e.key.as_key_str().unwrap_or("") {
                        "publish" => clause.publish = self.advanced_publish(&e.value, key, item),
                        "next" => clause.next = self.next(&e.value, key, item),
                        _ => self.unknown_key(
                            e,
                            &format!("the advanced form of `{key}`"),
                            ADVANCED_CLAUSE_KEYS,
                            Some("a clause with several keys is read as `{publish: …, next: …}`; guarded targets go in a list: `- task: <% … %>`"),
                        ),
                    }
                }
                Some(clause)
            }
            _ => {
                let next = self.next(node, key, item);
                Some(Clause {
                    publish: None,
                    next,
                    ignored: Vec::new(),
                })
            }
        }
    }

    /// A single entry or a list of entries (`next`, or a whole clause).
    fn next(
        &mut self,
        node: &Node,
        key: &'static str,
        item: Item,
    ) -> Vec<crate::model::Transition> {
        let mut out = Vec::new();
        match &node.kind {
            NodeKind::Sequence(q) => {
                if q.items.is_empty() {
                    self.empty_value(
                        node,
                        &format!("`{key}`"),
                        "list the next tasks, or remove the key",
                    );
                }
                let dups = super::duplicates(&q.items);
                for (n, dup) in q.items.iter().zip(dups) {
                    if let Some(prev) = dup.and_then(|j| q.items.get(j)) {
                        self.push(
                            Diagnostic::error(
                                "duplicate-item",
                                n.span,
                                format!("this entry is listed twice in `{key}`"),
                            )
                            .with_secondary(prev.span, "first listed here")
                            .with_help("remove one of them"),
                        );
                        continue;
                    }
                    self.entry(n, key, item, &mut out);
                }
            }
            NodeKind::Scalar(s) if s.value == ScalarValue::Str => {
                self.entry(node, key, item, &mut out)
            }
            NodeKind::Mapping(_) => {
                // `next: {t2: <% … %>}`: Mistral iterates the mapping's keys
                // (`_as_list_of_tuples`), so the entry keeps its target and loses
                // its condition.
                self.entry(node, key, item, &mut out);
                if let Some(tr) = out.last_mut() {
                    tr.ignored_guard = tr.guard.take();
                }
            }
            NodeKind::Scalar(_) => self.push(
                Diagnostic::error(
                    "wrong-type",
                    node.span,
                    format!("`{key}` must name the next tasks, not {}", describe(node)),
                )
                .with_help(
                    "write a task name, a list of task names, or `- task: <% condition %>` items",
                ),
            ),
        }
        out
    }

    /// One entry: `name`, `name p=v`, `name(p=v)`, or `{entry: <% guard %>}`.
    fn entry(&mut self, node: &Node, key: &'static str, item: Item, out: &mut Vec<Transition>) {
        let (text_node, guard_node) = match &node.kind {
            NodeKind::Scalar(s) if s.value == ScalarValue::Str => (node, None),
            NodeKind::Mapping(m) => {
                if m.entries.len() != 1 {
                    self.push(
                        Diagnostic::error(
                            "invalid-transition",
                            node.span,
                            format!("a guarded entry of `{key}` must name exactly one task"),
                        )
                        .with_help("write each `task: <% condition %>` as its own list item"),
                    );
                    return;
                }
                let Some(e) = m.entries.first() else { return };
                if e.key.as_key_str().is_none() {
                    self.wrong_type(&e.key, "a transition target", "a task name");
                    return;
                }
                (&e.key, Some(&e.value))
            }
            _ => {
                self.push(
                    Diagnostic::error(
                        "wrong-type",
                        node.span,
                        format!(
                            "an entry of `{key}` must be a task name, not {}",
                            describe(node)
                        ),
                    )
                    .with_help("write a task name or `task: <% condition %>`"),
                );
                return;
            }
        };
        let Some(s) = text_node.as_scalar() else {
            return;
        };
        let text = s.text.as_str();
        let (plain, with_params, func) = next_task_patterns(text);
        let matches = usize::from(plain) + usize::from(with_params) + usize::from(func);
        let mut valid = true;
        if matches == 0 && guard_node.is_none() {
            let help = if text.contains("  ") {
                "use exactly one space between the name and its parameters".to_string()
            } else if text.is_empty() {
                "write a task name".to_string()
            } else {
                "write a task name, or `command param=value` (engine commands: `fail msg=\"…\"`)"
                    .to_string()
            };
            self.push(
                Diagnostic::error(
                    "invalid-transition",
                    text_node.span,
                    format!("`{text}` is not a valid entry of `{key}`"),
                )
                .with_help(help),
            );
            valid = false;
        } else if plain && func {
            let fixed = text.replacen('(', " ", 1);
            let fixed = fixed.strip_suffix(')').unwrap_or(&fixed).to_string();
            self.push(
                Diagnostic::error(
                    "invalid-transition",
                    text_node.span,
                    format!("Mistral rejects `{text}`: without a space inside, the `name(param=value)` form is ambiguous"),
                )
                .with_help(format!("write `{fixed}`"))
                .with_fix(format!("replace with `{fixed}`"), text_node.span, fixed),
            );
            valid = false;
        }
        let mut guard = None;
        if let Some(g) = guard_node {
            if matches > 0 {
                match self.whole_expression(g, item, key, "a transition condition") {
                    Ok(e) => guard = Some(e),
                    Err(true) => {}
                    Err(false) => self.push(
                        Diagnostic::error(
                            "wrong-type",
                            g.span,
                            format!("the condition of `{text}` must be an expression, not {}", describe(g)),
                        )
                        .with_help("write `<% … %>` or `{{ … }}`; to go unconditionally, list the task without a condition"),
                    ),
                }
            } else {
                // Mistral does not check the value when the key matches no pattern.
                self.check_strings(g, item, key);
                guard = g.as_str().map(str::to_string);
            }
        }
        if !valid {
            return;
        }
        let Some((target, params)) = self.command(s, text_node.span, item, key) else {
            return;
        };
        let id = self.transition_id();
        let target_span = {
            let len = target.len() as u32;
            s.offsets.span(0, len)
        };
        self.map
            .set_item(Item::Transition(id), target_span, node.span);
        out.push(Transition {
            id,
            command: EngineCommand::from_name(&target),
            target,
            params,
            guard,
            ignored_guard: None,
        });
    }

    /// The advanced `publish: {branch, global, atomic}`.
    fn advanced_publish(&mut self, node: &Node, key: &'static str, item: Item) -> Option<Publish> {
        let Some(m) = node.as_mapping() else {
            self.wrong_type(
                node,
                &format!("`publish` in `{key}`"),
                "a mapping with `branch`, `global` or `atomic`",
            );
            return None;
        };
        let mut p = Publish::default();
        for e in last_entries(m) {
            match e.key.as_key_str().unwrap_or("") {
                "branch" => p.branch = self.data_map(&e.value, "`branch`", item, key),
                "global" => p.global = self.data_map(&e.value, "`global`", item, key),
                "atomic" => p.atomic = self.data_map(&e.value, "`atomic`", item, key),
                _ => {
                    let k = key_text(&e.key);
                    let mut d = Diagnostic::error(
                        "unknown-key",
                        e.key.span,
                        format!("unknown key `{k}` in the `publish` of `{key}`"),
                    );
                    if let Some(best) = did_you_mean(&k, PUBLISH_SCOPES.iter().copied()) {
                        d = d.with_help(format!("did you mean `{best}`?"));
                    } else {
                        d = d.with_help(format!(
                            "put variables under a scope: `publish: {{branch: {{{k}: …}}}}`"
                        ));
                    }
                    self.push(
                        d.with_note(format!("valid keys here: {}", backticked(PUBLISH_SCOPES))),
                    );
                }
            }
        }
        if p.branch.is_none() && p.global.is_none() && p.atomic.is_none() && m.entries.is_empty() {
            self.push(
                Diagnostic::error(
                    "empty-value",
                    node.span,
                    format!("the `publish` of `{key}` must have `branch`, `global` or `atomic`"),
                )
                .with_help("add `branch: {name: value}`, or remove `publish`"),
            );
        }
        Some(p)
    }
}

#[cfg(test)]
mod tests {
    use super::next_task_patterns;

    #[test]
    fn patterns() {
        assert_eq!(next_task_patterns("t2"), (true, false, false));
        assert_eq!(next_task_patterns("fail msg=\"x y\""), (false, true, false));
        assert_eq!(next_task_patterns("fail(msg='x')"), (true, false, true));
        assert_eq!(next_task_patterns("fail(msg='a b')"), (false, false, true));
        assert_eq!(next_task_patterns("foo bar"), (false, false, false));
        assert_eq!(next_task_patterns("fail  msg=\"x\""), (false, false, false));
        assert_eq!(
            next_task_patterns("my.task msg=\"x\""),
            (false, false, false)
        );
    }
}
