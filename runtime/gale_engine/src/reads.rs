//! What an expression reads of the task history, found in its compiled bytecode:
//! the current task only (`task()`), the latest executions of tasks named by a
//! constant (`task('name')`), or any task (`tasks()`, `task(<computed>)`, …).
//!
//! The engine uses it twice: an expression's host holds only the task dicts the
//! expression may read ([`crate::engine::Engine`]'s `host`, so an evaluation costs
//! what it reads, not the length of the history), and a durable resume keeps
//! resident only the tasks some expression may read by name
//! ([`crate::durable`]).

use std::collections::HashSet;

use gale_bytecode::workflow::{ExprInfo, Program};
use gale_bytecode::{ArgSpec, Operand};

/// Which completed task executions expressions may read, besides the current task
/// (`task()` with no argument, or with the current task's name, reads the task
/// being evaluated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryReads {
    /// Any of them (`tasks()`, `task(<expression>)`, a call by name, …).
    All,
    /// Only the latest execution of the tasks with these names (`task('name')`
    /// with a constant name).
    Named(HashSet<String>),
}

impl HistoryReads {
    /// Whether the executions of the task called `name` may be read.
    pub fn keeps(&self, name: &str) -> bool {
        match self {
            HistoryReads::All => true,
            HistoryReads::Named(names) => names.contains(name),
        }
    }

    /// Adds what `other` reads.
    pub fn extend(&mut self, other: &HistoryReads) {
        match (&mut *self, other) {
            (HistoryReads::All, _) => {}
            (_, HistoryReads::All) => *self = HistoryReads::All,
            (HistoryReads::Named(a), HistoryReads::Named(b)) => a.extend(b.iter().cloned()),
        }
    }
}

/// What expression `e` (a YAQL expression, or a Jinja template when `jinja`) of
/// `program` may read of the task history, from its compiled call sites: a YAQL
/// `task()` or Jinja `task()` reads only the current task; `task(C)` with `C` a
/// constant string (YAQL `task(name)`/`task('name')`, Jinja `task('name')`) reads
/// the latest execution of task `C`; anything else that can reach Mistral's
/// `task`/`tasks` functions (`tasks(…)`, `task(E)` with a computed `E` — YAQL
/// reads `task(say-hello)` as `task(say - hello)` —, a keyword argument, the
/// method form, YAQL `call(name, …)`, the Jinja filters, the Jinja function used
/// as a value) reads them all. Every doubtful case is [`HistoryReads::All`].
pub fn expression_reads(program: &Program, e: &ExprInfo, jinja: bool) -> HistoryReads {
    let mut names = HashSet::new();
    let Some(m) = e.module else {
        return HistoryReads::Named(names); // a compile error: raised when evaluated
    };
    match program.modules.get(m as usize) {
        Some(module) if module_history(module, jinja, &mut names) => HistoryReads::Named(names),
        _ => HistoryReads::All,
    }
}

/// What all the expressions of `program` may read of the task history (the union
/// of [`expression_reads`]).
pub fn history_reads(program: &Program) -> HistoryReads {
    let mut all = HistoryReads::Named(HashSet::new());
    let exprs = program.exprs.iter().map(|e| (e, false));
    for (e, jinja) in exprs.chain(program.jinja.iter().map(|e| (e, true))) {
        all.extend(&expression_reads(program, e, jinja));
        if all == HistoryReads::All {
            break;
        }
    }
    all
}

/// Adds to `names` the tasks `module` reads by constant name; false when it may
/// read any task (see [`expression_reads`]).
fn module_history(m: &gale_bytecode::Module, jinja: bool, names: &mut HashSet<String>) -> bool {
    use gale_bytecode::Op;
    for proto in &m.protos {
        let code = &proto.code;
        for (pc, op) in code.iter().enumerate() {
            match *op {
                Op::Call { site, .. } => {
                    let Some(s) = m.sites.get(site.0 as usize) else {
                        return false;
                    };
                    let Some(name) = m.str_const(s.name) else {
                        return false;
                    };
                    match name {
                        // `task()` or `task('name')`: reads the current task or
                        // that one; anything else reaching `task` reads any.
                        "task" if !s.method && task_arguments(m, code, pc, &s.args, names) => {}
                        "task" | "tasks" | "call" => return false,
                        _ => {}
                    }
                }
                Op::JinjaCall { site, .. } => {
                    let Some(s) = m.sites.get(site.0 as usize) else {
                        return false;
                    };
                    let Some(name) = m.str_const(s.name) else {
                        return false;
                    };
                    if name == "filter:task" || name == "filter:tasks" {
                        return false; // `x | task(…)`: the filter form
                    }
                    if name != "call" {
                        continue;
                    }
                    let Some(ArgSpec::Positional(Operand::Reg(f))) = s.args.first() else {
                        continue;
                    };
                    if !loads_name_at(m, code, pc, *f, "task") {
                        continue;
                    }
                    if !task_arguments(m, code, pc, s.args.get(1..).unwrap_or_default(), names) {
                        return false;
                    }
                }
                // A filter by name (`names | map('task')`).
                Op::LoadConst { k, .. }
                    if jinja && matches!(m.str_const(k), Some("task" | "tasks")) =>
                {
                    return false;
                }
                Op::LoadName { dst, name } => match m.str_const(name) {
                    Some("tasks") | None => return false,
                    Some("task") if !only_called(m, code, pc, dst) => return false,
                    _ => {}
                },
                _ => {}
            }
        }
    }
    true
}

/// The arguments of a call of `task` at `pc`: none (the current task) or one
/// constant, non-empty name, added to `names`; false for anything else (it may
/// read any task).
fn task_arguments(
    m: &gale_bytecode::Module,
    code: &[gale_bytecode::Op],
    pc: usize,
    args: &[ArgSpec],
    names: &mut HashSet<String>,
) -> bool {
    match args {
        [] => true,
        [ArgSpec::Positional(Operand::Reg(r))] => match const_str_at(m, code, pc, *r) {
            Some(n) if !n.is_empty() => {
                names.insert(n.to_string());
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// The op of `code` that last wrote `r` before `pc`, when every path to `pc`
/// goes through it (no jump from before it lands between it and `pc`).
fn reaching_write(code: &[gale_bytecode::Op], pc: usize, r: gale_bytecode::Reg) -> Option<usize> {
    let q = (0..pc)
        .rev()
        .find(|&q| code.get(q).and_then(op_writes) == Some(r))?;
    let bypassed = code
        .get(..q)
        .unwrap_or_default()
        .iter()
        .any(|op| jump_target(op).is_some_and(|t| t > q && t <= pc));
    (!bypassed).then_some(q)
}

/// The constant string in `r` at `pc`, when it is certainly one.
fn const_str_at<'m>(
    m: &'m gale_bytecode::Module,
    code: &[gale_bytecode::Op],
    pc: usize,
    r: gale_bytecode::Reg,
) -> Option<&'m str> {
    match code.get(reaching_write(code, pc, r)?)? {
        gale_bytecode::Op::LoadConst { k, .. } => m.str_const(*k),
        _ => None,
    }
}

/// Whether `r` at `pc` certainly holds the Jinja global `name`.
fn loads_name_at(
    m: &gale_bytecode::Module,
    code: &[gale_bytecode::Op],
    pc: usize,
    r: gale_bytecode::Reg,
    name: &str,
) -> bool {
    reaching_write(code, pc, r)
        .and_then(|q| code.get(q))
        .is_some_and(|op| matches!(op, gale_bytecode::Op::LoadName { name: n, .. } if m.str_const(*n) == Some(name)))
}

/// Whether the value `code[q]` loads into `r` (the Jinja `task` function) is only
/// ever called (`r` as the callee of a `call` site and nowhere else), never stored,
/// passed or returned.
fn only_called(
    m: &gale_bytecode::Module,
    code: &[gale_bytecode::Op],
    q: usize,
    r: gale_bytecode::Reg,
) -> bool {
    use gale_bytecode::Op;
    for (u, op) in code.iter().enumerate().skip(q + 1) {
        let callee = match op {
            Op::JinjaCall { site, .. } => m.sites.get(site.0 as usize).is_some_and(|s| {
                m.str_const(s.name) == Some("call")
                    && matches!(s.args.first(), Some(ArgSpec::Positional(Operand::Reg(f))) if *f == r)
                    && !s.args.get(1..).unwrap_or_default().iter().any(|a| arg_reads(a, r))
            }),
            _ => false,
        };
        if !callee && op_reads(m, op, r) {
            return false;
        }
        if op_writes(op) == Some(r) {
            // Overwritten: the value is gone unless a jump skipped this write.
            let skipped = code
                .get(q + 1..u)
                .unwrap_or_default()
                .iter()
                .any(|j| jump_target(j).is_some_and(|t| t > u));
            if !skipped {
                return true;
            }
        }
    }
    true
}

/// The register `op` writes, if any.
fn op_writes(op: &gale_bytecode::Op) -> Option<gale_bytecode::Reg> {
    use gale_bytecode::Op;
    match *op {
        Op::LoadConst { dst, .. }
        | Op::LoadVar { dst, .. }
        | Op::Move { dst, .. }
        | Op::Call { dst, .. }
        | Op::CallValue { dst, .. }
        | Op::MakeContext { dst, .. }
        | Op::Define { dst, .. }
        | Op::Unpack { dst, .. }
        | Op::MakeTuple { dst, .. }
        | Op::MakeDelegate { dst, .. }
        | Op::Finalize { dst, .. }
        | Op::JinjaCall { dst, .. }
        | Op::LoadName { dst, .. }
        | Op::TakeOutput { dst } => Some(dst),
        Op::Jump { .. }
        | Op::JumpIfNull { .. }
        | Op::JumpIfFalsy { .. }
        | Op::JumpIfTruthy { .. }
        | Op::Enter { .. }
        | Op::Leave
        | Op::Fail { .. }
        | Op::Return { .. }
        | Op::StoreName { .. }
        | Op::Rebind { .. }
        | Op::PushScope
        | Op::Emit { .. }
        | Op::EmitConst { .. } => None,
    }
}

/// Where `op` may jump.
fn jump_target(op: &gale_bytecode::Op) -> Option<usize> {
    use gale_bytecode::Op;
    match *op {
        Op::Jump { target }
        | Op::JumpIfNull { target, .. }
        | Op::JumpIfFalsy { target, .. }
        | Op::JumpIfTruthy { target, .. } => Some(target.0 as usize),
        _ => None,
    }
}

fn arg_reads(a: &ArgSpec, r: gale_bytecode::Reg) -> bool {
    let is = |o: &Operand| matches!(o, Operand::Reg(x) if *x == r);
    match a {
        ArgSpec::Positional(o) => is(o),
        ArgSpec::Skipped => false,
        ArgSpec::Keyword { value, .. } => is(value),
        ArgSpec::Pair { key, value } => is(key) || is(value),
    }
}

/// Whether `op` reads register `r` (an unknown call site reads everything).
fn op_reads(m: &gale_bytecode::Module, op: &gale_bytecode::Op, r: gale_bytecode::Reg) -> bool {
    use gale_bytecode::Op;
    let site = |s: gale_bytecode::SiteId| {
        m.sites
            .get(s.0 as usize)
            .is_none_or(|s| s.args.iter().any(|a| arg_reads(a, r)))
    };
    match *op {
        Op::Move { src, .. }
        | Op::JumpIfNull { src, .. }
        | Op::JumpIfFalsy { src, .. }
        | Op::JumpIfTruthy { src, .. }
        | Op::Enter { src }
        | Op::Finalize { src, .. }
        | Op::Return { src }
        | Op::StoreName { src, .. }
        | Op::Rebind { src, .. }
        | Op::Emit { src } => src == r,
        Op::Define { name, .. } => name == r,
        Op::MakeTuple { start, count, .. } => {
            (start.0..start.0.saturating_add(count)).contains(&r.0)
        }
        Op::Call { site: s, .. }
        | Op::CallValue { site: s, .. }
        | Op::MakeContext { site: s, .. }
        | Op::Unpack { site: s, .. }
        | Op::JinjaCall { site: s, .. } => site(s),
        Op::LoadConst { .. }
        | Op::LoadVar { .. }
        | Op::Jump { .. }
        | Op::Leave
        | Op::MakeDelegate { .. }
        | Op::Fail { .. }
        | Op::LoadName { .. }
        | Op::PushScope
        | Op::EmitConst { .. }
        | Op::TakeOutput { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What each kind of expression may read (`history_reads`): one
    /// publish per case, `None` meaning every task.
    #[test]
    fn history_reads_follows_the_call_sites() {
        let cases: &[(&str, Option<&[&str]>)] = &[
            ("<% task().result %>", Some(&[])),
            ("'{{ task().result }}'", Some(&[])),
            ("<% task(a).result %>", Some(&["a"])),
            (
                "<% task('b').result + task(\"c\").result %>",
                Some(&["b", "c"]),
            ),
            ("'{{ task(\"b\").result }}'", Some(&["b"])),
            ("'{{ task(\"b\").result ~ task().state }}'", Some(&["b"])),
            ("<% $.x.select(task('d')) %>", Some(&["d"])),
            ("<% $.tasks + $.task %>", Some(&[])),
            ("'{{ _.task }}'", Some(&[])),
            ("<% tasks() %>", None),
            ("<% tasks(execution().id, true) %>", None),
            ("<% task(say-hello) %>", None),
            ("<% task($.name) %>", None),
            ("<% task('') %>", None),
            ("<% task(task_name => 'a') %>", None),
            ("<% 'a'.task() %>", None),
            ("<% call('tasks', [], {}) %>", None),
            ("<% $.x.select(task($)) %>", None),
            ("'{{ tasks() }}'", None),
            ("'{{ task(_.n) }}'", None),
            ("'{{ _ | task }}'", None),
            ("'{{ _ | tasks }}'", None),
            ("'{{ [\"a\"] | map(\"task\") | list }}'", None),
            ("'{% set f = task %}{{ f(\"a\") }}'", None),
            ("'{{ task(\"a\") if _.x else task }}'", None),
        ];
        for (expr, want) in cases {
            let text = format!(
                "version: '2.0'\nwf:\n  tasks:\n    a:\n      action: std.noop\n      publish:\n        v: {expr}\n"
            );
            let p =
                gale_codegen::workflow::compile_source(&text, gale_codegen::workflow::OptLevel::O1)
                    .expect("compiles");
            let want = match want {
                None => HistoryReads::All,
                Some(names) => HistoryReads::Named(names.iter().map(|n| n.to_string()).collect()),
            };
            assert_eq!(history_reads(&p), want, "{expr}");
        }
    }
}
