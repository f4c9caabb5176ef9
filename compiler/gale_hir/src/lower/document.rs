//! Document level: workbooks (`version`, `name`, `description`, `tags`,
//! `workflows`, `actions`), workflow lists and action lists, `version` checks, and
//! ad-hoc actions (`base`, `base-input`, `input`, `output`).

use gale_diagnostics::{Diagnostic, Span};
use gale_syntax::{Entry, Mapping, Node, ScalarValue};

use super::{Lower, describe, key_text, last_entries, overridden_entries, value};
use crate::classify::is_v2;
use crate::model::{Action, Document, DocumentKind, Workbook};
use crate::schema::{ACTION_KEYS, INJECTED_ITEM_KEYS, WORKBOOK_KEYS};
use crate::source_map::Item;

impl Lower {
    /// Lowers a Mistral document of the given kind.
    pub fn document(&mut self, root: &Node, kind: DocumentKind) -> Option<Document> {
        let Some(map) = root.as_mapping() else {
            self.wrong_type(root, "a Mistral document", "a mapping with `version`");
            return None;
        };
        self.map
            .set_item(Item::Document, Span::empty(root.span.start), root.span);
        let mut doc = Document {
            kind,
            version: map.get("version").map(value),
            workbook: None,
            workflows: Vec::new(),
            actions: Vec::new(),
        };
        self.version(map, root, kind);
        match kind {
            DocumentKind::Workbook => self.workbook(map, root, &mut doc),
            DocumentKind::WorkflowList | DocumentKind::ActionList => {
                let items: Vec<&Entry> = map
                    .entries
                    .iter()
                    .filter(|e| e.key.as_key_str() != Some("version"))
                    .collect();
                if items.is_empty() {
                    let noun = if kind == DocumentKind::ActionList {
                        "actions"
                    } else {
                        "workflows"
                    };
                    self.push(
                        Diagnostic::error(
                            "empty-document",
                            root.span,
                            format!("this document defines no {noun}"),
                        )
                        .with_help("add at least one item next to `version`"),
                    );
                }
                self.items(map, kind == DocumentKind::ActionList, &mut doc, false);
            }
            DocumentKind::NotMistral => {}
        }
        Some(doc)
    }

    /// `version` of any document.
    fn version(&mut self, map: &Mapping, root: &Node, kind: DocumentKind) {
        let Some(e) = map.entry("version") else {
            self.push(
                Diagnostic::error(
                    "missing-key",
                    Span::empty(root.span.start),
                    "the document has no `version`",
                )
                .with_help("start the document with `version: '2.0'`"),
            );
            return;
        };
        self.map
            .set_field(Item::Document, "version", e.key.span, e.value.span);
        let v = &e.value;
        let Some(s) = v.as_scalar() else {
            self.wrong_type(v, "`version`", "the string `'2.0'`");
            return;
        };
        let unsupported = |this: &mut Self, extra: &str| {
            this.push(
                Diagnostic::error(
                    "unsupported-version",
                    v.span,
                    format!("unsupported Mistral language version `{}`{extra}", s.text),
                )
                .with_help("write `version: '2.0'`")
                .with_fix("replace with `'2.0'`", v.span, "'2.0'"),
            );
        };
        if kind == DocumentKind::Workbook {
            match (&s.value, s.text.as_str()) {
                (ScalarValue::Str, "2.0") => {}
                _ if is_v2(&s.value, &s.text) => {
                    unsupported(
                        self,
                        ": a workbook's version must be the quoted string '2.0'",
                    );
                }
                _ => unsupported(self, ""),
            }
        } else {
            match &s.value {
                ScalarValue::Str if s.text.is_empty() => {
                    self.empty_value(v, "`version`", "write `version: '2.0'`");
                }
                ScalarValue::Null | ScalarValue::Bool(_) | ScalarValue::Timestamp(_) => {
                    self.wrong_type(v, "`version`", "the string `'2.0'`");
                }
                _ if is_v2(&s.value, &s.text) => {}
                _ => unsupported(self, ""),
            }
        }
    }

    fn workbook(&mut self, map: &Mapping, root: &Node, doc: &mut Document) {
        let mut wb = Workbook::default();
        let mut has_name = false;
        for e in last_entries(map) {
            let key = e.key.as_key_str().unwrap_or("");
            if let Some(k) = WORKBOOK_KEYS.iter().find(|k| **k == key) {
                self.map
                    .set_field(Item::Document, k, e.key.span, e.value.span);
            }
            match key {
                "version" => {}
                "name" => {
                    has_name = true;
                    wb.name = self
                        .nonempty_string(&e.value, "the workbook `name`")
                        .map(str::to_string);
                }
                "description" => {
                    wb.description = self
                        .nonempty_string(&e.value, "`description`")
                        .map(str::to_string);
                }
                "tags" => wb.tags = self.unique_string_list(&e.value, "`tags`"),
                "workflows" | "actions" => {
                    let actions = key == "actions";
                    let Some(section) = self.nonempty_dict(&e.value, &format!("`{key}`")) else {
                        continue;
                    };
                    for item in &section.entries {
                        let Some(name) = item.key.as_key_str() else {
                            continue;
                        };
                        if name == "version" {
                            let ok = match item.value.as_scalar() {
                                Some(s) => {
                                    matches!((&s.value, s.text.as_str()), (ScalarValue::Str, "2.0"))
                                        || matches!(s.value, ScalarValue::Float(f) if f == 2.0)
                                }
                                None => false,
                            };
                            if !ok {
                                self.push(
                                    Diagnostic::error(
                                        "unsupported-version",
                                        item.value.span,
                                        format!(
                                            "unsupported version {} in `{key}`",
                                            describe(&item.value)
                                        ),
                                    )
                                    .with_help("write `version: '2.0'` or remove it"),
                                );
                            }
                            continue;
                        }
                        if !name
                            .chars()
                            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                        {
                            let kind = if actions { "an action" } else { "a workflow" };
                            self.push(
                                Diagnostic::error(
                                    "invalid-name",
                                    item.key.span,
                                    format!("`{name}` is not a valid name for {kind} in a workbook"),
                                )
                                .with_note("workbook names may contain only letters, digits, `_` and `-`; Mistral adds `<workbook>.` itself")
                                .with_help(format!("rename it, e.g. `{}`", name.replace(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'), "_"))),
                            );
                        }
                    }
                    self.items(section, actions, doc, true);
                }
                _ => self.unknown_key(e, "the workbook", WORKBOOK_KEYS, None),
            }
        }
        if !has_name {
            self.push(
                Diagnostic::error(
                    "missing-key",
                    Span::empty(root.span.start),
                    "the workbook has no `name`",
                )
                .with_help(
                    "add `name: my_workbook`; its workflows are stored as `<name>.<workflow>`",
                ),
            );
        }
        doc.workbook = Some(wb);
    }

    /// The workflows or actions of a list or workbook section.
    fn items(&mut self, map: &Mapping, actions: bool, doc: &mut Document, in_workbook: bool) {
        for (earlier, later) in overridden_entries(map) {
            let (e, l) = (&map.entries[earlier], &map.entries[later]);
            let noun = if actions { "action" } else { "workflow" };
            self.push(
                Diagnostic::error(
                    if actions {
                        "duplicate-action"
                    } else {
                        "duplicate-workflow"
                    },
                    l.key.span,
                    format!("{noun} `{}` is defined twice", key_text(&l.key)),
                )
                .with_secondary(e.key.span, "first definition, silently replaced by Mistral")
                .with_help(format!("rename one of the {noun}s")),
            );
        }
        for e in last_entries(map) {
            let Some(name) = e.key.as_key_str() else {
                self.push(
                    Diagnostic::error(
                        "wrong-type",
                        e.key.span,
                        format!("name {} must be a string", describe(&e.key)),
                    )
                    .with_help(format!("quote it: `\"{}\"`", key_text(&e.key))),
                );
                continue;
            };
            if name == "version" {
                continue;
            }
            if !in_workbook && e.value.as_mapping().is_none() {
                let noun = if actions { "action" } else { "workflow" };
                self.wrong_type(&e.value, &format!("{noun} `{name}`"), "a mapping");
                continue;
            }
            if actions {
                if let Some(a) = self.action(e, name) {
                    doc.actions.push(a);
                }
            } else if let Some(w) = self.workflow(e, name) {
                doc.workflows.push(w);
            }
        }
    }

    /// An ad-hoc action.
    fn action(&mut self, entry: &Entry, name: &str) -> Option<Action> {
        let id = self.action_id();
        let item = Item::Action(id);
        self.map.set_item(item, entry.key.span, entry.value.span);
        let what = format!("action `{name}`");
        let body = match entry.value.as_mapping() {
            Some(m) if m.entries.is_empty() => {
                self.push(
                    Diagnostic::error("empty-value", entry.value.span, format!("{what} is empty"))
                        .with_help("give it a `base` action"),
                );
                return None;
            }
            Some(m) => m,
            None => {
                self.wrong_type(&entry.value, &what, "a mapping with `base`");
                return None;
            }
        };
        let mut action = Action {
            id,
            name: name.to_string(),
            description: None,
            tags: Vec::new(),
            base: String::new(),
            base_input: Vec::new(),
            input: Vec::new(),
            output: None,
        };
        let mut base_inline = Vec::new();
        let mut has_base = false;
        for e in last_entries(body) {
            let key = e.key.as_key_str().unwrap_or("");
            if let Some(k) = ACTION_KEYS.iter().find(|k| **k == key) {
                self.map.set_field(item, k, e.key.span, e.value.span);
            }
            let v = &e.value;
            match key {
                "base" => {
                    has_base = true;
                    if self.nonempty_string(v, "`base`").is_some()
                        && let Some(s) = v.as_scalar()
                        && let Some((b, inline)) = self.command(s, v.span, item, "base")
                    {
                        action.base = b;
                        base_inline = inline;
                    }
                }
                "base-input" => {
                    if let Some(m) = self.data_map(v, "`base-input`", item, "base-input") {
                        action.base_input = m;
                    }
                }
                "input" => action.input = self.parameters(v, "action `input`"),
                "output" => {
                    self.check_strings(v, item, "output");
                    action.output = Some(value(v));
                }
                "description" => {
                    action.description =
                        self.nonempty_string(v, "`description`").map(str::to_string)
                }
                "tags" => action.tags = self.unique_string_list(v, "`tags`"),
                _ if INJECTED_ITEM_KEYS.contains(&key) => self.push(
                    Diagnostic::warning(
                        "ignored-key",
                        e.key.span,
                        format!("Mistral replaces `{key}` of an action with its own value"),
                    )
                    .with_help("remove it"),
                ),
                _ => self.unknown_key(e, &what, ACTION_KEYS, None),
            }
        }
        if !has_base {
            self.push(
                Diagnostic::error(
                    "missing-key",
                    entry.key.span,
                    format!("{what} has no `base`"),
                )
                .with_help("add `base: <action>`, the action this one wraps (e.g. `std.echo`)"),
            );
        }
        for (k, v) in base_inline {
            if let Some(slot) = action.base_input.iter_mut().find(|(n, _)| *n == k) {
                slot.1 = v;
            } else {
                action.base_input.push((k, v));
            }
        }
        Some(action)
    }
}
