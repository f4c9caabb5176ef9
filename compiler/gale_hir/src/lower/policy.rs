//! Policies (`retry`, `wait-before`, `wait-after`, `timeout`, `pause-before`,
//! `concurrency`, `fail-on`) and the other boolean-or-expression task fields
//! (`keep-result`, `safe-rerun`), for tasks and `task-defaults`.

use gale_diagnostics::Diagnostic;
use gale_syntax::{Entry, Node, ScalarValue};

use super::inline_params::parse_cmd_and_input;
use super::{Lower, describe, last_entries, positive_integer};
use crate::model::{BoolOrExpr, IntOrExpr, Policies, Retry, Value};
use crate::schema::RETRY_KEYS;
use crate::source_map::Item;

impl Lower {
    /// Lowers `entry` into `policies` if its key is a policy; returns whether it was.
    pub fn policy(
        &mut self,
        entry: &Entry,
        key: &str,
        item: Item,
        policies: &mut Policies,
    ) -> bool {
        let v = &entry.value;
        match key {
            "retry" => policies.retry = self.retry(v, item),
            "wait-before" => policies.wait_before = self.int_or_expr(v, item, "wait-before"),
            "wait-after" => policies.wait_after = self.int_or_expr(v, item, "wait-after"),
            "timeout" => policies.timeout = self.int_or_expr(v, item, "timeout"),
            "concurrency" => policies.concurrency = self.int_or_expr(v, item, "concurrency"),
            "pause-before" => policies.pause_before = self.bool_or_expr(v, item, "pause-before"),
            "fail-on" => policies.fail_on = self.bool_or_expr(v, item, "fail-on"),
            _ => return false,
        }
        true
    }

    /// `EXPRESSION_OR_POSITIVE_INTEGER`.
    pub fn int_or_expr(
        &mut self,
        node: &Node,
        item: Item,
        field: &'static str,
    ) -> Option<IntOrExpr> {
        let what = format!("`{field}`");
        match positive_integer(node) {
            Some(Ok(n)) => return Some(IntOrExpr::Int(n)),
            Some(Err(())) => {
                self.push(
                    Diagnostic::error(
                        "negative-value",
                        node.span,
                        format!("{what} must be 0 or more, not {}", describe(node)),
                    )
                    .with_help("use a non-negative number of seconds (or count), or an expression"),
                );
                return None;
            }
            None => {}
        }
        match self.whole_expression(node, item, field, &what) {
            Ok(e) => Some(IntOrExpr::Expr(e)),
            Err(true) => None,
            Err(false) => {
                let mut d = Diagnostic::error(
                    "wrong-type",
                    node.span,
                    format!(
                        "{what} must be a non-negative integer or an expression, not {}",
                        describe(node)
                    ),
                )
                .with_label("expected an integer or `<% … %>`");
                if let Some(s) = node.as_scalar()
                    && s.value == ScalarValue::Str
                    && s.text.trim().parse::<u64>().is_ok()
                {
                    d = d.with_help(format!("remove the quotes: `{}`", s.text.trim()));
                }
                self.push(d);
                None
            }
        }
    }

    /// `EXPRESSION_OR_BOOLEAN`.
    pub fn bool_or_expr(
        &mut self,
        node: &Node,
        item: Item,
        field: &'static str,
    ) -> Option<BoolOrExpr> {
        if let Some(s) = node.as_scalar()
            && let ScalarValue::Bool(b) = s.value
        {
            return Some(BoolOrExpr::Bool(b));
        }
        let what = format!("`{field}`");
        match self.whole_expression(node, item, field, &what) {
            Ok(e) => Some(BoolOrExpr::Expr(e)),
            Err(true) => None,
            Err(false) => {
                self.push(
                    Diagnostic::error(
                        "wrong-type",
                        node.span,
                        format!(
                            "{what} must be `true`, `false` or an expression, not {}",
                            describe(node)
                        ),
                    )
                    .with_label("expected a boolean or `<% … %>`")
                    .with_help("write `true` or `false` without quotes"),
                );
                None
            }
        }
    }

    /// `retry`: a mapping or the one-line `count=3 delay=1` form.
    fn retry(&mut self, node: &Node, item: Item) -> Option<Retry> {
        if let Some(m) = node.as_mapping() {
            let mut count = None;
            let mut delay = None;
            let mut break_on = None;
            let mut continue_on = None;
            let mut seen_count = false;
            let mut seen_delay = false;
            for e in last_entries(m) {
                match e.key.as_key_str().unwrap_or("") {
                    "count" => {
                        seen_count = true;
                        count = self.int_or_expr(&e.value, item, "count");
                    }
                    "delay" => {
                        seen_delay = true;
                        delay = self.int_or_expr(&e.value, item, "delay");
                    }
                    "break-on" => break_on = self.retry_guard(&e.value, item, "break-on"),
                    "continue-on" => continue_on = self.retry_guard(&e.value, item, "continue-on"),
                    other => {
                        let note = match other {
                            "cnt" | "retries" | "times" | "attempts" => {
                                Some("did you mean `count`?")
                            }
                            "interval" | "wait" | "sleep" => Some("did you mean `delay`?"),
                            _ => None,
                        };
                        self.unknown_key(e, "`retry`", RETRY_KEYS, note);
                    }
                }
            }
            for (seen, k) in [(seen_count, "count"), (seen_delay, "delay")] {
                if !seen {
                    self.push(
                        Diagnostic::error("missing-key", node.span, format!("`retry` needs `{k}`"))
                            .with_help("give both `count` and `delay`, e.g. `retry: {count: 3, delay: 10}`"),
                    );
                }
            }
            return Some(Retry {
                count: count?,
                delay: delay?,
                break_on,
                continue_on,
            });
        }
        let Some(s) = node.as_scalar().filter(|s| s.value == ScalarValue::Str) else {
            self.wrong_type(
                node,
                "`retry`",
                "a mapping with `count` and `delay`, or `count=N delay=N`",
            );
            return None;
        };
        if s.text.is_empty() {
            self.empty_value(node, "`retry`", "write `count=3 delay=10` or a mapping");
            return None;
        }
        let Some(parsed) = parse_cmd_and_input(&s.text) else {
            self.push(Diagnostic::error(
                "invalid-inline-parameters",
                node.span,
                format!("Mistral cannot read `{}` as `count=N delay=N`", s.text),
            ));
            return None;
        };
        let mut count = None;
        let mut delay = None;
        let mut break_on = None;
        let mut continue_on = None;
        let span_of = |r: &std::ops::Range<usize>| s.offsets.span(r.start as u32, r.end as u32);
        for p in &parsed.params {
            let vspan = span_of(&p.value);
            let int_or_expr = |this: &mut Self, name: &str| match &p.parsed {
                Value::Int(i) if *i >= 0 => {
                    Some(IntOrExpr::Int(u64::try_from(*i).unwrap_or(u64::MAX)))
                }
                Value::Str(t) if super::expressions::is_whole_expression(t) => {
                    this.check_expr_range(s, p.value.clone());
                    Some(IntOrExpr::Expr(t.clone()))
                }
                _ => {
                    this.push(Diagnostic::error(
                        "wrong-type",
                        vspan,
                        format!("retry `{name}` must be a non-negative integer or an expression"),
                    ));
                    None
                }
            };
            match p.name.as_str() {
                "count" => count = int_or_expr(self, "count"),
                "delay" => delay = int_or_expr(self, "delay"),
                "break-on" | "continue-on" => {
                    let g = match &p.parsed {
                        Value::Str(t) if super::expressions::is_whole_expression(t) => {
                            self.check_expr_range(s, p.value.clone());
                            Some(t.clone())
                        }
                        _ => {
                            self.push(Diagnostic::error(
                                "wrong-type",
                                vspan,
                                format!("retry `{}` must be an expression", p.name),
                            ));
                            None
                        }
                    };
                    if p.name == "break-on" {
                        break_on = g;
                    } else {
                        continue_on = g;
                    }
                }
                other => {
                    let mut d = Diagnostic::error(
                        "unknown-key",
                        span_of(&p.key),
                        format!("unknown key `{other}` in `retry`"),
                    );
                    if let Some(best) = super::did_you_mean(other, RETRY_KEYS.iter().copied()) {
                        d = d.with_help(format!("did you mean `{best}`?"));
                    }
                    self.push(d.with_note(format!(
                        "valid keys here: {}",
                        super::backticked(RETRY_KEYS)
                    )));
                }
            }
        }
        for (have, k) in [
            (parsed.params.iter().any(|p| p.name == "count"), "count"),
            (parsed.params.iter().any(|p| p.name == "delay"), "delay"),
        ] {
            if !have {
                self.push(
                    Diagnostic::error("missing-key", node.span, format!("`retry` needs `{k}`"))
                        .with_help("write e.g. `retry: count=3 delay=10`"),
                );
            }
        }
        Some(Retry {
            count: count?,
            delay: delay?,
            break_on,
            continue_on,
        })
    }

    fn retry_guard(&mut self, node: &Node, item: Item, field: &'static str) -> Option<String> {
        match self.whole_expression(node, item, "retry", &format!("retry `{field}`")) {
            Ok(e) => Some(e),
            Err(true) => None,
            Err(false) => {
                self.push(
                    Diagnostic::error(
                        "wrong-type",
                        node.span,
                        format!(
                            "retry `{field}` must be an expression, not {}",
                            describe(node)
                        ),
                    )
                    .with_help("write a condition such as `<% $.done %>`"),
                );
                None
            }
        }
    }
}
