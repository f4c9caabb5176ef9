//! Data flow of one workflow: which variables can be in `$`/`_` at each place.
//!
//! Always defined: workflow `input` names, `vars` keys, keys published with the
//! `global` scope anywhere (they join the execution context, below branch
//! variables) and Mistral's own names (`__execution`, `openstack`, …). Branch
//! variables flow along transitions (direct workflows): a task's **inbound**
//! context is the outbound context of the task that started it; the outbound
//! context of an `on-success` edge adds the task's `publish` (and the branch part
//! of its own `on-success`/`on-complete` advanced publish), `on-error` adds
//! `publish-on-error`, `on-complete` only what both states publish, `on-skip`
//! `publish-on-skip`. Per task two sets are computed to a fixpoint: **must**
//! (defined on every path from a start task; a `join: all` task merges all its
//! inbound branches, so there the sets are united) and **may** (defined on some
//! path). with-items variables exist only in the task's `input` and inline
//! parameters (`mistral-language.md` §9).
//!
//! Where an expression is evaluated decides what it sees: `input`, inline
//! parameters, `with-items`, `target`, policies and `publish*` see the inbound
//! context; transition conditions (and clause-level publish/command params) see
//! the outbound context of their state, and the `retry` policy (its `break-on` /
//! `continue-on` run after the task completed) that of either state; `vars` see only the input; workflow
//! `output`, `task-defaults`, reverse workflows and unreachable tasks are checked
//! only against "defined somewhere in the workflow".

use gale_hir::fx::{FxHashMap as HashMap, FxHashSet as HashSet};

use gale_diagnostics::Span;
use gale_hir::{ClauseKind, ExpressionSite, Item, Join, Task, Workflow, WorkflowType};

use crate::ast::SiteAst;
use crate::graph::TaskGraph;
use crate::refs::{Reads, reads, reads_parsed};

/// Where an expression is evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// Task `input`, inline parameters, `action`/`workflow`: inbound + item vars.
    Input(usize),
    /// `with-items`, `target`, policies, `publish*`: inbound context.
    Inbound(usize),
    /// A clause of the task (condition, advanced publish, command params).
    Clause(usize, ClauseKind),
    /// The task's `retry` policy: `break-on`/`continue-on` are evaluated after the
    /// task completed, on its outbound context (inbound + what it published in
    /// the state it ended in; `mistral/engine/policies.py`, `RetryPolicy`).
    Retry(usize),
    /// Workflow `vars`: input only.
    Vars,
    /// Anything else of the workflow (output, task-defaults): whole workflow.
    Anywhere,
}

/// One expression string of the workflow with what it reads.
pub(crate) struct Site<'a> {
    /// The source-map entry.
    pub site: &'a ExpressionSite,
    /// Where it is evaluated.
    pub place: Place,
    /// What it reads.
    pub reads: Reads,
}

impl Site<'_> {
    /// The source span of a range of the decoded string.
    pub fn span(&self, range: &std::ops::Range<u32>) -> Span {
        self.site.offsets.span(range.start, range.end)
    }
}

/// The data-flow facts of one workflow.
pub(crate) struct Flow<'a> {
    /// Every expression string of the workflow.
    pub sites: Vec<Site<'a>>,
    /// Names defined everywhere (input, vars, globals).
    pub always: HashSet<&'a str>,
    /// Branch-published names, per task (any state).
    pub published_anywhere: HashSet<&'a str>,
    /// with-items variables of any task.
    pub item_vars: HashSet<&'a str>,
    /// Per task: names defined on every path (`None` = not analysed).
    pub must: Vec<Option<HashSet<&'a str>>>,
    /// Per task: names defined on some path.
    pub may: Vec<Option<HashSet<&'a str>>>,
    /// Per task and state: names the task publishes (success, error, skip).
    pub published: Vec<[HashSet<&'a str>; 3]>,
    /// Some `publish` (or `vars`) key is an expression: names only known at run
    /// time join the context, so no read can be certain to fail.
    pub dynamic_keys: bool,
}

const SUCCESS: usize = 0;
const ERROR: usize = 1;
const SKIP: usize = 2;

fn keys(map: Option<&gale_hir::DataMap>) -> impl Iterator<Item = &str> {
    map.into_iter().flatten().map(|(k, _)| k.as_str())
}

/// Names Mistral puts into every context.
pub(crate) fn is_internal(name: &str) -> bool {
    name.starts_with("__") || name == "openstack"
}

/// Whether a key is an expression (`<% … %>`, `{{ … }}`), evaluated at run time.
fn is_expression(key: &str) -> bool {
    key.contains("<%") || key.contains("{{") || key.contains("{%")
}

fn place_of(site: &ExpressionSite, index: &HashMap<gale_hir::TaskId, usize>) -> Option<Place> {
    match site.item {
        Item::Task(id) => {
            let &i = index.get(&id)?;
            Some(match site.field {
                "input" | "action" | "workflow" => Place::Input(i),
                "retry" => Place::Retry(i),
                key => match ClauseKind::from_key(key) {
                    Some(kind) => Place::Clause(i, kind),
                    None => Place::Inbound(i),
                },
            })
        }
        _ => None,
    }
}

impl<'a> Flow<'a> {
    /// Computes the facts of the workflow of `g`.
    pub fn new(g: &TaskGraph<'a>, sites: &'a [ExpressionSite], asts: &[SiteAst]) -> Self {
        let wf: &'a Workflow = g.workflow;
        let index: HashMap<gale_hir::TaskId, usize> = wf
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id, i))
            .collect();
        let mut flow_sites = Vec::new();
        for (k, site) in sites.iter().enumerate() {
            let place = match site.item {
                Item::Workflow(id) if id == wf.id => {
                    if site.field == "vars" {
                        Place::Vars
                    } else {
                        Place::Anywhere
                    }
                }
                Item::TaskDefaults(id) if id == wf.id => Place::Anywhere,
                Item::Task(_) => match place_of(site, &index) {
                    Some(p) => p,
                    None => continue,
                },
                _ => continue,
            };
            flow_sites.push(Site {
                site,
                place,
                reads: match asts.get(k) {
                    Some(ast) => reads_parsed(ast),
                    None => reads(&site.text),
                },
            });
        }

        let mut always: HashSet<&str> = wf.input.iter().map(|p| p.name.as_str()).collect();
        always.extend(keys(wf.vars.as_ref()));
        let mut published: Vec<[HashSet<&str>; 3]> = Vec::with_capacity(wf.tasks.len());
        let mut item_vars = HashSet::default();
        for task in &wf.tasks {
            let mut p: [HashSet<&str>; 3] = Default::default();
            p[SUCCESS].extend(keys(task.publish.as_ref()));
            p[ERROR].extend(keys(task.publish_on_error.as_ref()));
            p[SKIP].extend(keys(task.publish_on_skip.as_ref()));
            for kind in ClauseKind::ALL {
                let Some(publish) = task.clause(kind).and_then(|c| c.publish.as_ref()) else {
                    continue;
                };
                always.extend(keys(publish.global.as_ref()));
                let branch = keys(publish.branch.as_ref());
                match kind {
                    ClauseKind::OnSuccess => p[SUCCESS].extend(branch),
                    ClauseKind::OnError => p[ERROR].extend(branch),
                    ClauseKind::OnSkip => p[SKIP].extend(branch),
                    // Mistral merges `on-complete`'s publish into the publish of
                    // every state (`DirectWorkflowTaskSpec.get_publish`).
                    ClauseKind::OnComplete => {
                        let b: Vec<&str> = branch.collect();
                        p[SUCCESS].extend(b.iter().copied());
                        p[ERROR].extend(b.iter().copied());
                        p[SKIP].extend(b);
                    }
                }
            }
            item_vars.extend(task.with_items.iter().map(|w| w.var.as_str()));
            published.push(p);
        }
        let published_anywhere: HashSet<&str> =
            published.iter().flatten().flatten().copied().collect();
        let dynamic_keys = published_anywhere
            .iter()
            .chain(always.iter())
            .any(|k| is_expression(k));
        let n = wf.tasks.len();
        let (must, may) = if wf.kind == WorkflowType::Direct && g.complete {
            let never_fails: Vec<bool> = wf
                .tasks
                .iter()
                .map(|t| {
                    t.call.kind == gale_hir::CallKind::Action
                        && matches!(t.call.name.as_str(), "std.noop" | "std.echo")
                })
                .collect();
            fixpoint(g, &published, &never_fails)
        } else {
            (vec![None; n], vec![None; n])
        };
        Flow {
            sites: flow_sites,
            always,
            published_anywhere,
            item_vars,
            must,
            may,
            published,
            dynamic_keys,
        }
    }

    /// Names defined at a place: `(must, may)`, or `None` when only "defined
    /// somewhere" can be checked.
    pub fn defined_at(
        &self,
        place: Place,
        task: Option<&'a Task>,
    ) -> Option<(HashSet<&'a str>, HashSet<&'a str>)> {
        let (i, extra): (usize, Option<usize>) = match place {
            Place::Input(i) | Place::Inbound(i) => (i, None),
            // Either state: like `on-complete`.
            Place::Retry(i) => (i, Some(3)),
            Place::Clause(i, kind) => (
                i,
                match kind {
                    ClauseKind::OnSuccess => Some(SUCCESS),
                    ClauseKind::OnError => Some(ERROR),
                    ClauseKind::OnSkip => Some(SKIP),
                    // Both states: must = what both publish, may = either.
                    ClauseKind::OnComplete => Some(3),
                },
            ),
            _ => return None,
        };
        let (Some(Some(must)), Some(Some(may))) = (self.must.get(i), self.may.get(i)) else {
            return None;
        };
        let mut must = must.clone();
        let mut may = may.clone();
        let p = self.published.get(i)?;
        match extra {
            Some(3) => {
                must.extend(p[SUCCESS].intersection(&p[ERROR]).copied());
                may.extend(p[SUCCESS].iter().chain(&p[ERROR]).copied());
            }
            Some(s) => {
                let set = p.get(s)?;
                must.extend(set.iter().copied());
                may.extend(set.iter().copied());
            }
            None => {}
        }
        if let (Place::Input(_), Some(task)) = (place, task) {
            for w in &task.with_items {
                must.insert(w.var.as_str());
                may.insert(w.var.as_str());
            }
        }
        Some((must, may))
    }
}

/// A set of names as bits over the names the workflow's tasks publish (the only
/// names the fixpoint moves along transitions): unions and intersections are a few
/// word operations instead of hash-set rebuilds.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn empty(words: usize) -> Bits {
        Bits(vec![0; words])
    }

    fn insert(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    fn union_with(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    fn intersect_with(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= b;
        }
    }

    fn union(&self, other: &Bits) -> Bits {
        let mut out = self.clone();
        out.union_with(other);
        out
    }

    fn intersection(&self, other: &Bits) -> Bits {
        let mut out = self.clone();
        out.intersect_with(other);
        out
    }

    /// The indices of the set bits, ascending.
    fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(k, &w)| {
            (0..64)
                .filter(move |b| w & (1 << b) != 0)
                .map(move |b| k * 64 + b)
        })
    }
}

/// Names an edge of kind `kind` from a task publishing `published` (success, error,
/// skip) carries beyond its inbound context: `(must, may)`.
fn edge_adds(published: &[Bits; 3], kind: ClauseKind) -> (Bits, Bits) {
    match kind {
        ClauseKind::OnSuccess => (published[SUCCESS].clone(), published[SUCCESS].clone()),
        ClauseKind::OnError => (published[ERROR].clone(), published[ERROR].clone()),
        ClauseKind::OnSkip => (published[SKIP].clone(), published[SKIP].clone()),
        ClauseKind::OnComplete => (
            published[SUCCESS].intersection(&published[ERROR]),
            published[SUCCESS].union(&published[ERROR]),
        ),
    }
}

type Sets<'a> = Vec<Option<HashSet<&'a str>>>;

/// Must/may sets of every reachable task of a direct workflow.
/// `never_fails[i]`: task `i` runs an action that cannot end in ERROR
/// (`std.noop`, `std.echo`), so its `on-error` edges are never taken.
fn fixpoint<'a>(
    g: &TaskGraph<'a>,
    published: &[[HashSet<&'a str>; 3]],
    never_fails: &[bool],
) -> (Sets<'a>, Sets<'a>) {
    let n = g.len();
    // Number the published names; every set below is bits over them.
    let mut names: Vec<&'a str> = Vec::new();
    let mut number: HashMap<&'a str, usize> = HashMap::default();
    for set in published.iter().flatten() {
        for &name in set {
            number.entry(name).or_insert_with(|| {
                names.push(name);
                names.len() - 1
            });
        }
    }
    let words = names.len().div_ceil(64);
    let bits = |set: &HashSet<&'a str>| {
        let mut b = Bits::empty(words);
        for name in set {
            if let Some(&k) = number.get(name) {
                b.insert(k);
            }
        }
        b
    };
    let published: Vec<[Bits; 3]> = published
        .iter()
        .map(|p| [bits(&p[SUCCESS]), bits(&p[ERROR]), bits(&p[SKIP])])
        .collect();
    let mut must: Vec<Option<Bits>> = vec![None; n];
    let mut may: Vec<Option<Bits>> = vec![None; n];
    for &s in &g.starts {
        must[s] = Some(Bits::empty(words));
        may[s] = Some(Bits::empty(words));
    }
    // Monotone: may only grows, must only shrinks once set; bounded rounds.
    for _round in 0..(n + 2) * 4 {
        let mut changed = false;
        for i in 0..n {
            if !g.reachable.get(i).copied().unwrap_or(false) || g.starts.contains(&i) {
                continue;
            }
            let join_all = matches!(g.task(i).join, Some(Join::All));
            // Per predecessor: intersection (must) / union (may) over its edges.
            let mut per_pred: HashMap<usize, (Bits, Bits)> = HashMap::default();
            for (p, edge) in g.inbound(i) {
                let (Some(Some(pm)), Some(Some(pmay))) = (must.get(p), may.get(p)) else {
                    continue;
                };
                let Some(pubs) = published.get(p) else {
                    continue;
                };
                let safe = never_fails.get(p).copied().unwrap_or(false);
                let kind = match edge.kind {
                    ClauseKind::OnError if safe => continue,
                    ClauseKind::OnComplete if safe => ClauseKind::OnSuccess,
                    k => k,
                };
                let (mut em, mut ey) = edge_adds(pubs, kind);
                em.union_with(pm);
                ey.union_with(pmay);
                per_pred
                    .entry(p)
                    .and_modify(|(m, y)| {
                        m.intersect_with(&em);
                        y.union_with(&ey);
                    })
                    .or_insert((em, ey));
            }
            if per_pred.is_empty() {
                continue;
            }
            let mut new_must: Option<Bits> = None;
            let mut new_may = Bits::empty(words);
            for (m, y) in per_pred.into_values() {
                new_may.union_with(&y);
                new_must = Some(match new_must {
                    None => m,
                    Some(mut acc) => {
                        if join_all {
                            acc.union_with(&m);
                        } else {
                            acc.intersect_with(&m);
                        }
                        acc
                    }
                });
            }
            let new_must = new_must.unwrap_or_else(|| Bits::empty(words));
            let must_i = match &must[i] {
                // Must only shrinks: keep the intersection with the old value.
                Some(old) if !join_all => old.intersection(&new_must),
                _ => new_must,
            };
            if must[i].as_ref() != Some(&must_i) {
                must[i] = Some(must_i);
                changed = true;
            }
            let may_i = match &may[i] {
                Some(old) => old.union(&new_may),
                None => new_may,
            };
            if may[i].as_ref() != Some(&may_i) {
                may[i] = Some(may_i);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let sets = |all: Vec<Option<Bits>>| -> Sets<'a> {
        all.into_iter()
            .map(|b| {
                b.map(|b| {
                    b.ones()
                        .filter_map(|k| names.get(k).copied())
                        .collect::<HashSet<&str>>()
                })
            })
            .collect()
    };
    (sets(must), sets(may))
}
