//! Builtin signatures and yaql's overload resolution.
//!
//! [`SIGNATURES`](crate::signatures::SIGNATURES) is the single source of truth: one line
//! per overload in a small text syntax, parsed once into [`Overload`]s. The checker
//! reads the same table (names, function/method form, parameter kinds, types, defaults,
//! docs) that the runtime dispatches on; a unit test fails when an entry lacks an
//! implementation or an implementation lacks an entry.
//!
//! Syntax of one entry: `form name(param, ...)` where `form` is `f` (function), `m`
//! (method: the receiver is the first parameter) or `fm` (extension method: both),
//! optionally followed by `!` (yaql's `exclusive`: the overload hides same-named
//! overloads of outer layers — used by the legacy layer), and a parameter is
//! `[*|**]name: type[?] [= default]`. Types: `any int integer num str bool iter
//! iterator ordered seq tuple dict set dt ts regex lam lampair pair word`; `?` accepts null;
//! defaults are `null`, ints, `true`/`false`, `'text'`, or `_` (optional with no value:
//! "absent" is distinct from null, like yaql's `NO_VALUE`).
//!
//! Function sets: every overload belongs to a [`Layer`] derived from its id (`legacy.*`
//! and `intrinsic.legacy.*` → [`Layer::Legacy`], `intrinsic.delegate_*` →
//! [`Layer::Delegates`], everything else [`Layer::Std`]). The [`FunctionSet`] in
//! [`Ctx::functions`] says which layers are visible, mirroring the contexts yaql builds:
//! `create_context()`, `create_context(delegates=True)`, `yaql.legacy.create_context()`.
//! The legacy layer is yaql's child context over the standard one: its overloads come
//! first in the table (so they win when they fit, like the nearer context level), its
//! exclusive entries hide the standard overloads of the same name, and the names in
//! [`crate::signatures::LEGACY_EXTENSION_METHODS`] become callable both as functions
//! and as methods (yaql's `to_extension_method`).
//!
//! Resolution (yaql.md §4.2): overloads of the name and call form are filtered by arity
//! and keyword names; arguments bound to non-lazy parameters are evaluated once, left to
//! right; then yaql's ranking picks among the overloads whose parameter types accept the
//! values: the nearest context level wins, and within it the strictly most specific
//! overload (Python subclass order of the parameter types: `bool` < `int` < `object`,
//! `tuple`/`str` < `Sequence` < `Iterable`, `Mapping`/`Set` < `Iterable`); two fitting
//! overloads where neither is more specific → `Ambiguous…`. (Table order lists specific
//! overloads first, but only the ranking decides.) No overload of that name →
//! `NoFunctionRegistered`/`NoMethodRegistered`; none fits → `NoMatching…`.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;

pub use crate::ctx::FunctionSet;
use crate::ctx::{ConstCallable, Ctx, Lambda};
use crate::error::{Error, ErrorKind, Result};
use crate::value::Value;

/// How a builtin may be called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `name(args)` only.
    Function,
    /// `recv.name(args)` only.
    Method,
    /// Both ("extension method").
    Extension,
}

/// The context layer an overload is registered in (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    /// The standard library (`yaql.create_context()`), plus Mistral's functions.
    Std,
    /// `lambda` and `#call`: only with `create_context(delegates=True)`.
    Delegates,
    /// yaql's legacy layer (`yaql.legacy.create_context()`), nearer than the standard one.
    Legacy,
}

impl Layer {
    /// The layer of a table id.
    pub fn of_id(id: &str) -> Layer {
        if id.starts_with("legacy.") || id.starts_with("intrinsic.legacy.") {
            Layer::Legacy
        } else if id.starts_with("intrinsic.delegate_") {
            Layer::Delegates
        } else {
            Layer::Std
        }
    }
}

/// A parameter type (yaql.md §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// Any value.
    Any,
    /// `int` (bools accepted, as Python `int` parameters do).
    Int,
    /// `int`, bools rejected.
    Integer,
    /// `int` or `float`, bools rejected.
    Num,
    /// `str`.
    Str,
    /// `bool`.
    Bool,
    /// Iterable, not a string or dict.
    Iterable,
    /// A lazy iterator (Python `Iterator`: not an `orderBy` result).
    Iterator,
    /// An `orderBy` result (yaql's `OrderingIterable`), for `thenBy`.
    Ordered,
    /// tuple or list.
    Seq,
    /// dict.
    Dict,
    /// set/frozenset.
    Set,
    /// datetime.
    DateTime,
    /// timedelta.
    TimeSpan,
    /// compiled regex.
    Regex,
    /// Lazy: the argument arrives unevaluated as a [`Lambda`].
    Lambda,
    /// An `a => b` pair (lazy on both sides).
    Pair,
    /// Lazy like [`Ty::Lambda`], but a `=>` argument arrives as a pair (yaql
    /// `no_kwargs` functions with lambda parameters: the legacy `switch` and `as`).
    LambdaPair,
    /// A Python `tuple` exactly (not a list).
    Tuple,
    /// A bare word constant (strings at runtime).
    Word,
}

/// A parameter's default.
#[derive(Clone, Debug, PartialEq)]
pub enum Default {
    /// Required.
    Required,
    /// Optional with no value ("absent", yaql's `NO_VALUE`).
    Absent,
    /// Optional with this value.
    Value(DefaultValue),
}

/// A default value that can be stored statically.
#[derive(Clone, Debug, PartialEq)]
pub enum DefaultValue {
    /// null.
    Null,
    /// A bool.
    Bool(bool),
    /// An int.
    Int(i64),
    /// A string.
    Str(String),
}

impl DefaultValue {
    fn to_value(&self) -> Value {
        match self {
            DefaultValue::Null => Value::Null,
            DefaultValue::Bool(b) => Value::Bool(*b),
            DefaultValue::Int(i) => Value::Int(*i),
            DefaultValue::Str(s) => Value::str(s.as_str()),
        }
    }
}

/// Parameter kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A single parameter (positional or by keyword).
    Single,
    /// `*args`.
    VarArgs,
    /// `**kwargs`.
    VarKw,
}

/// One parameter of an overload.
#[derive(Clone, Debug)]
pub struct Param {
    /// camelCase name (the keyword name).
    pub name: String,
    /// Type.
    pub ty: Ty,
    /// Accepts null.
    pub nullable: bool,
    /// Default.
    pub default: Default,
    /// Kind.
    pub kind: ParamKind,
}

/// One overload as parsed from the table.
#[derive(Debug)]
pub struct Overload {
    /// Stable implementation id (`module.function`).
    pub id: &'static str,
    /// The YAQL name.
    pub name: String,
    /// Call form.
    pub form: Form,
    /// yaql `exclusive`: hides same-named overloads of outer layers.
    pub exclusive: bool,
    /// The context layer (function set) the overload belongs to.
    pub layer: Layer,
    /// Parameters (for methods, the receiver first).
    pub params: Vec<Param>,
    /// One-line documentation.
    pub doc: &'static str,
    /// `=>` items are passed as pairs, never keywords (yaql `no_kwargs`). An
    /// interpreter passes `=>` arguments as [`Arg::Pair`] when any overload of the name
    /// visible in the current [`FunctionSet`] has this flag.
    pub pairs: bool,
    /// Implemented by the interpreter (contexts, `->`, `let`...), not by this crate.
    pub intrinsic: bool,
    /// The implementation, when not intrinsic.
    pub imp: Option<BuiltinFn>,
}

/// An `a => b` argument: both sides unevaluated.
#[derive(Clone)]
pub struct PairArg {
    /// The left side (for a word, a constant callable returning the word).
    pub key: Lambda,
    /// The right side.
    pub value: Lambda,
}

/// An argument as the interpreter passes it.
#[derive(Clone)]
pub enum Arg {
    /// An evaluated value.
    Value(Value),
    /// An unevaluated expression; forced by the runtime when the parameter is not lazy.
    Lazy(Lambda),
    /// A skipped positional argument (`f(1,,3)`).
    Skipped,
    /// `a => b` (for functions that take pairs).
    Pair(Rc<PairArg>),
}

/// A bound argument slot handed to an implementation.
#[derive(Clone)]
pub enum Slot {
    /// A value.
    Value(Value),
    /// A lazy parameter's callable.
    Lambda(Lambda),
    /// A pair.
    Pair(Rc<PairArg>),
    /// Not given and no default.
    Absent,
    /// `*args` values.
    Many(Vec<Slot>),
    /// `**kwargs`.
    Kw(Vec<(String, Value)>),
}

/// Arguments bound to one overload's parameters, in parameter order.
pub struct Args {
    /// One slot per parameter.
    pub slots: Vec<Slot>,
    /// The name called (for messages).
    pub name: &'static str,
    /// A null to lend out for absent slots.
    pub null: Value,
}

impl Args {
    /// Arguments that are all plain values (host helpers calling library functions).
    pub fn from_values(values: Vec<Value>) -> Args {
        Args {
            slots: values.into_iter().map(Slot::Value).collect(),
            name: "function",
            null: Value::Null,
        }
    }
    /// The value of parameter `i` (null when absent or not a value).
    pub fn v(&self, i: usize) -> &Value {
        match self.slots.get(i) {
            Some(Slot::Value(v)) => v,
            _ => &self.null,
        }
    }
    /// The value of parameter `i`, `None` when absent.
    pub fn opt(&self, i: usize) -> Option<&Value> {
        match self.slots.get(i) {
            Some(Slot::Value(v)) => Some(v),
            _ => None,
        }
    }
    /// The i64 of int parameter `i` (bools as 0/1). Big ints overflow → OverflowError.
    pub fn int(&self, i: usize) -> Result<i64> {
        match self.v(i) {
            Value::Int(x) => Ok(*x),
            Value::Bool(b) => Ok(*b as i64),
            Value::BigInt(_) => Err(Error::new(
                ErrorKind::OverflowError,
                "Python int too large to convert to C ssize_t",
            )),
            _ => Err(Error::no_matching(self.name, false)),
        }
    }
    /// The string of str parameter `i`.
    pub fn str(&self, i: usize) -> &str {
        self.v(i).as_str().unwrap_or("")
    }
    /// The lambda of lazy parameter `i`.
    pub fn lam(&self, i: usize) -> Option<&Lambda> {
        match self.slots.get(i) {
            Some(Slot::Lambda(l)) => Some(l),
            _ => None,
        }
    }
    /// The `*args` of parameter `i` as values.
    pub fn many(&self, i: usize) -> Vec<Value> {
        match self.slots.get(i) {
            Some(Slot::Many(items)) => items
                .iter()
                .filter_map(|s| match s {
                    Slot::Value(v) => Some(v.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
    /// The `*args` of parameter `i` as lambdas.
    pub fn many_lam(&self, i: usize) -> Vec<Lambda> {
        match self.slots.get(i) {
            Some(Slot::Many(items)) => items
                .iter()
                .filter_map(|s| match s {
                    Slot::Lambda(l) => Some(l.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
    /// The `*args` of parameter `i` as pairs.
    pub fn many_pairs(&self, i: usize) -> Vec<Rc<PairArg>> {
        match self.slots.get(i) {
            Some(Slot::Many(items)) => items
                .iter()
                .filter_map(|s| match s {
                    Slot::Pair(p) => Some(p.clone()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
    /// The `**kwargs` of parameter `i`.
    pub fn kw(&self, i: usize) -> &[(String, Value)] {
        match self.slots.get(i) {
            Some(Slot::Kw(k)) => k,
            _ => &[],
        }
    }
}

/// The implementation of an overload.
pub type BuiltinFn = fn(&mut Ctx, &Args) -> Result<Value>;

fn parse_ty(t: &str) -> Option<Ty> {
    Some(match t {
        "any" => Ty::Any,
        "int" => Ty::Int,
        "integer" => Ty::Integer,
        "num" => Ty::Num,
        "str" => Ty::Str,
        "bool" => Ty::Bool,
        "iter" => Ty::Iterable,
        "iterator" => Ty::Iterator,
        "ordered" => Ty::Ordered,
        "seq" => Ty::Seq,
        "dict" => Ty::Dict,
        "set" => Ty::Set,
        "dt" => Ty::DateTime,
        "ts" => Ty::TimeSpan,
        "regex" => Ty::Regex,
        "lam" => Ty::Lambda,
        "lampair" => Ty::LambdaPair,
        "tuple" => Ty::Tuple,
        "pair" => Ty::Pair,
        "word" => Ty::Word,
        _ => return None,
    })
}

fn parse_default(d: &str) -> Option<Default> {
    let d = d.trim();
    Some(match d {
        "_" => Default::Absent,
        "null" => Default::Value(DefaultValue::Null),
        "true" => Default::Value(DefaultValue::Bool(true)),
        "false" => Default::Value(DefaultValue::Bool(false)),
        _ if d.starts_with('\'') && d.ends_with('\'') && d.len() >= 2 => {
            Default::Value(DefaultValue::Str(d[1..d.len() - 1].to_string()))
        }
        _ => Default::Value(DefaultValue::Int(d.parse().ok()?)),
    })
}

/// Parses one signature line (`form name(params)`); `None` when malformed.
pub fn parse_signature(text: &str) -> Option<(Form, String, Vec<Param>)> {
    parse_entry(text).map(|(f, _, n, p)| (f, n, p))
}

/// Parses one signature line into (form, exclusive, name, params).
fn parse_entry(text: &str) -> Option<(Form, bool, String, Vec<Param>)> {
    let (form, rest) = text.trim().split_once(' ')?;
    let (form, exclusive) = match form.strip_suffix('!') {
        Some(f) => (f, true),
        None => (form, false),
    };
    let form = match form {
        "f" => Form::Function,
        "m" => Form::Method,
        "fm" => Form::Extension,
        _ => return None,
    };
    let open = rest.find('(')?;
    let name = rest[..open].trim().to_string();
    let inner = rest[open + 1..].strip_suffix(')')?;
    let mut params = Vec::new();
    for p in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (decl, default) = match p.split_once('=') {
            Some((a, b)) => (a.trim(), parse_default(b)?),
            None => (p, Default::Required),
        };
        let (pname, ty) = decl.split_once(':').unwrap_or((decl, "any"));
        let pname = pname.trim();
        let (kind, pname) = if let Some(n) = pname.strip_prefix("**") {
            (ParamKind::VarKw, n)
        } else if let Some(n) = pname.strip_prefix('*') {
            (ParamKind::VarArgs, n)
        } else {
            (ParamKind::Single, pname)
        };
        let ty = ty.trim();
        let (ty, nullable) = match ty.strip_suffix('?') {
            Some(t) => (t, true),
            None => (ty, ty == "any"),
        };
        params.push(Param {
            name: pname.to_string(),
            ty: parse_ty(ty)?,
            nullable,
            default,
            kind,
        });
    }
    Some((form, exclusive, name, params))
}

/// The parsed table, grouped by name.
pub struct Registry {
    /// All overloads in table order.
    pub overloads: Vec<Overload>,
    by_name: HashMap<String, Vec<usize>>,
}

impl Registry {
    /// Overload indices for `name` (trailing `_` ignored).
    pub fn group(&self, name: &str) -> Option<&[usize]> {
        let name = name.trim_end_matches('_');
        self.by_name.get(name).map(|v| v.as_slice())
    }
}

/// The registry built from [`crate::signatures::SIGNATURES`] (parsed once).
pub fn registry() -> &'static Registry {
    static REG: OnceLock<Registry> = OnceLock::new();
    REG.get_or_init(|| {
        let mut overloads = Vec::new();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for e in crate::signatures::SIGNATURES {
            let Some((form, exclusive, name, params)) = parse_entry(e.sig) else {
                continue; // a unit test asserts every entry parses
            };
            let intrinsic = e.id.starts_with("intrinsic.");
            by_name
                .entry(name.clone())
                .or_default()
                .push(overloads.len());
            overloads.push(Overload {
                id: e.id,
                name,
                form,
                exclusive,
                layer: Layer::of_id(e.id),
                params,
                doc: e.doc,
                pairs: e.sig.contains(": pair") || e.sig.contains(": lampair"),
                intrinsic,
                imp: crate::builtins::implementation(e.id),
            });
        }
        Registry { overloads, by_name }
    })
}

fn type_ok(cx: &Ctx, p: &Param, v: &Value) -> bool {
    if let Value::Null = v {
        return p.nullable || p.ty == Ty::Any;
    }
    match p.ty {
        Ty::Any | Ty::Lambda | Ty::Pair | Ty::LambdaPair => true,
        Ty::Tuple => matches!(v, Value::Tuple(_)),
        Ty::Int => matches!(v, Value::Int(_) | Value::BigInt(_) | Value::Bool(_)),
        Ty::Integer => v.is_integer(),
        Ty::Num => v.is_number(),
        Ty::Str | Ty::Word => matches!(v, Value::Str(_)),
        Ty::Bool => matches!(v, Value::Bool(_)),
        Ty::Iterable => {
            v.is_iterable() || (cx.options.iterable_dicts && matches!(v, Value::Dict(_)))
        }
        Ty::Iterator => matches!(v, Value::Iter(it) if !it.is_ordered()),
        Ty::Ordered => matches!(v, Value::Iter(it) if it.is_ordered()),
        Ty::Seq => matches!(v, Value::Tuple(_) | Value::List(_)),
        Ty::Dict => matches!(v, Value::Dict(_)),
        Ty::Set => matches!(v, Value::Set(_)),
        Ty::DateTime => matches!(v, Value::DateTime(_)),
        Ty::TimeSpan => matches!(v, Value::TimeDelta(_)),
        Ty::Regex => matches!(v, Value::Regex(_)),
    }
}

fn camel(name: &str) -> String {
    name.to_string()
}

/// Where each argument goes for one overload: `binding[param] = arg indices`.
enum Bind {
    One(usize),
    Kw(usize),
    Many(Vec<usize>),
    KwMany(Vec<usize>),
    Default,
}

fn bind(o: &Overload, npos: usize, kw: &[(String, Arg)], positional: &[Arg]) -> Option<Vec<Bind>> {
    let mut out = Vec::with_capacity(o.params.len());
    let mut next = 0usize;
    let mut used_kw = vec![false; kw.len()];
    for p in &o.params {
        match p.kind {
            ParamKind::Single => {
                if next < npos && !matches!(positional[next], Arg::Skipped) {
                    out.push(Bind::One(next));
                    next += 1;
                } else {
                    let skipped = next < npos;
                    if skipped {
                        next += 1;
                    }
                    if let Some(k) = kw.iter().position(|(n, _)| *n == camel(&p.name)) {
                        if skipped {
                            return None;
                        }
                        used_kw[k] = true;
                        out.push(Bind::Kw(k));
                    } else if p.default != Default::Required {
                        out.push(Bind::Default);
                    } else {
                        return None;
                    }
                }
            }
            ParamKind::VarArgs => {
                let idx: Vec<usize> = (next..npos).collect();
                if idx.iter().any(|&i| matches!(positional[i], Arg::Skipped)) {
                    return None;
                }
                next = npos;
                out.push(Bind::Many(idx));
            }
            ParamKind::VarKw => {
                let idx: Vec<usize> = (0..kw.len()).filter(|&i| !used_kw[i]).collect();
                for &i in &idx {
                    used_kw[i] = true;
                }
                out.push(Bind::KwMany(idx));
            }
        }
    }
    if next < npos || used_kw.iter().any(|u| !u) {
        return None;
    }
    Some(out)
}

fn force(cx: &mut Ctx, a: &mut Arg) -> Result<Value> {
    match a {
        Arg::Value(v) => Ok(v.clone()),
        Arg::Lazy(l) => {
            let v = l.call(cx, &[])?;
            *a = Arg::Value(v.clone());
            Ok(v)
        }
        Arg::Skipped => Ok(Value::Null),
        Arg::Pair(_) => Err(Error::new(
            ErrorKind::MappingTranslation,
            "keyword argument where a value was expected",
        )),
    }
}

fn as_lambda(a: &Arg) -> Lambda {
    match a {
        Arg::Lazy(l) => l.clone(),
        Arg::Value(v) => Rc::new(ConstCallable(v.clone())),
        _ => Rc::new(ConstCallable(Value::Null)),
    }
}

/// Calls builtin `name`. `method` selects the call form (`recv.name(...)`: the
/// receiver is `positional[0]`). Arguments may be passed evaluated ([`Arg::Value`]) or
/// not ([`Arg::Lazy`]); lazies bound to non-lazy parameters are forced once, left to
/// right, before type checking, which gives yaql's evaluation order. Keyword arguments
/// are `(camelCaseName, arg)`.
pub fn call(
    cx: &mut Ctx,
    name: &str,
    method: bool,
    mut positional: Vec<Arg>,
    mut keywords: Vec<(String, Arg)>,
) -> Result<Value> {
    let reg = registry();
    let Some(group) = reg.group(name) else {
        return Err(Error::not_registered(name, method));
    };
    let set = cx.functions;
    let extension = set == FunctionSet::Legacy
        && crate::signatures::LEGACY_EXTENSION_METHODS.contains(&name.trim_end_matches('_'));
    let form_ok = |o: &Overload| {
        extension
            || match o.form {
                Form::Function => !method,
                Form::Method => method,
                Form::Extension => true,
            }
    };
    // The innermost visible layer with an exclusive overload hides the outer layers.
    let floor = group
        .iter()
        .map(|&oi| &reg.overloads[oi])
        .filter(|o| o.exclusive && set.includes(o.layer))
        .map(|o| o.layer)
        .max()
        .unwrap_or(Layer::Std);
    let mut any_form = false;
    let mut fitting: Vec<(usize, Vec<Bind>)> = Vec::new();
    for &oi in group {
        let o = &reg.overloads[oi];
        if !set.includes(o.layer) || o.layer < floor || !form_ok(o) {
            continue;
        }
        any_form = true;
        if let Some(b) = bind(o, positional.len(), &keywords, &positional) {
            fitting.push((oi, b));
        }
    }
    if !any_form {
        return Err(Error::not_registered(name, method));
    }
    if fitting.is_empty() {
        return Err(Error::no_matching(name, method));
    }
    // Which arguments are lazy: decided by the first fitting overload (yaql requires
    // all fitting overloads to agree).
    let (first, first_bind) = &fitting[0];
    let first_o = &reg.overloads[*first];
    let mut lazy_pos = vec![false; positional.len()];
    let mut lazy_kw = vec![false; keywords.len()];
    for (p, b) in first_o.params.iter().zip(first_bind.iter()) {
        // Pair parameters are not lazy for non-pair arguments: yaql evaluates the
        // argument and type-checks it (a `MappingRule` is an evaluated object).
        let lazy = matches!(p.ty, Ty::Lambda | Ty::LambdaPair);
        match b {
            Bind::One(i) => lazy_pos[*i] = lazy,
            Bind::Kw(k) => lazy_kw[*k] = lazy,
            Bind::Many(ix) => ix.iter().for_each(|i| lazy_pos[*i] = lazy),
            Bind::KwMany(ix) => ix.iter().for_each(|k| lazy_kw[*k] = lazy),
            Bind::Default => {}
        }
    }
    for (i, a) in positional.iter_mut().enumerate() {
        if !lazy_pos[i] && matches!(a, Arg::Lazy(_)) {
            force(cx, a)?;
        }
    }
    for (k, (_, a)) in keywords.iter_mut().enumerate() {
        if !lazy_kw[k] && matches!(a, Arg::Lazy(_)) {
            force(cx, a)?;
        }
    }
    // yaql's choice among fitting overloads (runner.choose_overload): the nearest
    // level wins; within it, a later fitting overload replaces the winner when it is
    // strictly more specific, is skipped when less specific, and is ambiguous otherwise.
    let mut winner: Option<(usize, &Vec<Bind>, Vec<Slot>)> = None;
    'overloads: for (oi, binding) in &fitting {
        let o = &reg.overloads[*oi];
        let mut slots = Vec::with_capacity(o.params.len());
        for (p, b) in o.params.iter().zip(binding.iter()) {
            let slot_of = |a: &Arg| -> Option<Slot> {
                match p.ty {
                    Ty::Lambda => Some(Slot::Lambda(as_lambda(a))),
                    Ty::LambdaPair => Some(match a {
                        Arg::Pair(pr) => Slot::Pair(pr.clone()),
                        _ => Slot::Lambda(as_lambda(a)),
                    }),
                    Ty::Pair => match a {
                        Arg::Pair(pr) => Some(Slot::Pair(pr.clone())),
                        _ => None,
                    },
                    _ => match a {
                        Arg::Value(v) if type_ok(cx, p, v) => Some(Slot::Value(v.clone())),
                        _ => None,
                    },
                }
            };
            let slot = match b {
                Bind::One(i) => slot_of(&positional[*i]),
                Bind::Kw(k) => slot_of(&keywords[*k].1),
                Bind::Many(ix) => ix
                    .iter()
                    .map(|i| slot_of(&positional[*i]))
                    .collect::<Option<Vec<_>>>()
                    .map(Slot::Many),
                Bind::KwMany(ix) => Some(Slot::Kw(
                    ix.iter()
                        .map(|k| {
                            let (n, a) = &keywords[*k];
                            let v = match a {
                                Arg::Value(v) => v.clone(),
                                _ => Value::Null,
                            };
                            (n.clone(), v)
                        })
                        .collect(),
                )),
                Bind::Default => Some(match &p.default {
                    Default::Value(d) => Slot::Value(d.to_value()),
                    _ => Slot::Absent,
                }),
            };
            match slot {
                Some(s) => slots.push(s),
                None => continue 'overloads,
            }
        }
        match &winner {
            None => winner = Some((*oi, binding, slots)),
            Some((wi, wb, _)) => {
                let w = &reg.overloads[*wi];
                if level(w.layer) != level(o.layer) {
                    break; // an outer context level: the nearer one already won
                }
                let (wa, ca) = (
                    arg_classes(w, wb, &keywords),
                    arg_classes(o, binding, &keywords),
                );
                if is_specialization_of(&wa, &ca) {
                    continue;
                }
                if !is_specialization_of(&ca, &wa) {
                    return Err(ambiguous(name, method));
                }
                winner = Some((*oi, binding, slots));
            }
        }
    }
    let Some((oi, _, slots)) = winner else {
        return Err(Error::no_matching(name, method));
    };
    let o = &reg.overloads[oi];
    let Some(imp) = o.imp else {
        return Err(Error::new(
            ErrorKind::NoFunctionRegistered,
            format!("\"{name}\" is implemented by the interpreter"),
        ));
    };
    cx.tick()?;
    let args = Args {
        slots,
        name: leak_name(o),
        null: Value::Null,
    };
    imp(cx, &args)
}

/// The context level of a layer (delegates live in the standard level).
fn level(l: Layer) -> u8 {
    match l {
        Layer::Legacy => 1,
        Layer::Std | Layer::Delegates => 0,
    }
}

fn ambiguous(name: &str, method: bool) -> Error {
    if method {
        Error::new(
            ErrorKind::AmbiguousMethod,
            format!("Ambiguous method \"{name}\""),
        )
    } else {
        Error::new(
            ErrorKind::AmbiguousFunction,
            format!("Ambiguous function \"{name}\""),
        )
    }
}

/// The Python class behind a parameter type, for yaql's specificity ranking
/// (`PythonType.is_specialization_of`); `None` for smart types (lambdas, pairs,
/// words) and tuple-of-classes types (`num`), which are never more specific.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum PyClass {
    Object,
    Bool,
    Int,
    Str,
    Iterable,
    Sequence,
    Tuple,
    Mapping,
    SetT,
    Ordering,
    DateTime,
    TimeDelta,
    Pattern,
}

fn py_class(p: &Param) -> Option<PyClass> {
    Some(match p.ty {
        // An untyped parameter is PythonType(type(default)) or PythonType(object).
        Ty::Any => match &p.default {
            Default::Value(DefaultValue::Bool(_)) => PyClass::Bool,
            Default::Value(DefaultValue::Int(_)) => PyClass::Int,
            Default::Value(DefaultValue::Str(_)) => PyClass::Str,
            _ => PyClass::Object,
        },
        Ty::Int | Ty::Integer => PyClass::Int,
        Ty::Bool => PyClass::Bool,
        Ty::Str => PyClass::Str,
        Ty::Iterable | Ty::Iterator => PyClass::Iterable,
        Ty::Seq => PyClass::Sequence,
        Ty::Tuple => PyClass::Tuple,
        Ty::Dict => PyClass::Mapping,
        Ty::Set => PyClass::SetT,
        Ty::Ordered => PyClass::Ordering,
        Ty::DateTime => PyClass::DateTime,
        Ty::TimeSpan => PyClass::TimeDelta,
        Ty::Regex => PyClass::Pattern,
        Ty::Num | Ty::Lambda | Ty::Pair | Ty::LambdaPair | Ty::Word => return None,
    })
}

/// `issubclass(a, b) and not issubclass(b, a)` for the classes above.
fn strict_subclass(a: PyClass, b: PyClass) -> bool {
    use PyClass::*;
    a != b
        && match b {
            Object => true,
            Int => a == Bool,
            Iterable => matches!(a, Sequence | Tuple | Str | Mapping | SetT | Ordering),
            Sequence => matches!(a, Tuple | Str),
            _ => false,
        }
}

/// Per-argument classes of an overload's mapping: positional arguments in order, then
/// keyword arguments by name.
type ArgClasses = (Vec<Option<PyClass>>, Vec<(String, Option<PyClass>)>);

fn arg_classes(o: &Overload, binding: &[Bind], keywords: &[(String, Arg)]) -> ArgClasses {
    let mut pos: Vec<(usize, Option<PyClass>)> = Vec::new();
    let mut kw = Vec::new();
    for (p, b) in o.params.iter().zip(binding) {
        let c = py_class(p);
        match b {
            Bind::One(i) => pos.push((*i, c)),
            Bind::Many(ix) => pos.extend(ix.iter().map(|i| (*i, c))),
            Bind::Kw(k) => kw.push((keywords[*k].0.clone(), c)),
            Bind::KwMany(ix) => kw.extend(ix.iter().map(|k| (keywords[*k].0.clone(), c))),
            Bind::Default => {}
        }
    }
    pos.sort_by_key(|(i, _)| *i);
    (pos.into_iter().map(|(_, c)| c).collect(), kw)
}

/// runner._is_specialization_of(m1, m2): no argument of m2 is more specific than m1's,
/// and at least one of m1's is more specific than m2's.
fn is_specialization_of(m1: &ArgClasses, m2: &ArgClasses) -> bool {
    let spec = |a: Option<PyClass>, b: Option<PyClass>| match (a, b) {
        (Some(a), Some(b)) => strict_subclass(a, b),
        _ => false,
    };
    let mut res = false;
    for (a1, a2) in m1.0.iter().zip(&m2.0) {
        if spec(*a2, *a1) {
            return false;
        }
        if spec(*a1, *a2) {
            res = true;
        }
    }
    for (k, a1) in &m1.1 {
        let a2 = m2.1.iter().find(|(n, _)| n == k).and_then(|(_, c)| *c);
        if spec(a2, *a1) {
            return false;
        }
        if spec(*a1, a2) {
            res = true;
        }
    }
    res
}

fn leak_name(o: &Overload) -> &'static str {
    // The registry is 'static, so its names are too.
    let reg = registry();
    reg.by_name
        .get_key_value(o.name.as_str())
        .map(|(k, _)| k.as_str())
        .unwrap_or("?")
}

/// Convenience: calls a function with evaluated positional arguments.
pub fn call_values(cx: &mut Ctx, name: &str, method: bool, args: &[Value]) -> Result<Value> {
    call(
        cx,
        name,
        method,
        args.iter().cloned().map(Arg::Value).collect(),
        Vec::new(),
    )
}

#[cfg(test)]
mod tests {
    //! yaql's overload ranking; expectations checked with yaql 3.2.0
    //! (`yaql.legacy.create_context()` with data `{'a': 1}` for the legacy ones).
    use super::*;

    fn dict_a1() -> Value {
        let mut d = crate::value::Dict::new();
        d.insert(Value::str("a"), Value::Int(1)).unwrap();
        Value::dict(d)
    }
    fn legacy() -> Ctx {
        let mut cx = Ctx::default();
        cx.functions = FunctionSet::Legacy;
        cx.options.iterable_dicts = true;
        cx
    }

    #[test]
    fn most_specific_overload_wins() {
        // [1, 2].insert(0, 9): Sequence beats Iterable → a Python list.
        let mut cx = Ctx::default();
        let t = Value::tuple(vec![Value::Int(1), Value::Int(2)]);
        let r = call_values(&mut cx, "insert", true, &[t, Value::Int(0), Value::Int(9)]).unwrap();
        assert!(matches!(r, Value::List(_)));
        // $ + $ with iterable dicts: Mapping beats Iterable → {'a': 1}.
        let mut cx = legacy();
        let r = call_values(&mut cx, "#operator_+", false, &[dict_a1(), dict_a1()]).unwrap();
        assert!(matches!(r, Value::Dict(_)));
        // $.delete(a) → {} (only the dict overload fits).
        let r = call_values(&mut cx, "delete", true, &[dict_a1(), Value::str("a")]).unwrap();
        assert!(matches!(&r, Value::Dict(d) if d.is_empty()));
    }

    #[test]
    fn incomparable_overloads_are_ambiguous() {
        // $.delete(0) with iterable dicts: (Mapping, object) vs (Iterable, int) →
        // AmbiguousMethodException.
        let mut cx = legacy();
        let e = call_values(&mut cx, "delete", true, &[dict_a1(), Value::Int(0)]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AmbiguousMethod);
    }

    #[test]
    fn specialization_relation() {
        use PyClass::*;
        assert!(strict_subclass(Bool, Int));
        assert!(strict_subclass(Tuple, Iterable));
        assert!(strict_subclass(Str, Sequence));
        assert!(!strict_subclass(Iterable, Iterable));
        assert!(!strict_subclass(Mapping, Sequence));
        let m1: ArgClasses = (vec![Some(Sequence), Some(Int)], vec![]);
        let m2: ArgClasses = (vec![Some(Iterable), Some(Int)], vec![]);
        assert!(is_specialization_of(&m1, &m2));
        assert!(!is_specialization_of(&m2, &m1));
        let m3: ArgClasses = (vec![Some(Mapping), Some(Object)], vec![]);
        let m4: ArgClasses = (vec![Some(Iterable), Some(Int)], vec![]);
        assert!(!is_specialization_of(&m3, &m4) && !is_specialization_of(&m4, &m3));
    }
}
