//! Jinja2 3.1.6 runtime semantics as Mistral 23 configures them
//! (`SandboxedEnvironment(undefined=StrictUndefined, trim_blocks=True,
//! lstrip_blocks=True)`), on gale's [`Value`].
//!
//! * The object model ([`getattr`], [`getitem`], [`slice`], [`call`]): the sandbox's
//!   attribute-then-item (`a.b`) and item-then-attribute (`a['b']`) lookups, Python
//!   methods of `str`/`list`/`dict` as bound methods ([`methods`]), unsafe (`_`-prefixed
//!   Python) attributes as `SecurityError` undefineds.
//! * `StrictUndefined` is a value ([`undefined`]); every *use* of it raises its error
//!   ([`check`]), while `is defined`, `default`, … inspect it.
//! * Python operators ([`binary`], [`compare`], [`contains`], [`unary`]), truthiness
//!   ([`truthy`]), iteration ([`iterate`]) and `str()` ([`to_str`]).
//! * The builtin filters and tests live in [`filters`] and [`tests`], each behind one
//!   table of Python-style parameter lists (a table parallel to [`crate::signatures`]:
//!   Jinja binds arguments like Python, not like yaql) bound by [`bind`].
//! * The template globals (`range`, `dict`, `namespace`, `cycler`, `joiner`, `lipsum`)
//!   and Mistral's functions ([`globals`]).
//! * What compiled templates run on: variable scopes ([`scope`]) and the operations of
//!   `gale_bytecode`'s `JinjaCall` ([`ops`]); statements and loops are executed by
//!   `crate::interp`.
//!
//! Not modelled: in-place mutation of lists and dicts (`append`, `update` return
//! `None` like Python, but values are immutable here, so the change is not seen).

pub mod filters;
pub mod globals;
pub mod methods;
pub mod ops;
pub mod scope;
pub mod tests;
pub mod text;

use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;

use crate::ctx::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::iter::{Cursor, PyIter};
use crate::value::{Dict, Native, NativeBox, Value};

/// A function callable from a template: globals, macros, Mistral's functions.
pub trait JinjaFn {
    /// Calls with positional and keyword arguments.
    fn call(&self, cx: &mut Ctx, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> Result<Value>;
}

/// A `StrictUndefined` (the error its use raises), or, when not `strict`, a plain
/// `Undefined` (`{{ 1 if false }}`): printed as `''`, false, empty.
pub struct Undefined {
    /// `UndefinedError` or `SecurityError`.
    pub kind: ErrorKind,
    /// The message.
    pub message: String,
    /// `StrictUndefined` rather than `Undefined`.
    pub strict: bool,
}

/// `range(start, stop, step)`: a lazy, re-iterable, sized sequence.
pub struct Range {
    /// First value.
    pub start: i64,
    /// End (exclusive).
    pub stop: i64,
    /// Step (non-zero).
    pub step: i64,
}

impl Range {
    /// Number of items.
    pub fn len(&self) -> usize {
        let n = if self.step > 0 {
            if self.stop > self.start {
                (self.stop - self.start - 1) / self.step + 1
            } else {
                0
            }
        } else if self.start > self.stop {
            (self.start - self.stop - 1) / (-self.step) + 1
        } else {
            0
        };
        n.max(0) as usize
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The items.
    pub fn items(&self) -> Vec<Value> {
        (0..self.len() as i64)
            .map(|i| Value::Int(self.start + i * self.step))
            .collect()
    }
}

/// A bound Python method (`_.items`, `'x'.upper`).
pub struct Method {
    /// `self`.
    pub receiver: Value,
    /// The method name.
    pub name: String,
}

/// A callable template object (global function, macro, Mistral function).
pub struct Function {
    /// Its name (messages).
    pub name: String,
    /// Python type name (`function`, `type`, `functools.partial`, `Macro`).
    pub kind: &'static str,
    /// The implementation.
    pub imp: Rc<dyn JinjaFn>,
}

/// `namespace(...)`: the one mutable object templates have.
pub struct Namespace {
    /// The attributes.
    pub attrs: RefCell<Dict>,
}

/// A `collections.namedtuple` instance (`groupby`'s `_GroupTuple`).
pub struct NamedTuple {
    /// Type name.
    pub type_name: &'static str,
    /// Field names.
    pub fields: &'static [&'static str],
    /// Values, one per field.
    pub values: Vec<Value>,
}

/// A dict view (`keys()`, `values()`, `items()`).
pub struct DictView {
    /// `dict_keys`, `dict_values` or `dict_items`.
    pub kind: &'static str,
    /// The items of the view.
    pub items: Vec<Value>,
}

/// The `loop` variable of a `{% for %}` body.
pub struct Loop {
    /// 0-based position.
    pub index0: usize,
    /// The filtered items (for `length`, `previtem`, `nextitem`).
    pub items: Rc<Vec<Value>>,
    /// Nesting level of a recursive loop (`loop.depth`, 1 at the top).
    pub depth: usize,
    /// `loop(items)` of a `{% for … recursive %}`: renders the loop over `items` one
    /// level deeper. `None` for a plain loop (calling it is a `TypeError`).
    pub recurse: Option<Rc<dyn JinjaFn>>,
    /// The previous item when `items` is not known (a filtered loop iterated lazily,
    /// as Jinja does when nothing asks for the length).
    pub prev: Option<Value>,
    /// The arguments of the last `loop.changed(...)` call, shared by the iterations
    /// of one loop.
    pub changed: Rc<RefCell<Option<Vec<Value>>>>,
}

/// `loop.cycle(*args)` and `loop.changed(*args)`, bound to one iteration.
struct LoopMethod {
    index0: usize,
    changed: Option<Rc<RefCell<Option<Vec<Value>>>>>,
}

impl JinjaFn for LoopMethod {
    fn call(&self, _: &mut Ctx, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> Result<Value> {
        if let Some((k, _)) = kwargs.first() {
            return Err(Error::type_error(format!(
                "got an unexpected keyword argument '{k}'"
            )));
        }
        match &self.changed {
            None => {
                if args.is_empty() {
                    return Err(Error::type_error("no items for cycling given"));
                }
                Ok(args[self.index0 % args.len()].clone())
            }
            Some(last) => {
                let mut last = last.borrow_mut();
                let same = last.as_ref().is_some_and(|l| {
                    l.len() == args.len() && l.iter().zip(&args).all(|(a, b)| eq(a, b))
                });
                if !same {
                    *last = Some(args);
                }
                Ok(Value::Bool(!same))
            }
        }
    }
}

impl Loop {
    fn attr(&self, name: &str) -> Option<Value> {
        let (i, n) = (self.index0 as i64, self.items.len() as i64);
        Some(match name {
            "index" => Value::Int(i + 1),
            "index0" => Value::Int(i),
            "revindex" => Value::Int(n - i),
            "revindex0" => Value::Int(n - i - 1),
            "first" => Value::Bool(i == 0),
            "last" => Value::Bool(i + 1 == n),
            "length" => Value::Int(n),
            "depth" => Value::Int(self.depth as i64),
            "depth0" => Value::Int(self.depth as i64 - 1),
            "previtem" if self.prev.is_some() => self.prev.clone().unwrap_or_default(),
            "previtem" => match self.index0.checked_sub(1) {
                Some(p) => self.items.get(p).cloned().unwrap_or_default(),
                None => undefined(ErrorKind::UndefinedError, "there is no previous item"),
            },
            "nextitem" => {
                self.items.get(self.index0 + 1).cloned().unwrap_or_else(|| {
                    undefined(ErrorKind::UndefinedError, "there is no next item")
                })
            }
            "cycle" | "changed" => native(Function {
                name: name.to_string(),
                kind: "method",
                imp: Rc::new(LoopMethod {
                    index0: self.index0,
                    changed: (name == "changed").then(|| self.changed.clone()),
                }),
            }),
            _ => return None,
        })
    }
}

/// `cycler(...)`.
pub struct Cycler {
    /// The items.
    pub items: Vec<Value>,
    /// The position.
    pub pos: std::cell::Cell<usize>,
}

macro_rules! native {
    ($t:ty, $name:expr, $qual:expr) => {
        impl Native for $t {
            fn type_name(&self) -> &'static str {
                $name(self)
            }
            fn as_any(&self) -> &dyn std::any::Any {
                self
            }
            fn qualname(&self) -> String {
                $qual(self)
            }
        }
    };
}
native!(
    Undefined,
    |u: &Undefined| if u.strict {
        "StrictUndefined"
    } else {
        "Undefined"
    },
    |u: &Undefined| if u.strict {
        "jinja2.runtime.StrictUndefined".to_string()
    } else {
        "jinja2.runtime.Undefined".to_string()
    }
);
native!(Range, |_: &Range| "range", |_: &Range| "builtins.range"
    .to_string());
native!(
    Method,
    |_: &Method| "builtin_function_or_method",
    |_: &Method| "builtins.builtin_function_or_method".to_string()
);
native!(
    Function,
    |f: &Function| f.kind,
    |f: &Function| match f.kind {
        k if k.contains('.') => k.to_string(),
        "Joiner" => "jinja2.utils.Joiner".to_string(),
        "Macro" => "jinja2.runtime.Macro".to_string(),
        k => format!("builtins.{k}"),
    }
);
native!(Namespace, |_: &Namespace| "Namespace", |_: &Namespace| {
    "jinja2.utils.Namespace".to_string()
});
native!(
    NamedTuple,
    |t: &NamedTuple| t.type_name,
    |t: &NamedTuple| format!("jinja2.filters.{}", t.type_name)
);
native!(DictView, |v: &DictView| v.kind, |v: &DictView| format!(
    "builtins.{}",
    v.kind
));
native!(Loop, |_: &Loop| "LoopContext", |_: &Loop| {
    "jinja2.runtime.LoopContext".to_string()
});
native!(Cycler, |_: &Cycler| "Cycler", |_: &Cycler| {
    "jinja2.utils.Cycler".to_string()
});

/// Wraps a native object.
pub fn native(n: impl Native) -> Value {
    Value::Native(Rc::new(NativeBox(Box::new(n))))
}

/// The native object of type `T` inside `v`.
pub fn downcast<T: 'static>(v: &Value) -> Option<&T> {
    match v {
        Value::Native(n) => n.0.as_any().downcast_ref::<T>(),
        _ => None,
    }
}

/// A `StrictUndefined` raising `kind` with `message` when used.
pub fn undefined(kind: ErrorKind, message: impl Into<String>) -> Value {
    native(Undefined {
        kind,
        message: message.into(),
        strict: true,
    })
}

/// A plain (lenient) `Undefined`, as `{{ 1 if false }}` produces.
pub fn lenient_undefined(message: impl Into<String>) -> Value {
    native(Undefined {
        kind: ErrorKind::UndefinedError,
        message: message.into(),
        strict: false,
    })
}

/// True for a plain (non-strict) `Undefined`.
pub fn is_lenient(v: &Value) -> bool {
    downcast::<Undefined>(v).is_some_and(|u| !u.strict)
}

/// `'name' is undefined`.
pub fn undefined_name(name: &str) -> Value {
    undefined(
        ErrorKind::UndefinedError,
        format!("{} is undefined", crate::pyfmt::repr(&Value::str(name))),
    )
}

/// Jinja's `object_type_repr`.
pub fn object_type_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Native(n) => format!("{} object", n.0.type_name()),
        _ => format!("{} object", v.type_name()),
    }
}

/// The undefined for a failed lookup of `name` on `obj`.
pub fn undefined_lookup(obj: &Value, name: &Value) -> Value {
    let msg = match name {
        Value::Str(s) => format!(
            "{} has no attribute {}",
            crate::pyfmt::repr(&Value::str(object_type_repr(obj))),
            crate::pyfmt::repr(&Value::str(s.as_str()))
        ),
        other => format!(
            "{} has no element {}",
            object_type_repr(obj),
            crate::pyfmt::repr(other)
        ),
    };
    undefined(ErrorKind::UndefinedError, msg)
}

/// True for a `StrictUndefined`.
pub fn is_undefined(v: &Value) -> bool {
    downcast::<Undefined>(v).is_some()
}

/// Fails with the undefined's error when `v` is undefined.
pub fn check(v: &Value) -> Result<&Value> {
    match downcast::<Undefined>(v) {
        Some(u) => Err(Error::new(u.kind, u.message.clone())),
        None => Ok(v),
    }
}

/// Python truthiness (an undefined raises).
pub fn truthy(v: &Value) -> Result<bool> {
    if is_lenient(v) {
        return Ok(false);
    }
    check(v)?;
    Ok(match v {
        Value::Native(n) => {
            if let Some(d) = n.0.as_any().downcast_ref::<DictView>() {
                !d.items.is_empty()
            } else if let Some(r) = n.0.as_any().downcast_ref::<Range>() {
                !r.is_empty()
            } else {
                true
            }
        }
        _ => v.truthy(),
    })
}

/// Python `str(v)` (an undefined raises).
pub fn to_str(v: &Value) -> Result<String> {
    if is_lenient(v) {
        return Ok(String::new());
    }
    check(v)?;
    Ok(match v {
        Value::Str(s) => s.as_str().to_owned(),
        Value::DateTime(_) | Value::TimeDelta(_) => crate::pyfmt::py_str(v),
        _ => repr(v)?,
    })
}

/// Python's limit on int → str conversion (`sys.get_int_max_str_digits()`).
pub const INT_MAX_STR_DIGITS: u64 = 4300;

fn big_repr(b: &num_bigint::BigInt) -> Result<String> {
    // 3.33 bits per decimal digit: check before converting.
    if b.bits() > INT_MAX_STR_DIGITS * 3321 / 1000 {
        let s = b.to_string();
        if s.trim_start_matches('-').len() as u64 > INT_MAX_STR_DIGITS {
            return Err(Error::value_error(
                "Exceeds the limit (4300 digits) for integer string conversion; use \
                 sys.set_int_max_str_digits() to increase the limit",
            ));
        }
        return Ok(s);
    }
    Ok(b.to_string())
}

/// Python `repr(v)`, natives included (recursive through containers).
pub fn repr(v: &Value) -> Result<String> {
    let mut out = String::new();
    write_repr(v, &mut out, 0)?;
    Ok(out)
}

fn write_repr(v: &Value, out: &mut String, depth: usize) -> Result<()> {
    if depth > 200 {
        return Err(Error::new(
            ErrorKind::RecursionError,
            "maximum recursion depth exceeded while getting the repr of an object",
        ));
    }
    let seq = |items: &[Value], open: &str, close: &str, out: &mut String| -> Result<()> {
        out.push_str(open);
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_repr(x, out, depth + 1)?;
        }
        if open == "(" && items.len() == 1 {
            out.push(',');
        }
        out.push_str(close);
        Ok(())
    };
    match v {
        Value::BigInt(b) => out.push_str(&big_repr(b)?),
        Value::Tuple(items) => seq(items, "(", ")", out)?,
        Value::List(items) => seq(items, "[", "]", out)?,
        Value::Dict(d) => {
            out.push('{');
            for (i, (k, x)) in d.map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(&k.0, out, depth + 1)?;
                out.push_str(": ");
                write_repr(x, out, depth + 1)?;
            }
            out.push('}');
        }
        Value::Native(n) => {
            let any = n.0.as_any();
            if any.downcast_ref::<Undefined>().is_some() {
                out.push_str("Undefined");
            } else if let Some(t) = any.downcast_ref::<NamedTuple>() {
                seq(&t.values, "(", ")", out)?;
            } else if let Some(d) = any.downcast_ref::<DictView>() {
                out.push_str(d.kind);
                out.push('(');
                seq(&d.items, "[", "]", out)?;
                out.push(')');
            } else if let Some(r) = any.downcast_ref::<Range>() {
                if r.step == 1 {
                    out.push_str(&format!("range({}, {})", r.start, r.stop));
                } else {
                    out.push_str(&format!("range({}, {}, {})", r.start, r.stop, r.step));
                }
            } else if let Some(m) = any.downcast_ref::<Method>() {
                out.push_str(&format!(
                    "<built-in method {} of {} object>",
                    m.name,
                    m.receiver.type_name()
                ));
            } else if let Some(f) = any.downcast_ref::<Function>() {
                out.push_str(&format!("<function {}>", f.name));
            } else if let Some(ns) = any.downcast_ref::<Namespace>() {
                let d = ns.attrs.borrow().clone();
                out.push_str("<Namespace ");
                write_repr(&Value::dict(d), out, depth + 1)?;
                out.push('>');
            } else {
                out.push_str(&crate::pyfmt::repr(v));
            }
        }
        _ => out.push_str(&crate::pyfmt::repr(v)),
    }
    Ok(())
}

/// Python iteration: the items of `v` (str → characters, dict → keys).
pub fn iterate(cx: &mut Ctx, v: &Value) -> Result<Vec<Value>> {
    if is_lenient(v) {
        return Ok(Vec::new());
    }
    check(v)?;
    match v {
        Value::Tuple(items) | Value::List(items) => {
            cx.tick_n(items.len() as u64)?;
            Ok(items.as_ref().clone())
        }
        Value::Str(s) => {
            cx.tick_n(s.len() as u64)?;
            cx.charge(s.len() * 16)?;
            Ok(s.chars().map(|c| Value::str(c.to_string())).collect())
        }
        Value::Dict(d) => {
            cx.tick_n(d.len() as u64)?;
            Ok(d.map.keys().map(|k| k.0.clone()).collect())
        }
        Value::Set(_) | Value::Iter(_) => {
            let mut c = Cursor::of(cx, v).ok_or_else(|| not_iterable(v))?;
            let mut out = Vec::new();
            while let Some(x) = c.next(cx)? {
                cx.charge(16)?;
                out.push(x);
            }
            Ok(out)
        }
        Value::Native(n) => {
            let any = n.0.as_any();
            if let Some(t) = any.downcast_ref::<NamedTuple>() {
                Ok(t.values.clone())
            } else if let Some(d) = any.downcast_ref::<DictView>() {
                Ok(d.items.clone())
            } else if let Some(r) = any.downcast_ref::<Range>() {
                cx.tick_n(r.len() as u64)?;
                cx.charge(r.len() * 16)?;
                Ok(r.items())
            } else {
                Err(not_iterable(v))
            }
        }
        _ => Err(not_iterable(v)),
    }
}

fn not_iterable(v: &Value) -> Error {
    Error::type_error(format!("'{}' object is not iterable", v.type_name()))
}

/// Python `len(v)`.
pub fn len(v: &Value) -> Result<usize> {
    if is_lenient(v) {
        return Ok(0);
    }
    check(v)?;
    match v {
        Value::Str(s) => Ok(s.chars().count()),
        Value::Tuple(items) | Value::List(items) => Ok(items.len()),
        Value::Dict(d) => Ok(d.len()),
        Value::Set(s) => Ok(s.len()),
        Value::Native(n) => {
            let any = n.0.as_any();
            if let Some(t) = any.downcast_ref::<NamedTuple>() {
                Ok(t.values.len())
            } else if let Some(d) = any.downcast_ref::<DictView>() {
                Ok(d.items.len())
            } else if let Some(r) = any.downcast_ref::<Range>() {
                Ok(r.len())
            } else {
                Err(no_len(v))
            }
        }
        _ => Err(no_len(v)),
    }
}

fn no_len(v: &Value) -> Error {
    let t = match v {
        Value::Iter(_) => "generator",
        _ => v.type_name(),
    };
    Error::type_error(format!("object of type '{t}' has no len()"))
}

/// Is `attr` an attribute Python objects have that the sandbox refuses?
fn unsafe_name(attr: &str) -> bool {
    attr.starts_with('_')
}

/// Does `obj` have a Python attribute `attr` (methods and dunder names)?
fn python_attr(obj: &Value, attr: &str) -> Option<Value> {
    if attr.starts_with("__") && attr.ends_with("__") && attr.len() > 4 {
        // Every Python object has dunder attributes; the sandbox refuses them all.
        return Some(Value::Null);
    }
    if let Some(ns) = downcast::<Namespace>(obj) {
        return ns.attrs.borrow().get_str(attr).cloned();
    }
    if let Some(l) = downcast::<Loop>(obj) {
        return l.attr(attr);
    }
    if let Some(t) = downcast::<NamedTuple>(obj)
        && let Some(i) = t.fields.iter().position(|f| *f == attr)
    {
        return t.values.get(i).cloned();
    }
    if methods::has_method(obj, attr) {
        return Some(native(Method {
            receiver: obj.clone(),
            name: attr.to_string(),
        }));
    }
    None
}

fn unsafe_undefined(obj: &Value, attr: &str) -> Value {
    let t = match obj {
        Value::Native(n) => n.0.type_name(),
        _ => obj.type_name(),
    };
    undefined(
        ErrorKind::SecurityError,
        format!("access to attribute '{attr}' of '{t}' object is unsafe."),
    )
}

/// `SandboxedEnvironment.getattr(obj, attr)` (`obj.attr`): attribute first, then item.
pub fn getattr(cx: &mut Ctx, obj: &Value, attr: &str) -> Result<Value> {
    check(obj)?;
    cx.tick()?;
    match python_attr(obj, attr) {
        Some(v) => {
            if unsafe_name(attr) {
                Ok(unsafe_undefined(obj, attr))
            } else {
                Ok(v)
            }
        }
        None if matches!(obj, Value::Dict(_)) => match obj {
            Value::Dict(d) => match d.get_str(attr) {
                Some(v) => Ok(v.clone()),
                None => Ok(undefined_lookup(obj, &Value::str(attr))),
            },
            _ => Ok(undefined_lookup(obj, &Value::str(attr))),
        },
        None => match item(obj, &Value::str(attr))? {
            Some(v) => Ok(v),
            None => Ok(undefined_lookup(obj, &Value::str(attr))),
        },
    }
}

/// `SandboxedEnvironment.getitem(obj, key)` (`obj[key]`): item first, then attribute.
pub fn getitem(cx: &mut Ctx, obj: &Value, key: &Value) -> Result<Value> {
    check(obj)?;
    check(key)?;
    cx.tick()?;
    if let Some(v) = item(obj, key)? {
        return Ok(v);
    }
    if let Value::Str(s) = key
        && let Some(v) = python_attr(obj, s)
    {
        return Ok(if unsafe_name(s) {
            unsafe_undefined(obj, s)
        } else {
            v
        });
    }
    Ok(undefined_lookup(obj, key))
}

/// Python `obj[key]`, `None` on `TypeError`/`LookupError`.
fn item(obj: &Value, key: &Value) -> Result<Option<Value>> {
    let index = |n: usize| -> Option<usize> {
        let i = match key {
            Value::Int(i) => *i,
            Value::Bool(b) => *b as i64,
            _ => return None,
        };
        let i = if i < 0 { i + n as i64 } else { i };
        (i >= 0 && (i as usize) < n).then_some(i as usize)
    };
    Ok(match obj {
        Value::Dict(d) => {
            if crate::value::check_hashable(key).is_err() {
                return Ok(None);
            }
            d.get(key).cloned()
        }
        Value::Tuple(items) | Value::List(items) => index(items.len()).map(|i| items[i].clone()),
        Value::Str(s) => {
            if !matches!(key, Value::Int(_) | Value::Bool(_)) {
                return Ok(None);
            }
            let n = s.chars().count();
            index(n)
                .and_then(|i| s.chars().nth(i))
                .map(|c| Value::str(c.to_string()))
        }
        Value::Native(n) => {
            if let Some(t) = n.0.as_any().downcast_ref::<NamedTuple>() {
                index(t.values.len()).map(|i| t.values[i].clone())
            } else if let Some(r) = n.0.as_any().downcast_ref::<Range>() {
                index(r.len()).map(|i| Value::Int(r.start + i as i64 * r.step))
            } else {
                None
            }
        }
        _ => None,
    })
}

/// `obj[start:stop:step]` on str, list and tuple.
pub fn slice(
    cx: &mut Ctx,
    obj: &Value,
    start: &Value,
    stop: &Value,
    step: &Value,
) -> Result<Value> {
    check(obj)?;
    let int = |v: &Value| -> Result<Option<i64>> {
        match check(v)? {
            Value::Null => Ok(None),
            Value::Int(i) => Ok(Some(*i)),
            Value::Bool(b) => Ok(Some(*b as i64)),
            _ => Err(Error::type_error(
                "slice indices must be integers or None or have an __index__ method",
            )),
        }
    };
    let (start, stop, step) = (int(start)?, int(stop)?, int(step)?.unwrap_or(1));
    if step == 0 {
        return Err(Error::value_error("slice step cannot be zero"));
    }
    let pick = |n: usize| -> Vec<usize> {
        let n = n as i64;
        let norm = |v: Option<i64>, dflt: i64, lo: i64, hi: i64| match v {
            None => dflt,
            Some(i) if i < 0 => (i + n).max(lo),
            Some(i) => i.min(hi),
        };
        let mut out = Vec::new();
        if step > 0 {
            let (a, b) = (norm(start, 0, 0, n), norm(stop, n, 0, n));
            let mut i = a;
            while i < b {
                out.push(i as usize);
                i += step;
            }
        } else {
            let (a, b) = (norm(start, n - 1, -1, n - 1), norm(stop, -1, -1, n - 1));
            let mut i = a;
            while i > b {
                out.push(i as usize);
                i += step;
            }
        }
        out
    };
    match obj {
        Value::Str(s) => {
            let chars: Vec<char> = s.chars().collect();
            let idx = pick(chars.len());
            cx.tick_n(idx.len() as u64)?;
            Ok(Value::str(
                idx.iter().map(|&i| chars[i]).collect::<String>(),
            ))
        }
        Value::Tuple(items) | Value::List(items) => {
            let idx = pick(items.len());
            cx.tick_n(idx.len() as u64)?;
            let v: Vec<Value> = idx.iter().map(|&i| items[i].clone()).collect();
            Ok(if matches!(obj, Value::List(_)) {
                Value::list(v)
            } else {
                Value::tuple(v)
            })
        }
        _ => Ok(undefined_lookup(obj, &Value::str("slice"))),
    }
}

/// Calls a template value (sandbox `call`).
pub fn call(
    cx: &mut Ctx,
    callee: &Value,
    args: Vec<Value>,
    kwargs: Vec<(String, Value)>,
) -> Result<Value> {
    check(callee)?;
    cx.tick()?;
    if let Some(m) = downcast::<Method>(callee) {
        return methods::call_method(cx, &m.receiver, &m.name, args, kwargs);
    }
    if let Some(f) = downcast::<Function>(callee) {
        let imp = f.imp.clone();
        return imp.call(cx, args, kwargs);
    }
    if let Some(l) = downcast::<Loop>(callee) {
        return match &l.recurse {
            Some(r) => r.clone().call(cx, args, kwargs),
            None => Err(Error::type_error(
                "The loop must have the 'recursive' marker to be called recursively.",
            )),
        };
    }
    Err(Error::type_error(format!(
        "'{}' object is not callable",
        match callee {
            Value::Native(n) => n.0.type_name(),
            _ => callee.type_name(),
        }
    )))
}

fn operand_error(op: &str, a: &Value, b: &Value) -> Error {
    Error::type_error(format!(
        "unsupported operand type(s) for {op}: '{}' and '{}'",
        a.type_name(),
        b.type_name()
    ))
}

fn numeric(v: &Value) -> bool {
    matches!(
        v,
        Value::Int(_) | Value::BigInt(_) | Value::Float(_) | Value::Bool(_)
    )
}

fn repeat(cx: &mut Ctx, seq: &Value, n: &Value) -> Result<Value> {
    let n = match n {
        Value::Int(i) => (*i).max(0) as usize,
        Value::Bool(b) => *b as usize,
        _ => {
            return Err(Error::type_error(
                "can't multiply sequence by non-int of type 'float'",
            ));
        }
    };
    match seq {
        Value::Str(s) => {
            cx.charge(s.len().saturating_mul(n))?;
            Ok(Value::str(s.repeat(n)))
        }
        Value::Tuple(items) | Value::List(items) => {
            cx.charge(items.len().saturating_mul(n).saturating_mul(16))?;
            let mut out = Vec::with_capacity(items.len() * n);
            for _ in 0..n {
                out.extend(items.iter().cloned());
            }
            Ok(if matches!(seq, Value::List(_)) {
                Value::list(out)
            } else {
                Value::tuple(out)
            })
        }
        _ => Err(Error::type_error("can't multiply sequence")),
    }
}

/// A Python binary operator (`+ - * / // % **`).
pub fn binary(cx: &mut Ctx, op: &str, a: &Value, b: &Value) -> Result<Value> {
    use crate::builtins::math;
    check(a)?;
    check(b)?;
    cx.tick()?;
    if numeric(a) && numeric(b) {
        return match op {
            "+" => math::add(cx, a, b),
            "-" => math::sub(cx, a, b),
            "*" => math::mul(cx, a, b),
            "/" => {
                if crate::compare::is_zero(b) {
                    return Err(Error::zero_division("division by zero"));
                }
                match (a, b) {
                    (Value::Int(x), Value::Int(y)) if x % y == 0 => {
                        Ok(Value::Float((x / y) as f64))
                    }
                    _ => Ok(Value::Float(math::to_f64(a)? / math::to_f64(b)?)),
                }
            }
            "//" => {
                if crate::compare::is_zero(b) {
                    return Err(Error::zero_division("integer division or modulo by zero"));
                }
                match (a, b) {
                    (Value::Float(_), _) | (_, Value::Float(_)) => {
                        Ok(Value::Float((math::to_f64(a)? / math::to_f64(b)?).floor()))
                    }
                    _ => {
                        use num_integer::Integer;
                        let (x, y) = (
                            math::big(a).unwrap_or_default(),
                            math::big(b).unwrap_or_default(),
                        );
                        Ok(Value::from_bigint(x.div_floor(&y)))
                    }
                }
            }
            "%" => math::modulo(cx, a, b),
            "**" => power(cx, a, b),
            _ => Err(operand_error(op, a, b)),
        };
    }
    match (op, a, b) {
        ("+", Value::Str(x), Value::Str(y)) => {
            cx.charge(x.len() + y.len())?;
            Ok(Value::str(format!("{x}{y}")))
        }
        ("+", Value::Str(_), _) => Err(Error::type_error(format!(
            "can only concatenate str (not \"{}\") to str",
            b.type_name()
        ))),
        ("+", Value::List(x), Value::List(y)) | ("+", Value::Tuple(x), Value::Tuple(y)) => {
            cx.charge((x.len() + y.len()) * 16)?;
            let v: Vec<Value> = x.iter().chain(y.iter()).cloned().collect();
            Ok(if matches!(a, Value::List(_)) {
                Value::list(v)
            } else {
                Value::tuple(v)
            })
        }
        ("+", Value::List(_), _) => Err(Error::type_error(format!(
            "can only concatenate list (not \"{}\") to list",
            b.type_name()
        ))),
        ("*", Value::Str(_) | Value::List(_) | Value::Tuple(_), _) if numeric(b) => {
            repeat(cx, a, b)
        }
        ("*", _, Value::Str(_) | Value::List(_) | Value::Tuple(_)) if numeric(a) => {
            repeat(cx, b, a)
        }
        ("%", Value::Str(f), _) => Ok(Value::str(filters::percent_format(f, b)?)),
        _ => Err(operand_error(op, a, b)),
    }
}

fn power(cx: &mut Ctx, a: &Value, b: &Value) -> Result<Value> {
    use crate::builtins::math;
    use num_traits::{Signed, ToPrimitive};
    match (math::big(a), math::big(b)) {
        (Some(x), Some(y)) if !matches!(a, Value::Float(_)) && !matches!(b, Value::Float(_)) => {
            if y.is_negative() {
                if x.bits() == 0 {
                    return Err(Error::zero_division(
                        "0.0 cannot be raised to a negative power",
                    ));
                }
                return Ok(Value::Float(math::to_f64(a)?.powf(math::to_f64(b)?)));
            }
            let e = y
                .to_u32()
                .ok_or_else(|| Error::new(ErrorKind::MemoryQuotaExceeded, "exponent too large"))?;
            cx.charge((x.bits() as usize).saturating_mul(e as usize) / 8)?;
            cx.tick_n(u64::from(e) / 64)?;
            Ok(Value::from_bigint(num_traits::Pow::pow(x, e)))
        }
        _ => {
            let (x, y) = (math::to_f64(a)?, math::to_f64(b)?);
            if x == 0.0 && y < 0.0 {
                return Err(Error::zero_division(
                    "0.0 cannot be raised to a negative power",
                ));
            }
            Ok(Value::Float(x.powf(y)))
        }
    }
}

/// A unary operator (`not`, `-`, `+`).
pub fn unary(op: &str, v: &Value) -> Result<Value> {
    match op {
        "not" => Ok(Value::Bool(!truthy(v)?)),
        _ => {
            check(v)?;
            if !numeric(v) {
                return Err(Error::type_error(format!(
                    "bad operand type for unary {op}: '{}'",
                    v.type_name()
                )));
            }
            Ok(match (op, v) {
                ("-", _) => crate::builtins::math::neg(&match v {
                    Value::Bool(b) => Value::Int(*b as i64),
                    _ => v.clone(),
                }),
                (_, Value::Bool(b)) => Value::Int(*b as i64),
                _ => v.clone(),
            })
        }
    }
}

/// Python ordering of two values (`TypeError` for unorderable pairs, `None` for NaN).
pub fn py_order(op: &str, a: &Value, b: &Value) -> Result<Option<Ordering>> {
    use crate::compare::{num_cmp, num_of};
    check(a)?;
    check(b)?;
    match (a, b) {
        _ if numeric(a) && numeric(b) => {
            let as_num = |v: &Value| match v {
                Value::Bool(x) => Value::Int(*x as i64),
                _ => v.clone(),
            };
            let (x, y) = (as_num(a), as_num(b));
            Ok(match (num_of(&x), num_of(&y)) {
                (Some(p), Some(q)) => num_cmp(p, q),
                _ => None,
            })
        }
        (Value::Str(x), Value::Str(y)) => Ok(Some(x.as_str().cmp(y.as_str()))),
        (Value::List(x), Value::List(y)) | (Value::Tuple(x), Value::Tuple(y)) => {
            for (p, q) in x.iter().zip(y.iter()) {
                if !crate::compare::py_eq(p, q) {
                    return py_order(op, p, q);
                }
            }
            Ok(Some(x.len().cmp(&y.len())))
        }
        (Value::DateTime(x), Value::DateTime(y)) => Ok(Some(x.utc_micros.cmp(&y.utc_micros))),
        (Value::TimeDelta(x), Value::TimeDelta(y)) => Ok(Some(x.cmp(y))),
        _ => Err(Error::type_error(format!(
            "'{op}' not supported between instances of '{}' and '{}'",
            a.type_name(),
            b.type_name()
        ))),
    }
}

/// Python equality, natives included.
pub fn eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Native(x), Value::Native(y)) => {
            if let (Some(p), Some(q)) = (downcast::<NamedTuple>(a), downcast::<NamedTuple>(b)) {
                return p.values.len() == q.values.len()
                    && p.values.iter().zip(&q.values).all(|(u, v)| eq(u, v));
            }
            Rc::ptr_eq(x, y)
        }
        _ => crate::compare::py_eq(a, b),
    }
}

/// A comparison operator (`== != < <= > >= in notin`).
pub fn compare(cx: &mut Ctx, op: &str, a: &Value, b: &Value) -> Result<bool> {
    match op {
        "==" | "!=" => {
            check(a)?;
            check(b)?;
            Ok(eq(a, b) == (op == "=="))
        }
        "in" => contains(cx, b, a),
        "notin" => Ok(!contains(cx, b, a)?),
        _ => {
            let o = py_order(op, a, b)?;
            Ok(match (op, o) {
                (_, None) => false,
                ("<", Some(o)) => o == Ordering::Less,
                ("<=", Some(o)) => o != Ordering::Greater,
                (">", Some(o)) => o == Ordering::Greater,
                (_, Some(o)) => o != Ordering::Less,
            })
        }
    }
}

/// Python `item in container`.
pub fn contains(cx: &mut Ctx, container: &Value, item: &Value) -> Result<bool> {
    check(container)?;
    check(item)?;
    match container {
        Value::Str(s) => match item {
            Value::Str(x) => Ok(s.contains(x.as_str())),
            _ => Err(Error::type_error(format!(
                "'in <string>' requires string as left operand, not {}",
                item.type_name()
            ))),
        },
        Value::Dict(d) => {
            crate::value::check_hashable(item)?;
            Ok(d.get(item).is_some())
        }
        Value::Set(s) => Ok(s.contains(item)),
        _ => {
            let items = iterate(cx, container).map_err(|_| {
                Error::type_error(format!(
                    "argument of type '{}' is not iterable",
                    container.type_name()
                ))
            })?;
            Ok(items.iter().any(|x| eq(x, item)))
        }
    }
}

/// Stable merge sort by a fallible "less than".
pub fn sort_values(
    cx: &mut Ctx,
    mut items: Vec<Value>,
    lt: &mut dyn FnMut(&mut Ctx, &Value, &Value) -> Result<bool>,
) -> Result<Vec<Value>> {
    if items.len() <= 1 {
        return Ok(items);
    }
    let right = items.split_off(items.len() / 2);
    let left = sort_values(cx, items, lt)?;
    let right = sort_values(cx, right, lt)?;
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
    loop {
        match (l.peek(), r.peek()) {
            (Some(a), Some(b)) => {
                cx.tick()?;
                if lt(cx, b, a)? {
                    out.extend(r.next());
                } else {
                    out.extend(l.next());
                }
            }
            (Some(_), None) => out.extend(l.by_ref()),
            (None, Some(_)) => out.extend(r.by_ref()),
            (None, None) => break,
        }
    }
    Ok(out)
}

/// A one-shot generator over computed items (what Jinja's lazy filters return).
pub fn generator(items: Vec<Value>) -> Value {
    crate::iter::IterObj::one_shot(Box::new(Cursor::from_vec(items)))
}

/// Binds Python-style arguments against a parameter list: `"name"` (required),
/// `"name=default"` (`none`, `true`, `false`, an int, a float or `'text'`), `"*args"`
/// (a tuple) and `"**kwargs"` (a dict). `func` names the function in messages.
pub fn bind(
    func: &str,
    params: &[&str],
    args: Vec<Value>,
    kwargs: Vec<(String, Value)>,
) -> Result<Vec<Value>> {
    let mut slots: Vec<Option<Value>> = vec![None; params.len()];
    let names: Vec<&str> = params
        .iter()
        .map(|p| p.split('=').next().unwrap_or(p).trim_start_matches('*'))
        .collect();
    let star = params
        .iter()
        .position(|p| p.starts_with('*') && !p.starts_with("**"));
    let dstar = params.iter().position(|p| p.starts_with("**"));
    let positional = star.or(dstar).unwrap_or(params.len());
    let mut extra = Vec::new();
    for (i, a) in args.into_iter().enumerate() {
        if i < positional {
            slots[i] = Some(a);
        } else if star.is_some() {
            extra.push(a);
        } else {
            return Err(Error::type_error(format!(
                "{func}() takes {positional} positional arguments but more were given"
            )));
        }
    }
    if let Some(s) = star {
        slots[s] = Some(Value::tuple(extra));
    }
    let mut kw = Dict::new();
    for (k, v) in kwargs {
        match names.iter().position(|n| *n == k) {
            Some(i) if Some(i) != star && Some(i) != dstar => {
                if slots[i].is_some() {
                    return Err(Error::type_error(format!(
                        "{func}() got multiple values for argument '{k}'"
                    )));
                }
                slots[i] = Some(v);
            }
            _ if dstar.is_some() => kw.insert(Value::str(k), v)?,
            _ => {
                return Err(Error::type_error(format!(
                    "{func}() got an unexpected keyword argument '{k}'"
                )));
            }
        }
    }
    if let Some(d) = dstar {
        slots[d] = Some(Value::dict(kw));
    }
    let mut out = Vec::with_capacity(params.len());
    for (i, p) in params.iter().enumerate() {
        match slots[i].take() {
            Some(v) => out.push(v),
            None => match p.split_once('=') {
                Some((_, d)) => out.push(default_literal(d)),
                None => {
                    return Err(Error::type_error(format!(
                        "{func}() missing 1 required positional argument: '{}'",
                        names[i]
                    )));
                }
            },
        }
    }
    Ok(out)
}

fn default_literal(d: &str) -> Value {
    match d {
        "none" => Value::Null,
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ if d.starts_with('\'') => Value::str(d.trim_matches('\'')),
        _ => d
            .parse::<i64>()
            .map(Value::Int)
            .or_else(|_| d.parse::<f64>().map(Value::Float))
            .unwrap_or(Value::Null),
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn filter_and_test_tables_are_well_formed() {
        let mut names = std::collections::HashSet::new();
        for f in filters::FILTERS {
            assert!(names.insert(f.name), "duplicate filter {}", f.name);
            assert!(!f.params.is_empty(), "{} takes the piped value", f.name);
            // Binding the piped value alone either succeeds or names the missing one.
            match bind(f.python_name, f.params, vec![Value::Int(1)], vec![]) {
                Ok(slots) => assert_eq!(slots.len(), f.params.len()),
                Err(e) => assert!(e.message().contains("missing"), "{}: {e}", f.name),
            }
        }
        let mut names = std::collections::HashSet::new();
        for t in tests::TESTS {
            assert!(names.insert(t.name), "duplicate test {}", t.name);
            assert!(!t.params.is_empty());
        }
    }

    #[test]
    fn python_argument_binding() {
        let p = &["value", "d=''", "*args", "**kwargs"];
        let b = bind(
            "f",
            p,
            vec![Value::Int(1), Value::str("x"), Value::Int(3)],
            vec![("k".into(), Value::Null)],
        )
        .unwrap();
        assert_eq!(b[1], Value::str("x"));
        assert_eq!(b[2], Value::tuple(vec![Value::Int(3)]));
        assert!(matches!(&b[3], Value::Dict(d) if d.len() == 1));
        let e = bind(
            "json_dump_",
            &["context", "data"],
            vec![Value::Null],
            vec![],
        )
        .unwrap_err();
        assert_eq!(
            e.message(),
            "json_dump_() missing 1 required positional argument: 'data'"
        );
        assert!(bind("f", &["a"], vec![], vec![("b".into(), Value::Null)]).is_err());
    }

    #[test]
    fn strict_and_lenient_undefined() {
        let u = undefined_name("x");
        assert_eq!(check(&u).unwrap_err().kind(), ErrorKind::UndefinedError);
        assert!(truthy(&u).is_err());
        let l = lenient_undefined("no else");
        assert_eq!(to_str(&l).unwrap(), "");
        assert!(!truthy(&l).unwrap());
    }

    #[test]
    fn sandbox_and_lookup() {
        let mut cx = Ctx::default();
        let mut d = Dict::new();
        d.insert(Value::str("items"), Value::Int(1)).unwrap();
        let d = Value::dict(d);
        // `a.b`: attribute first (the method); `a['b']`: item first.
        assert!(downcast::<Method>(&getattr(&mut cx, &d, "items").unwrap()).is_some());
        assert_eq!(
            getitem(&mut cx, &d, &Value::str("items")).unwrap(),
            Value::Int(1)
        );
        let bad = getattr(&mut cx, &d, "__class__").unwrap();
        assert_eq!(check(&bad).unwrap_err().kind(), ErrorKind::SecurityError);
        assert!(is_undefined(&getattr(&mut cx, &d, "_private").unwrap()));
    }

    #[test]
    fn python_operators() {
        let mut cx = Ctx::default();
        let b = |cx: &mut Ctx, op, x: i64, y: i64| binary(cx, op, &Value::Int(x), &Value::Int(y));
        assert_eq!(b(&mut cx, "/", 7, 2).unwrap(), Value::Float(3.5));
        assert_eq!(b(&mut cx, "//", -7, 2).unwrap(), Value::Int(-4));
        assert_eq!(b(&mut cx, "%", -7, 3).unwrap(), Value::Int(2));
        assert_eq!(
            b(&mut cx, "/", 1, 0).unwrap_err().kind(),
            ErrorKind::ZeroDivisionError
        );
        let e = binary(&mut cx, "+", &Value::str("a"), &Value::Int(1)).unwrap_err();
        assert_eq!(e.message(), "can only concatenate str (not \"int\") to str");
        let e = compare(&mut cx, "<", &Value::Int(1), &Value::str("a")).unwrap_err();
        assert_eq!(
            e.message(),
            "'<' not supported between instances of 'int' and 'str'"
        );
    }
}
