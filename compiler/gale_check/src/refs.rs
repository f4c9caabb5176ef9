//! What an expression string reads from the data context: root keys (`$.x`,
//! `_.x`, `_['x']`), `task('name')` references, and whether the whole context is
//! used in a way that names no key.
//!
//! Conservative by design (the checks built on it must never guess an error):
//! * YAQL `$` is the data context only outside lambdas: inside the arguments of a
//!   function or method that may take a lambda (`where`, `select`, …) and on the
//!   right of `->`, `$` is rebound, so reads there are ignored. Arguments of a small
//!   list of plain functions and methods (`len`, `str`, `format`, `contains`, …)
//!   keep the context.
//! * A key probed in the same string (`$.get('x')`, `$.containsKey('x')`,
//!   `'x' in $`, `_.x is defined`, `$?.x`) is *guarded*: its plain reads are not
//!   reported. A probe with a computed key guards every key of the string.

use std::ops::Range;

use gale_expr::jinja::ast as jn;
use gale_expr::yaql::ast as yq;

use crate::ast::{Part, SiteAst};

/// One read of a root key or one `task()` reference, with its byte range in the
/// decoded string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Read {
    /// The key (or task name).
    pub name: String,
    /// Where the name is written, relative to the decoded string.
    pub range: Range<u32>,
}

/// Everything one expression string reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Reads {
    /// Unguarded reads of root keys of `$` / `_`.
    pub vars: Vec<Read>,
    /// Keys named anywhere, guarded or not (for "is this input used").
    pub mentioned: Vec<String>,
    /// `task('name')` references with a literal name.
    pub tasks: Vec<Read>,
    /// `$`/`_` used as a whole or with a computed key, or `execution()` called:
    /// any key may be read.
    pub whole_context: bool,
    /// The string calls Jinja `task(…)` (fails outside a task's scope).
    pub jinja_task_call: bool,
    /// `global('name')` calls with a literal name (YAQL and Jinja): reads of the
    /// workflow execution's context (`vars` and `global` publishes).
    pub globals: Vec<Read>,
    /// `global(…)` called with a computed name: any global may be read.
    pub global_computed: bool,
}

/// Plain YAQL functions whose arguments keep `$` as the data context.
const PLAIN_FUNCTIONS: &[&str] = &[
    "len",
    "str",
    "int",
    "float",
    "bool",
    "not",
    "list",
    "dict",
    "json_dump",
    "json_parse",
    "yaml_dump",
    "yaml_parse",
    "isString",
    "isList",
    "isDict",
    "isInteger",
    "isNumber",
    "isBoolean",
    "concat",
    "format",
    "task",
    "global",
    "regex",
    "min",
    "max",
    "abs",
    "round",
    "string",
    "upper",
    "lower",
];

/// YAQL methods whose arguments keep `$` as the data context.
const PLAIN_METHODS: &[&str] = &[
    "format",
    "join",
    "contains",
    "containsKey",
    "containsValue",
    "get",
    "startsWith",
    "endsWith",
    "split",
    "replace",
    "indexOf",
    "concat",
    "append",
    "toUpper",
    "toLower",
    "trim",
    "substring",
    "matches",
    "set",
];

/// Analyses one string (its `<% %>` or `{{ }}` parts).
pub(crate) fn reads(text: &str) -> Reads {
    reads_parsed(&SiteAst::parse(text))
}

/// [`reads`] of an already parsed string.
pub(crate) fn reads_parsed(ast: &SiteAst) -> Reads {
    let mut out = Reads::default();
    let mut guards = Guards::default();
    for part in &ast.parts {
        match part {
            Part::Yaql(start, Some(expr)) => {
                yaql_expr(expr, *start, true, &mut out, &mut guards);
            }
            Part::Jinja(Some(t)) => jinja_nodes(&t.body, &mut out, &mut guards),
            Part::Yaql(_, None) | Part::Jinja(None) => {}
        }
    }
    if guards.all {
        out.vars.clear();
    } else {
        out.vars.retain(|r| !guards.names.contains(&r.name));
    }
    out
}

#[derive(Default)]
struct Guards {
    names: Vec<String>,
    all: bool,
}

fn yaql_literal(e: &yq::Expr) -> Option<&str> {
    match &e.kind {
        yq::ExprKind::Str(s) => Some(s),
        yq::ExprKind::Word(w) => Some(w),
        _ => None,
    }
}

fn is_root(e: &yq::Expr) -> bool {
    matches!(&e.kind, yq::ExprKind::Var(v) if v.is_empty())
}

fn range(base: u32, s: gale_expr::Span) -> Range<u32> {
    base + s.start..base + s.end
}

/// Walks a YAQL expression; `ctx` tells whether `$` is the data context here.
fn yaql_expr(e: &yq::Expr, base: u32, ctx: bool, out: &mut Reads, g: &mut Guards) {
    use yq::ExprKind as K;
    let args = |args: &[yq::Arg], ctx: bool, out: &mut Reads, g: &mut Guards| {
        for a in args {
            match a {
                yq::Arg::Positional(e) => yaql_expr(e, base, ctx, out, g),
                yq::Arg::Skipped(_) => {}
                yq::Arg::Pair { key, value, .. } => {
                    yaql_expr(key, base, ctx, out, g);
                    yaql_expr(value, base, ctx, out, g);
                }
            }
        }
    };
    match &e.kind {
        K::Var(v) if v.is_empty() && ctx => out.whole_context = true,
        K::Member {
            receiver,
            safe,
            member,
            ..
        } if is_root(receiver) => {
            if !ctx {
                return;
            }
            match &member.kind {
                K::Word(name) => {
                    out.mentioned.push(name.to_string());
                    if *safe {
                        g.names.push(name.to_string());
                    } else {
                        out.vars.push(Read {
                            name: name.to_string(),
                            range: range(base, member.span),
                        });
                    }
                }
                K::Call { name, args: a, .. } => {
                    let probe = matches!(&**name, "get" | "containsKey");
                    match a.first() {
                        Some(yq::Arg::Positional(k)) if probe => match yaql_literal(k) {
                            Some(key) => {
                                out.mentioned.push(key.to_string());
                                g.names.push(key.to_string());
                            }
                            None => {
                                g.all = true;
                                out.whole_context = true;
                            }
                        },
                        _ => out.whole_context = true,
                    }
                    args(
                        a,
                        ctx && (probe || PLAIN_METHODS.contains(&&**name)),
                        out,
                        g,
                    );
                }
                _ => out.whole_context = true,
            }
        }
        K::Member {
            receiver, member, ..
        } => {
            yaql_expr(receiver, base, ctx, out, g);
            match &member.kind {
                K::Call { name, args: a, .. } => {
                    args(a, ctx && PLAIN_METHODS.contains(&&**name), out, g);
                }
                K::Word(_) => {}
                _ => yaql_expr(member, base, false, out, g),
            }
        }
        K::Index { target, args: a } if is_root(target) => {
            if !ctx {
                return;
            }
            match a.first() {
                Some(yq::Arg::Positional(k)) if matches!(k.kind, yq::ExprKind::Str(_)) => {
                    if let Some(name) = yaql_literal(k) {
                        out.mentioned.push(name.to_string());
                        out.vars.push(Read {
                            name: name.to_string(),
                            range: range(base, k.span),
                        });
                    }
                }
                _ => out.whole_context = true,
            }
            args(a, ctx, out, g);
        }
        K::Call { name, args: a, .. } => {
            if &**name == "execution" {
                out.whole_context = true;
            }
            if &**name == "task"
                && let Some(yq::Arg::Positional(k)) = a.first()
                && let Some(t) = yaql_literal(k)
            {
                out.tasks.push(Read {
                    name: t.to_string(),
                    range: range(base, k.span),
                });
            }
            if &**name == "global" {
                match a.first() {
                    Some(yq::Arg::Positional(k)) => match yaql_literal(k) {
                        Some(n) => out.globals.push(Read {
                            name: n.to_string(),
                            range: range(base, k.span),
                        }),
                        None => out.global_computed = true,
                    },
                    _ => out.global_computed = true,
                }
            }
            args(a, ctx && PLAIN_FUNCTIONS.contains(&&**name), out, g);
        }
        K::Binary { op, lhs, rhs, .. } => {
            if *op == yq::BinaryOp::In && is_root(rhs) {
                match yaql_literal(lhs) {
                    Some(k) => {
                        out.mentioned.push(k.to_string());
                        g.names.push(k.to_string());
                    }
                    None => g.all = true,
                }
            }
            yaql_expr(lhs, base, ctx, out, g);
            let rebinds = *op == yq::BinaryOp::Arrow;
            yaql_expr(rhs, base, ctx && !rebinds, out, g);
        }
        K::Index { target, args: a } => {
            yaql_expr(target, base, ctx, out, g);
            args(a, ctx, out, g);
        }
        K::DelegateCall { callee, args: a } => {
            yaql_expr(callee, base, ctx, out, g);
            args(a, false, out, g);
        }
        K::List(a) | K::Map(a) => args(a, ctx, out, g),
        K::Unary { operand, .. } => yaql_expr(operand, base, ctx, out, g),
        K::Paren(inner) => yaql_expr(inner, base, ctx, out, g),
        _ => {}
    }
}

fn jinja_nodes(nodes: &[jn::Node], out: &mut Reads, g: &mut Guards) {
    for n in nodes {
        match n {
            jn::Node::Data(_) => {}
            jn::Node::Output { expr, .. } => jinja_expr(expr, out, g),
            jn::Node::If {
                branches,
                else_body,
                ..
            } => {
                for (cond, body) in branches {
                    jinja_expr(cond, out, g);
                    jinja_nodes(body, out, g);
                }
                jinja_nodes(else_body, out, g);
            }
            jn::Node::For {
                target,
                iter,
                filter,
                body,
                else_body,
                ..
            } => {
                jinja_expr(iter, out, g);
                if jinja_binds_root(target) {
                    // `{% for _ in … %}` rebinds `_`: nothing inside is the context.
                    continue;
                }
                if let Some(f) = filter {
                    jinja_expr(f, out, g);
                }
                jinja_nodes(body, out, g);
                jinja_nodes(else_body, out, g);
            }
            jn::Node::Set {
                target,
                value,
                filter,
                body,
                ..
            } => {
                if jinja_binds_root(target) {
                    g.all = true;
                    out.whole_context = true;
                }
                if let Some(v) = value {
                    jinja_expr(v, out, g);
                }
                if let Some(f) = filter {
                    jinja_expr(f, out, g);
                }
                jinja_nodes(body, out, g);
            }
            jn::Node::With {
                assignments, body, ..
            } => {
                for (t, v) in assignments {
                    if jinja_binds_root(t) {
                        g.all = true;
                        out.whole_context = true;
                    }
                    jinja_expr(v, out, g);
                }
                jinja_nodes(body, out, g);
            }
            jn::Node::Other { exprs, body, .. } => {
                // Macros, call blocks…: names may be rebound; keep only mentions.
                g.all = true;
                for e in exprs {
                    jinja_expr(e, out, g);
                }
                jinja_nodes(body, out, g);
            }
        }
    }
}

fn jinja_binds_root(target: &jn::Expr) -> bool {
    let mut found = false;
    target.walk(&mut |e| {
        if matches!(&e.kind, jn::ExprKind::Name(n) if &**n == "_") {
            found = true;
        }
    });
    found
}

fn is_jinja_root(e: &jn::Expr) -> bool {
    matches!(&e.kind, jn::ExprKind::Name(n) if &**n == "_")
}

fn jinja_expr(e: &jn::Expr, out: &mut Reads, g: &mut Guards) {
    use jn::ExprKind as K;
    match &e.kind {
        K::Name(n) if &**n == "_" => out.whole_context = true,
        K::Getattr {
            target,
            attr,
            attr_span,
        } if is_jinja_root(target) => {
            out.mentioned.push(attr.to_string());
            out.vars.push(Read {
                name: attr.to_string(),
                range: attr_span.start..attr_span.end,
            });
        }
        K::Getitem { target, index } if is_jinja_root(target) => match &index.kind {
            K::Const(jn::Const::Str(s)) => {
                out.mentioned.push(s.clone());
                out.vars.push(Read {
                    name: s.clone(),
                    range: index.span.start..index.span.end,
                });
            }
            _ => {
                out.whole_context = true;
                jinja_expr(index, out, g);
            }
        },
        K::Call { callee, args } => {
            match &callee.kind {
                // `_.get('x')`, `_.keys()`…
                K::Getattr { target, attr, .. } if is_jinja_root(target) => {
                    match (attr.as_ref(), args.args.first()) {
                        (
                            "get",
                            Some(jn::Expr {
                                kind: K::Const(jn::Const::Str(k)),
                                ..
                            }),
                        ) => {
                            out.mentioned.push(k.clone());
                            g.names.push(k.clone());
                        }
                        _ => {
                            g.all = true;
                            out.whole_context = true;
                        }
                    }
                }
                K::Name(n) if &**n == "task" => {
                    out.jinja_task_call = true;
                    if let Some(jn::Expr {
                        kind: K::Const(jn::Const::Str(t)),
                        span,
                    }) = args.args.first()
                    {
                        out.tasks.push(Read {
                            name: t.clone(),
                            range: span.start..span.end,
                        });
                    }
                }
                K::Name(n) if &**n == "execution" => out.whole_context = true,
                K::Name(n) if &**n == "global" => match args.args.first() {
                    Some(jn::Expr {
                        kind: K::Const(jn::Const::Str(k)),
                        span,
                    }) => out.globals.push(Read {
                        name: k.clone(),
                        range: span.start..span.end,
                    }),
                    _ => out.global_computed = true,
                },
                _ => jinja_expr(callee, out, g),
            }
            for a in args.exprs() {
                jinja_expr(a, out, g);
            }
        }
        K::Test { target, name, .. } if matches!(&**name, "defined" | "undefined") => {
            match &target.kind {
                K::Getattr {
                    target: t, attr, ..
                } if is_jinja_root(t) => {
                    out.mentioned.push(attr.to_string());
                    g.names.push(attr.to_string());
                }
                K::Getitem { target: t, index } if is_jinja_root(t) => match &index.kind {
                    K::Const(jn::Const::Str(s)) => {
                        out.mentioned.push(s.clone());
                        g.names.push(s.clone());
                    }
                    _ => g.all = true,
                },
                _ => jinja_expr(target, out, g),
            }
        }
        K::Compare { first, ops } => {
            for (op, rhs) in ops {
                if matches!(op, jn::CmpOp::In | jn::CmpOp::NotIn) && is_jinja_root(rhs) {
                    match &first.kind {
                        K::Const(jn::Const::Str(s)) => {
                            out.mentioned.push(s.clone());
                            g.names.push(s.clone());
                        }
                        _ => g.all = true,
                    }
                }
            }
            jinja_expr(first, out, g);
            for (_, rhs) in ops {
                jinja_expr(rhs, out, g);
            }
        }
        _ => {
            // Recurse into direct children only (walk would revisit nested ones).
            for child in jinja_children(e) {
                jinja_expr(child, out, g);
            }
        }
    }
}

fn jinja_children(e: &jn::Expr) -> Vec<&jn::Expr> {
    use jn::ExprKind as K;
    let mut v: Vec<&jn::Expr> = Vec::new();
    match &e.kind {
        K::Tuple(items) | K::List(items) | K::Concat(items) => v.extend(items),
        K::Dict(pairs) => {
            for (k, val) in pairs {
                v.push(k);
                v.push(val);
            }
        }
        K::Getattr { target, .. } => v.push(target),
        K::Getitem { target, index } => {
            v.push(target);
            v.push(index);
        }
        K::Slice { start, stop, step } => {
            v.extend(start.as_deref());
            v.extend(stop.as_deref());
            v.extend(step.as_deref());
        }
        K::Filter { target, args, .. } => {
            v.extend(target.as_deref());
            v.extend(args.exprs());
        }
        K::Test { target, args, .. } => {
            v.push(target);
            v.extend(args.exprs());
        }
        K::Unary { operand, .. } => v.push(operand),
        K::Binary { lhs, rhs, .. } => {
            v.push(lhs);
            v.push(rhs);
        }
        K::CondExpr {
            test,
            then,
            otherwise,
        } => {
            v.push(test);
            v.push(then);
            v.extend(otherwise.as_deref());
        }
        K::Call { callee, args } => {
            v.push(callee);
            v.extend(args.exprs());
        }
        K::Compare { first, ops } => {
            v.push(first);
            v.extend(ops.iter().map(|(_, e)| e));
        }
        K::Name(_) | K::NsRef { .. } | K::Const(_) => {}
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        reads(text).vars.into_iter().map(|r| r.name).collect()
    }

    #[test]
    fn yaql_root_reads() {
        assert_eq!(names("<% $.a %>"), ["a"]);
        assert_eq!(names("<% $.a.b + $.c %>"), ["a", "c"]);
        assert_eq!(names("<% $.l.where($.x > 1) %>"), ["l"]);
        assert_eq!(names("<% len($.l) %>"), ["l"]);
        assert_eq!(names("<% $.get(a) %>"), Vec::<String>::new());
        assert_eq!(
            names("<% $.containsKey('a') and $.a %>"),
            Vec::<String>::new()
        );
        assert_eq!(names("<% $?.a %>"), Vec::<String>::new());
        assert_eq!(names("<% $.a -> $.b %>"), ["a"]);
        assert_eq!(names("x <% $.a %> y <% $.b %>"), ["a", "b"]);
        let r = reads("<% task(t1).result %>");
        assert_eq!(r.tasks[0].name, "t1");
        assert!(reads("<% $ %>").whole_context);
    }

    #[test]
    fn jinja_root_reads() {
        assert_eq!(names("{{ _.a }}"), ["a"]);
        assert_eq!(names("{{ _['a'] | length }}"), ["a"]);
        assert_eq!(
            names("{% if _.a is defined %}{{ _.a }}{% endif %}"),
            Vec::<String>::new()
        );
        assert_eq!(names("{{ _.get('a') }}"), Vec::<String>::new());
        let r = reads("{{ task('t1').result }}");
        assert_eq!(r.tasks[0].name, "t1");
        assert!(r.jinja_task_call);
    }

    #[test]
    fn global_calls() {
        let g = |text: &str| -> Vec<String> {
            reads(text).globals.into_iter().map(|r| r.name).collect()
        };
        assert_eq!(g("<% global('a') + global(b) %>"), ["a", "b"]);
        assert_eq!(g("{{ global('a') }}"), ["a"]);
        assert!(reads("<% global($.k) %>").global_computed);
        assert!(reads("{{ global(_.k) }}").global_computed);
        let r = reads("<% global('abc') %>");
        assert_eq!(r.globals[0].range, 10..15);
    }

    #[test]
    fn ranges_point_at_the_name() {
        let r = reads("<% $.abc %>");
        assert_eq!(r.vars[0].range, 5..8);
        let r = reads("{{ _.abc }}");
        assert_eq!(r.vars[0].range, 5..8);
    }
}
