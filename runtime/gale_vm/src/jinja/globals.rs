//! Template globals: Jinja's (`range`, `dict`, `namespace`, `cycler`, `joiner`,
//! `lipsum`) and Mistral's functions bound to the data context
//! (`get_jinja_context` in `mistral/expressions/jinja_expression.py`).

use std::cell::RefCell;
use std::rc::Rc;

use super::{Cycler, Function, JinjaFn, Namespace, bind, check, native, to_str};
use crate::ctx::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::value::{Dict, Value};

/// The sandbox's `MAX_RANGE`.
pub const MAX_RANGE: i64 = 100_000;

/// Mistral's expression functions, in registration order.
pub const MISTRAL_FUNCTIONS: &[&str] = &[
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

/// A global implemented in Rust.
type GlobalFn = fn(&mut Ctx, Vec<Value>, Vec<(String, Value)>) -> Result<Value>;

struct Builtin(GlobalFn);

impl JinjaFn for Builtin {
    fn call(&self, cx: &mut Ctx, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> Result<Value> {
        (self.0)(cx, args, kwargs)
    }
}

/// A Mistral function with its `context` argument bound (`functools.partial`).
struct Bound {
    name: &'static str,
    context: Value,
}

impl JinjaFn for Bound {
    fn call(
        &self,
        cx: &mut Ctx,
        mut args: Vec<Value>,
        kwargs: Vec<(String, Value)>,
    ) -> Result<Value> {
        let f = super::filters::lookup(self.name)
            .ok_or_else(|| Error::type_error("unknown Mistral function"))?;
        args.insert(0, self.context.clone());
        let bound = bind(f.python_name, f.params, args, kwargs)?;
        (f.imp)(cx, &bound)
    }
}

fn function(name: &str, kind: &'static str, imp: Rc<dyn JinjaFn>) -> Value {
    native(Function {
        name: name.to_string(),
        kind,
        imp,
    })
}

fn range(cx: &mut Ctx, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> Result<Value> {
    if !kwargs.is_empty() {
        return Err(Error::type_error("range() takes no keyword arguments"));
    }
    let mut n = Vec::with_capacity(3);
    for a in &args {
        n.push(check(a)?.as_i64_lenient().ok_or_else(|| {
            Error::type_error(format!(
                "'{}' object cannot be interpreted as an integer",
                a.type_name()
            ))
        })?);
    }
    let (start, stop, step) = match n.as_slice() {
        [stop] => (0, *stop, 1),
        [start, stop] => (*start, *stop, 1),
        [start, stop, step] => (*start, *stop, *step),
        _ => {
            return Err(Error::type_error(format!(
                "range expected at most 3 arguments, got {}",
                args.len()
            )));
        }
    };
    if step == 0 {
        return Err(Error::value_error("range() arg 3 must not be zero"));
    }
    let r = super::Range { start, stop, step };
    if r.len() as i64 > MAX_RANGE {
        return Err(Error::new(
            ErrorKind::OverflowError,
            format!(
                "Range too big. The sandbox blocks ranges larger than MAX_RANGE ({MAX_RANGE})."
            ),
        ));
    }
    cx.tick()?;
    Ok(native(r))
}

fn dict(_: &mut Ctx, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> Result<Value> {
    let mut d = Dict::new();
    if let Some(first) = args.first() {
        match check(first)? {
            Value::Dict(src) => d = (**src).clone(),
            other => {
                for pair in other.as_seq().unwrap_or(&[]) {
                    match pair.as_seq() {
                        Some([k, v]) => d.insert(k.clone(), v.clone())?,
                        _ => {
                            return Err(Error::value_error(
                                "dictionary update sequence element has wrong length",
                            ));
                        }
                    }
                }
            }
        }
    }
    for (k, v) in kwargs {
        d.insert(Value::str(k), v)?;
    }
    Ok(Value::dict(d))
}

fn namespace(_: &mut Ctx, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> Result<Value> {
    let mut d = Dict::new();
    if let Some(Value::Dict(src)) = args.first() {
        d = (**src).clone();
    }
    for (k, v) in kwargs {
        d.insert(Value::str(k), v)?;
    }
    Ok(native(Namespace {
        attrs: RefCell::new(d),
    }))
}

fn cycler(_: &mut Ctx, args: Vec<Value>, _: Vec<(String, Value)>) -> Result<Value> {
    if args.is_empty() {
        return Err(Error::runtime_error("at least one item has to be provided"));
    }
    Ok(native(Cycler {
        items: args,
        pos: std::cell::Cell::new(0),
    }))
}

struct Joiner {
    sep: String,
    used: std::cell::Cell<bool>,
}

impl JinjaFn for Joiner {
    fn call(&self, _: &mut Ctx, _: Vec<Value>, _: Vec<(String, Value)>) -> Result<Value> {
        if self.used.replace(true) {
            Ok(Value::str(self.sep.as_str()))
        } else {
            Ok(Value::str(""))
        }
    }
}

fn joiner(_: &mut Ctx, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> Result<Value> {
    let a = bind("joiner", &["sep=', '"], args, kwargs)?;
    Ok(function(
        "joiner",
        "Joiner",
        Rc::new(Joiner {
            sep: to_str(&a[0])?,
            used: std::cell::Cell::new(false),
        }),
    ))
}

fn lipsum(_: &mut Ctx, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> Result<Value> {
    bind(
        "generate_lorem_ipsum",
        &["n=5", "html=true", "min=20", "max=100"],
        args,
        kwargs,
    )?;
    Ok(Value::str(
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor \
         incididunt ut labore et dolore magna aliqua.",
    ))
}

/// Jinja's default global called `name`, or a Mistral function bound to `context`.
pub fn global(name: &str, context: &Value) -> Option<Value> {
    let b = |f: GlobalFn, kind| Some(function(name, kind, Rc::new(Builtin(f))));
    match name {
        "range" => b(range, "type"),
        "dict" => b(dict, "type"),
        "namespace" => b(namespace, "type"),
        "cycler" => b(cycler, "type"),
        "joiner" => b(joiner, "type"),
        "lipsum" => b(lipsum, "function"),
        _ => {
            let n = MISTRAL_FUNCTIONS.iter().find(|f| **f == name)?;
            Some(function(
                name,
                "functools.partial",
                Rc::new(Bound {
                    name: n,
                    context: context.clone(),
                }),
            ))
        }
    }
}

/// Runs Mistral function `name` with bound arguments (`a[0]` = the context), as
/// `mistral/expressions/std_functions.py` does.
pub fn mistral(cx: &mut Ctx, name: &str, a: &[Value]) -> Result<Value> {
    let ctx = &a[0];
    let dict_key = |k: &str| -> Result<Value> {
        match ctx {
            Value::Dict(d) => d
                .get_str(k)
                .cloned()
                .ok_or_else(|| Error::key_error(format!("'{k}'"))),
            Value::Null => Err(Error::type_error("'NoneType' object is not subscriptable")),
            Value::Str(_) => Err(Error::type_error(
                "string indices must be integers, not 'str'",
            )),
            Value::List(_) | Value::Tuple(_) => Err(Error::type_error(format!(
                "{} indices must be integers or slices, not str",
                ctx.type_name()
            ))),
            other => Err(Error::type_error(format!(
                "'{}' object is not subscriptable",
                other.type_name()
            ))),
        }
    };
    let args = |i: usize| crate::sig::Args::from_values(a[i..].to_vec());
    match name {
        "env" => dict_key("__env"),
        "json_dump" => crate::mistral::json_dump(cx, &args(1)),
        "yaml_dump" => crate::mistral::yaml_dump(cx, &args(1)),
        "json_parse" => {
            let s = to_str(&a[1])?;
            crate::mistral::json_parse(cx, &crate::sig::Args::from_values(vec![Value::str(s)]))
        }
        "yaml_parse" => {
            let s = to_str(&a[1])?;
            crate::mistral::yaml_parse(cx, &crate::sig::Args::from_values(vec![Value::str(s)]))
        }
        "uuid" => crate::mistral::uuid(cx, &args(1)),
        "execution" => {
            dict_key("__execution")?;
            crate::mistral::execution(cx, &args(1))
        }
        "executions" => crate::mistral::executions(cx, &args(1)),
        "task" => {
            dict_key("__task_execution")?;
            crate::mistral::task(cx, &args(1))
        }
        "tasks" => crate::mistral::tasks(cx, &args(1)),
        "global" => {
            dict_key("__execution")?;
            crate::mistral::global(cx, &args(1))
        }
        _ => Err(Error::type_error(format!("unknown function {name}"))),
    }
}

impl Error {
    /// Python `RuntimeError(msg)` (reported as a `TypeError`-like runtime failure).
    pub fn runtime_error(msg: impl Into<String>) -> Error {
        Error::new(ErrorKind::ValueError, msg)
    }
}
