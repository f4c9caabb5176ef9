//! The Python-compatible data model as yaql sees it.
//!
//! [`Value`] is 16 bytes: a tag plus one 8-byte payload. Scalars (`None`, `bool`, `int`
//! in the i64 fast path, `float`, `timedelta`) are stored inline; everything else is
//! behind an `Rc`, so cloning a value is a reference-count increment and never copies a
//! collection. Values are immutable: builtins build new containers (copy-on-write with
//! [`Rc::make_mut`] where the old one is uniquely owned).
//!
//! Python's distinctions that yaql users can observe are kept:
//! * `tuple` ([`Value::Tuple`], every YAQL list literal and converted input list) versus
//!   `list` ([`Value::List`], e.g. `json_parse` results, `toList()`): equal only to their
//!   own kind, and a `list` is unhashable;
//! * `frozenset` versus `set` (same equality, different `repr`);
//! * ints are unbounded: [`Value::Int`] overflows into [`Value::BigInt`] (invariant: a
//!   `BigInt` never fits in an i64, so each integer has exactly one representation);
//! * lazy single-pass iterators ([`Value::Iter`]), equal only to themselves.
//!
//! Dict and set keys use Python key semantics ([`Key`]): `1`, `1.0` and `true` are the
//! same key, and hashing agrees with equality.

use std::cell::RefCell;
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::rc::Rc;

use indexmap::{IndexMap, IndexSet};
use num_bigint::BigInt;
use num_traits::ToPrimitive;
use rustc_hash::FxHasher;

use crate::datetime::DateTime;
use crate::error::{Error, Result};
use crate::iter::IterObj;

/// The hasher used by dicts and sets.
pub type FxBuild = BuildHasherDefault<FxHasher>;

/// A Python value.
#[derive(Clone, Default)]
pub enum Value {
    /// `None` (`null` in YAQL).
    #[default]
    Null,
    /// `bool` (`true`/`false`).
    Bool(bool),
    /// `int` within i64.
    Int(i64),
    /// `int` outside i64 (never holds a value that fits in i64).
    BigInt(Rc<BigInt>),
    /// `float`.
    Float(f64),
    /// `str`.
    Str(Rc<String>),
    /// `tuple`: YAQL list literals and converted input sequences.
    Tuple(Rc<Vec<Value>>),
    /// Python `list`: mutable-list results (`json_parse`, `toList()`); unhashable.
    List(Rc<Vec<Value>>),
    /// `dict` / yaql `FrozenDict`, insertion-ordered.
    Dict(Rc<Dict>),
    /// `set` / `frozenset`.
    Set(Rc<Set>),
    /// A lazy iterator (single-pass) or a replayable lazy iterable (`memorize()`).
    Iter(Rc<IterObj>),
    /// Timezone-aware `datetime`.
    DateTime(Rc<DateTime>),
    /// `timedelta`, in microseconds.
    TimeDelta(i64),
    /// A compiled regular expression.
    Regex(Rc<Regex>),
    /// A host object (interpreter contexts, delegates): opaque to the library.
    Native(Rc<NativeBox>),
}

/// Boxed host object stored in [`Value::Native`].
pub struct NativeBox(pub Box<dyn Native>);

/// A host object that the interpreter stores inside a [`Value`].
pub trait Native: std::any::Any {
    /// The Python-ish type name used in messages.
    fn type_name(&self) -> &'static str;
    /// Upcast for downcasting by the host.
    fn as_any(&self) -> &dyn std::any::Any;
    /// The qualified Python type (`builtins.dict_keys`), for opaque encodings.
    fn qualname(&self) -> String {
        self.type_name().to_string()
    }
}

/// A compiled regular expression with its Python source and flags.
pub struct Regex {
    /// The pattern as written (Python syntax).
    pub pattern: String,
    /// Python `re` flag bits (`re.I` = 2, `re.M` = 8, `re.S` = 16, `re.U` = 32).
    pub flags: u32,
    /// The compiled engine.
    pub compiled: fancy_regex::Regex,
}

/// An insertion-ordered dict with Python key semantics.
#[derive(Clone, Default)]
pub struct Dict {
    /// The entries.
    pub map: IndexMap<Key, Value, FxBuild>,
}

/// An insertion-ordered set with Python element semantics.
#[derive(Clone, Default)]
pub struct Set {
    /// The elements.
    pub items: IndexSet<Key, FxBuild>,
    /// `frozenset` (yaql's sets) rather than `set` (output conversion).
    pub frozen: bool,
}

/// A dict key / set element: a value compared and hashed like Python does.
#[derive(Clone)]
pub struct Key(pub Value);

impl Key {
    /// Wraps `v` after checking that Python could hash it.
    pub fn new(v: Value) -> Result<Key> {
        check_hashable(&v)?;
        Ok(Key(v))
    }
}

/// Raises `TypeError: unhashable type` for values Python cannot hash.
pub fn check_hashable(v: &Value) -> Result<()> {
    match v {
        Value::List(_) => Err(Error::type_error("unhashable type: 'list'")),
        Value::Tuple(items) => items.iter().try_for_each(check_hashable),
        _ => Ok(()),
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        crate::compare::py_eq(&self.0, &other.0)
    }
}
impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        crate::compare::py_hash(&self.0, state)
    }
}

impl Dict {
    /// An empty dict.
    pub fn new() -> Dict {
        Dict::default()
    }
    /// Looks `key` up.
    pub fn get(&self, key: &Value) -> Option<&Value> {
        // Borrowing as Key requires a clone of the Rc only (cheap).
        self.map.get(&Key(key.clone()))
    }
    /// Looks a string key up without allocating a `Value`.
    pub fn get_str(&self, key: &str) -> Option<&Value> {
        self.map.get(&Key(Value::str(key)))
    }
    /// Inserts (later duplicates win, keeping the first position like Python).
    pub fn insert(&mut self, key: Value, value: Value) -> Result<()> {
        self.map.insert(Key::new(key)?, value);
        Ok(())
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl Set {
    /// An empty frozenset.
    pub fn new_frozen() -> Set {
        Set {
            items: IndexSet::default(),
            frozen: true,
        }
    }
    /// Adds an element (unhashable → TypeError).
    pub fn insert(&mut self, v: Value) -> Result<()> {
        self.items.insert(Key::new(v)?);
        Ok(())
    }
    /// Membership.
    pub fn contains(&self, v: &Value) -> bool {
        self.items.contains(&Key(v.clone()))
    }
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl Value {
    /// A `str` value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(Rc::new(s.into()))
    }
    /// A `tuple` value.
    pub fn tuple(items: Vec<Value>) -> Value {
        Value::Tuple(Rc::new(items))
    }
    /// A Python `list` value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(items))
    }
    /// A dict value.
    pub fn dict(d: Dict) -> Value {
        Value::Dict(Rc::new(d))
    }
    /// A frozenset value.
    pub fn set(s: Set) -> Value {
        Value::Set(Rc::new(s))
    }
    /// An int from a big integer, normalised to the i64 fast path when it fits.
    pub fn from_bigint(b: BigInt) -> Value {
        match b.to_i64() {
            Some(i) => Value::Int(i),
            None => Value::BigInt(Rc::new(b)),
        }
    }
    /// A float value.
    pub fn float(f: f64) -> Value {
        Value::Float(f)
    }

    /// The Python type name (`'int'`, `'str'`, `'tuple'`...), used in messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Tuple(_) => "tuple",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
            Value::Set(s) => {
                if s.frozen {
                    "frozenset"
                } else {
                    "set"
                }
            }
            Value::Iter(_) => "iterator",
            Value::DateTime(_) => "datetime",
            Value::TimeDelta(_) => "timedelta",
            Value::Regex(_) => "Pattern",
            Value::Native(n) => n.0.type_name(),
        }
    }

    /// Python truthiness.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::BigInt(_) => true,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Tuple(v) | Value::List(v) => !v.is_empty(),
            Value::Dict(d) => !d.is_empty(),
            Value::Set(s) => !s.is_empty(),
            Value::TimeDelta(t) => *t != 0,
            Value::Iter(_) | Value::DateTime(_) | Value::Regex(_) | Value::Native(_) => true,
        }
    }

    /// The string slice when this is a `str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// The items when this is a tuple or list.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::Tuple(v) | Value::List(v) => Some(v.as_slice()),
            _ => None,
        }
    }

    /// True for `int` (not `bool`).
    pub fn is_integer(&self) -> bool {
        matches!(self, Value::Int(_) | Value::BigInt(_))
    }

    /// True for `int` or `float` (not `bool`).
    pub fn is_number(&self) -> bool {
        matches!(self, Value::Int(_) | Value::BigInt(_) | Value::Float(_))
    }

    /// yaql's `is_iterable`: anything iterable except strings and dicts.
    pub fn is_iterable(&self) -> bool {
        matches!(
            self,
            Value::Tuple(_) | Value::List(_) | Value::Set(_) | Value::Iter(_)
        )
    }

    /// The i64 when this is an int (bools count, as Python `int` parameters accept them).
    pub fn as_i64_lenient(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(*b as i64),
            _ => None,
        }
    }

    /// Approximate heap footprint in bytes, for the memory budget.
    pub fn approx_size(&self) -> usize {
        match self {
            Value::Str(s) => 16 + s.len(),
            Value::Tuple(v) | Value::List(v) => 16 + v.len() * 16,
            Value::Dict(d) => 16 + d.len() * 40,
            Value::Set(s) => 16 + s.len() * 24,
            Value::BigInt(b) => 16 + (b.bits() as usize) / 8,
            _ => 16,
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::str(s)
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(Rc::new(s))
    }
}

impl PartialEq for Value {
    /// Python `==`.
    fn eq(&self, other: &Value) -> bool {
        crate::compare::py_eq(self, other)
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::pyfmt::repr(self))
    }
}

impl fmt::Display for Value {
    /// Python `str()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::pyfmt::py_str(self))
    }
}

/// A cell for interior mutability of iterator state (single-threaded by design).
pub type Cell<T> = RefCell<T>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
        assert_eq!(std::mem::size_of::<Result<Value>>(), 16);
    }

    #[test]
    fn python_key_semantics() {
        let mut d = Dict::new();
        d.insert(Value::Int(1), Value::str("int")).unwrap();
        d.insert(Value::Float(1.0), Value::str("float")).unwrap();
        d.insert(Value::Bool(true), Value::str("bool")).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(d.get(&Value::Int(1)), Some(&Value::str("bool")));
        assert!(d.insert(Value::list(vec![]), Value::Null).is_err());
    }

    #[test]
    fn truthiness() {
        assert!(!Value::Null.truthy());
        assert!(!Value::str("").truthy());
        assert!(Value::str("false").truthy());
        assert!(!Value::tuple(vec![]).truthy());
        assert!(!Value::TimeDelta(0).truthy());
    }
}
