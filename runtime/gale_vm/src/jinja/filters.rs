//! Jinja2 3.1.6's builtin filters (`jinja2/filters.py`) and Mistral's functions
//! registered as filters, behind one table ([`FILTERS`]): name, Python parameter list
//! (bound by [`super::bind`]; the first parameter receives the piped value) and
//! implementation. Filters that return generators in Jinja (`map`, `select`, `batch`…)
//! return one-shot iterators here too.

use super::{
    NamedTuple, bind, check, generator, getattr, getitem, is_undefined, iterate, native,
    sort_values, to_str, truthy, undefined,
};
use crate::ctx::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::value::{Dict, Value};

/// A filter implementation: the bound arguments, in table order.
pub type FilterFn = fn(&mut Ctx, &[Value]) -> Result<Value>;

/// One filter of the table.
pub struct Filter {
    /// Its name in templates.
    pub name: &'static str,
    /// Python parameters (first = the piped value).
    pub params: &'static [&'static str],
    /// The implementation.
    pub imp: FilterFn,
    /// The Python function name used in argument errors.
    pub python_name: &'static str,
}

macro_rules! f {
    ($name:expr, [$($p:expr),*], $imp:expr) => {
        Filter { name: $name, params: &[$($p),*], imp: $imp, python_name: concat!("do_", $name) }
    };
    ($name:expr, $py:expr, [$($p:expr),*], $imp:expr) => {
        Filter { name: $name, params: &[$($p),*], imp: $imp, python_name: $py }
    };
}

/// Every filter Mistral's environment has.
pub static FILTERS: &[Filter] = &[
    f!("abs", "abs", ["x"], |_, a| super::unary("+", &a[0])
        .and_then(|v| abs(&v))),
    f!("attr", ["obj", "name"], |cx, a| getattr(
        cx,
        &a[0],
        &to_str(&a[1])?
    )),
    f!("batch", ["value", "linecount", "fill_with=none"], batch),
    f!("capitalize", ["s"], |_, a| Ok(Value::str(capitalize(
        &to_str(&a[0])?
    )))),
    f!("center", ["value", "width=80"], |cx, a| {
        super::methods::call_method(
            cx,
            &Value::str(to_str(&a[0])?),
            "center",
            vec![a[1].clone()],
            vec![],
        )
    }),
    f!("count", "len", ["obj"], length),
    f!("d", ["value", "default_value=''", "boolean=false"], default),
    f!(
        "default",
        ["value", "default_value=''", "boolean=false"],
        default
    ),
    f!(
        "dictsort",
        ["value", "case_sensitive=false", "by='key'", "reverse=false"],
        dictsort
    ),
    f!("e", "escape", ["s"], escape),
    f!("escape", "escape", ["s"], escape),
    f!("filesizeformat", ["value", "binary=false"], filesizeformat),
    f!("first", ["seq"], first),
    f!("float", ["value", "default=0.0"], float),
    f!("forceescape", ["value"], escape),
    f!("format", ["value", "*args", "**kwargs"], format),
    f!(
        "groupby",
        ["value", "attribute", "default=none", "case_sensitive=false"],
        groupby
    ),
    f!(
        "indent",
        ["s", "width=4", "first=false", "blank=false"],
        indent
    ),
    f!("int", ["value", "default=0", "base=10"], int),
    f!("items", ["value"], items),
    f!("join", ["value", "d=''", "attribute=none"], join),
    f!("last", ["seq"], last),
    f!("length", "len", ["obj"], length),
    f!("list", ["value"], |cx, a| Ok(Value::list(iterate(
        cx, &a[0]
    )?))),
    f!("lower", ["s"], |_, a| Ok(Value::str(
        to_str(&a[0])?.to_lowercase()
    ))),
    f!("map", ["value", "*args", "**kwargs"], map),
    f!(
        "max",
        ["value", "case_sensitive=false", "attribute=none"],
        |cx, a| min_max(cx, a, true)
    ),
    f!(
        "min",
        ["value", "case_sensitive=false", "attribute=none"],
        |cx, a| min_max(cx, a, false)
    ),
    f!("pprint", ["value"], |_, a| Ok(Value::str(super::repr(
        &a[0]
    )?))),
    f!("random", ["seq"], |cx, a| {
        let items = iterate(cx, &a[0])?;
        if items.is_empty() {
            return Err(Error::index_error("Cannot choose from an empty sequence"));
        }
        let i = (cx.next_random() % items.len() as u64) as usize;
        Ok(items[i].clone())
    }),
    f!("reject", ["value", "*args", "**kwargs"], |cx, a| select(
        cx, a, false, false
    )),
    f!(
        "rejectattr",
        ["value", "*args", "**kwargs"],
        |cx, a| select(cx, a, false, true)
    ),
    f!("replace", ["s", "old", "new", "count=none"], replace),
    f!("reverse", ["value"], reverse),
    f!("round", ["value", "precision=0", "method='common'"], round),
    f!("safe", ["value"], |_, a| Ok(Value::str(to_str(&a[0])?))),
    f!("select", ["value", "*args", "**kwargs"], |cx, a| select(
        cx, a, true, false
    )),
    f!(
        "selectattr",
        ["value", "*args", "**kwargs"],
        |cx, a| select(cx, a, true, true)
    ),
    f!("slice", ["value", "slices", "fill_with=none"], slice),
    f!(
        "sort",
        [
            "value",
            "reverse=false",
            "case_sensitive=false",
            "attribute=none"
        ],
        sort
    ),
    f!("string", "soft_str", ["value"], |_, a| Ok(Value::str(
        to_str(&a[0])?
    ))),
    f!("striptags", ["value"], striptags),
    f!("sum", ["iterable", "attribute=none", "start=0"], sum),
    f!("title", ["s"], |_, a| Ok(Value::str(title(&to_str(
        &a[0]
    )?)))),
    f!("tojson", ["value", "indent=none"], tojson),
    f!("trim", ["value", "chars=none"], |cx, a| {
        super::methods::call_method(
            cx,
            &Value::str(to_str(&a[0])?),
            "strip",
            vec![a[1].clone()],
            vec![],
        )
    }),
    f!(
        "truncate",
        [
            "s",
            "length=255",
            "killwords=false",
            "end='...'",
            "leeway=none"
        ],
        truncate
    ),
    f!(
        "unique",
        ["value", "case_sensitive=false", "attribute=none"],
        unique
    ),
    f!("upper", ["s"], |_, a| Ok(Value::str(
        to_str(&a[0])?.to_uppercase()
    ))),
    f!("urlencode", ["value"], urlencode),
    f!(
        "urlize",
        [
            "value",
            "trim_url_limit=none",
            "nofollow=false",
            "target=none",
            "rel=none",
            "extra_schemes=none"
        ],
        super::text::urlize
    ),
    f!(
        "wordwrap",
        [
            "s",
            "width=79",
            "break_long_words=true",
            "wrapstring=none",
            "break_on_hyphens=true"
        ],
        super::text::wordwrap
    ),
    f!("xmlattr", ["d", "autospace=true"], super::text::xmlattr),
    f!("wordcount", ["s"], |_, a| Ok(Value::Int(
        to_str(&a[0])?.split_whitespace().count() as i64
    ))),
    // Mistral's functions, registered as filters (unbound: the piped value is `context`).
    f!("env", "env_", ["context"], |cx, a| super::globals::mistral(
        cx, "env", a
    )),
    f!("execution", "execution_", ["context"], |cx, a| {
        super::globals::mistral(cx, "execution", a)
    }),
    f!(
        "executions",
        "executions_",
        [
            "context",
            "id=none",
            "root_execution_id=none",
            "state=none",
            "from_time=none",
            "to_time=none"
        ],
        |cx, a| super::globals::mistral(cx, "executions", a)
    ),
    f!("global", "global_", ["context", "var_name"], |cx, a| {
        super::globals::mistral(cx, "global", a)
    }),
    f!("json_dump", "json_dump_", ["context", "data"], |cx, a| {
        super::globals::mistral(cx, "json_dump", a)
    }),
    f!("json_parse", "json_parse_", ["context", "data"], |cx, a| {
        super::globals::mistral(cx, "json_parse", a)
    }),
    f!("task", "task_", ["context", "task_name=none"], |cx, a| {
        super::globals::mistral(cx, "task", a)
    }),
    f!(
        "tasks",
        "tasks_",
        [
            "context",
            "workflow_execution_id=none",
            "recursive=false",
            "state=none",
            "flat=false"
        ],
        |cx, a| super::globals::mistral(cx, "tasks", a)
    ),
    f!("uuid", "uuid_", ["context=none"], |cx, a| {
        super::globals::mistral(cx, "uuid", a)
    }),
    f!("yaml_dump", "yaml_dump_", ["context", "data"], |cx, a| {
        super::globals::mistral(cx, "yaml_dump", a)
    }),
    f!("yaml_parse", "yaml_parse_", ["context", "data"], |cx, a| {
        super::globals::mistral(cx, "yaml_parse", a)
    }),
];

/// The filter called `name`.
pub fn lookup(name: &str) -> Option<&'static Filter> {
    FILTERS.iter().find(|f| f.name == name)
}

/// Applies filter `name` to `value` with the call's arguments.
pub fn apply(
    cx: &mut Ctx,
    name: &str,
    value: Value,
    mut args: Vec<Value>,
    kwargs: Vec<(String, Value)>,
) -> Result<Value> {
    let f = lookup(name).ok_or_else(|| no_filter(name))?;
    cx.tick()?;
    args.insert(0, value);
    let bound = bind(f.python_name, f.params, args, kwargs)?;
    (f.imp)(cx, &bound)
}

/// `No filter named 'x'.`
pub fn no_filter(name: &str) -> Error {
    Error::new(
        ErrorKind::TemplateAssertionError,
        format!("No filter named '{name}'."),
    )
}

fn abs(v: &Value) -> Result<Value> {
    Ok(match v {
        Value::Float(f) => Value::Float(f.abs()),
        Value::Int(i) if *i < 0 => super::unary("-", v)?,
        Value::BigInt(_)
            if super::py_order("<", v, &Value::Int(0))? == Some(std::cmp::Ordering::Less) =>
        {
            super::unary("-", v)?
        }
        _ => v.clone(),
    })
}

/// Python `str.capitalize`.
pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f
            .to_uppercase()
            .chain(c.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// Jinja's `title` filter (words start after spaces, `-`, brackets and braces).
pub fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start && c.is_alphanumeric() {
            out.extend(c.to_uppercase());
            start = false;
        } else {
            out.extend(c.to_lowercase());
            if c.is_whitespace() || matches!(c, '-' | '(' | '[' | '{' | '<' | '"' | '\'') {
                start = true;
            } else if c.is_alphanumeric() {
                start = false;
            }
        }
    }
    out
}

fn default(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    let use_default = is_undefined(&a[0]) || (a[2].truthy() && !truthy(&a[0])?);
    Ok(if use_default {
        a[1].clone()
    } else {
        a[0].clone()
    })
}

fn length(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(Value::Int(super::len(&a[0])? as i64))
}

fn escape(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    let s = to_str(&a[0])?;
    Ok(Value::str(
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&#34;")
            .replace('\'', "&#39;"),
    ))
}

/// An attribute getter as Jinja's `make_attrgetter` (dotted path, integer parts).
pub fn attr_path(cx: &mut Ctx, item: &Value, attribute: &Value) -> Result<Value> {
    let parts: Vec<Value> = match attribute {
        Value::Str(s) => s
            .split('.')
            .map(|p| {
                p.parse::<i64>()
                    .map(Value::Int)
                    .unwrap_or_else(|_| Value::str(p))
            })
            .collect(),
        other => vec![other.clone()],
    };
    let mut v = item.clone();
    for p in parts {
        v = getitem(cx, &v, &p)?;
    }
    Ok(v)
}

fn key_of(cx: &mut Ctx, item: &Value, attribute: &Value, case_sensitive: bool) -> Result<Value> {
    let v = if attribute.truthy() {
        attr_path(cx, item, attribute)?
    } else {
        item.clone()
    };
    Ok(match (&v, case_sensitive) {
        (Value::Str(s), false) => Value::str(s.to_lowercase()),
        _ => v,
    })
}

fn lt(cx: &mut Ctx, a: &Value, b: &Value) -> Result<bool> {
    super::compare(cx, "<", a, b)
}

fn sort(cx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let items = iterate(cx, &a[0])?;
    let (reverse, cs, attr) = (a[1].truthy(), a[2].truthy(), a[3].clone());
    let mut keyed = Vec::with_capacity(items.len());
    for it in items {
        let k = key_of(cx, &it, &attr, cs)?;
        keyed.push(Value::tuple(vec![k, it]));
    }
    let key = |v: &Value| {
        v.as_seq()
            .and_then(|s| s.first())
            .cloned()
            .unwrap_or_default()
    };
    let sorted = sort_values(cx, keyed, &mut |cx, x, y| {
        if reverse {
            lt(cx, &key(y), &key(x))
        } else {
            lt(cx, &key(x), &key(y))
        }
    })?;
    Ok(Value::list(
        sorted
            .iter()
            .filter_map(|p| p.as_seq().and_then(|s| s.get(1)).cloned())
            .collect(),
    ))
}

fn dictsort(cx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let Value::Dict(d) = check(&a[0])? else {
        return Err(Error::type_error("dictsort: value is not a mapping"));
    };
    let pos = match a[2].as_str() {
        Some("key") => 0,
        Some("value") => 1,
        _ => {
            return Err(Error::new(
                ErrorKind::AttributeError,
                "You can only sort by either 'key' or 'value'",
            ));
        }
    };
    let (cs, reverse) = (a[1].truthy(), a[3].truthy());
    let pairs: Vec<Value> = d
        .map
        .iter()
        .map(|(k, v)| Value::tuple(vec![k.0.clone(), v.clone()]))
        .collect();
    let key = |v: &Value| -> Value {
        let x = v
            .as_seq()
            .and_then(|s| s.get(pos))
            .cloned()
            .unwrap_or_default();
        match (&x, cs) {
            (Value::Str(s), false) => Value::str(s.to_lowercase()),
            _ => x,
        }
    };
    let sorted = sort_values(cx, pairs, &mut |cx, x, y| {
        if reverse {
            lt(cx, &key(y), &key(x))
        } else {
            lt(cx, &key(x), &key(y))
        }
    })?;
    Ok(Value::list(sorted))
}

fn first(cx: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(iterate(cx, &a[0])?.into_iter().next().unwrap_or_else(|| {
        undefined(
            ErrorKind::UndefinedError,
            "No first item, sequence was empty.",
        )
    }))
}

fn last(cx: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(iterate(cx, &a[0])?.pop().unwrap_or_else(|| {
        undefined(
            ErrorKind::UndefinedError,
            "No last item, sequence was empty.",
        )
    }))
}

fn float(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    Ok(crate::builtins::math::py_float(&a[0]).unwrap_or_else(|_| a[1].clone()))
}

fn int(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    let v = &a[0];
    if let Value::Str(s) = v {
        let base = a[2].as_i64_lenient().unwrap_or(10);
        let t = s.trim().replace('_', "");
        if base != 10 {
            let digits = t
                .trim_start_matches("0x")
                .trim_start_matches("0o")
                .trim_start_matches("0b");
            return Ok(i64::from_str_radix(digits, base as u32)
                .map(Value::Int)
                .unwrap_or_else(|_| a[1].clone()));
        }
        if let Ok(i) = t.parse::<num_bigint::BigInt>() {
            return Ok(Value::from_bigint(i));
        }
        return Ok(match t.parse::<f64>() {
            Ok(f) if f.is_finite() => crate::builtins::math::py_int(&Value::Float(f))?,
            _ => a[1].clone(),
        });
    }
    Ok(crate::builtins::math::py_int(v).unwrap_or_else(|_| a[1].clone()))
}

fn items(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    if is_undefined(&a[0]) {
        return Ok(generator(Vec::new()));
    }
    match &a[0] {
        Value::Dict(d) => Ok(generator(
            d.map
                .iter()
                .map(|(k, v)| Value::tuple(vec![k.0.clone(), v.clone()]))
                .collect(),
        )),
        other => Err(Error::type_error(format!(
            "Can only get item pairs from a mapping, not {}",
            other.type_name()
        ))),
    }
}

fn join(cx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let items = iterate(cx, &a[0])?;
    let sep = to_str(&a[1])?;
    let mut parts = Vec::with_capacity(items.len());
    for it in &items {
        let v = if a[2].is_null() {
            it.clone()
        } else {
            attr_path(cx, it, &a[2])?
        };
        parts.push(to_str(&v)?);
    }
    let s = parts.join(&sep);
    cx.charge(s.len())?;
    Ok(Value::str(s))
}

impl Value {
    fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

fn map(cx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let items = iterate(cx, &a[0])?;
    let args = a[1].as_seq().unwrap_or(&[]).to_vec();
    let kw: Vec<(String, Value)> = match &a[2] {
        Value::Dict(d) => d
            .map
            .iter()
            .map(|(k, v)| (k.0.as_str().unwrap_or("").to_string(), v.clone()))
            .collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::with_capacity(items.len());
    if args.is_empty() {
        let attr = kw
            .iter()
            .find(|(k, _)| k == "attribute")
            .map(|(_, v)| v.clone());
        let dflt = kw
            .iter()
            .find(|(k, _)| k == "default")
            .map(|(_, v)| v.clone());
        let Some(attr) = attr else {
            return Ok(generator(items));
        };
        for it in items {
            let v = attr_path(cx, &it, &attr)?;
            out.push(match (&dflt, is_undefined(&v)) {
                (Some(d), true) => d.clone(),
                _ => v,
            });
        }
        return Ok(generator(out));
    }
    let name = to_str(&args[0])?;
    for it in items {
        out.push(apply(cx, &name, it, args[1..].to_vec(), kw.clone())?);
    }
    Ok(generator(out))
}

fn select(cx: &mut Ctx, a: &[Value], keep: bool, by_attr: bool) -> Result<Value> {
    let items = iterate(cx, &a[0])?;
    let mut args = a[1].as_seq().unwrap_or(&[]).to_vec();
    let kw: Vec<(String, Value)> = match &a[2] {
        Value::Dict(d) => d
            .map
            .iter()
            .map(|(k, v)| (k.0.as_str().unwrap_or("").to_string(), v.clone()))
            .collect(),
        _ => Vec::new(),
    };
    let attr = if by_attr {
        if args.is_empty() {
            return Err(Error::new(
                ErrorKind::TemplateAssertionError,
                "Missing parameter for attribute name",
            ));
        }
        Some(args.remove(0))
    } else {
        None
    };
    let test = if args.is_empty() {
        None
    } else {
        Some(to_str(&args.remove(0))?)
    };
    let mut out = Vec::new();
    for it in items {
        let v = match &attr {
            Some(at) => attr_path(cx, &it, at)?,
            None => it.clone(),
        };
        let ok = match &test {
            Some(t) => super::tests::apply(cx, t, v, args.clone(), kw.clone())?,
            None => truthy(&v)?,
        };
        if ok == keep {
            out.push(it);
        }
    }
    Ok(generator(out))
}

fn min_max(cx: &mut Ctx, a: &[Value], max: bool) -> Result<Value> {
    let items = iterate(cx, &a[0])?;
    let (cs, attr) = (a[1].truthy(), a[2].clone());
    let mut best: Option<(Value, Value)> = None;
    for it in items {
        let k = key_of(cx, &it, &attr, cs)?;
        let better = match &best {
            None => true,
            Some((bk, _)) => {
                if max {
                    lt(cx, bk, &k)?
                } else {
                    lt(cx, &k, bk)?
                }
            }
        };
        if better {
            best = Some((k, it));
        }
    }
    Ok(best.map(|(_, v)| v).unwrap_or_else(|| {
        undefined(
            ErrorKind::UndefinedError,
            "No aggregated item, sequence was empty.",
        )
    }))
}

fn replace(cx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let count = if a[3].is_null() {
        Value::Int(-1)
    } else {
        a[3].clone()
    };
    super::methods::call_method(
        cx,
        &Value::str(to_str(&a[0])?),
        "replace",
        vec![
            Value::str(to_str(&a[1])?),
            Value::str(to_str(&a[2])?),
            count,
        ],
        vec![],
    )
}

fn reverse(cx: &mut Ctx, a: &[Value]) -> Result<Value> {
    if let Value::Str(s) = check(&a[0])? {
        return Ok(Value::str(s.chars().rev().collect::<String>()));
    }
    let mut items = iterate(cx, &a[0])?;
    items.reverse();
    Ok(generator(items))
}

fn round(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    use crate::builtins::math::{round_float, to_f64};
    let v = check(&a[0])?;
    let p = a[1].as_i64_lenient().unwrap_or(0);
    let x = to_f64(v)?;
    Ok(Value::Float(match a[2].as_str() {
        Some("common") => round_float(x, p),
        Some("ceil") | Some("floor") => {
            let m = 10f64.powi(p as i32);
            if a[2].as_str() == Some("ceil") {
                (x * m).ceil() / m
            } else {
                (x * m).floor() / m
            }
        }
        _ => {
            return Err(Error::new(
                ErrorKind::TemplateAssertionError,
                "method must be common, ceil or floor",
            ));
        }
    }))
}

fn chunks(cx: &mut Ctx, a: &[Value]) -> Result<(Vec<Value>, usize)> {
    let items = iterate(cx, &a[0])?;
    let n = a[1]
        .as_i64_lenient()
        .ok_or_else(|| Error::type_error("an integer is required"))?;
    if n <= 0 {
        return Err(Error::value_error("count must be positive"));
    }
    Ok((items, n as usize))
}

fn batch(cx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let (items, n) = chunks(cx, a)?;
    if !a[2].is_null() {
        cx.charge(n.saturating_mul(16))?;
    }
    let mut out = Vec::new();
    for c in items.chunks(n) {
        let mut v = c.to_vec();
        if v.len() < n && !a[2].is_null() {
            v.resize(n, a[2].clone());
        }
        out.push(Value::list(v));
    }
    Ok(generator(out))
}

fn slice(cx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let (items, slices) = chunks(cx, a)?;
    cx.tick_n(slices as u64)?;
    let per = items.len() / slices;
    let with_extra = items.len() % slices;
    let mut offset = 0;
    let mut out = Vec::new();
    for i in 0..slices {
        let start = offset + i * per;
        if i < with_extra {
            offset += 1;
        }
        let end = offset + (i + 1) * per;
        let mut v = items
            .get(start..end.min(items.len()))
            .unwrap_or(&[])
            .to_vec();
        if !a[2].is_null() && i >= with_extra {
            v.push(a[2].clone());
        }
        out.push(Value::list(v));
    }
    Ok(generator(out))
}

fn sum(cx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let items = iterate(cx, &a[0])?;
    let mut acc = a[2].clone();
    for it in items {
        let v = if a[1].is_null() {
            it
        } else {
            attr_path(cx, &it, &a[1])?
        };
        acc = super::binary(cx, "+", &acc, &v)?;
    }
    Ok(acc)
}

fn unique(cx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let items = iterate(cx, &a[0])?;
    let (cs, attr) = (a[1].truthy(), a[2].clone());
    let mut seen = crate::value::Set::new_frozen();
    let mut out = Vec::new();
    for it in items {
        let k = key_of(cx, &it, &attr, cs)?;
        if !seen.contains(&k) {
            seen.insert(k)?;
            out.push(it);
        }
    }
    Ok(generator(out))
}

fn groupby(cx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let items = iterate(cx, &a[0])?;
    let cs = a[3].truthy();
    let key = |cx: &mut Ctx, it: &Value, fold: bool| -> Result<Value> {
        let v = attr_path(cx, it, &a[1])?;
        let v = if is_undefined(&v) && !a[2].is_null() {
            a[2].clone()
        } else {
            v
        };
        Ok(match (&v, fold) {
            (Value::Str(s), true) => Value::str(s.to_lowercase()),
            _ => v,
        })
    };
    let mut keyed = Vec::with_capacity(items.len());
    for it in items {
        let k = key(cx, &it, !cs)?;
        keyed.push(Value::tuple(vec![k, it]));
    }
    let k0 = |v: &Value| {
        v.as_seq()
            .and_then(|s| s.first())
            .cloned()
            .unwrap_or_default()
    };
    let sorted = sort_values(cx, keyed, &mut |cx, x, y| lt(cx, &k0(x), &k0(y)))?;
    let mut groups: Vec<(Value, Vec<Value>)> = Vec::new();
    for p in sorted {
        let (k, it) = (
            k0(&p),
            p.as_seq()
                .and_then(|s| s.get(1))
                .cloned()
                .unwrap_or_default(),
        );
        match groups.last_mut() {
            Some((gk, list)) if super::eq(gk, &k) => list.push(it),
            _ => groups.push((k, vec![it])),
        }
    }
    let mut out = Vec::with_capacity(groups.len());
    for (k, list) in groups {
        let grouper = if cs {
            k
        } else {
            match list.first() {
                Some(f) => key(cx, f, false)?,
                None => k,
            }
        };
        out.push(native(NamedTuple {
            type_name: "_GroupTuple",
            fields: &["grouper", "list"],
            values: vec![grouper, Value::list(list)],
        }));
    }
    Ok(Value::list(out))
}

fn indent(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    let s = to_str(&a[0])?;
    let pad = match &a[1] {
        Value::Str(p) => p.as_str().to_owned(),
        v => " ".repeat(v.as_i64_lenient().unwrap_or(4).clamp(0, 10_000) as usize),
    };
    let (first, blank) = (a[2].truthy(), a[3].truthy());
    let mut out = String::new();
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            if blank || !line.trim().is_empty() {
                out.push_str(&pad);
            }
        } else if first {
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    Ok(Value::str(out))
}

fn filesizeformat(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    let bytes = crate::builtins::math::to_f64(check(&a[0])?)?;
    let binary = a[1].truthy();
    let base: f64 = if binary { 1024.0 } else { 1000.0 };
    let prefixes = if binary {
        ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
    } else {
        ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    };
    if bytes == 1.0 {
        return Ok(Value::str("1 Byte"));
    }
    if bytes < base {
        return Ok(Value::str(format!("{} Bytes", bytes as i64)));
    }
    let mut unit = base;
    for (i, p) in prefixes.iter().enumerate() {
        unit = base.powi(i as i32 + 2);
        if bytes < unit {
            return Ok(Value::str(format!("{:.1} {p}", base * bytes / unit)));
        }
    }
    Ok(Value::str(format!("{:.1} YB", base * bytes / unit)))
}

fn striptags(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    let s = to_str(&a[0])?;
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    Ok(Value::str(
        out.split_whitespace().collect::<Vec<_>>().join(" "),
    ))
}

fn truncate(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    let s = to_str(&a[0])?;
    let length = a[1].as_i64_lenient().unwrap_or(255).max(0) as usize;
    let end = to_str(&a[3])?;
    let leeway = a[4].as_i64_lenient().unwrap_or(5).max(0) as usize;
    let n = s.chars().count();
    if n <= length + leeway {
        return Ok(Value::str(s));
    }
    let keep = length.saturating_sub(end.chars().count());
    let head: String = s.chars().take(keep).collect();
    if a[2].truthy() {
        return Ok(Value::str(format!("{head}{end}")));
    }
    let cut = match head.rfind(' ') {
        Some(i) => &head[..i],
        None => head.as_str(),
    };
    Ok(Value::str(format!("{cut}{end}")))
}

fn urlencode(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    // Jinja's `url_quote`: `/` is safe except in query-string mode, where a space
    // becomes `+`.
    let quote_with = |s: &str, for_qs: bool| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                    (b as char).to_string()
                }
                b'/' if !for_qs => "/".to_string(),
                b' ' if for_qs => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let quote = |s: &str| quote_with(s, true);
    Ok(Value::str(match check(&a[0])? {
        Value::Dict(d) => d
            .map
            .iter()
            .map(|(k, v)| Ok(format!("{}={}", quote(&to_str(&k.0)?), quote(&to_str(v)?))))
            .collect::<Result<Vec<_>>>()?
            .join("&"),
        v => quote_with(&to_str(v)?, false),
    }))
}

fn tojson(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    let mut out = String::new();
    let indent = a[1].as_i64_lenient();
    if indent.is_some_and(|n| n > MAX_WIDTH as i64) {
        return Err(Error::new(
            ErrorKind::MemoryQuotaExceeded,
            "indent exceeds the memory budget",
        ));
    }
    write_json(check(&a[0])?, indent, 0, &mut out)?;
    Ok(Value::str(
        out.replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
            .replace('\'', "\\u0027"),
    ))
}

/// `json.dumps(v, sort_keys=True[, indent])`, as Jinja's `htmlsafe_json_dumps` calls it.
fn write_json(v: &Value, indent: Option<i64>, depth: usize, out: &mut String) -> Result<()> {
    let nl = |d: usize, out: &mut String| {
        if let Some(n) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(n.max(0) as usize * d));
        }
    };
    let sep = if indent.is_some() { "," } else { ", " };
    match v {
        Value::Tuple(items) | Value::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                nl(depth + 1, out);
                write_json(it, indent, depth + 1, out)?;
            }
            nl(depth, out);
            out.push(']');
        }
        Value::Dict(d) => {
            if d.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            let mut keys: Vec<(String, &Value)> = Vec::new();
            for (k, val) in d.map.iter() {
                let key = match &k.0 {
                    Value::Str(s) => s.as_str().to_owned(),
                    Value::Null => "null".into(),
                    Value::Bool(b) => b.to_string(),
                    other => crate::pyfmt::py_str(other),
                };
                keys.push((key, val));
            }
            keys.sort_by(|x, y| x.0.cmp(&y.0));
            out.push('{');
            for (i, (k, val)) in keys.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                nl(depth + 1, out);
                out.push_str(&crate::mistral::json_dumps(&Value::str(k.as_str()))?);
                out.push_str(": ");
                write_json(val, indent, depth + 1, out)?;
            }
            nl(depth, out);
            out.push('}');
        }
        Value::Native(_) => {
            return Err(Error::type_error(format!(
                "Object of type {} is not JSON serializable",
                match v {
                    Value::Native(n) => n.0.type_name(),
                    _ => v.type_name(),
                }
            )));
        }
        other => out.push_str(&crate::mistral::json_dumps(other)?),
    }
    Ok(())
}

fn format(cx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let f = to_str(&a[0])?;
    let has_kw = matches!(&a[2], Value::Dict(d) if !d.is_empty());
    let has_args = matches!(&a[1], Value::Tuple(t) if !t.is_empty());
    if has_kw && has_args {
        return Err(Error::new(
            ErrorKind::TemplateAssertionError,
            "can't handle positional and keyword arguments at the same time",
        ));
    }
    let _ = cx;
    let arg = if has_kw { a[2].clone() } else { a[1].clone() };
    Ok(Value::str(percent_format(&f, &arg)?))
}

/// Python `fmt % args` (`%s %r %d %i %f %x %o %e %g %%`, `%(name)s`, flags, width and
/// precision).
pub fn percent_format(fmt: &str, args: &Value) -> Result<String> {
    let positional: Vec<Value> = match args {
        Value::Tuple(t) => t.as_ref().clone(),
        Value::Dict(_) => Vec::new(),
        other => vec![other.clone()],
    };
    let mut next = 0usize;
    let mut out = String::new();
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut key = None;
        if chars.get(i) == Some(&'(') {
            let end = chars[i..].iter().position(|&c| c == ')').map(|p| p + i);
            let Some(end) = end else {
                return Err(Error::value_error("incomplete format key"));
            };
            key = Some(chars[i + 1..end].iter().collect::<String>());
            i = end + 1;
        }
        let mut spec = String::new();
        while let Some(&c) = chars.get(i) {
            if "-+ #0123456789.".contains(c) {
                spec.push(c);
                i += 1;
            } else {
                break;
            }
        }
        let Some(&conv) = chars.get(i) else {
            return Err(Error::value_error("incomplete format"));
        };
        i += 1;
        if conv == '%' {
            out.push('%');
            continue;
        }
        let v = match &key {
            Some(k) => match args {
                Value::Dict(d) => d
                    .get_str(k)
                    .cloned()
                    .ok_or_else(|| Error::key_error(format!("'{k}'")))?,
                _ => return Err(Error::type_error("format requires a mapping")),
            },
            None => {
                let v = positional
                    .get(next)
                    .cloned()
                    .ok_or_else(|| Error::type_error("not enough arguments for format string"))?;
                next += 1;
                v
            }
        };
        out.push_str(&format_spec(&v, &format!("{spec}{conv}"))?);
    }
    if key_less(fmt) && next < positional.len() && !matches!(args, Value::Dict(_)) {
        return Err(Error::type_error(
            "not all arguments converted during string formatting",
        ));
    }
    Ok(out)
}

fn key_less(fmt: &str) -> bool {
    !fmt.contains("%(")
}

/// Largest field width or precision a format spec may ask for.
pub const MAX_WIDTH: usize = 1 << 20;

/// Formats one value with a Python format spec such as `>5`, `.2f`, `05d`, `s`, `r`.
pub fn format_spec(v: &Value, spec: &str) -> Result<String> {
    use crate::builtins::math::to_f64;
    let conv = spec
        .chars()
        .last()
        .filter(|c| c.is_ascii_alphabetic())
        .unwrap_or('s');
    let body =
        if spec.ends_with(conv) && spec.chars().last().is_some_and(|c| c.is_ascii_alphabetic()) {
            &spec[..spec.len() - 1]
        } else {
            spec
        };
    let (align, body) = match body.chars().next() {
        Some(c @ ('<' | '>' | '^')) => (Some(c), &body[1..]),
        _ => (None, body),
    };
    let left = body.starts_with('-') || align == Some('<');
    let body = body.trim_start_matches(['-', '+', ' ', '#']);
    let zero = body.starts_with('0');
    let (w, prec) = match body.split_once('.') {
        Some((w, p)) => (w, p.parse::<usize>().ok()),
        None => (body, None),
    };
    let width = w.parse::<usize>().unwrap_or(0);
    if width > MAX_WIDTH || prec.is_some_and(|p| p > MAX_WIDTH) {
        return Err(Error::new(
            ErrorKind::MemoryQuotaExceeded,
            "format width exceeds the memory budget",
        ));
    }
    let text = match conv {
        's' => {
            let s = to_str(v)?;
            match prec {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            }
        }
        'r' | 'a' => super::repr(v)?,
        'd' | 'i' | 'u' => match check(v)? {
            Value::Float(f) => format!("{}", f.trunc() as i64),
            Value::Bool(b) => (*b as i64).to_string(),
            Value::Int(_) | Value::BigInt(_) => crate::pyfmt::py_str(v),
            other => {
                return Err(Error::type_error(format!(
                    "%d format: a real number is required, not {}",
                    other.type_name()
                )));
            }
        },
        'f' | 'F' => format!("{:.*}", prec.unwrap_or(6), to_f64(check(v)?)?),
        'e' | 'E' => {
            let s = format!("{:.*e}", prec.unwrap_or(6), to_f64(check(v)?)?);
            // Rust: 1.5e3 → Python 1.5e+03
            match s.split_once('e') {
                Some((m, e)) => {
                    let (sign, digits) = match e.strip_prefix('-') {
                        Some(d) => ('-', d),
                        None => ('+', e),
                    };
                    format!("{m}e{sign}{digits:0>2}")
                }
                None => s,
            }
        }
        'g' | 'G' => crate::pyfmt::float_repr(to_f64(check(v)?)?),
        'x' | 'X' | 'o' => {
            let i = v
                .as_i64_lenient()
                .ok_or_else(|| Error::type_error("an integer is required"))?;
            match conv {
                'x' => format!("{i:x}"),
                'X' => format!("{i:X}"),
                _ => format!("{i:o}"),
            }
        }
        'c' => match v {
            Value::Int(i) => char::from_u32(*i as u32)
                .map(String::from)
                .unwrap_or_default(),
            _ => to_str(v)?,
        },
        other => {
            return Err(Error::value_error(format!(
                "unsupported format character '{other}'"
            )));
        }
    };
    let n = text.chars().count();
    if n >= width {
        return Ok(text);
    }
    let pad = width - n;
    Ok(if left {
        format!("{text}{}", " ".repeat(pad))
    } else if align == Some('^') {
        format!("{}{text}{}", " ".repeat(pad / 2), " ".repeat(pad - pad / 2))
    } else if zero && conv != 's' {
        match text.strip_prefix('-') {
            Some(t) => format!("-{}{t}", "0".repeat(pad)),
            None => format!("{}{text}", "0".repeat(pad)),
        }
    } else {
        format!("{}{text}", " ".repeat(pad))
    })
}

/// A dict from keyword arguments (`dict(a=1)`).
pub fn dict_of(kwargs: Vec<(String, Value)>) -> Result<Value> {
    let mut d = Dict::new();
    for (k, v) in kwargs {
        d.insert(Value::str(k), v)?;
    }
    Ok(Value::dict(d))
}
