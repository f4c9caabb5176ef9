//! `undefined-variable`: an expression reads `$.x` / `_.x` where no path defines `x`.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, did_you_mean};

use super::Context;
use crate::dataflow::{Flow, Place, is_internal};
use crate::graph::TaskGraph;

/// Documentation of `undefined-variable`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "undefined-variable",
    severity: Severity::Warning,
    summary: "an expression reads a variable that nothing defines at that place",
    explanation: "Reading an absent key is an error in both languages (YAQL `$.x` → \
`Can not evaluate YAQL expression [expression=$.x, error='x']`, Jinja `_.x` → `… has no \
attribute 'x'`), and Mistral fails the workflow when the expression is evaluated. A variable is \
defined by the workflow `input`, `vars`, a `global` publish anywhere, a `publish` / \
`publish-on-error` / `publish-on-skip` of a task on the way to this one, or — only inside the \
task's `input` and inline parameters — a `with-items` variable. `vars` can read only the input.\n\n\
Gale reports this as a warning, not an error: the expression may never be evaluated (a task \
that never succeeds, a branch never taken), and a variable may come from a caller that Gale does \
not see. Reads guarded in the same expression (`$.get('x')`, `$.containsKey('x')`, \
`_.x is defined`, `$?.x`) are not reported.\n\n\
**Example:**\n\n```yaml\ninput: [name]\ntasks:\n  greet:\n    action: std.echo output=<% $.nmae %>\n```\n\n\
**Fix:** correct the name, declare it in `input`, publish it upstream, or guard the read with \
`$.get('x')`.",
};

/// Reports reads of names defined nowhere at their place.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>, flow: &Flow<'_>) {
    let wf = g.workflow;
    let input: Vec<&str> = wf.input.iter().map(|p| p.name.as_str()).collect();
    for site in &flow.sites {
        let task = match site.place {
            Place::Input(i) | Place::Inbound(i) | Place::Clause(i, _) => wf.tasks.get(i),
            _ => None,
        };
        let defined = flow.defined_at(site.place, task);
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
                        let task = task.map(|t| t.name.as_str()).unwrap_or_default();
                        let why = if flow.item_vars.contains(name) {
                            format!(
                                "`{name}` is a with-items variable: it exists only in a task's `input` and inline parameters"
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
            let mut d = Diagnostic::warning(
                INFO.code,
                site.span(&read.range),
                format!("variable `{name}` is not defined here"),
            )
            .with_note(reason);
            if let Some(s) = did_you_mean(name, known.iter().copied()) {
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

fn known_names<'a>(flow: &Flow<'a>, may: &std::collections::HashSet<&'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = flow.always.iter().chain(may.iter()).copied().collect();
    v.sort_unstable();
    v.dedup();
    v
}
