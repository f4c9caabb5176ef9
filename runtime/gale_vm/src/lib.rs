//! # gale_vm — the runtime half of Gale's expression evaluator
//!
//! * [`Value`]: Python's data model as yaql sees it (16 bytes; `Rc` payloads; tuple vs
//!   list, frozenset vs set, unbounded ints, aware datetimes, timedeltas, lazy
//!   single-pass iterators). Equality/hash/ordering in [`compare`], `str()`/`repr()` in
//!   [`pyfmt`].
//! * The yaql 3.2.0 standard library ([`builtins`]) and Mistral's functions
//!   ([`mistral`]), dispatched through ONE signature table ([`signatures`]) by yaql's
//!   overload resolution ([`sig::call`]).
//! * Errors are data ([`Error`]: Python exception class name + message).
//! * Safety: a step and a memory budget ([`Ctx`]) enforced inside every builtin that
//!   loops or allocates.
//! * Function sets ([`FunctionSet`]): the standard library, with delegates, or under
//!   yaql's legacy layer — the contexts `yaql.create_context()`,
//!   `create_context(delegates=True)` and `yaql.legacy.create_context()` build.
//!
//! ## How an interpreter calls a builtin
//! Build a [`Ctx`] per evaluation, then `sig::call(&mut cx, name, is_method,
//! positional, keywords)`. Arguments are [`sig::Arg`]s: `Arg::Value` (already
//! evaluated), `Arg::Lazy(lambda)` (unevaluated — forced by the runtime when the
//! parameter is not lazy, so passing every argument lazily is always correct),
//! `Arg::Skipped` for `f(1,,3)`, and `Arg::Pair` for `a => b` in functions whose table
//! entry takes `pair`s (`switch`, `dict`, `#map`, `dict.set`). Lambdas implement
//! [`Callable`]; `$1..` are the call's positional arguments.
//!
//! Performance design: values clone by refcount; iterators pull lazily without copying
//! the source collection ([`iter::Cursor`]); the registry is parsed once into a name
//! index; integer arithmetic takes an i64 fast path and only overflows into `BigInt`.

pub mod builtins;
pub mod compare;
pub mod convert;
pub mod ctx;
pub mod datetime;
pub mod error;
pub mod interp;
pub mod iter;
pub mod jinja;
pub mod mistral;
pub mod pyfmt;
pub mod sig;
pub mod signatures;
pub mod tagged;
pub mod value;
pub mod yaml;

pub use ctx::{Budget, Callable, Ctx, FunctionSet, Lambda, Options};
pub use error::{Error, ErrorKind, Result};
pub use value::Value;

#[cfg(test)]
mod table_tests {
    use crate::sig::{parse_signature, registry};
    use crate::signatures::SIGNATURES;

    #[test]
    fn every_entry_parses() {
        for e in SIGNATURES {
            assert!(
                parse_signature(e.sig).is_some(),
                "bad signature {}: {}",
                e.id,
                e.sig
            );
        }
    }

    #[test]
    fn table_and_implementations_agree() {
        let reg = registry();
        for o in &reg.overloads {
            let wish = crate::builtins::WISHLIST.contains(&o.id);
            if o.intrinsic {
                assert!(o.imp.is_none(), "{} is intrinsic but implemented", o.id);
            } else {
                assert_eq!(
                    o.imp.is_none(),
                    wish,
                    "{}: implementation/wishlist mismatch",
                    o.id
                );
            }
        }
        for (id, _) in crate::builtins::IMPLS {
            assert!(
                SIGNATURES.iter().any(|e| e.id == *id),
                "{id} implemented but not in table"
            );
        }
    }
}
