//! Calls in expressions, checked against the runtime's signature table.
//!
//! YAQL: every `name(args)` (function call) and `recv.name(args)` / `recv?.name(args)`
//! (method call) of every `<% %>` is resolved the way yaql resolves it (yaql.md §4.2)
//! against [`gale_vm::sig::registry`], restricted to the function set Mistral builds
//! (`yaql.create_context()` plus Mistral's functions: [`Layer::Std`]); the table is the
//! only source of names, forms, parameters and defaults. Argument *types* are never
//! looked at: yaql picks among overloads by the run-time types of the values, so a call
//! is reported only when no overload of its form can take that number of arguments and
//! those keyword names. Delegate calls (`$f(...)`) and names defined by `def(name, …)`
//! in the same expression are never checked.
//!
//! Jinja: every filter (`x | name`) and test (`x is name`) of a template is looked up in
//! Jinja's built-ins (what Mistral's `SandboxedEnvironment` has; Mistral's functions are
//! globals of the context, not filters).

use gale_hir::fx::FxHashSet as HashSet;
use std::ops::Range;

use gale_expr::jinja::ast as jn;
use gale_expr::yaql::ast as yq;
use gale_vm::sig::{self, Default as ParamDefault, Form, Layer, Overload, ParamKind};

/// Mistral's expression functions (`mistral.expression.functions` entry points of
/// Mistral 23.0.0); each must be in the signature table.
pub(crate) const MISTRAL_FUNCTIONS: &[&str] = &[
    "env",
    "execution",
    "executions",
    "global",
    "json_dump",
    "json_parse",
    "task",
    "tasks",
    "uuid",
    "yaml_dump",
    "yaml_parse",
];

/// Functions Mistral removed, with their replacement.
pub(crate) const REMOVED_FUNCTIONS: &[(&str, &str, &str)] = &[(
    "json_pp",
    "json_dump",
    "`json_pp` was removed in Mistral 23.0.0 (deprecated since Queens)",
)];

/// Jinja 3.1 built-in filters (`jinja2.filters.FILTERS`), as Mistral's environment has them.
pub(crate) const JINJA_FILTERS: &[&str] = &[
    "abs",
    "attr",
    "batch",
    "capitalize",
    "center",
    "count",
    "d",
    "default",
    "dictsort",
    "e",
    "escape",
    "filesizeformat",
    "first",
    "float",
    "forceescape",
    "format",
    "groupby",
    "indent",
    "int",
    "items",
    "join",
    "last",
    "length",
    "list",
    "lower",
    "map",
    "max",
    "min",
    "pprint",
    "random",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "slice",
    "sort",
    "string",
    "striptags",
    "sum",
    "title",
    "tojson",
    "trim",
    "truncate",
    "unique",
    "upper",
    "urlencode",
    "urlize",
    "wordcount",
    "wordwrap",
    "xmlattr",
];

/// Jinja 3.1 built-in tests (`jinja2.tests.TESTS`).
pub(crate) const JINJA_TESTS: &[&str] = &[
    "!=",
    "<",
    "<=",
    "==",
    ">",
    ">=",
    "boolean",
    "callable",
    "defined",
    "divisibleby",
    "eq",
    "equalto",
    "escaped",
    "even",
    "false",
    "filter",
    "float",
    "ge",
    "greaterthan",
    "gt",
    "in",
    "integer",
    "iterable",
    "le",
    "lessthan",
    "lower",
    "lt",
    "mapping",
    "ne",
    "none",
    "number",
    "odd",
    "sameas",
    "sequence",
    "string",
    "test",
    "true",
    "undefined",
    "upper",
];

/// What is wrong with one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// `name(...)`: no function or method of that name. `removed` = (replacement, why).
    UnknownFunction {
        /// A known spelling close to it.
        suggestion: Option<&'static str>,
        /// A function Mistral removed: its replacement and a note.
        removed: Option<(&'static str, &'static str)>,
    },
    /// `recv.name(...)`: no function or method of that name.
    UnknownMethod {
        /// A known method spelling close to it.
        suggestion: Option<&'static str>,
    },
    /// `recv.name(...)` where `name` is a function only.
    FunctionAsMethod,
    /// `name(...)` where `name` is a method only.
    MethodAsFunction,
    /// No overload takes this many arguments.
    WrongArity {
        /// Method call (the receiver is not counted in `given`).
        method: bool,
        /// Arguments given (positional and keyword).
        given: usize,
        /// The signatures of the overloads of that form.
        signatures: Vec<&'static str>,
    },
    /// A keyword argument no overload of that form has.
    UnknownKeyword {
        /// The keyword.
        keyword: String,
        /// A parameter name close to it.
        suggestion: Option<String>,
        /// The signatures of the overloads of that form.
        signatures: Vec<&'static str>,
    },
    /// A Jinja filter that does not exist; `mistral` when it is a Mistral function.
    UnknownFilter {
        /// A built-in filter close to it.
        suggestion: Option<&'static str>,
        /// The name is a Mistral function (a global, not a filter).
        mistral: bool,
        /// Inside `{% if %}` or `a if b else c`: Jinja fails only when it runs.
        soft: bool,
    },
    /// A Jinja test that does not exist.
    UnknownTest {
        /// A built-in test close to it.
        suggestion: Option<&'static str>,
        /// Inside `{% if %}` or `a if b else c`: Jinja fails only when it runs.
        soft: bool,
    },
}

/// One finding: the callee name, where (decoded-string range) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Finding {
    /// The name as written.
    pub name: String,
    /// The range of the name (or keyword) in the decoded string.
    pub range: Range<u32>,
    /// What is wrong.
    pub problem: Problem,
}

/// The names of the standard function set, by call form.
struct Names {
    functions: Vec<&'static str>,
    methods: Vec<&'static str>,
}

fn names() -> &'static Names {
    static NAMES: std::sync::OnceLock<Names> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let mut functions = HashSet::default();
        let mut methods = HashSet::default();
        for o in &sig::registry().overloads {
            if o.layer != Layer::Std || o.name.starts_with('#') || o.name.starts_with('*') {
                continue;
            }
            if matches!(o.form, Form::Function | Form::Extension) {
                functions.insert(o.name.as_str());
            }
            if matches!(o.form, Form::Method | Form::Extension) {
                methods.insert(o.name.as_str());
            }
        }
        let mut functions: Vec<_> = functions.into_iter().collect();
        let mut methods: Vec<_> = methods.into_iter().collect();
        functions.sort_unstable();
        methods.sort_unstable();
        Names { functions, methods }
    })
}

/// "Did you mean" among `candidates` ([`gale_hir::did_you_mean`]: the same answer as
/// [`gale_diagnostics::did_you_mean`], skipping candidates out of reach by length).
pub(crate) fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    gale_hir::did_you_mean(word, candidates.iter().copied())
}

/// [`suggest`] among the standard function (or method) names, remembered per name:
/// the same unknown name (a StackStorm or custom function) recurs in file after file.
fn suggest_std(word: &str, method: bool) -> Option<&'static str> {
    thread_local! {
        static SEEN: std::cell::RefCell<std::collections::HashMap<(bool, String), Option<&'static str>>> =
            std::cell::RefCell::default();
    }
    SEEN.with(|seen| {
        if let Some(s) = seen.borrow().get(&(method, word.to_string())) {
            return *s;
        }
        let n = names();
        let s = suggest(word, if method { &n.methods } else { &n.functions });
        let mut seen = seen.borrow_mut();
        if seen.len() >= 4096 {
            // A long-lived language server: keep the memo small.
            seen.clear();
        }
        seen.insert((method, word.to_string()), s);
        s
    })
}

/// The standard-set overloads of `name` (trailing `_` ignored, as yaql does).
fn overloads(name: &str) -> Vec<&'static Overload> {
    let reg = sig::registry();
    reg.group(name)
        .unwrap_or(&[])
        .iter()
        .filter_map(|&i| reg.overloads.get(i))
        .filter(|o| o.layer == Layer::Std)
        .collect()
}

/// The table text of an overload.
fn signature_text(o: &Overload) -> &'static str {
    gale_vm::signatures::SIGNATURES
        .iter()
        .find(|e| e.id == o.id)
        .map(|e| e.sig)
        .unwrap_or("")
}

/// An argument as arity checking sees it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape<'a> {
    Value,
    Skipped,
    /// `word => value` (a keyword, or a pair for `pairs` overloads).
    Pair(Option<&'a str>),
}

/// Whether overload `o` can bind these arguments (yaql's `map_args`, as
/// `gale_vm::sig` binds them): positional in order, skipped → default, keywords by
/// name, `*args`, `**kwargs`.
fn fits(o: &Overload, args: &[Shape<'_>]) -> bool {
    let mut positional = Vec::new();
    let mut keywords: Vec<&str> = Vec::new();
    for a in args {
        match a {
            Shape::Pair(_) if o.pairs => positional.push(Shape::Value),
            Shape::Pair(Some(word)) => keywords.push(word),
            // `expr => v` outside a pairs function: MappingTranslationException, a
            // different error; accept to stay silent.
            Shape::Pair(None) => return true,
            other => positional.push(*other),
        }
    }
    let npos = positional.len();
    let mut next = 0usize;
    let mut used = vec![false; keywords.len()];
    for p in &o.params {
        match p.kind {
            ParamKind::Single => {
                if next < npos && positional[next] != Shape::Skipped {
                    next += 1;
                } else {
                    let skipped = next < npos;
                    if skipped {
                        next += 1;
                    }
                    if let Some(k) = keywords.iter().position(|n| *n == p.name) {
                        if skipped {
                            return false;
                        }
                        if let Some(u) = used.get_mut(k) {
                            *u = true;
                        }
                    } else if p.default == ParamDefault::Required {
                        return false;
                    }
                }
            }
            ParamKind::VarArgs => {
                if positional[next.min(npos)..].contains(&Shape::Skipped) {
                    return false;
                }
                next = npos;
            }
            ParamKind::VarKw => used.iter_mut().for_each(|u| *u = true),
        }
    }
    next >= npos && used.iter().all(|u| *u)
}

fn shapes(args: &[yq::Arg]) -> Vec<Shape<'_>> {
    args.iter()
        .map(|a| match a {
            yq::Arg::Positional(_) => Shape::Value,
            yq::Arg::Skipped(_) => Shape::Skipped,
            yq::Arg::Pair { key, .. } => Shape::Pair(match &key.kind {
                yq::ExprKind::Word(w) => Some(&**w),
                _ => None,
            }),
        })
        .collect()
}

/// Checks one call of `name` with `args` (the receiver first for a method call).
fn check_call(
    name: &str,
    method: bool,
    args: &[yq::Arg],
    receiver: bool,
    base: u32,
    name_span: gale_expr::Span,
) -> Option<Finding> {
    let all = overloads(name);
    let range = base + name_span.start..base + name_span.end;
    let finding = |problem| {
        Some(Finding {
            name: name.to_string(),
            range: range.clone(),
            problem,
        })
    };
    if all.is_empty() {
        if method {
            return finding(Problem::UnknownMethod {
                suggestion: suggest_std(name, true),
            });
        }
        let removed = REMOVED_FUNCTIONS
            .iter()
            .find(|(old, _, _)| *old == name.trim_end_matches('_'))
            .map(|(_, new, why)| (*new, *why));
        let suggestion = match removed {
            Some(_) => None,
            None => suggest_std(name, false),
        };
        return finding(Problem::UnknownFunction {
            suggestion,
            removed,
        });
    }
    let of_form: Vec<&Overload> = all
        .into_iter()
        .filter(|o| match o.form {
            Form::Function => !method,
            Form::Method => method,
            Form::Extension => true,
        })
        .collect();
    if of_form.is_empty() {
        return finding(if method {
            Problem::FunctionAsMethod
        } else {
            Problem::MethodAsFunction
        });
    }
    let mut shaped = Vec::with_capacity(args.len() + 1);
    if receiver {
        shaped.push(Shape::Value);
    }
    shaped.extend(shapes(args));
    if of_form.iter().any(|o| fits(o, &shaped)) {
        return None;
    }
    let signatures: Vec<&'static str> = of_form.iter().map(|o| signature_text(o)).collect();
    // A keyword no overload of this form knows (and none takes `**kwargs`).
    let takes_kw = of_form
        .iter()
        .any(|o| o.params.iter().any(|p| p.kind == ParamKind::VarKw));
    if !takes_kw {
        for a in args {
            let yq::Arg::Pair { key, .. } = a else {
                continue;
            };
            let yq::ExprKind::Word(word) = &key.kind else {
                continue;
            };
            if of_form.iter().any(|o| o.pairs) {
                continue;
            }
            let known = of_form
                .iter()
                .any(|o| o.params.iter().any(|p| p.name == **word));
            if known {
                continue;
            }
            let candidates: Vec<&str> = of_form
                .iter()
                .flat_map(|o| o.params.iter().skip(usize::from(method)))
                .filter(|p| p.kind == ParamKind::Single)
                .map(|p| p.name.as_str())
                .collect();
            let suggestion = suggest(word, &candidates).map(String::from);
            return Some(Finding {
                name: name.to_string(),
                range: base + key.span.start..base + key.span.end,
                problem: Problem::UnknownKeyword {
                    keyword: word.to_string(),
                    suggestion,
                    signatures,
                },
            });
        }
    }
    finding(Problem::WrongArity {
        method,
        given: args.len(),
        signatures,
    })
}

/// Names `def(name, …)` defines anywhere in the expression.
fn defined_functions(e: &yq::Expr) -> HashSet<String> {
    let mut out = HashSet::default();
    e.walk(&mut |x| {
        if let yq::ExprKind::Call { name, args, .. } = &x.kind
            && &**name == "def"
            && let Some(yq::Arg::Positional(first)) = args.first()
        {
            match &first.kind {
                yq::ExprKind::Word(w) => {
                    out.insert(w.to_string());
                }
                yq::ExprKind::Str(s) => {
                    out.insert(s.clone());
                }
                _ => {}
            }
        }
    });
    out
}

/// The call findings of one YAQL expression (`base` = offset of its text).
fn yaql(e: &yq::Expr, base: u32, out: &mut Vec<Finding>) {
    let defined = defined_functions(e);
    // Calls that are the right side of `.`/`?.`, by name offset (a handful per
    // expression: a list beats hashing).
    let mut as_method: Vec<u32> = Vec::new();
    e.walk(&mut |x| match &x.kind {
        yq::ExprKind::Member { member, .. } => {
            if let yq::ExprKind::Call {
                name,
                name_span,
                args,
            } = &member.kind
            {
                as_method.push(name_span.start);
                if defined.contains(name.trim_end_matches('_')) {
                    return;
                }
                out.extend(check_call(name, true, args, true, base, *name_span));
            }
        }
        yq::ExprKind::Call {
            name,
            name_span,
            args,
        } => {
            if as_method.contains(&name_span.start) || defined.contains(name.trim_end_matches('_'))
            {
                return;
            }
            out.extend(check_call(name, false, args, false, base, *name_span));
        }
        _ => {}
    });
}

/// Jinja compiles an unknown filter or test inside a conditional (a "soft frame":
/// `{% if %}` and `a if b else c`) into a run-time failure, elsewhere into a
/// compile-time one.
fn jinja_expr(e: &jn::Expr, soft: bool, out: &mut Vec<Finding>) {
    let mut soft_names: HashSet<u32> = HashSet::default();
    e.walk(&mut |x| {
        if let jn::ExprKind::CondExpr { .. } = &x.kind {
            x.walk(&mut |y| match &y.kind {
                jn::ExprKind::Filter { name_span, .. } | jn::ExprKind::Test { name_span, .. } => {
                    soft_names.insert(name_span.start);
                }
                _ => {}
            });
        }
    });
    e.walk(&mut |x| match &x.kind {
        jn::ExprKind::Filter {
            name, name_span, ..
        } => {
            if JINJA_FILTERS.contains(&&**name) {
                return;
            }
            let mistral = MISTRAL_FUNCTIONS.contains(&&**name);
            out.push(Finding {
                name: name.to_string(),
                range: name_span.start..name_span.end,
                problem: Problem::UnknownFilter {
                    suggestion: if mistral {
                        None
                    } else {
                        suggest(name, JINJA_FILTERS)
                    },
                    mistral,
                    soft: soft || soft_names.contains(&name_span.start),
                },
            });
        }
        jn::ExprKind::Test {
            name, name_span, ..
        } => {
            if JINJA_TESTS.contains(&&**name) {
                return;
            }
            out.push(Finding {
                name: name.to_string(),
                range: name_span.start..name_span.end,
                problem: Problem::UnknownTest {
                    suggestion: suggest(name, JINJA_TESTS),
                    soft: soft || soft_names.contains(&name_span.start),
                },
            });
        }
        _ => {}
    });
}

fn jinja_nodes(nodes: &[jn::Node], soft: bool, out: &mut Vec<Finding>) {
    for n in nodes {
        match n {
            jn::Node::Data(_) => {}
            jn::Node::Output { expr, .. } => jinja_expr(expr, soft, out),
            jn::Node::If {
                branches,
                else_body,
                ..
            } => {
                for (cond, body) in branches {
                    jinja_expr(cond, true, out);
                    jinja_nodes(body, true, out);
                }
                jinja_nodes(else_body, true, out);
            }
            jn::Node::For {
                target,
                iter,
                filter,
                body,
                else_body,
                ..
            } => {
                jinja_expr(target, soft, out);
                jinja_expr(iter, soft, out);
                if let Some(f) = filter {
                    jinja_expr(f, soft, out);
                }
                jinja_nodes(body, soft, out);
                jinja_nodes(else_body, soft, out);
            }
            jn::Node::Set {
                target,
                value,
                filter,
                body,
                ..
            } => {
                jinja_expr(target, soft, out);
                if let Some(v) = value {
                    jinja_expr(v, soft, out);
                }
                if let Some(f) = filter {
                    jinja_expr(f, soft, out);
                }
                jinja_nodes(body, soft, out);
            }
            jn::Node::With {
                assignments, body, ..
            } => {
                for (t, v) in assignments {
                    jinja_expr(t, soft, out);
                    jinja_expr(v, soft, out);
                }
                jinja_nodes(body, soft, out);
            }
            jn::Node::Other {
                tag, exprs, body, ..
            } => {
                // `{% filter name %}` applies a filter too, but its header is kept as
                // expressions of unknown role: only plain expressions are checked.
                if &**tag != "filter" {
                    for e in exprs {
                        jinja_expr(e, soft, out);
                    }
                }
                jinja_nodes(body, soft, out);
            }
        }
    }
}

/// Every call finding of one string (its `<% %>` or `{{ }}`/`{% %}` parts), with
/// ranges in the decoded string. Strings that do not parse get none (their syntax
/// error is reported elsewhere).
#[cfg(test)]
pub(crate) fn findings(text: &str) -> Vec<Finding> {
    findings_parsed(&crate::ast::SiteAst::parse(text))
}

/// [`findings`] of an already parsed string.
pub(crate) fn findings_parsed(ast: &crate::ast::SiteAst) -> Vec<Finding> {
    use crate::ast::Part;
    let mut out = Vec::new();
    for part in &ast.parts {
        match part {
            Part::Yaql(start, Some(expr)) => yaql(expr, *start, &mut out),
            Part::Jinja(Some(t)) => jinja_nodes(&t.body, false, &mut out),
            Part::Yaql(_, None) | Part::Jinja(None) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<(String, &'static str)> {
        findings(text)
            .into_iter()
            .map(|f| {
                let kind = match f.problem {
                    Problem::UnknownFunction { .. } => "unknown-function",
                    Problem::UnknownMethod { .. } => "unknown-method",
                    Problem::FunctionAsMethod => "function-as-method",
                    Problem::MethodAsFunction => "method-as-function",
                    Problem::WrongArity { .. } => "wrong-arity",
                    Problem::UnknownKeyword { .. } => "unknown-keyword",
                    Problem::UnknownFilter { .. } => "unknown-filter",
                    Problem::UnknownTest { .. } => "unknown-test",
                };
                (f.name, kind)
            })
            .collect()
    }

    #[test]
    fn suggestions() {
        let first = |text: &str| findings(text).into_iter().next().map(|f| f.problem);
        assert_eq!(
            first("<% tsak(t1).result %>"),
            Some(Problem::UnknownFunction {
                suggestion: Some("task"),
                removed: None
            })
        );
        assert_eq!(
            first("<% $.s.toupper() %>"),
            Some(Problem::UnknownMethod {
                suggestion: Some("toUpper")
            })
        );
        assert_eq!(
            first("<% json_pp($) %>"),
            Some(Problem::UnknownFunction {
                suggestion: None,
                removed: Some(("json_dump", REMOVED_FUNCTIONS[0].2))
            })
        );
    }

    #[test]
    fn mistral_functions_are_in_the_table() {
        for f in MISTRAL_FUNCTIONS {
            assert!(!overloads(f).is_empty(), "{f} missing from gale_vm's table");
        }
        for (old, new, _) in REMOVED_FUNCTIONS {
            assert!(overloads(old).is_empty(), "{old} is in the table");
            assert!(!overloads(new).is_empty(), "{new} is not in the table");
        }
    }

    #[test]
    fn calls_as_yaql_resolves_them() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("<% len('abc') + 'abc'.len() %>", &[]),
            ("<% foo() %>", &[("foo", "unknown-function")]),
            ("<% json_pp($) %>", &[("json_pp", "unknown-function")]),
            ("<% 'a'.foo() %>", &[("foo", "unknown-method")]),
            ("<% toUpper('a') %>", &[("toUpper", "method-as-function")]),
            (
                "<% $.x.json_dump() %>",
                &[("json_dump", "function-as-method")],
            ),
            ("<% 'a'.toUpper(1) %>", &[("toUpper", "wrong-arity")]),
            ("<% str(1, 2) %>", &[("str", "wrong-arity")]),
            (
                "<% 'a'.split(max_splits => 1) %>",
                &[("split", "unknown-keyword")],
            ),
            ("<% 'a'.split(maxSplits => 1) %>", &[]),
            ("<% global(varName => x) %>", &[]),
            ("<% def(f, $ + 1) -> f(2) %>", &[]),
            ("<% let(x => 1) -> $x %>", &[]),
            ("<% dict(a => 1) + switch(true => 1) %>", &[]),
            ("<% len_('a') %>", &[]),
            ("<% $.a?.x.keys() %>", &[]),
            ("{{ 'x' | json_dump }}", &[("json_dump", "unknown-filter")]),
            ("{{ _.x | lenght }}", &[("lenght", "unknown-filter")]),
            ("{{ _.x | length is defined and _.y is odd }}", &[]),
            ("{{ _.x is definde }}", &[("definde", "unknown-test")]),
            ("{{ json_dump(_.x) }}", &[]),
            (
                "{% if _.x %}{{ _.x | nope }}{% endif %}",
                &[("nope", "unknown-filter")],
            ),
        ];
        for (text, want) in cases {
            let got = problems(text);
            let want: Vec<(String, &str)> = want.iter().map(|(n, k)| (n.to_string(), *k)).collect();
            assert_eq!(got, want, "{text}");
        }
    }
}
