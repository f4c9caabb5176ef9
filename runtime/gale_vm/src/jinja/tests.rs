//! Jinja2 3.1.6's builtin tests (`jinja2/tests.py`), behind one table ([`TESTS`]) of
//! Python parameter lists bound by [`super::bind`] (the first parameter is the tested
//! value).

use super::{Function, Method, bind, check, compare, downcast, eq, is_undefined};
use crate::ctx::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::value::Value;

/// A test implementation: the bound arguments, in table order.
pub type TestFn = fn(&mut Ctx, &[Value]) -> Result<bool>;

/// One test of the table.
pub struct Test {
    /// Its name in templates.
    pub name: &'static str,
    /// Python parameters (first = the tested value).
    pub params: &'static [&'static str],
    /// The implementation.
    pub imp: TestFn,
}

fn cmp(cx: &mut Ctx, a: &[Value], op: &str) -> Result<bool> {
    compare(cx, op, &a[0], &a[1])
}

fn int_of(v: &Value) -> Result<i64> {
    match check(v)? {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(*b as i64),
        Value::BigInt(b) => Ok(if b.bit(0) { 1 } else { 0 }),
        other => Err(Error::type_error(format!(
            "unsupported operand type(s) for %: '{}' and 'int'",
            other.type_name()
        ))),
    }
}

macro_rules! t {
    ($name:expr, [$($p:expr),*], $imp:expr) => {
        Test { name: $name, params: &[$($p),*], imp: $imp }
    };
}

/// Every test Mistral's environment has.
pub static TESTS: &[Test] = &[
    t!("boolean", ["value"], |_, a| Ok(matches!(
        check(&a[0])?,
        Value::Bool(_)
    ))),
    t!("callable", ["obj"], |_, a| Ok(downcast::<Method>(&a[0])
        .is_some()
        || downcast::<Function>(&a[0]).is_some())),
    t!("defined", ["value"], |_, a| Ok(!is_undefined(&a[0]))),
    t!("divisibleby", ["value", "num"], |cx, a| {
        let r = super::binary(cx, "%", &a[0], &a[1])?;
        Ok(crate::compare::is_zero(&r))
    }),
    t!("eq", ["a", "b"], |cx, a| cmp(cx, a, "==")),
    t!("equalto", ["a", "b"], |cx, a| cmp(cx, a, "==")),
    t!("==", ["a", "b"], |cx, a| cmp(cx, a, "==")),
    t!("escaped", ["value"], |_, _| Ok(false)),
    t!("even", ["value"], |_, a| Ok(int_of(&a[0])? % 2 == 0)),
    t!("false", ["value"], |_, a| Ok(matches!(
        check(&a[0])?,
        Value::Bool(false)
    ))),
    t!("filter", ["value"], |_, a| Ok(a[0]
        .as_str()
        .is_some_and(|n| super::filters::lookup(n).is_some()))),
    t!("float", ["value"], |_, a| Ok(matches!(
        check(&a[0])?,
        Value::Float(_)
    ))),
    t!("ge", ["a", "b"], |cx, a| cmp(cx, a, ">=")),
    t!(">=", ["a", "b"], |cx, a| cmp(cx, a, ">=")),
    t!("gt", ["a", "b"], |cx, a| cmp(cx, a, ">")),
    t!(">", ["a", "b"], |cx, a| cmp(cx, a, ">")),
    t!("greaterthan", ["a", "b"], |cx, a| cmp(cx, a, ">")),
    t!("in", ["value", "seq"], |cx, a| super::contains(
        cx, &a[1], &a[0]
    )),
    t!("integer", ["value"], |_, a| Ok(matches!(
        check(&a[0])?,
        Value::Int(_) | Value::BigInt(_)
    ))),
    t!("iterable", ["value"], |_, a| Ok(matches!(
        check(&a[0])?,
        Value::Str(_)
            | Value::Tuple(_)
            | Value::List(_)
            | Value::Dict(_)
            | Value::Set(_)
            | Value::Iter(_)
    ) || downcast::<
        super::DictView,
    >(&a[0])
    .is_some()
        || downcast::<super::NamedTuple>(&a[0]).is_some())),
    t!("le", ["a", "b"], |cx, a| cmp(cx, a, "<=")),
    t!("<=", ["a", "b"], |cx, a| cmp(cx, a, "<=")),
    t!("lower", ["value"], |_, a| {
        let s = super::to_str(&a[0])?;
        Ok(s.chars().any(char::is_lowercase) && !s.chars().any(char::is_uppercase))
    }),
    t!("lt", ["a", "b"], |cx, a| cmp(cx, a, "<")),
    t!("<", ["a", "b"], |cx, a| cmp(cx, a, "<")),
    t!("lessthan", ["a", "b"], |cx, a| cmp(cx, a, "<")),
    t!("mapping", ["value"], |_, a| Ok(matches!(
        check(&a[0])?,
        Value::Dict(_)
    ))),
    t!("ne", ["a", "b"], |cx, a| cmp(cx, a, "!=")),
    t!("!=", ["a", "b"], |cx, a| cmp(cx, a, "!=")),
    t!("none", ["value"], |_, a| Ok(matches!(a[0], Value::Null))),
    t!("number", ["value"], |_, a| Ok(matches!(
        check(&a[0])?,
        Value::Int(_) | Value::BigInt(_) | Value::Float(_) | Value::Bool(_)
    ))),
    t!("odd", ["value"], |_, a| Ok(int_of(&a[0])? % 2 != 0)),
    t!("sameas", ["value", "other"], |_, a| Ok(
        match (&a[0], &a[1]) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Native(_), Value::Native(_)) => eq(&a[0], &a[1]),
            _ => false,
        }
    )),
    t!("sequence", ["value"], |_, a| Ok(matches!(
        check(&a[0])?,
        Value::Str(_) | Value::Tuple(_) | Value::List(_) | Value::Dict(_) | Value::Set(_)
    ))),
    t!("string", ["value"], |_, a| Ok(matches!(
        check(&a[0])?,
        Value::Str(_)
    ))),
    t!("test", ["value"], |_, a| Ok(a[0]
        .as_str()
        .is_some_and(|n| lookup(n).is_some()))),
    t!("true", ["value"], |_, a| Ok(matches!(
        check(&a[0])?,
        Value::Bool(true)
    ))),
    t!("undefined", ["value"], |_, a| Ok(is_undefined(&a[0]))),
    t!("upper", ["value"], |_, a| {
        let s = super::to_str(&a[0])?;
        Ok(s.chars().any(char::is_uppercase) && !s.chars().any(char::is_lowercase))
    }),
];

/// The test called `name`.
pub fn lookup(name: &str) -> Option<&'static Test> {
    TESTS.iter().find(|t| t.name == name)
}

/// `No test named 'x'.`
pub fn no_test(name: &str) -> Error {
    Error::new(
        ErrorKind::TemplateAssertionError,
        format!("No test named '{name}'."),
    )
}

/// Runs test `name` on `value`.
pub fn apply(
    cx: &mut Ctx,
    name: &str,
    value: Value,
    mut args: Vec<Value>,
    kwargs: Vec<(String, Value)>,
) -> Result<bool> {
    let t = lookup(name).ok_or_else(|| no_test(name))?;
    cx.tick()?;
    args.insert(0, value);
    let bound = bind(name, t.params, args, kwargs)?;
    (t.imp)(cx, &bound)
}
