//! `undefined-variable`: an expression reads `$.x` / `_.x` where no path defines `x`.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, did_you_mean};

use super::Context;
use crate::dataflow::{Flow, Place, is_internal};
use crate::graph::TaskGraph;

/// Documentation of `undefined-variable`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "undefined-variable",
    severity: Severity::Error,
    summary: "an expression reads a variable that nothing defines at that place",
    explanation: "Reading an absent key is an error in both languages (YAQL `$.x` → \
`Can not evaluate YAQL expression [expression=$.x, error='x']`, Jinja `_.x` → `… has no \
attribute 'x'`), and Mistral fails the workflow when the expression is evaluated. A variable is \
defined by the workflow `input`, `vars`, a `global` publish anywhere, a `publish` / \
`publish-on-error` / `publish-on-skip` of a task on the way to this one, or — only inside the \
task's `input` and inline parameters — a `with-items` variable. `vars` can read only the input.\n\n\
A workflow's context holds only what these define (Mistral refuses to start a workflow with \
undeclared input), so the read fails whenever the expression is evaluated: an error. It is a \
warning instead where the name might exist after all — a `publish` key that is itself an \
expression (its name is known only at run time) — or where the expression never runs (a task \
no start task leads to). A name defined on some paths only is `possibly-undefined-variable`. \
Reads guarded in the same expression (`$.get('x')`, `$.containsKey('x')`, \
`_.x is defined`, `$?.x`) are not reported. A dashed name is a subtraction in both languages: \
`$.my-var` reads `$.my` (Mistral: `No function \"#operator_-\" matches supplied arguments`) and \
`_.my-var` reads `_.my`; when `my-var` is a variable the finding says so: write \
`$.get('my-var')` or `_['my-var']`.\n\n\
**Example:**\n\n```yaml\ninput: [name]\ntasks:\n  greet:\n    action: std.echo output=<% $.nmae %>\n```\n\n\
**Fix:** correct the name, declare it in `input`, publish it upstream, or guard the read with \
`$.get('x')`.",
};

/// Reports reads of names defined nowhere at their place.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>, flow: &Flow<'_>) {
    let wf = g.workflow;
    let input: Vec<&str> = wf.input.iter().map(|p| p.name.as_str()).collect();
    let direct = wf.kind == gale_hir::WorkflowType::Direct && g.complete;
    for site in &flow.sites {
        let task = match site.place {
            Place::Input(i) | Place::Inbound(i) | Place::Clause(i, _) | Place::Retry(i) => {
                wf.tasks.get(i)
            }
            _ => None,
        };
        let defined = flow.defined_at(site.place, task);
        // Certain unless a computed publish key may define the name, or the task
        // never runs (no start task leads to it).
        let runs = match site.place {
            Place::Input(i) | Place::Inbound(i) | Place::Clause(i, _) | Place::Retry(i) => {
                !direct || g.reachable.get(i).copied().unwrap_or(true)
            }
            _ => true,
        };
        let certain = runs && !flow.dynamic_keys;
        for read in &site.reads.vars {
            let name = read.name.as_str();
            if is_internal(name) {
                continue;
            }
            let (reason, known): (String, Vec<&str>) = match site.place {
                Place::Vars => {
                    if input.contains(&name) || flow.always.contains(name) {
                        continue;
                    }
                    let why = if flow.published_anywhere.contains(name) {
                        format!(
                            "`vars` are evaluated at the start, before any task publishes `{name}`"
                        )
                    } else {
                        format!("`{name}` is not a workflow input")
                    };
                    (why, input.clone())
                }
                _ if flow.always.contains(name) => continue,
                _ => match &defined {
                    Some((_, may)) => {
                        if may.contains(name) {
                            continue;
                        }
                        let own = match site.place {
                            Place::Input(i) | Place::Inbound(i) => flow
                                .published
                                .get(i)
                                .is_some_and(|p| p.iter().any(|s| s.contains(name))),
                            _ => false,
                        };
                        let task = task.map(|t| t.name.as_str()).unwrap_or_default();
                        let why = if flow.item_vars.contains(name) {
                            format!(
                                "`{name}` is a with-items variable: it exists only in a task's `input` and inline parameters"
                            )
                        } else if own {
                            format!(
                                "task `{task}` publishes `{name}` itself, but its `input` and `publish` see only what the tasks before it published"
                            )
                        } else if flow.published_anywhere.contains(name) {
                            format!("no path to task `{task}` publishes `{name}` before this point")
                        } else {
                            format!(
                                "`{name}` is not an input, a var, or published by any task of workflow `{}`",
                                wf.name
                            )
                        };
                        (why, known_names(flow, may))
                    }
                    None => {
                        if flow.published_anywhere.contains(name) {
                            continue;
                        }
                        if flow.item_vars.contains(name) && !matches!(site.place, Place::Anywhere) {
                            continue;
                        }
                        let why = if flow.item_vars.contains(name) {
                            format!(
                                "`{name}` is a with-items variable: it exists only in a task's `input` and inline parameters"
                            )
                        } else {
                            format!(
                                "`{name}` is not an input, a var, or published by any task of workflow `{}`",
                                wf.name
                            )
                        };
                        let mut known = known_names(flow, &Default::default());
                        known.extend(flow.published_anywhere.iter().copied());
                        (why, known)
                    }
                },
            };
            let message = format!("variable `{name}` is not defined here");
            let span = site.span(&read.range);
            let mut d = if certain {
                Diagnostic::error(INFO.code, span, message)
            } else {
                Diagnostic::warning(INFO.code, span, message)
            }
            .with_note(reason);
            if flow.dynamic_keys {
                d = d.with_note("a `publish` key of this workflow is an expression and might define it at run time");
            } else if !runs {
                d = d.with_note("no start task leads to this task, so it never runs");
            }
            if let Some(full) = dashed_name(site, &read.range, name, flow) {
                // `$.my-var` is `$.my - var` in YAQL (`_.my-var` likewise in Jinja).
                let jinja = site
                    .site
                    .text
                    .get(..read.range.start as usize)
                    .is_some_and(|t| t.ends_with("_."));
                let (lang, written, fixed) = if jinja {
                    ("Jinja", format!("_.{full}"), format!("_['{full}']"))
                } else {
                    ("YAQL", format!("$.{full}"), format!("$.get('{full}')"))
                };
                let rest = &full[name.len() + 1..];
                d = d
                    .with_note(format!(
                        "{lang} reads `{written}` as the subtraction `{} - {rest}`; `{full}` is a variable of this workflow",
                        &written[..written.len() - rest.len() - 1]
                    ))
                    .with_help(format!("write `{fixed}`"));
            } else if wf.task(name).is_some() {
                // `$.<task>` was the task's result in Mistral before Liberty.
                d = d.with_help(format!(
                    "a task's result is not a variable: read it with `task({name}).result`, or publish it"
                ));
            } else if let Some(s) = did_you_mean(name, known.iter().copied()) {
                d = d.with_help(format!("did you mean `{s}`?")).with_fix(
                    format!("replace with `{s}`"),
                    site.span(&read.range),
                    s,
                );
            } else {
                d = d.with_help(format!(
                    "declare `{name}` in `input`, publish it upstream, or read it with `$.get('{name}')`"
                ));
            }
            cx.push(d);
        }
    }
}

/// `name` followed in the text by `-rest` where `name-rest` (cut at a dash) is a
/// variable defined somewhere in the workflow: the longest such name.
fn dashed_name(
    site: &crate::dataflow::Site<'_>,
    range: &std::ops::Range<u32>,
    name: &str,
    flow: &Flow<'_>,
) -> Option<String> {
    let after = site.site.text.get(range.end as usize..)?;
    if !after.starts_with('-') {
        return None;
    }
    let tail: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let defined = |n: &str| {
        flow.always.contains(n) || flow.published_anywhere.contains(n) || flow.item_vars.contains(n)
    };
    let mut best = None;
    for (i, c) in tail.char_indices().skip(1) {
        if c == '-' {
            let cand = format!("{name}{}", &tail[..i]);
            if defined(&cand) {
                best = Some(cand);
            }
        }
    }
    let cand = format!("{name}{}", tail.trim_end_matches('-'));
    if cand.len() > name.len() + 1 && defined(&cand) {
        best = Some(cand);
    }
    best
}

fn known_names<'a>(flow: &Flow<'a>, may: &gale_hir::fx::FxHashSet<&'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = flow.always.iter().chain(may.iter()).copied().collect();
    v.sort_unstable();
    v.dedup();
    v
}
