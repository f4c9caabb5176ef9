//! The join verdict: whether a join task fires once it is reached.
//!
//! Mistral decides at run time, for each inbound task of a join, whether it has
//! transitioned to the join (satisfied), may still do so (waiting), or cannot any
//! more (`not triggered` / `impossible route`), and fails the join task with
//! `Failed by tasks: […]` when too few can be satisfied
//! (`direct_workflow.py _get_join_logical_state`). This module decides the same
//! statically, for every possible run:
//!
//! * Each task gets the set of *conditions* that hold whenever it runs: the outcome
//!   of an upstream task (`on-success` → it succeeded, `on-error` → it failed) and
//!   the guards of the transitions every path to it takes. The sets are computed in
//!   topological order of the strongly connected components (intersection over the
//!   inbound entries; for a `join: all` task, the union over its inbound tasks).
//! * Two inbound tasks *exclude each other* when one needs a task to succeed and the
//!   other needs the same task to fail, and that task runs at most once per
//!   execution (not on a cycle; a start task, a `join: all`, or a task with a single
//!   inbound entry from such a task). Guards are treated as independent unknowns, so
//!   exclusion never depends on what an expression evaluates to.
//! * An inbound task that no start task leads to, or that only runs after the join
//!   itself (the join dominates it), can never arrive.
//!
//! Operator actions (skip, rerun) are outside the model.

use std::collections::{BTreeMap, BTreeSet};

use gale_hir::{ClauseKind, EngineCommand, Join};

use crate::graph::TaskGraph;
use crate::{Arrival, Inbound, Verdict};

/// A condition that holds whenever a task runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Lit {
    /// Task `i` succeeded.
    Succeeded(usize),
    /// Task `i` failed.
    Failed(usize),
    /// Task `i` was skipped (operator action).
    Skipped(usize),
    /// The guard of transition entry `id` (by edge) was true.
    Guard(u32),
}

/// Conditions per task and whether it runs at most once per execution.
#[derive(Default)]
pub(crate) struct Conditions {
    /// `None`: no start task leads to the task.
    pub of_task: Vec<Option<BTreeSet<Lit>>>,
    /// Runs at most once per workflow execution.
    pub once: Vec<bool>,
    /// Failure is handled by an `on-error` that lets the workflow go on.
    pub handled: Vec<bool>,
    /// Guard literal → (source, target, guard text).
    pub guards: BTreeMap<u32, (usize, usize, String)>,
}

fn edge_lits(source: usize, kind: ClauseKind, guard: Option<(u32, &str)>) -> BTreeSet<Lit> {
    let mut s = BTreeSet::new();
    match kind {
        ClauseKind::OnSuccess => {
            s.insert(Lit::Succeeded(source));
        }
        ClauseKind::OnError => {
            s.insert(Lit::Failed(source));
        }
        ClauseKind::OnSkip => {
            s.insert(Lit::Skipped(source));
        }
        ClauseKind::OnComplete => {}
    }
    if let Some((id, _)) = guard {
        s.insert(Lit::Guard(id));
    }
    s
}

fn intersect(acc: &mut Option<BTreeSet<Lit>>, next: BTreeSet<Lit>) {
    *acc = Some(match acc.take() {
        None => next,
        Some(a) => a.intersection(&next).copied().collect(),
    });
}

/// Computes the conditions of every task of a direct workflow.
pub(crate) fn conditions(g: &TaskGraph<'_>) -> Conditions {
    let n = g.len();
    let mut of_task: Vec<Option<BTreeSet<Lit>>> = vec![None; n];
    let mut once = vec![false; n];
    let mut handled = vec![false; n];
    let mut guards = BTreeMap::new();
    for (i, h) in handled.iter_mut().enumerate() {
        *h = g.outbound(i).any(|(_, e)| e.kind == ClauseKind::OnError)
            || g.commands.iter().any(|c| {
                c.task == i
                    && c.kind == ClauseKind::OnError
                    && matches!(c.command, EngineCommand::Noop | EngineCommand::Pause)
            });
        for (t, e) in g.outbound(i) {
            if let (Some(tr), Some(guard)) = (e.transition, e.guard()) {
                guards.insert(tr.id.0, (i, t, guard.to_string()));
            }
        }
    }
    let lits_of = |s: usize, e: &crate::graph::Edge<'_>, base: &BTreeSet<Lit>| {
        let mut set = base.clone();
        set.extend(edge_lits(
            s,
            e.kind,
            e.transition
                .and_then(|t| t.guard.as_deref().map(|g| (t.id.0, g))),
        ));
        set
    };
    for comp in &g.components {
        let single = comp.len() == 1 && comp.first().is_some_and(|&i| !g.in_cycle[i]);
        if single {
            let Some(&i) = comp.first() else { continue };
            if g.starts.contains(&i) {
                of_task[i] = Some(BTreeSet::new());
                once[i] = true;
                continue;
            }
            let mut acc: Option<BTreeSet<Lit>> = None;
            if g.is_join_all(i) {
                let mut per_source: BTreeMap<usize, Option<BTreeSet<Lit>>> = BTreeMap::new();
                for (s, e) in g.inbound(i) {
                    if let Some(base) = &of_task[s] {
                        intersect(per_source.entry(s).or_default(), lits_of(s, e, base));
                    }
                }
                for set in per_source.into_values().flatten() {
                    acc = Some(match acc.take() {
                        None => set,
                        Some(a) => a.union(&set).copied().collect(),
                    });
                }
                once[i] = g.inbound_tasks(i).iter().all(|&s| once[s]);
            } else {
                let mut entries = 0;
                let mut from = None;
                for (s, e) in g.inbound(i) {
                    entries += 1;
                    from = Some(s);
                    if let Some(base) = &of_task[s] {
                        intersect(&mut acc, lits_of(s, e, base));
                    }
                }
                once[i] = !g.is_join(i) && entries == 1 && from.is_some_and(|s| once[s]);
            }
            of_task[i] = acc;
        } else {
            let mut acc: Option<BTreeSet<Lit>> = None;
            for &i in comp {
                for (s, e) in g.inbound(i) {
                    if comp.contains(&s) {
                        continue;
                    }
                    if let Some(base) = &of_task[s] {
                        intersect(&mut acc, lits_of(s, e, base));
                    }
                }
            }
            for &i in comp {
                of_task[i] = acc.clone();
            }
        }
    }
    Conditions {
        of_task,
        once,
        handled,
        guards,
    }
}

/// What a join verdict found, before it becomes public data.
pub(crate) struct JoinFinding {
    pub verdict: Verdict,
    pub inbound: Vec<Inbound>,
    /// Indices into `inbound` of the tasks the verdict is about.
    pub culprits: Vec<usize>,
    pub explanation: String,
    /// Fewer inbound tasks than the join needs (gale_hir reports that).
    pub too_few_inbound: bool,
}

fn name(g: &TaskGraph<'_>, i: usize) -> String {
    format!("`{}`", g.task(i).name)
}

/// Whether a condition may be false on a run that still reaches the join.
fn conditional(c: &Conditions, lit: Lit) -> bool {
    match lit {
        Lit::Guard(_) | Lit::Failed(_) | Lit::Skipped(_) => true,
        Lit::Succeeded(x) => c.handled.get(x).copied().unwrap_or(false),
    }
}

fn describe(g: &TaskGraph<'_>, c: &Conditions, inbound: usize, lit: Lit) -> String {
    let me = name(g, inbound);
    match lit {
        Lit::Guard(id) => match c.guards.get(&id) {
            Some((s, t, guard)) => format!(
                "{me} arrives only if the transition {} → {} fires (guard `{guard}`)",
                name(g, *s),
                name(g, *t)
            ),
            None => format!("{me} arrives only if a guarded transition fires"),
        },
        Lit::Failed(x) if x == inbound => format!("{me} leads here only when it fails"),
        Lit::Failed(x) => format!("{me} runs only when {} fails", name(g, x)),
        Lit::Succeeded(x) if x == inbound => format!(
            "{me} leads here only when it succeeds; when it fails, its `on-error` handles the error elsewhere"
        ),
        Lit::Succeeded(x) => format!(
            "{me} runs only when {} succeeds, and that task's failure is handled elsewhere by `on-error`",
            name(g, x)
        ),
        Lit::Skipped(x) => format!("{me} runs only when {} is skipped", name(g, x)),
    }
}

/// Largest set of candidates with no conflicting pair (exact up to 16 candidates).
fn max_compatible(count: usize, conflicts: &[(usize, usize)]) -> usize {
    if count > 16 || conflicts.is_empty() {
        return count;
    }
    let mut best = 0;
    for mask in 0u32..(1u32 << count) {
        let size = mask.count_ones() as usize;
        if size <= best {
            continue;
        }
        if conflicts
            .iter()
            .all(|&(a, b)| mask & (1 << a) == 0 || mask & (1 << b) == 0)
        {
            best = size;
        }
    }
    best
}

/// Decides the verdict of join task `j`.
pub(crate) fn verdict(g: &TaskGraph<'_>, c: &Conditions, j: usize) -> JoinFinding {
    let sources = g.inbound_tasks(j);
    let needed = match g.task(j).join {
        Some(Join::Count(k)) => usize::try_from(k).unwrap_or(usize::MAX),
        _ => sources.len(),
    };
    let too_few_inbound = sources.len() < needed || sources.is_empty();
    let mut inbound: Vec<Inbound> = Vec::new();
    let mut lits: Vec<Option<BTreeSet<Lit>>> = Vec::new();
    for &a in &sources {
        let (arrival, reason, set) = if !g.reachable[a] {
            (
                Arrival::Never,
                Some(format!("no start task leads to {}", name(g, a))),
                None,
            )
        } else if a == j || g.dominates(j, a) {
            (
                Arrival::Never,
                Some(format!(
                    "{} runs only after {} itself has run",
                    name(g, a),
                    name(g, j)
                )),
                None,
            )
        } else {
            let base = c.of_task[a].clone().unwrap_or_default();
            let mut acc: Option<BTreeSet<Lit>> = None;
            for (s, e) in g.inbound(j) {
                if s != a {
                    continue;
                }
                let mut set = base.clone();
                set.extend(edge_lits(
                    a,
                    e.kind,
                    e.transition
                        .and_then(|t| t.guard.as_deref().map(|gd| (t.id.0, gd))),
                ));
                intersect(&mut acc, set);
            }
            (Arrival::Certain, None, acc)
        };
        inbound.push(Inbound {
            task: g.task(a).name.clone(),
            arrival,
            reason,
        });
        lits.push(set);
    }
    if !g.reachable[j] {
        return JoinFinding {
            verdict: Verdict::NotReached,
            inbound,
            culprits: Vec::new(),
            explanation: format!("no start task leads to {}", name(g, j)),
            too_few_inbound,
        };
    }
    // Never: unreachable / after-the-join inbound tasks and exclusive pairs.
    let candidates: Vec<usize> = (0..sources.len()).filter(|&k| lits[k].is_some()).collect();
    let mut conflicts: Vec<(usize, usize)> = Vec::new();
    let mut conflict_text: Vec<String> = Vec::new();
    let mut culprits: Vec<usize> = Vec::new();
    for (ca, &ka) in candidates.iter().enumerate() {
        for (cb, &kb) in candidates.iter().enumerate().skip(ca + 1) {
            let (Some(la), Some(lb)) = (&lits[ka], &lits[kb]) else {
                continue;
            };
            let found = la.iter().find_map(|l| match *l {
                Lit::Succeeded(x) if c.once[x] && lb.contains(&Lit::Failed(x)) => Some((x, true)),
                Lit::Failed(x) if c.once[x] && lb.contains(&Lit::Succeeded(x)) => Some((x, false)),
                _ => None,
            });
            if let Some((x, a_on_success)) = found {
                conflicts.push((ca, cb));
                let (sa, sb) = (sources[ka], sources[kb]);
                let (ok, bad) = if a_on_success { (sa, sb) } else { (sb, sa) };
                conflict_text.push(format!(
                    "{} and {} exclude each other: {} arrives only when {} succeeds, {} only when it fails, and {} runs once",
                    name(g, sa),
                    name(g, sb),
                    name(g, ok),
                    name(g, x),
                    name(g, bad),
                    name(g, x)
                ));
                for k in [ka, kb] {
                    if !culprits.contains(&k) {
                        culprits.push(k);
                    }
                }
            }
        }
    }
    let max = max_compatible(candidates.len(), &conflicts);
    if max < needed {
        let mut reasons: Vec<String> = inbound
            .iter()
            .enumerate()
            .filter(|(_, i)| i.arrival == Arrival::Never)
            .filter_map(|(k, i)| {
                if !culprits.contains(&k) {
                    culprits.push(k);
                }
                i.reason.clone()
            })
            .collect();
        reasons.extend(conflict_text);
        for &k in &culprits {
            if inbound[k].arrival == Arrival::Certain {
                inbound[k].arrival = Arrival::Exclusive;
            }
        }
        culprits.sort_unstable();
        let what = match g.task(j).join {
            Some(Join::Count(k)) => format!(
                "it waits for {k} inbound task{} but at most {max} can arrive in one run",
                if k == 1 { "" } else { "s" }
            ),
            _ => "it waits for all its inbound tasks, but they can never all arrive in one run"
                .to_string(),
        };
        return JoinFinding {
            verdict: Verdict::NeverFires,
            inbound,
            culprits,
            explanation: format!("{what}: {}", reasons.join("; ")),
            too_few_inbound,
        };
    }
    // May not fire: inbound tasks whose arrival depends on a condition the others
    // do not share.
    let mut common: Option<BTreeSet<Lit>> = None;
    for set in lits.iter().flatten() {
        intersect(&mut common, set.clone());
    }
    let common = common.unwrap_or_default();
    let mut reasons = Vec::new();
    let mut uncertain = Vec::new();
    for &k in &candidates {
        let Some(set) = &lits[k] else { continue };
        // Prefer the condition closest to the join (the inbound task's own).
        let own = set
            .iter()
            .filter(|l| !common.contains(l) && conditional(c, **l))
            .max_by_key(|l| match l {
                Lit::Succeeded(x) | Lit::Failed(x) | Lit::Skipped(x) => {
                    (usize::from(*x == sources[k]), 0)
                }
                Lit::Guard(id) => (
                    usize::from(c.guards.get(id).is_some_and(|(s, _, _)| *s == sources[k])),
                    1,
                ),
            });
        if let Some(l) = own {
            let text = describe(g, c, sources[k], *l);
            inbound[k].arrival = Arrival::Conditional;
            inbound[k].reason = Some(text.clone());
            reasons.push(text);
            uncertain.push(k);
        }
    }
    let certain = candidates.len() - uncertain.len();
    if certain >= needed || needed <= 1 {
        JoinFinding {
            verdict: Verdict::AlwaysFires,
            inbound,
            culprits: Vec::new(),
            explanation: "every run that reaches it brings enough inbound tasks".to_string(),
            too_few_inbound,
        }
    } else {
        JoinFinding {
            verdict: Verdict::MayNotFire,
            inbound,
            culprits: uncertain,
            explanation: reasons.join("; "),
            too_few_inbound,
        }
    }
}
