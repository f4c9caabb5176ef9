//! Python methods of `str`, `list`, `tuple` and `dict` callable from templates
//! (`_.s.upper()`, `_.d.get('k')`, `'{0}'.format(1)`). Mutating methods return what
//! Python returns (`None` for `append`) but, values being immutable, change nothing.

use super::{DictView, Namespace, bind, check, getitem, to_str};
use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::value::Value;

const STR_METHODS: &[&str] = &[
    "upper",
    "lower",
    "strip",
    "lstrip",
    "rstrip",
    "split",
    "rsplit",
    "splitlines",
    "startswith",
    "endswith",
    "replace",
    "join",
    "format",
    "find",
    "rfind",
    "index",
    "count",
    "title",
    "capitalize",
    "isdigit",
    "isalpha",
    "isalnum",
    "isspace",
    "islower",
    "isupper",
    "zfill",
    "center",
    "ljust",
    "rjust",
    "swapcase",
    "casefold",
    "partition",
];
const LIST_METHODS: &[&str] = &[
    "append", "extend", "insert", "pop", "remove", "index", "count", "sort", "reverse", "copy",
    "clear",
];
const DICT_METHODS: &[&str] = &[
    "keys",
    "values",
    "items",
    "get",
    "copy",
    "update",
    "pop",
    "setdefault",
    "clear",
    "popitem",
];

/// Does `obj` have a method called `name`?
pub fn has_method(obj: &Value, name: &str) -> bool {
    match obj {
        Value::Str(_) => STR_METHODS.contains(&name),
        Value::List(_) => LIST_METHODS.contains(&name),
        Value::Tuple(_) => matches!(name, "index" | "count"),
        Value::Dict(_) => DICT_METHODS.contains(&name),
        Value::Native(_) => {
            super::downcast::<super::Cycler>(obj).is_some()
                && matches!(name, "next" | "reset" | "current")
        }
        _ => false,
    }
}

fn opt_str(v: &Value) -> Result<Option<String>> {
    match check(v)? {
        Value::Null => Ok(None),
        Value::Str(s) => Ok(Some(s.as_str().to_owned())),
        other => Err(Error::type_error(format!(
            "must be str or None, not {}",
            other.type_name()
        ))),
    }
}

fn int_of(v: &Value) -> Result<i64> {
    v.as_i64_lenient().ok_or_else(|| {
        Error::type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            v.type_name()
        ))
    })
}

/// Calls method `name` of `obj`.
pub fn call_method(
    cx: &mut Ctx,
    obj: &Value,
    name: &str,
    args: Vec<Value>,
    kwargs: Vec<(String, Value)>,
) -> Result<Value> {
    let b = |params: &[&str]| bind(name, params, args.clone(), kwargs.clone());
    match obj {
        Value::Str(s) => str_method(cx, s, name, &b),
        Value::List(items) | Value::Tuple(items) => match name {
            "index" => {
                let a = b(&["x"])?;
                items
                    .iter()
                    .position(|x| super::eq(x, &a[0]))
                    .map(|i| Value::Int(i as i64))
                    .ok_or_else(|| Error::value_error("x not in list"))
            }
            "count" => {
                let a = b(&["x"])?;
                Ok(Value::Int(
                    items.iter().filter(|x| super::eq(x, &a[0])).count() as i64,
                ))
            }
            "copy" => Ok(Value::list(items.as_ref().clone())),
            "pop" => {
                let a = b(&["index=-1"])?;
                let i = int_of(&a[0])?;
                if items.is_empty() {
                    return Err(Error::index_error("pop from empty list"));
                }
                let idx = if i < 0 { i + items.len() as i64 } else { i };
                items
                    .get(usize::try_from(idx).unwrap_or(usize::MAX))
                    .cloned()
                    .ok_or_else(|| Error::index_error("pop index out of range"))
            }
            "remove" => {
                let a = b(&["x"])?;
                if items.iter().any(|x| super::eq(x, &a[0])) {
                    Ok(Value::Null)
                } else {
                    Err(Error::value_error("list.remove(x): x not in list"))
                }
            }
            "sort" => {
                b(&["key=none", "reverse=false"])?;
                Ok(Value::Null)
            }
            "append" => b(&["object"]).map(|_| Value::Null),
            "extend" => b(&["iterable"]).map(|_| Value::Null),
            "insert" => b(&["index", "object"]).map(|_| Value::Null),
            _ => b(&[]).map(|_| Value::Null),
        },
        Value::Dict(d) => match name {
            "keys" | "values" | "items" => {
                b(&[])?;
                let items = d
                    .map
                    .iter()
                    .map(|(k, v)| match name {
                        "keys" => k.0.clone(),
                        "values" => v.clone(),
                        _ => Value::tuple(vec![k.0.clone(), v.clone()]),
                    })
                    .collect();
                Ok(super::native(DictView {
                    kind: match name {
                        "keys" => "dict_keys",
                        "values" => "dict_values",
                        _ => "dict_items",
                    },
                    items,
                }))
            }
            "get" => {
                let a = b(&["key", "default=none"])?;
                crate::value::check_hashable(&a[0])?;
                Ok(d.get(&a[0]).cloned().unwrap_or_else(|| a[1].clone()))
            }
            "setdefault" => {
                let a = b(&["key", "default=none"])?;
                crate::value::check_hashable(&a[0])?;
                Ok(d.get(&a[0]).cloned().unwrap_or_else(|| a[1].clone()))
            }
            "pop" => {
                if args.len() >= 2 {
                    let a = b(&["key", "default"])?;
                    return Ok(d.get(&a[0]).cloned().unwrap_or_else(|| a[1].clone()));
                }
                let a = b(&["key"])?;
                d.get(&a[0])
                    .cloned()
                    .ok_or_else(|| Error::key_error(crate::pyfmt::repr(&a[0])))
            }
            "copy" => Ok(obj.clone()),
            "popitem" => d
                .map
                .iter()
                .last()
                .map(|(k, v)| Value::tuple(vec![k.0.clone(), v.clone()]))
                .ok_or_else(|| Error::key_error("'popitem(): dictionary is empty'")),
            _ => Ok(Value::Null),
        },
        Value::Native(_) => {
            if let Some(c) = super::downcast::<super::Cycler>(obj) {
                let n = c.items.len().max(1);
                let cur = c.items.get(c.pos.get() % n).cloned().unwrap_or(Value::Null);
                match name {
                    "next" => c.pos.set((c.pos.get() + 1) % n),
                    "reset" => {
                        c.pos.set(0);
                        return Ok(Value::Null);
                    }
                    _ => {}
                }
                return Ok(cur);
            }
            let _ = super::downcast::<Namespace>(obj);
            Err(Error::type_error("object is not callable"))
        }
        _ => Err(Error::type_error("object is not callable")),
    }
}

fn str_method(
    cx: &mut Ctx,
    s: &str,
    name: &str,
    b: &dyn Fn(&[&str]) -> Result<Vec<Value>>,
) -> Result<Value> {
    let strip_set = |a: &[Value]| -> Result<Option<Vec<char>>> {
        Ok(opt_str(&a[0])?.map(|c| c.chars().collect()))
    };
    Ok(match name {
        "upper" => {
            b(&[])?;
            Value::str(s.to_uppercase())
        }
        "lower" | "casefold" => {
            b(&[])?;
            Value::str(s.to_lowercase())
        }
        "swapcase" => {
            b(&[])?;
            Value::str(
                s.chars()
                    .map(|c| {
                        if c.is_uppercase() {
                            c.to_lowercase().collect::<String>()
                        } else {
                            c.to_uppercase().collect()
                        }
                    })
                    .collect::<String>(),
            )
        }
        "strip" | "lstrip" | "rstrip" => {
            let a = b(&["chars=none"])?;
            let set = strip_set(&a)?;
            let is = |c: char| match &set {
                Some(cs) => cs.contains(&c),
                None => c.is_whitespace(),
            };
            Value::str(match name {
                "strip" => s.trim_matches(is),
                "lstrip" => s.trim_start_matches(is),
                _ => s.trim_end_matches(is),
            })
        }
        "split" | "rsplit" => {
            let a = b(&["sep=none", "maxsplit=-1"])?;
            let max = int_of(&a[1])?;
            let parts: Vec<String> = match opt_str(&a[0])? {
                Some(sep) if sep.is_empty() => return Err(Error::value_error("empty separator")),
                Some(sep) => {
                    if max < 0 {
                        s.split(sep.as_str()).map(str::to_owned).collect()
                    } else if name == "split" {
                        s.splitn(max as usize + 1, sep.as_str())
                            .map(str::to_owned)
                            .collect()
                    } else {
                        let mut v: Vec<String> = s
                            .rsplitn(max as usize + 1, sep.as_str())
                            .map(str::to_owned)
                            .collect();
                        v.reverse();
                        v
                    }
                }
                None => {
                    let words: Vec<&str> = s.split_whitespace().collect();
                    if max < 0 || words.len() <= max as usize {
                        words.into_iter().map(str::to_owned).collect()
                    } else {
                        let mut rest = s.trim_start();
                        let mut out = Vec::new();
                        for _ in 0..max {
                            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                            out.push(rest[..end].to_owned());
                            rest = rest[end..].trim_start();
                        }
                        out.push(rest.to_owned());
                        out
                    }
                }
            };
            cx.charge(parts.len() * 32)?;
            Value::list(parts.into_iter().map(Value::str).collect())
        }
        "splitlines" => {
            b(&["keepends=false"])?;
            Value::list(s.lines().map(Value::str).collect())
        }
        "startswith" | "endswith" => {
            let a = b(&["prefix"])?;
            let pats: Vec<String> = match &a[0] {
                Value::Tuple(t) => t.iter().map(to_str).collect::<Result<_>>()?,
                Value::Str(p) => vec![p.as_str().to_owned()],
                other => {
                    return Err(Error::type_error(format!(
                        "{name} first arg must be str or a tuple of str, not {}",
                        other.type_name()
                    )));
                }
            };
            Value::Bool(pats.iter().any(|p| {
                if name == "startswith" {
                    s.starts_with(p.as_str())
                } else {
                    s.ends_with(p.as_str())
                }
            }))
        }
        "replace" => {
            let a = b(&["old", "new", "count=-1"])?;
            let (old, new) = (to_str(&a[0])?, to_str(&a[1])?);
            let n = int_of(&a[2])?;
            let r = if n < 0 {
                s.replace(&old, &new)
            } else {
                s.replacen(&old, &new, n as usize)
            };
            cx.charge(r.len())?;
            Value::str(r)
        }
        "join" => {
            let a = b(&["iterable"])?;
            let items = super::iterate(cx, &a[0])?;
            let mut parts = Vec::with_capacity(items.len());
            for it in &items {
                match it {
                    Value::Str(x) => parts.push(x.as_str().to_owned()),
                    other => {
                        return Err(Error::type_error(format!(
                            "sequence item 0: expected str instance, {} found",
                            other.type_name()
                        )));
                    }
                }
            }
            let r = parts.join(s);
            cx.charge(r.len())?;
            Value::str(r)
        }
        "format" => {
            let a = b(&["*args", "**kwargs"])?;
            Value::str(str_format(cx, s, &a[0], &a[1])?)
        }
        "find" | "rfind" | "index" | "count" => {
            let a = b(&["sub"])?;
            let sub = to_str(&a[0])?;
            let char_pos = |byte: usize| s[..byte].chars().count() as i64;
            match name {
                "count" => Value::Int(if sub.is_empty() {
                    s.chars().count() as i64 + 1
                } else {
                    s.matches(sub.as_str()).count() as i64
                }),
                "rfind" => Value::Int(s.rfind(sub.as_str()).map(char_pos).unwrap_or(-1)),
                "find" => Value::Int(s.find(sub.as_str()).map(char_pos).unwrap_or(-1)),
                _ => Value::Int(
                    s.find(sub.as_str())
                        .map(char_pos)
                        .ok_or_else(|| Error::value_error("substring not found"))?,
                ),
            }
        }
        "title" => {
            b(&[])?;
            Value::str(super::filters::title(s))
        }
        "capitalize" => {
            b(&[])?;
            Value::str(super::filters::capitalize(s))
        }
        "isdigit" | "isalpha" | "isalnum" | "isspace" => {
            b(&[])?;
            let f: fn(char) -> bool = match name {
                "isdigit" => |c| c.is_ascii_digit(),
                "isalpha" => char::is_alphabetic,
                "isalnum" => char::is_alphanumeric,
                _ => char::is_whitespace,
            };
            Value::Bool(!s.is_empty() && s.chars().all(f))
        }
        "islower" | "isupper" => {
            b(&[])?;
            let cased = s.chars().any(|c| c.is_lowercase() || c.is_uppercase());
            Value::Bool(
                cased
                    && if name == "islower" {
                        !s.chars().any(char::is_uppercase)
                    } else {
                        !s.chars().any(char::is_lowercase)
                    },
            )
        }
        "zfill" | "center" | "ljust" | "rjust" => {
            let a = b(&["width", "fillchar=' '"])?;
            let w = int_of(&a[0])?.max(0) as usize;
            cx.charge(w)?;
            let n = s.chars().count();
            if n >= w {
                return Ok(Value::str(s));
            }
            let fill = to_str(&a[1])?.chars().next().unwrap_or(' ');
            let pad = |k: usize| std::iter::repeat_n(fill, k).collect::<String>();
            Value::str(match name {
                "zfill" => {
                    let (sign, rest) = match s.chars().next() {
                        Some(c @ ('+' | '-')) => (c.to_string(), &s[1..]),
                        _ => (String::new(), s),
                    };
                    format!("{sign}{}{rest}", "0".repeat(w - n))
                }
                "ljust" => format!("{s}{}", pad(w - n)),
                "rjust" => format!("{}{s}", pad(w - n)),
                _ => {
                    let total = w - n;
                    let left = total / 2 + (total & w & 1);
                    format!("{}{s}{}", pad(left), pad(total - left))
                }
            })
        }
        "partition" => {
            let a = b(&["sep"])?;
            let sep = to_str(&a[0])?;
            match s.split_once(sep.as_str()) {
                Some((x, y)) => Value::tuple(vec![Value::str(x), Value::str(sep), Value::str(y)]),
                None => Value::tuple(vec![Value::str(s), Value::str(""), Value::str("")]),
            }
        }
        _ => {
            return Err(Error::type_error(format!(
                "'str' object has no method {name}"
            )));
        }
    })
}

/// Python `str.format` with `{}`, `{0}`, `{name}`, `{0.attr}`/`{0[key]}` fields and the
/// `!s`/`!r` conversions (format specs other than empty are applied to strings and
/// numbers through their `str()`).
pub fn str_format(cx: &mut Ctx, fmt: &str, args: &Value, kwargs: &Value) -> Result<String> {
    let args = args.as_seq().unwrap_or(&[]).to_vec();
    let mut out = String::new();
    let mut auto = 0usize;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut field = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    field.push(c);
                }
                if !closed {
                    return Err(Error::value_error("expected '}' before end of string"));
                }
                let (field, spec) = match field.split_once(':') {
                    Some((f, s)) => (f.to_string(), s.to_string()),
                    None => (field, String::new()),
                };
                let (field, conv) = match field.split_once('!') {
                    Some((f, c)) => (f.to_string(), c.to_string()),
                    None => (field, String::new()),
                };
                let end = field.find(['.', '[']).unwrap_or(field.len());
                let (head, mut rest) = field.split_at(end);
                let mut v = if head.is_empty() {
                    let v = args.get(auto).cloned().ok_or_else(|| {
                        Error::index_error(format!(
                            "Replacement index {auto} out of range for positional args tuple"
                        ))
                    })?;
                    auto += 1;
                    v
                } else if let Ok(i) = head.parse::<usize>() {
                    args.get(i).cloned().ok_or_else(|| {
                        Error::index_error(format!(
                            "Replacement index {i} out of range for positional args tuple"
                        ))
                    })?
                } else {
                    match kwargs {
                        Value::Dict(d) => d
                            .get_str(head)
                            .cloned()
                            .ok_or_else(|| Error::key_error(format!("'{head}'")))?,
                        _ => return Err(Error::key_error(format!("'{head}'"))),
                    }
                };
                while !rest.is_empty() {
                    if let Some(r) = rest.strip_prefix('.') {
                        let e = r.find(['.', '[']).unwrap_or(r.len());
                        v = super::getattr(cx, &v, &r[..e])?;
                        rest = &r[e..];
                    } else if let Some(r) = rest.strip_prefix('[') {
                        let e = r.find(']').unwrap_or(r.len());
                        let key = &r[..e];
                        let k = key
                            .parse::<i64>()
                            .map(Value::Int)
                            .unwrap_or_else(|_| Value::str(key));
                        v = getitem(cx, &v, &k)?;
                        rest = r.get(e + 1..).unwrap_or("");
                    } else {
                        break;
                    }
                }
                let text = if conv == "r" {
                    super::repr(&v)?
                } else if spec.is_empty() {
                    to_str(&v)?
                } else {
                    super::filters::format_spec(&v, &spec)?
                };
                cx.charge(text.len())?;
                out.push_str(&text);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// The mutating methods of `list` and `dict`.
pub fn is_mutator(obj: &Value, name: &str) -> bool {
    match obj {
        Value::List(_) => matches!(
            name,
            "append" | "extend" | "insert" | "pop" | "remove" | "sort" | "reverse" | "clear"
        ),
        Value::Dict(_) => matches!(name, "update" | "pop" | "setdefault" | "clear" | "popitem"),
        _ => false,
    }
}

/// Runs mutating method `name` on a copy of `obj`: `(what Python returns, the
/// object after the call)`. The evaluator stores the new object back where the
/// receiver came from, which is how templates observe `l.append(x)`.
pub fn mutate(
    cx: &mut Ctx,
    obj: &Value,
    name: &str,
    args: Vec<Value>,
    kwargs: Vec<(String, Value)>,
) -> Result<(Value, Value)> {
    let b = |params: &[&str]| bind(name, params, args.clone(), kwargs.clone());
    match obj {
        Value::List(items) => {
            let mut v = items.as_ref().clone();
            cx.charge(v.len() * 16 + 16)?;
            let ret = match name {
                "append" => {
                    v.push(b(&["object"])?.remove(0));
                    Value::Null
                }
                "extend" => {
                    let a = b(&["iterable"])?;
                    v.extend(super::iterate(cx, &a[0])?);
                    Value::Null
                }
                "insert" => {
                    let a = b(&["index", "object"])?;
                    let n = v.len() as i64;
                    let i = int_of(&a[0])?;
                    let i = if i < 0 { (i + n).max(0) } else { i.min(n) };
                    v.insert(i as usize, a[1].clone());
                    Value::Null
                }
                "pop" => {
                    let r = call_method(cx, obj, "pop", args.clone(), kwargs.clone())?;
                    let a = b(&["index=-1"])?;
                    let i = int_of(&a[0])?;
                    let idx = if i < 0 { i + v.len() as i64 } else { i };
                    if idx >= 0 && (idx as usize) < v.len() {
                        v.remove(idx as usize);
                    }
                    r
                }
                "remove" => {
                    let a = b(&["x"])?;
                    match v.iter().position(|x| super::eq(x, &a[0])) {
                        Some(i) => {
                            v.remove(i);
                        }
                        None => return Err(Error::value_error("list.remove(x): x not in list")),
                    }
                    Value::Null
                }
                "reverse" => {
                    b(&[])?;
                    v.reverse();
                    Value::Null
                }
                "clear" => {
                    b(&[])?;
                    v.clear();
                    Value::Null
                }
                _ => {
                    // sort(key=None, reverse=False); `key` callables are not supported.
                    let a = b(&["key=none", "reverse=false"])?;
                    let rev = a[1].truthy();
                    v = super::sort_values(cx, v, &mut |cx, x, y| {
                        if rev {
                            super::compare(cx, "<", y, x)
                        } else {
                            super::compare(cx, "<", x, y)
                        }
                    })?;
                    Value::Null
                }
            };
            Ok((ret, Value::list(v)))
        }
        Value::Dict(d) => {
            let mut m = d.as_ref().clone();
            cx.charge(m.len() * 40 + 16)?;
            let ret = match name {
                "update" => {
                    let a = b(&["other=none", "**kwargs"])?;
                    match check(&a[0])? {
                        Value::Null => {}
                        Value::Dict(o) => {
                            for (k, v) in o.map.iter() {
                                m.insert(k.0.clone(), v.clone())?;
                            }
                        }
                        other => {
                            for pair in super::iterate(cx, other)? {
                                match pair.as_seq() {
                                    Some([k, v]) => m.insert(k.clone(), v.clone())?,
                                    _ => {
                                        return Err(Error::value_error(
                                            "dictionary update sequence element has wrong length",
                                        ));
                                    }
                                }
                            }
                        }
                    }
                    if let Value::Dict(kw) = &a[1] {
                        for (k, v) in kw.map.iter() {
                            m.insert(k.0.clone(), v.clone())?;
                        }
                    }
                    Value::Null
                }
                "setdefault" => {
                    let a = b(&["key", "default=none"])?;
                    match m.get(&a[0]) {
                        Some(v) => v.clone(),
                        None => {
                            m.insert(a[0].clone(), a[1].clone())?;
                            a[1].clone()
                        }
                    }
                }
                "pop" => {
                    let r = call_method(cx, obj, "pop", args.clone(), kwargs.clone())?;
                    if let Some(k) = args.first() {
                        m.map.shift_remove(&crate::value::Key(k.clone()));
                    }
                    r
                }
                "popitem" => {
                    let r = call_method(cx, obj, "popitem", args.clone(), kwargs.clone())?;
                    m.map.pop();
                    r
                }
                _ => {
                    b(&[])?;
                    m.map.clear();
                    Value::Null
                }
            };
            Ok((ret, Value::dict(m)))
        }
        _ => call_method(cx, obj, name, args, kwargs).map(|r| (r, obj.clone())),
    }
}
