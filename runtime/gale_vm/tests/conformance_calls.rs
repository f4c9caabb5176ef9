//! Conformance cases of `../shared/conformance/yaql/cases.jsonl`, evaluated by a
//! test-only mini-evaluator straight on `sig::call` (no parser crate needed):
//! literals, list/dict literals, operators, function and method calls, `.word` member
//! access, indexing, variables (`$`, `$1`, `$data`...) and lambdas (a lazy argument is
//! a closure that binds its call arguments to `$1..` in a child scope). Cases that use
//! `?.`/`->` or interpreter intrinsics (`let`, `lambda`, `as`, `def`...) are counted as
//! skipped; the full suite runs once the parser and interpreter exist.
//!
//! Expected values are decoded per the conformance README (`$set`, `$list_from_set`,
//! `$tuple`, `$dict`, `$datetime`, `$timespan`, `$regex`, `$bigint`, `$float`), with
//! int/float kinds kept apart, and `compare: unordered` honoured. The summary (counts
//! and every failing case id) is an insta snapshot, so a regression or an improvement
//! shows up as a snapshot diff.

use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use gale_vm::ctx::lambda;
use gale_vm::datetime::DateTime;
use gale_vm::sig::{Arg, PairArg, call, registry};
use gale_vm::tagged::decode;
use gale_vm::{Ctx, FunctionSet, Value, convert};

fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if p.exists() {
        Some(p)
    } else if std::env::var_os("CI").is_some() {
        panic!("../shared not found (required in CI)");
    } else {
        eprintln!("SKIPPED: ../shared not found");
        None
    }
}

// ---------------------------------------------------------------- lexer

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(Value),
    Str(String),
    Word(String),
    Func(String),
    Var(String),
    Op(&'static str),
}

const OPS: &[&str] = &[
    "=~", "!~", "=>", ">=", "<=", "!=", ".", "+", "-", "*", "/", ">", "<", "=", "[", "]", "(", ")",
    "{", "}", ",",
];

/// yaql string escapes (unicode_escape; unknown escapes kept verbatim).
fn unescape(s: &str) -> Option<String> {
    let ch: Vec<char> = s.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < ch.len() {
        if ch[i] != '\\' || i + 1 >= ch.len() {
            out.push(ch[i]);
            i += 1;
            continue;
        }
        let n = ch[i + 1];
        i += 2;
        match n {
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
            '0'..='7' => {
                let mut v = n.to_digit(8)?;
                let mut k = 0;
                while k < 2 && i < ch.len() && ch[i].is_digit(8) {
                    v = v * 8 + ch[i].to_digit(8)?;
                    i += 1;
                    k += 1;
                }
                out.push(char::from_u32(v)?);
            }
            'x' | 'u' | 'U' | 'N' => return None,
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Some(out)
}

fn lex(src: &str) -> Option<Vec<Tok>> {
    let ch: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < ch.len() {
        let c = ch[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let s = i;
            while i < ch.len() && ch[i].is_ascii_digit() {
                i += 1;
            }
            let float = i + 1 < ch.len() && ch[i] == '.' && ch[i + 1].is_ascii_digit();
            if float {
                i += 1;
                while i < ch.len() && ch[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if i < ch.len() && (ch[i].is_alphanumeric() || ch[i] == '_') {
                return None;
            }
            let t: String = ch[s..i].iter().collect();
            out.push(Tok::Num(if float {
                Value::Float(t.parse().ok()?)
            } else {
                Value::Int(t.parse().ok()?)
            }));
        } else if c == '\'' || c == '"' || c == '`' {
            let s = i + 1;
            i += 1;
            while i < ch.len() && ch[i] != c {
                if ch[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            if i >= ch.len() {
                return None;
            }
            let raw: String = ch[s..i].iter().collect();
            i += 1;
            out.push(Tok::Str(if c == '`' {
                raw.replace("\\`", "`")
            } else {
                unescape(&raw)?
            }));
        } else if c == '$' {
            let s = i + 1;
            i += 1;
            while i < ch.len() && (ch[i].is_alphanumeric() || ch[i] == '_') {
                i += 1;
            }
            let name: String = ch[s..i].iter().collect();
            out.push(Tok::Var(if name.is_empty() { "1".into() } else { name }));
        } else if c.is_alphabetic() || c == '_' {
            let s = i;
            while i < ch.len() && (ch[i].is_alphanumeric() || ch[i] == '_') {
                i += 1;
            }
            let w: String = ch[s..i].iter().collect();
            if i < ch.len() && ch[i] == '(' {
                i += 1;
                out.push(Tok::Func(w));
            } else if w.starts_with("__") {
                return None;
            } else {
                match w.as_str() {
                    "and" => out.push(Tok::Op("and")),
                    "or" => out.push(Tok::Op("or")),
                    "not" => out.push(Tok::Op("not")),
                    "in" => out.push(Tok::Op("in")),
                    "mod" => out.push(Tok::Op("mod")),
                    _ => out.push(Tok::Word(w)),
                }
            }
        } else {
            let rest: String = ch[i..ch.len().min(i + 2)].iter().collect();
            let op = OPS.iter().find(|o| rest.starts_with(**o))?;
            // `?.`, `->`, `$`, `#`... are not handled by this mini-evaluator.
            i += op.chars().count();
            out.push(Tok::Op(op));
        }
    }
    Some(out)
}

// ---------------------------------------------------------------- parser

#[derive(Debug)]
enum Expr {
    Lit(Value),
    /// A bare word (a string constant that may also be a keyword name).
    Word(String),
    /// A variable read (`$` is `$1`); missing variables are null.
    Var(String),
    Call {
        name: String,
        method: bool,
        args: Vec<Item>,
    },
    /// Legacy `a => b` (tuple building, flattening a left-nested `=>`).
    Tuple(Rc<Expr>, Rc<Expr>),
    /// A parenthesised expression (stops the legacy `=>` flattening).
    Group(Rc<Expr>),
}

#[derive(Debug)]
enum Item {
    Pos(Rc<Expr>),
    Skipped,
    Mapping(Rc<Expr>, Rc<Expr>),
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    legacy: bool,
}

fn binary(op: &str) -> Option<(u8, String)> {
    let name = |s: &str| format!("#operator_{s}");
    Some(match op {
        "or" => (2, name("or")),
        "and" => (3, name("and")),
        ">" | "<" | ">=" | "<=" | "in" => (5, name(op)),
        "=" => (5, "*equal".to_string()),
        "!=" => (5, "*not_equal".to_string()),
        "+" | "-" => (6, name(op)),
        "*" | "/" | "mod" => (7, name(op)),
        "=~" | "!~" => (8, name(op)),
        _ => return None,
    })
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn eat(&mut self, op: &str) -> bool {
        if self.peek() == Some(&Tok::Op(leak(op))) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn call(name: String, method: bool, args: Vec<Item>) -> Rc<Expr> {
        Rc::new(Expr::Call { name, method, args })
    }
    fn expr(&mut self, min: u8) -> Option<Rc<Expr>> {
        let mut left = self.prefix()?;
        loop {
            let Some(Tok::Op(op)) = self.peek().cloned() else {
                break;
            };
            if op == "." && min <= 11 {
                self.pos += 1;
                left = match self.peek().cloned()? {
                    Tok::Func(name) => {
                        self.pos += 1;
                        let mut args = vec![Item::Pos(left)];
                        args.extend(self.args(")")?);
                        Parser::call(name, true, args)
                    }
                    Tok::Word(w) => {
                        self.pos += 1;
                        Parser::call(
                            "#member".into(),
                            false,
                            vec![Item::Pos(left), Item::Pos(Rc::new(Expr::Word(w)))],
                        )
                    }
                    _ => return None,
                };
                continue;
            }
            if op == "[" && min <= 10 {
                self.pos += 1;
                let mut args = vec![Item::Pos(left)];
                args.extend(self.args("]")?);
                left = Parser::call("#indexer".into(), false, args);
                continue;
            }
            if op == "=>" && self.legacy && min <= 1 {
                self.pos += 1;
                let right = self.expr(2)?;
                left = Rc::new(Expr::Tuple(left, right));
                continue;
            }
            let Some((prec, name)) = binary(op) else {
                break;
            };
            if prec < min.max(2) {
                break;
            }
            self.pos += 1;
            let right = self.expr(prec + 1)?;
            left = Parser::call(name, false, vec![Item::Pos(left), Item::Pos(right)]);
        }
        Some(left)
    }
    fn prefix(&mut self) -> Option<Rc<Expr>> {
        let t = self.peek().cloned()?;
        self.pos += 1;
        Some(match t {
            Tok::Num(v) => Rc::new(Expr::Lit(v)),
            Tok::Str(s) => Rc::new(Expr::Lit(Value::str(s))),
            Tok::Var(n) => Rc::new(Expr::Var(n)),
            Tok::Word(w) => match w.as_str() {
                "true" => Rc::new(Expr::Lit(Value::Bool(true))),
                "false" => Rc::new(Expr::Lit(Value::Bool(false))),
                "null" => Rc::new(Expr::Lit(Value::Null)),
                _ => Rc::new(Expr::Word(w)),
            },
            Tok::Func(name) => {
                if ["let", "with", "def", "lambda", "unpack", "as"].contains(&name.as_str()) {
                    return None;
                }
                let args = self.args(")")?;
                Parser::call(name, false, args)
            }
            Tok::Op("(") => {
                let e = self.expr(0)?;
                if !self.eat(")") {
                    return None;
                }
                Rc::new(Expr::Group(e))
            }
            Tok::Op("[") => Parser::call("#list".into(), false, self.args("]")?),
            Tok::Op("{") => Parser::call("#map".into(), false, self.args("}")?),
            Tok::Op("-") | Tok::Op("+") => {
                let Tok::Op(op) = t else { return None };
                let e = self.expr(10)?;
                Parser::call(format!("#unary_operator_{op}"), false, vec![Item::Pos(e)])
            }
            Tok::Op("not") => {
                let e = self.expr(5)?;
                Parser::call("#unary_operator_not".into(), false, vec![Item::Pos(e)])
            }
            _ => return None,
        })
    }
    fn args(&mut self, close: &str) -> Option<Vec<Item>> {
        let mut items = Vec::new();
        if self.eat(close) {
            return Some(items);
        }
        loop {
            if matches!(self.peek(), Some(Tok::Op(","))) {
                items.push(Item::Skipped);
            } else {
                let e = self.expr(if self.legacy { 0 } else { 1 })?;
                if !self.legacy && self.eat("=>") {
                    let v = self.expr(1)?;
                    items.push(Item::Mapping(e, v));
                } else {
                    items.push(Item::Pos(e));
                }
            }
            if self.eat(close) {
                return Some(items);
            }
            if !self.eat(",") {
                return None;
            }
            if matches!(self.peek(), Some(Tok::Op(c)) if *c == close) {
                return None; // trailing comma: grammar error in yaql
            }
        }
    }
}

fn leak(op: &str) -> &'static str {
    OPS.iter()
        .chain(["and", "or", "not", "in", "mod"].iter())
        .find(|o| **o == op)
        .copied()
        .unwrap_or("?")
}

fn parse(src: &str, legacy: bool) -> Option<Rc<Expr>> {
    let mut p = Parser {
        toks: lex(src)?,
        pos: 0,
        legacy,
    };
    let e = p.expr(0)?;
    (p.pos == p.toks.len()).then_some(e)
}

// ---------------------------------------------------------------- evaluator

/// A variable scope: `$1..` of a lambda call, or the case's `$` and `vars`.
struct Scope {
    vars: HashMap<String, Value>,
    parent: Option<Rc<Scope>>,
}

impl Scope {
    fn get(&self, name: &str) -> Value {
        match self.vars.get(name) {
            Some(v) => v.clone(),
            None => self
                .parent
                .as_ref()
                .map(|p| p.get(name))
                .unwrap_or(Value::Null),
        }
    }
}

fn lazy(e: &Rc<Expr>, env: &Rc<Scope>) -> Arg {
    match &**e {
        Expr::Lit(v) => Arg::Value(v.clone()),
        Expr::Word(w) => Arg::Value(Value::str(w.as_str())),
        _ => {
            let (e, env) = (e.clone(), env.clone());
            Arg::Lazy(lambda(move |cx, args| {
                let scope = if args.is_empty() {
                    env.clone()
                } else {
                    let vars = args
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (format!("{}", i + 1), v.clone()))
                        .collect();
                    Rc::new(Scope {
                        vars,
                        parent: Some(env.clone()),
                    })
                };
                eval(cx, &scope, &e)
            }))
        }
    }
}

fn takes_pairs(cx: &Ctx, name: &str) -> bool {
    let reg = registry();
    reg.group(name).is_some_and(|g| {
        g.iter()
            .map(|&i| &reg.overloads[i])
            .any(|o| o.pairs && cx.functions.includes(o.layer))
    })
}

fn eval(cx: &mut Ctx, env: &Rc<Scope>, e: &Rc<Expr>) -> gale_vm::Result<Value> {
    match &**e {
        Expr::Lit(v) => Ok(v.clone()),
        Expr::Word(w) => Ok(Value::str(w.as_str())),
        Expr::Var(n) => Ok(env.get(n)),
        Expr::Group(x) => eval(cx, env, x),
        Expr::Tuple(l, r) => {
            let mut items = match &**l {
                Expr::Tuple(..) => match eval(cx, env, l)? {
                    Value::Tuple(t) => t.as_ref().clone(),
                    other => vec![other],
                },
                _ => vec![eval(cx, env, l)?],
            };
            items.push(eval(cx, env, r)?);
            Ok(Value::tuple(items))
        }
        Expr::Call { name, method, args } => {
            let pairs = takes_pairs(cx, name);
            let (mut pos, mut kws) = (Vec::new(), Vec::new());
            for (i, a) in args.iter().enumerate() {
                match a {
                    Item::Pos(x) if *method && i == 0 => pos.push(Arg::Value(eval(cx, env, x)?)),
                    Item::Pos(x) => pos.push(lazy(x, env)),
                    Item::Skipped => pos.push(Arg::Skipped),
                    Item::Mapping(k, v) => {
                        let word = match &**k {
                            Expr::Word(w) => Some(w.clone()),
                            _ => None,
                        };
                        if pairs {
                            let (key, value) = (as_lambda(k, env), as_lambda(v, env));
                            pos.push(Arg::Pair(Rc::new(PairArg { key, value })));
                        } else if let Some(w) = word {
                            kws.push((w, lazy(v, env)));
                        } else {
                            return Err(gale_vm::Error::new(
                                gale_vm::ErrorKind::MappingTranslation,
                                "keyword must be a word",
                            ));
                        }
                    }
                }
            }
            call(cx, name, *method, pos, kws)
        }
    }
}

/// An expression as a lambda (the sides of a pair).
fn as_lambda(e: &Rc<Expr>, env: &Rc<Scope>) -> gale_vm::Lambda {
    match lazy(e, env) {
        Arg::Lazy(l) => l,
        Arg::Value(v) => Rc::new(gale_vm::ctx::ConstCallable(v)),
        _ => Rc::new(gale_vm::ctx::ConstCallable(Value::Null)),
    }
}

/// The root scope of a case: `$` (input-converted data) and `vars` (raw).
fn scope_of(case: &serde_json::Value) -> Option<Rc<Scope>> {
    let mut vars = HashMap::new();
    if let Some(d) = case.get("data") {
        vars.insert("1".to_string(), decode(d, true)?);
    }
    if let Some(serde_json::Value::Object(o)) = case.get("vars") {
        for (k, v) in o {
            vars.insert(k.clone(), decode(v, false)?);
        }
    }
    // Names bound to the same one-shot iterator share one object.
    if let Some(serde_json::Value::Array(groups)) = case.get("shared_iterators") {
        for g in groups {
            let names: Vec<&str> = g.as_array()?.iter().filter_map(|n| n.as_str()).collect();
            let first = vars.get(*names.first()?)?.clone();
            for n in &names[1..] {
                vars.insert(n.to_string(), first.clone());
            }
        }
    }
    Some(Rc::new(Scope { vars, parent: None }))
}

// ---------------------------------------------------------------- comparison

fn multiset_eq(got: &[Value], want: &[serde_json::Value]) -> bool {
    if got.len() != want.len() {
        return false;
    }
    let mut used = vec![false; want.len()];
    got.iter().all(|g| {
        (0..want.len()).any(|j| {
            if !used[j] && matches(g, &want[j]) {
                used[j] = true;
                true
            } else {
                false
            }
        })
    })
}

/// Does produced value `got` (after output conversion) equal recorded `want`?
fn matches(got: &Value, want: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match want {
        J::Null => matches!(got, Value::Null),
        J::Bool(b) => matches!(got, Value::Bool(x) if x == b),
        J::String(s) => got.as_str() == Some(s.as_str()),
        J::Number(n) => match got {
            Value::Int(i) => n.as_i64() == Some(*i),
            // serde_json's default float parser is not correctly rounded (it can be
            // off in the last unit), so recorded floats compare within 2 ulp.
            Value::Float(f) => {
                n.is_f64()
                    && n.as_f64().is_some_and(|w| {
                        w == *f || (w - f).abs() <= 2.0 * f64::EPSILON * w.abs().max(f.abs())
                    })
            }
            _ => false,
        },
        J::Array(items) => match got {
            Value::Tuple(v) | Value::List(v) => {
                v.len() == items.len() && v.iter().zip(items).all(|(g, w)| matches(g, w))
            }
            _ => false,
        },
        J::Object(o) => {
            if let Some((tag, inner)) = o
                .iter()
                .next()
                .filter(|(k, _)| o.len() == 1 && k.starts_with('$'))
            {
                return tagged(got, tag, inner);
            }
            match got {
                Value::Dict(d) => {
                    d.len() == o.len()
                        && o.iter()
                            .all(|(k, w)| d.get_str(k).is_some_and(|g| matches(g, w)))
                }
                _ => false,
            }
        }
    }
}

fn tagged(got: &Value, tag: &str, inner: &serde_json::Value) -> bool {
    let arr = || inner.as_array().map(|a| a.as_slice()).unwrap_or(&[]);
    match tag {
        "$set" => match got {
            Value::Set(s) => {
                let items: Vec<Value> = s.items.iter().map(|k| k.0.clone()).collect();
                multiset_eq(&items, arr())
            }
            _ => false,
        },
        "$list_from_set" => match got {
            Value::List(v) | Value::Tuple(v) => multiset_eq(v, arr()),
            _ => false,
        },
        "$tuple" => {
            matches!(got, Value::Tuple(_))
                && matches(got, &serde_json::Value::Array(arr().to_vec()))
        }
        "$dict" => match got {
            Value::Dict(d) => {
                d.len() == arr().len()
                    && arr().iter().all(|kv| {
                        let kv = kv.as_array().map(|a| a.as_slice()).unwrap_or(&[]);
                        kv.len() == 2
                            && d.map
                                .iter()
                                .any(|(k, v)| matches(&k.0, &kv[0]) && matches(v, &kv[1]))
                    })
            }
            _ => false,
        },
        "$datetime" => match (got, inner.as_str().map(DateTime::parse)) {
            (Value::DateTime(g), Some(Ok(w))) => {
                g.utc_micros == w.utc_micros && g.offset_secs == w.offset_secs
            }
            _ => false,
        },
        "$timespan" => matches!(got, Value::TimeDelta(t) if inner.as_i64() == Some(*t)),
        "$regex" => match got {
            Value::Regex(r) => {
                inner["pattern"].as_str() == Some(r.pattern.as_str())
                    && inner["flags"].as_u64() == Some(r.flags as u64)
            }
            _ => false,
        },
        "$bigint" => {
            matches!(got, Value::BigInt(b) if inner.as_str() == Some(b.to_string().as_str()))
        }
        "$float" => match (got, inner.as_str()) {
            (Value::Float(f), Some("nan")) => f.is_nan(),
            (Value::Float(f), Some("inf")) => *f == f64::INFINITY,
            (Value::Float(f), Some("-inf")) => *f == f64::NEG_INFINITY,
            _ => false,
        },
        _ => false,
    }
}

// ---------------------------------------------------------------- the test

fn context_of(case: &serde_json::Value) -> Option<Ctx> {
    let mut cx = Ctx::default();
    cx.functions = FunctionSet::from_name(case["context"].as_str()?)?;
    let o = &case["options"];
    cx.options.limit_iterators = o["yaql.limitIterators"].as_i64().unwrap_or(-1);
    cx.options.convert_tuples_to_lists = o["yaql.convertTuplesToLists"].as_bool().unwrap_or(true);
    cx.options.convert_sets_to_lists = o["yaql.convertSetsToLists"].as_bool().unwrap_or(false);
    cx.options.iterable_dicts = o["yaql.iterableDicts"].as_bool().unwrap_or(false);
    Some(cx)
}

#[test]
fn evaluable_cases() {
    let Some(root) = shared() else { return };
    let text =
        std::fs::read_to_string(root.join("conformance/yaql/cases.jsonl")).expect("read cases");
    let (mut tried, mut passed, mut skipped) = (0, 0, 0);
    let (mut failures, mut skips) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let case: serde_json::Value = serde_json::from_str(line).expect("json");
        let expr = case["expr"].as_str().unwrap_or("");
        if case.get("phase").is_some() {
            continue;
        }
        let Some(mut cx) = context_of(&case) else {
            continue;
        };
        let id = case["id"].as_str().unwrap_or("?");
        let Some(env) = scope_of(&case) else {
            skipped += 1;
            skips.push(format!("{id} | {expr} | undecodable data"));
            continue;
        };
        let Some(ast) = parse(expr, case["engine"] == "legacy") else {
            skipped += 1;
            skips.push(format!(
                "{id} | {expr} | syntax or intrinsic not in the mini-evaluator"
            ));
            continue;
        };
        if ["now(", "random(", "localtz("]
            .iter()
            .any(|f| expr.contains(f))
        {
            skipped += 1;
            skips.push(format!("{id} | {expr} | nondeterministic"));
            continue;
        }
        let got = eval(&mut cx, &env, &ast).and_then(|v| convert::output(&mut cx, &v));
        if let Err(e) = &got
            && e.message().contains("implemented by the interpreter")
        {
            skipped += 1;
            skips.push(format!("{id} | {expr} | reaches an interpreter intrinsic"));
            continue;
        }
        tried += 1;
        let want = &case["expect"];
        let ok = match (want.get("value"), &got) {
            (Some(w), Ok(v)) if case["compare"] == "unordered" => match (v, w) {
                (Value::List(g) | Value::Tuple(g), serde_json::Value::Array(w)) => {
                    multiset_eq(g, w)
                }
                _ => matches(v, w),
            },
            (Some(w), Ok(v)) => matches(v, w),
            (None, Err(e)) => want["error"] == e.kind().python_name(),
            _ => false,
        };
        if ok {
            passed += 1;
        } else {
            let got = match &got {
                Ok(v) => format!("{v:?}"),
                Err(e) => format!("{e:?}"),
            };
            let want = want
                .get("value")
                .cloned()
                .unwrap_or_else(|| want["error"].clone());
            failures.push(format!(
                "{} | {expr} | got {got} | want {want}",
                case["id"].as_str().unwrap_or("?")
            ));
        }
    }
    let summary = format!(
        "tried {tried}, passed {passed}, skipped (needs the interpreter) {skipped}\n\
         failures:\n{}\nskipped:\n{}",
        failures.join("\n"),
        skips.join("\n")
    );
    eprintln!("{summary}");
    assert!(tried >= 500, "too few evaluable cases: {tried}");
    insta::assert_snapshot!("evaluable_cases", summary);
}

#[test]
fn matcher_is_strict() {
    use serde_json::json;
    let t = |xs: &[i64]| Value::tuple(xs.iter().map(|&i| Value::Int(i)).collect());
    assert!(matches(&Value::Int(1), &json!(1)));
    assert!(!matches(&Value::Int(1), &json!(1.0)));
    assert!(!matches(&Value::Float(1.0), &json!(1)));
    assert!(!matches(&Value::Bool(true), &json!(1)));
    assert!(!matches(&t(&[1, 2]), &json!([2, 1])));
    assert!(matches(
        &Value::list(vec![Value::Int(2), Value::Int(1)]),
        &json!({"$list_from_set": [1, 2]})
    ));
    assert!(!matches(&t(&[1]), &json!({"$list_from_set": [1, 2]})));
    assert!(!matches(
        &Value::list(vec![Value::Int(1)]),
        &json!({"$tuple": [1]})
    ));
    assert!(matches(&Value::TimeDelta(5), &json!({"$timespan": 5})));
    assert!(!matches(&Value::Int(5), &json!({"$timespan": 5})));
    assert!(!matches(
        &Value::str("a"),
        &json!({"$datetime": "2020-01-02T00:00:00+00:00"})
    ));
}

/// The Mistral host for `mistral_cases.jsonl`: only `env()` is answerable (the DB
/// functions are not exercised by the suite).
struct TestHost(Value);

impl gale_vm::mistral::MistralContext for TestHost {
    fn env(&self) -> Value {
        self.0.clone()
    }
    fn execution(&self) -> gale_vm::Result<Value> {
        Err(no_db())
    }
    fn executions(&self, _: &[(&str, Value)]) -> gale_vm::Result<Value> {
        Err(no_db())
    }
    fn task(&self, _: Option<&str>) -> gale_vm::Result<Value> {
        Err(no_db())
    }
    fn tasks(&self, _: Option<&str>, _: bool, _: Option<&str>, _: bool) -> gale_vm::Result<Value> {
        Err(no_db())
    }
    fn global(&self, _: &str) -> gale_vm::Result<Value> {
        Err(no_db())
    }
}

fn no_db() -> gale_vm::Error {
    gale_vm::Error::new(gale_vm::ErrorKind::MistralError, "no database in tests")
}

/// `mistral_cases.jsonl`, group `yaql_typed` (`<% E %>` as the whole string): the same
/// mini-evaluator with Mistral's configuration (standard functions, no delegates,
/// sets kept as sets), `$__env`/`$__execution`/`$__task_execution` bound from the
/// data context. An expected `YaqlEvaluationException` matches when its `cause` is
/// the class we raise.
#[test]
fn mistral_yaql_typed_cases() {
    let Some(root) = shared() else { return };
    let text = std::fs::read_to_string(root.join("conformance/yaql/mistral_cases.jsonl"))
        .expect("read mistral cases");
    let (mut tried, mut passed, mut skipped) = (0, 0, 0);
    let (mut failures, mut skips) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let case: serde_json::Value = serde_json::from_str(line).expect("json");
        if case["source"] != "mistral::yaql_typed" || case["mode"] != "evaluate" {
            continue;
        }
        let id = case["id"].as_str().unwrap_or("?");
        let full = case["expr"].as_str().unwrap_or("");
        let inner = full
            .trim_start_matches(['<', '%', '>'])
            .trim_end_matches(['<', '%', '>'])
            .trim();
        let mut cx = Ctx::default();
        let Some(data) = decode(&case["context"], true) else {
            skipped += 1;
            skips.push(format!("{id} | {full} | undecodable context"));
            continue;
        };
        let mut vars = HashMap::new();
        let field = |k: &str| match &data {
            Value::Dict(d) => d.get_str(k).cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        };
        for k in ["__env", "__execution", "__task_execution"] {
            vars.insert(k.to_string(), field(k));
        }
        cx.mistral = Some(Rc::new(TestHost(field("__env"))));
        vars.insert("1".to_string(), data);
        let env = Rc::new(Scope { vars, parent: None });
        let Some(ast) = parse(inner, false) else {
            skipped += 1;
            skips.push(format!(
                "{id} | {full} | syntax or intrinsic not in the mini-evaluator"
            ));
            continue;
        };
        let got = eval(&mut cx, &env, &ast).and_then(|v| convert::output(&mut cx, &v));
        if let Err(e) = &got
            && e.message().contains("implemented by the interpreter")
        {
            skipped += 1;
            skips.push(format!("{id} | {full} | reaches an interpreter intrinsic"));
            continue;
        }
        tried += 1;
        let want = &case["expect"];
        let ok = match (want.get("value"), &got) {
            (Some(w), Ok(v)) => matches(v, w),
            (None, Err(e)) => want["cause"] == e.kind().python_name(),
            _ => false,
        };
        if ok {
            passed += 1;
        } else {
            let got = match &got {
                Ok(v) => format!("{v:?}"),
                Err(e) => format!("{e:?}"),
            };
            let want = want
                .get("value")
                .cloned()
                .unwrap_or_else(|| want["cause"].clone());
            failures.push(format!("{id} | {full} | got {got} | want {want}"));
        }
    }
    let summary = format!(
        "tried {tried}, passed {passed}, skipped {skipped}\nfailures:\n{}\nskipped:\n{}",
        failures.join("\n"),
        skips.join("\n")
    );
    eprintln!("{summary}");
    assert!(tried >= 250, "too few evaluable cases: {tried}");
    insta::assert_snapshot!("mistral_yaql_typed_cases", summary);
}
