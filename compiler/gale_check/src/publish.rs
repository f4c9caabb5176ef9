//! How Mistral combines the publish blocks of one task for one completion state
//! (`mistral/lang/v2/tasks.py` `DirectWorkflowTaskSpec.get_publish`,
//! `mistral/lang/v2/publish.py` `PublishSpec.merge`, `mistral-language.md` §10.4).
//!
//! For a state, `P` is the task-level block (`publish`, `publish-on-error`,
//! `publish-on-skip`, read as `{branch: P}`), `C` the `on-complete` advanced publish
//! (merged in every state), `S` the advanced publish of the state's own clause
//! (`on-success`, `on-error`, `on-skip`). Merging `X ← Y` deep-merges each scope of
//! `Y` into the same scope of `X` with `Y` winning, and **drops** a scope `X` lacks
//! (`merge_dicts(None, …)` returns a value nobody keeps). Mistral computes
//! `R := P ← C` (or `C` alone), then `S ← R` when `S` exists. Only the task's own
//! clauses take part: `task-defaults` clauses never publish.
//!
//! [`combine`] replays that and records what is dropped and which value wins where
//! two blocks publish the same name; `publish-scope-dropped` and
//! `publish-precedence` report the findings.

use gale_hir::{ClauseKind, DataMap, Publish, Task};

/// A completion state that publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// SUCCESS: `publish`, `on-success`.
    Success,
    /// ERROR: `publish-on-error`, `on-error`.
    Error,
    /// SKIPPED: `publish-on-skip`, `on-skip`.
    Skip,
}

impl State {
    /// Every state, in Mistral's words.
    pub const ALL: [State; 3] = [State::Success, State::Error, State::Skip];

    /// The task-level key of the state.
    pub fn task_key(self) -> &'static str {
        match self {
            State::Success => "publish",
            State::Error => "publish-on-error",
            State::Skip => "publish-on-skip",
        }
    }

    /// The state's own clause.
    pub fn clause(self) -> ClauseKind {
        match self {
            State::Success => ClauseKind::OnSuccess,
            State::Error => ClauseKind::OnError,
            State::Skip => ClauseKind::OnSkip,
        }
    }

    /// "succeeds", "fails", "is skipped".
    pub fn verb(self) -> &'static str {
        match self {
            State::Success => "succeeds",
            State::Error => "fails",
            State::Skip => "is skipped",
        }
    }
}

/// Where a published name is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// The task-level block of the state.
    Task(State),
    /// `on-complete`'s advanced publish.
    OnComplete,
    /// The advanced publish of the state's own clause.
    Own(ClauseKind),
}

impl Source {
    /// The key the user wrote (`publish`, `on-complete`…).
    pub fn key(self) -> &'static str {
        match self {
            Source::Task(s) => s.task_key(),
            Source::OnComplete => "on-complete",
            Source::Own(k) => k.key(),
        }
    }

    /// How to name it in a message, with the scope.
    pub fn describe(self, scope: Scope) -> String {
        match self {
            Source::Task(s) => format!("`{}`", s.task_key()),
            Source::OnComplete => format!("`on-complete` `publish.{}`", scope.key()),
            Source::Own(k) => format!("`{}` `publish.{}`", k.key(), scope.key()),
        }
    }
}

/// A publish scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    /// `branch`.
    Branch,
    /// `global`.
    Global,
    /// `atomic`.
    Atomic,
}

impl Scope {
    const ALL: [Scope; 3] = [Scope::Branch, Scope::Global, Scope::Atomic];

    /// The key as written.
    pub fn key(self) -> &'static str {
        match self {
            Scope::Branch => "branch",
            Scope::Global => "global",
            Scope::Atomic => "atomic",
        }
    }

    fn of(self, p: &Publish) -> Option<&DataMap> {
        match self {
            Scope::Branch => p.branch.as_ref(),
            Scope::Global => p.global.as_ref(),
            Scope::Atomic => p.atomic.as_ref(),
        }
        .filter(|m| !m.is_empty())
    }
}

/// Names of one source that Mistral silently drops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Dropped<'a> {
    /// Where they are written.
    pub source: Source,
    /// Their scope.
    pub scope: Scope,
    /// The names.
    pub names: Vec<&'a str>,
    /// The block they were merged into, which lacks the scope.
    pub into: Source,
}

/// A name two blocks publish in the same scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Overridden<'a> {
    /// The name.
    pub name: &'a str,
    /// The scope.
    pub scope: Scope,
    /// Whose value Mistral keeps.
    pub winner: Source,
    /// Whose value is replaced (nested mappings are merged key by key).
    pub loser: Source,
}

/// What Mistral does with the blocks of one task for one state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Combined<'a> {
    /// Names never published in that state.
    pub dropped: Vec<Dropped<'a>>,
    /// Names set by two blocks.
    pub overridden: Vec<Overridden<'a>>,
}

/// One block under construction: per scope, `None` when absent, else each name with
/// the source of its current value.
type Block<'a> = [Option<Vec<(&'a str, Source)>>; 3];

fn block<'a>(p: &'a Publish, source: Source) -> Block<'a> {
    Scope::ALL.map(|s| {
        s.of(p)
            .map(|m| m.iter().map(|(k, _)| (k.as_str(), source)).collect())
    })
}

/// `into ← from`: Mistral's `PublishSpec.merge`, recording the findings.
fn merge<'a>(into: &mut Block<'a>, into_source: Source, from: Block<'a>, out: &mut Combined<'a>) {
    for (k, (dst, src)) in into.iter_mut().zip(from).enumerate() {
        let scope = Scope::ALL[k];
        let Some(src) = src else { continue };
        match dst {
            None => {
                // Group the dropped names by where they were written.
                let mut by_source: Vec<Dropped<'a>> = Vec::new();
                for (name, source) in src {
                    match by_source.iter_mut().find(|d| d.source == source) {
                        Some(d) => d.names.push(name),
                        None => by_source.push(Dropped {
                            source,
                            scope,
                            names: vec![name],
                            into: into_source,
                        }),
                    }
                }
                out.dropped.extend(by_source);
            }
            Some(dst) => {
                for (name, source) in src {
                    match dst.iter_mut().find(|(n, _)| *n == name) {
                        Some(slot) => {
                            out.overridden.push(Overridden {
                                name,
                                scope,
                                winner: source,
                                loser: slot.1,
                            });
                            slot.1 = source;
                        }
                        None => dst.push((name, source)),
                    }
                }
            }
        }
    }
}

/// Replays Mistral's combination of `task`'s publish blocks for `state`.
pub(crate) fn combine(task: &Task, state: State) -> Combined<'_> {
    let mut out = Combined::default();
    let task_map = match state {
        State::Success => task.publish.as_ref(),
        State::Error => task.publish_on_error.as_ref(),
        State::Skip => task.publish_on_skip.as_ref(),
    }
    .filter(|m| !m.is_empty());
    let p: Option<Block<'_>> = task_map.map(|m| {
        [
            Some(
                m.iter()
                    .map(|(k, _)| (k.as_str(), Source::Task(state)))
                    .collect(),
            ),
            None,
            None,
        ]
    });
    let c = task
        .clause(ClauseKind::OnComplete)
        .and_then(|c| c.publish.as_ref());
    let s = task.clause(state.clause()).and_then(|c| c.publish.as_ref());
    let mut r: Option<(Block<'_>, Source)> = p.map(|b| (b, Source::Task(state)));
    if let Some(c) = c {
        let cb = block(c, Source::OnComplete);
        r = match r {
            None => Some((cb, Source::OnComplete)),
            Some((mut rb, rs)) => {
                merge(&mut rb, rs, cb, &mut out);
                Some((rb, rs))
            }
        };
    }
    if let (Some(s), Some((rb, _))) = (s, r) {
        let own = Source::Own(state.clause());
        let mut sb = block(s, own);
        merge(&mut sb, own, rb, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Scope, Source, State, combine};
    use gale_hir::ClauseKind;

    /// `(what is dropped, which name wins over which)` for task `t1` of `yaml`, on
    /// success, as short strings.
    fn on_success(yaml: &str) -> (Vec<String>, Vec<String>) {
        let text = format!(
            "version: '2.0'\nwf:\n  tasks:\n    t1:\n      action: std.noop\n{yaml}    t2:\n      action: std.noop\n"
        );
        let parsed = gale_syntax::parse(&text);
        let lowered = gale_hir::lower(parsed.root.as_ref(), &text);
        let doc = lowered.document.expect("a document");
        let task = doc.workflows[0].task("t1").expect("t1");
        let c = combine(task, State::Success);
        let dropped = c
            .dropped
            .iter()
            .map(|d| format!("{}.{}:{}", d.source.key(), d.scope.key(), d.names.join(",")))
            .collect();
        let overridden = c
            .overridden
            .iter()
            .map(|o| format!("{}:{}>{}", o.name, o.winner.key(), o.loser.key()))
            .collect();
        (dropped, overridden)
    }

    // Each case was run on the Mistral 23 oracle (`mistral-language.md` §10.4).
    #[test]
    fn combination_follows_mistral() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            // Task-level publish alone: nothing lost.
            ("      publish: {a: 1}\n", &[], &[]),
            // on-success advanced publish with only `global`: `publish` vanishes.
            (
                "      publish: {a: 1}\n      on-success:\n        publish: {global: {g: 1}}\n        next: [t2]\n",
                &["publish.branch:a"],
                &[],
            ),
            // on-complete `global` next to a task-level publish vanishes.
            (
                "      publish: {a: 1}\n      on-complete:\n        publish: {global: {g: 1}, branch: {c: 2}}\n",
                &["on-complete.global:g"],
                &[],
            ),
            // Precedence: on-complete > publish > on-success.
            (
                "      publish: {x: 1}\n      on-success:\n        publish: {branch: {x: 2}}\n      on-complete:\n        publish: {branch: {x: 3}}\n",
                &[],
                &["x:on-complete>publish", "x:on-complete>on-success"],
            ),
            // on-complete alone merged into on-success: globals kept when both have them.
            (
                "      on-success:\n        publish: {global: {g: 1}}\n      on-complete:\n        publish: {global: {g: 2}}\n",
                &[],
                &["g:on-complete>on-success"],
            ),
        ];
        for (yaml, dropped, overridden) in cases {
            let (d, o) = on_success(yaml);
            assert_eq!(d, *dropped, "dropped, for:\n{yaml}");
            assert_eq!(o, *overridden, "overridden, for:\n{yaml}");
        }
        // Keep the helpers' other variants in use.
        assert_eq!(Source::Own(ClauseKind::OnError).key(), "on-error");
        assert_eq!(Scope::Atomic.key(), "atomic");
    }
}
