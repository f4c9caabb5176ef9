//! One module per diagnostic code: its documentation ([`gale_diagnostics::CodeInfo`])
//! and its detection over a [`TaskGraph`].

pub(crate) mod action_base_cycle;
mod ad_hoc_action_shadows_std;
mod atomic_publish;
mod cycle_without_entry;
mod cycle_without_exit;
mod description_not_text;
mod expression_never_evaluated;
mod falsy_policy_override;
mod function_called_as_method;
mod global_never_published;
mod ignored_transition_parameter;
mod inline_parameter_overrides_input;
mod input_default_expression;
mod input_not_expression;
mod internal_variable_name;
pub(crate) mod invalid_policy_value;
pub(crate) mod jinja_blocks_only;
mod jinja_name_with_parameters;
mod join_in_loop;
mod join_may_not_fire;
mod join_never_fires;
mod method_called_as_function;
mod missing_action_parameter;
mod missing_workflow_input;
mod output_on_error_variable_lost;
mod possibly_undefined_variable;
mod publish_in_task_defaults;
mod publish_precedence;
mod publish_scope_dropped;
mod reads_own_publish;
mod requires_cycle;
mod requires_self;
mod retry_count_zero;
mod succeed_while_running;
mod success_only_variable;
mod task_not_yet_run;
mod task_started_twice;
mod transition_guard_ignored;
mod transition_mapping_ignored;
pub(crate) mod type_mismatch;
mod undefined_variable;
mod unknown_action_parameter;
mod unknown_function;
mod unknown_jinja_filter;
mod unknown_jinja_test;
mod unknown_keyword_argument;
mod unknown_method;
mod unknown_task_reference;
mod unknown_workflow_input;
mod unreachable_transition;
mod untargetable_task_name;
pub(crate) mod unused_input;
mod unused_var;
mod with_items_variable_hidden;
mod workbook_base_short_name;
mod wrong_arity;

use gale_diagnostics::{CodeInfo, Diagnostic, Span};
use gale_hir::{ExpressionSite, Item, SourceMap, Task, Transition, Workflow, WorkflowType};

use crate::ast::SiteAst;
use crate::positions::{Positions, Scope};

use crate::dataflow::Flow;
use crate::graph::TaskGraph;
use crate::{JoinVerdict, joins};

/// Every code of this crate, sorted by name.
pub(crate) const CODES: &[CodeInfo] = &[
    action_base_cycle::INFO,
    ad_hoc_action_shadows_std::INFO,
    atomic_publish::INFO,
    cycle_without_entry::INFO,
    cycle_without_exit::INFO,
    description_not_text::INFO,
    expression_never_evaluated::INFO,
    falsy_policy_override::INFO,
    function_called_as_method::INFO,
    global_never_published::INFO,
    ignored_transition_parameter::INFO,
    inline_parameter_overrides_input::INFO,
    input_default_expression::INFO,
    input_not_expression::INFO,
    internal_variable_name::INFO,
    invalid_policy_value::INFO,
    jinja_blocks_only::INFO,
    jinja_name_with_parameters::INFO,
    join_in_loop::INFO,
    join_may_not_fire::INFO,
    join_never_fires::INFO,
    method_called_as_function::INFO,
    missing_action_parameter::INFO,
    missing_workflow_input::INFO,
    output_on_error_variable_lost::INFO,
    possibly_undefined_variable::INFO,
    publish_in_task_defaults::INFO,
    publish_precedence::INFO,
    publish_scope_dropped::INFO,
    reads_own_publish::INFO,
    requires_cycle::INFO,
    requires_self::INFO,
    retry_count_zero::INFO,
    succeed_while_running::INFO,
    success_only_variable::INFO,
    task_not_yet_run::INFO,
    task_started_twice::INFO,
    transition_guard_ignored::INFO,
    transition_mapping_ignored::INFO,
    type_mismatch::INFO,
    undefined_variable::INFO,
    unknown_action_parameter::INFO,
    unknown_function::INFO,
    unknown_jinja_filter::INFO,
    unknown_jinja_test::INFO,
    unknown_keyword_argument::INFO,
    unknown_method::INFO,
    unknown_task_reference::INFO,
    unknown_workflow_input::INFO,
    unreachable_transition::INFO,
    untargetable_task_name::INFO,
    unused_var::INFO,
    with_items_variable_hidden::INFO,
    workbook_base_short_name::INFO,
    wrong_arity::INFO,
];

/// What the checks produce.
pub(crate) struct Context<'a> {
    pub positions: &'a Positions,
    pub diagnostics: Vec<Diagnostic>,
    pub joins: Vec<JoinVerdict>,
}

impl<'a> Context<'a> {
    pub fn new(positions: &'a Positions) -> Self {
        Context {
            positions,
            diagnostics: Vec::new(),
            joins: Vec::new(),
        }
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// The span of a task's name.
    pub fn task_span(&self, task: &Task) -> Span {
        self.positions
            .item(Item::Task(task.id))
            .map(|s| s.name)
            .unwrap_or_default()
    }

    /// The span of a task's `join` value (its name when absent).
    pub fn join_span(&self, task: &Task) -> Span {
        self.field_span(task, "join")
    }

    /// The span of the value of a task's field `key` (the task's name when absent).
    pub fn field_span(&self, task: &Task, key: &'static str) -> Span {
        self.positions
            .field(Item::Task(task.id), key)
            .map(|f| f.value)
            .unwrap_or_else(|| self.task_span(task))
    }

    /// The key of the publish block `source` of a task (the task's name when absent).
    pub fn publish_source_span(&self, task: &Task, source: crate::publish::Source) -> Span {
        self.positions
            .field(Item::Task(task.id), source.key())
            .map(|f| f.key)
            .unwrap_or_else(|| self.task_span(task))
    }

    /// The span of a transition entry.
    pub fn transition_span(&self, tr: &Transition) -> Span {
        self.positions
            .item(Item::Transition(tr.id))
            .map(|s| s.name)
            .unwrap_or_default()
    }

    /// The whole entry of a transition (name and guard), or its name when the entry
    /// has no recorded body.
    pub fn transition_entry_span(&self, tr: &Transition) -> Span {
        self.positions
            .item(Item::Transition(tr.id))
            .map(|s| s.body)
            .unwrap_or_else(|| self.transition_span(tr))
    }
}

/// Runs every check on one workflow.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    match g.workflow.kind {
        WorkflowType::Direct => {
            // Path conditions grow with path length: compute them only when a join
            // needs them (a 20,000-task chain without joins stays linear).
            let has_join = (0..g.len()).any(|j| g.is_join(j));
            let conditions = if has_join {
                joins::conditions(g)
            } else {
                joins::Conditions::default()
            };
            for j in 0..g.len() {
                if !g.is_join(j) {
                    continue;
                }
                let finding = joins::verdict(g, &conditions, j);
                join_never_fires::report(cx, g, j, &finding);
                join_may_not_fire::report(cx, g, j, &finding);
                let task = g.task(j);
                cx.joins.push(JoinVerdict {
                    workflow: g.workflow.name.clone(),
                    task: task.name.clone(),
                    join: task.join.unwrap_or(gale_hir::Join::All),
                    verdict: finding.verdict,
                    inbound: finding.inbound,
                    explanation: finding.explanation,
                    span: cx.join_span(task),
                });
            }
            join_in_loop::run(cx, g);
            cycle_without_entry::run(cx, g);
            cycle_without_exit::run(cx, g);
            unreachable_transition::run(cx, g);
            task_started_twice::run(cx, g);
            ignored_transition_parameter::run(cx, g);
            publish_scope_dropped::run(cx, g);
            publish_precedence::run(cx, g);
            publish_in_task_defaults::run(cx, g);
            atomic_publish::run(cx, g);
            succeed_while_running::run(cx, g);
            transition_mapping_ignored::run(cx, g);
            transition_guard_ignored::run(cx, g);
            global_never_published::run(cx, g);
        }
        WorkflowType::Reverse => {
            requires_self::run(cx, g);
            requires_cycle::run(cx, g);
        }
    }
    falsy_policy_override::run(cx, g);
    retry_count_zero::run(cx, g);
}

/// Runs the data-flow checks on one workflow.
pub(crate) fn run_data_flow(
    cx: &mut Context<'_>,
    g: &TaskGraph<'_>,
    flow: &Flow<'_>,
    extra: &unused_input::Extra,
) {
    let start = cx.diagnostics.len();
    undefined_variable::run(cx, g, flow);
    possibly_undefined_variable::run(cx, g, flow);
    success_only_variable::run(cx, g, flow);
    fold_success_only(&mut cx.diagnostics, start);
    unknown_task_reference::run(cx, g, flow);
    task_not_yet_run::run(cx, g, flow);
    reads_own_publish::run(cx, g, flow);
    output_on_error_variable_lost::run(cx, g, flow);
    if g.complete {
        unused_var::run(cx, g, flow, extra);
    }
}

/// One read, one finding: where `success-only-variable` and `undefined-variable` /
/// `possibly-undefined-variable` report the same read (from `start` on), keeps one.
/// An `undefined-variable` error (no path defines the name) stays, with the cause
/// (`success-only-variable`'s labels and notes) added; otherwise the
/// `success-only-variable` warning, which names the cause, replaces the other.
fn fold_success_only(diagnostics: &mut Vec<Diagnostic>, start: usize) {
    let mut drop = vec![false; diagnostics.len()];
    for s in start..diagnostics.len() {
        if diagnostics[s].code != success_only_variable::INFO.code {
            continue;
        }
        let span = diagnostics[s].primary.span;
        let other = (start..diagnostics.len()).find(|&o| {
            !drop[o]
                && diagnostics[o].primary.span == span
                && (diagnostics[o].code == undefined_variable::INFO.code
                    || diagnostics[o].code == possibly_undefined_variable::INFO.code)
        });
        let Some(o) = other else {
            continue;
        };
        if diagnostics[o].severity == gale_diagnostics::Severity::Error {
            let cause = diagnostics[s].clone();
            let kept = &mut diagnostics[o];
            // No other path reaches the read: "also" would mislead.
            kept.notes
                .push(cause.message.replace(" also runs after ", " runs after "));
            kept.secondary.extend(cause.secondary);
            kept.notes.extend(cause.notes);
            if kept.fix.is_none() {
                kept.help = cause.help;
            }
            drop[s] = true;
        } else {
            drop[o] = true;
        }
    }
    let mut i = 0;
    diagnostics.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
}

/// Runs the signature checks on the tasks of one workflow.
pub(crate) fn run_signatures(cx: &mut Context<'_>, workflow: &Workflow, scope: &Scope) {
    unknown_action_parameter::run(cx, workflow, scope);
    missing_action_parameter::run(cx, workflow, scope, scope.env_used);
    missing_workflow_input::run(cx, workflow, scope);
    unknown_workflow_input::run(cx, workflow, scope);
}

/// Runs the checks on the model of one workflow and its expression strings that
/// need no task graph (names, values Mistral drops or cannot evaluate, ad-hoc
/// action chains).
pub(crate) fn run_model(cx: &mut Context<'_>, workflow: &Workflow, scope: &Scope) {
    let sites = cx.positions.expressions();
    jinja_blocks_only::run(cx, sites, Some(workflow));
    expression_never_evaluated::run(cx, sites);
    input_not_expression::run(cx, workflow);
    jinja_name_with_parameters::run(cx, workflow);
    action_base_cycle::run(cx, workflow, scope);
    ad_hoc_action_shadows_std::run(cx, workflow, scope);
    workbook_base_short_name::run(cx, workflow, scope);
    with_items_variable_hidden::run(cx, workflow);
    input_default_expression::run(cx, workflow);
    inline_parameter_overrides_input::run(cx, workflow);
    internal_variable_name::run(cx, workflow);
    description_not_text::run(cx, workflow);
    untargetable_task_name::run(cx, workflow);
}

/// Names ad-hoc actions read from the calling task's context.
pub(crate) fn action_mentions(source_map: &SourceMap) -> unused_input::Extra {
    let mut extra = unused_input::Extra::default();
    for site in source_map.expressions() {
        if matches!(site.item, Item::Action(_)) && site.field == "base-input" {
            let r = crate::refs::reads(&site.text);
            extra.whole_context |= r.whole_context;
            extra.mentioned.extend(r.mentioned);
        }
    }
    extra
}

/// Runs the call checks (YAQL functions and methods, Jinja filters and tests) on
/// expression strings.
pub(crate) fn run_calls(cx: &mut Context<'_>, sites: &[ExpressionSite], asts: &[SiteAst]) {
    use crate::calls::Problem;
    for (site, ast) in sites.iter().zip(asts) {
        for f in crate::calls::findings_parsed(ast) {
            let span = site.offsets.span(f.range.start, f.range.end);
            match f.problem {
                Problem::UnknownFunction { .. } => unknown_function::report(cx, span, &f),
                Problem::UnknownMethod { .. } => unknown_method::report(cx, span, &f),
                Problem::FunctionAsMethod => function_called_as_method::report(cx, span, &f),
                Problem::MethodAsFunction => method_called_as_function::report(cx, span, &f),
                Problem::WrongArity { .. } => wrong_arity::report(cx, span, &f),
                Problem::UnknownKeyword { .. } => unknown_keyword_argument::report(cx, span, &f),
                Problem::UnknownFilter { .. } => unknown_jinja_filter::report(cx, span, &f),
                Problem::UnknownTest { .. } => unknown_jinja_test::report(cx, span, &f),
            }
        }
    }
}

/// `a`, `b` → "`a`, `b`": names as they appear in messages.
pub(crate) fn code_list<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}
