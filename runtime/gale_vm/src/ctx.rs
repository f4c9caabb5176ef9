//! The runtime context handed to every builtin: engine options, the step and memory
//! budgets, the Mistral host, and a random source.
//!
//! Budgets are enforced *inside* builtins that loop or allocate: every element a
//! builtin pulls from an iterator costs one step ([`Ctx::tick`]), and every container or
//! string a builtin builds is charged to the memory budget ([`Ctx::charge`]) before it
//! is allocated. So `range(1000000000000).len()`, `'x' * 10000000000` or nested
//! `sequence()` loops fail with `StepBudgetExceeded` / `MemoryQuotaExceededException`
//! instead of hanging or exhausting memory. The budget is cumulative per [`Ctx`] (one
//! evaluation); memory is counted as bytes *allocated*, not live — conservative and
//! cheap.

use std::rc::Rc;

use crate::error::{Error, ErrorKind, Result};
use crate::mistral::MistralContext;
use crate::value::Value;

/// A function value the library can call: a lazily evaluated argument ("lambda"), a
/// `def` function, or a predicate built by the host. The interpreter implements it for
/// its compiled lambdas; calling one binds `args` to `$1`, `$2`, … (`$` = `$1`).
pub trait Callable {
    /// Calls the function with positional arguments.
    fn call(&self, cx: &mut Ctx, args: &[Value]) -> Result<Value>;
}

/// A shared callable.
pub type Lambda = Rc<dyn Callable>;

/// A callable made from a Rust closure (tests, host helpers).
pub struct FnCallable<F>(pub F);

impl<F: Fn(&mut Ctx, &[Value]) -> Result<Value>> Callable for FnCallable<F> {
    fn call(&self, cx: &mut Ctx, args: &[Value]) -> Result<Value> {
        (self.0)(cx, args)
    }
}

/// Wraps a closure as a [`Lambda`].
pub fn lambda<F: Fn(&mut Ctx, &[Value]) -> Result<Value> + 'static>(f: F) -> Lambda {
    Rc::new(FnCallable(f))
}

/// A callable that ignores its arguments and returns a constant (an already evaluated
/// lazy argument, e.g. a literal passed to a lazy parameter).
pub struct ConstCallable(pub Value);

impl Callable for ConstCallable {
    fn call(&self, _cx: &mut Ctx, _args: &[Value]) -> Result<Value> {
        Ok(self.0.clone())
    }
}

/// Which function set (yaql context) an evaluation sees — the conformance cases'
/// `context` field. Mistral uses [`FunctionSet::Std`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FunctionSet {
    /// `yaql.create_context()`: the standard library.
    #[default]
    Std,
    /// `yaql.create_context(delegates=True)`: adds `lambda` and `#call`.
    StdDelegates,
    /// `yaql.legacy.create_context()`: the standard library under the legacy layer.
    Legacy,
}

impl FunctionSet {
    /// Parses the conformance spelling (`std`, `std+delegates`, `legacy`).
    pub fn from_name(name: &str) -> Option<FunctionSet> {
        match name {
            "std" => Some(FunctionSet::Std),
            "std+delegates" => Some(FunctionSet::StdDelegates),
            "legacy" => Some(FunctionSet::Legacy),
            _ => None,
        }
    }

    /// True when overloads of `layer` are visible.
    pub fn includes(self, layer: crate::sig::Layer) -> bool {
        use crate::sig::Layer;
        match layer {
            Layer::Std => true,
            Layer::Delegates => self == FunctionSet::StdDelegates,
            Layer::Legacy => self == FunctionSet::Legacy,
        }
    }
}

/// Engine options (yaql.md §5.1) that change builtin behaviour.
#[derive(Clone, Debug)]
pub struct Options {
    /// `yaql.limitIterators` (-1: off).
    pub limit_iterators: i64,
    /// `yaql.convertTuplesToLists`.
    pub convert_tuples_to_lists: bool,
    /// `yaql.convertSetsToLists`.
    pub convert_sets_to_lists: bool,
    /// `yaql.iterableDicts`.
    pub iterable_dicts: bool,
}

impl Options {
    /// Mistral 23's configuration.
    pub fn mistral() -> Options {
        Options {
            limit_iterators: -1,
            convert_tuples_to_lists: true,
            convert_sets_to_lists: false,
            iterable_dicts: false,
        }
    }
}

impl Default for Options {
    fn default() -> Options {
        Options::mistral()
    }
}

/// Resource limits for one evaluation.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Maximum number of steps (elements pulled, calls made).
    pub steps: u64,
    /// Maximum number of bytes builtins may allocate.
    pub memory: u64,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            steps: 50_000_000,
            memory: 512 * 1024 * 1024,
        }
    }
}

/// The runtime context of one evaluation.
pub struct Ctx {
    /// Engine options.
    pub options: Options,
    steps_left: u64,
    memory_left: u64,
    budget: Budget,
    /// The Mistral host (engine), when evaluating inside a workflow.
    pub mistral: Option<Rc<dyn MistralContext>>,
    /// The visible function set (standard, with delegates, or legacy).
    pub functions: FunctionSet,
    /// The YAML loader `yaml_parse` uses (Mistral's hardened PyYAML `SafeLoader`),
    /// provided by the host so that this crate needs no YAML parser; without one,
    /// `yaml_parse` reads the JSON subset of YAML.
    pub yaml_loader: Option<YamlLoader>,
    rng: u64,
}

/// A YAML loader: text → the value PyYAML would build, or its error.
pub type YamlLoader = fn(&str) -> Result<Value>;

impl Default for Ctx {
    fn default() -> Ctx {
        Ctx::new(Options::default(), Budget::default())
    }
}

impl Ctx {
    /// A context with these options and budget.
    pub fn new(options: Options, budget: Budget) -> Ctx {
        let seed = {
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0),
            );
            h.finish() | 1
        };
        Ctx {
            options,
            steps_left: budget.steps,
            memory_left: budget.memory,
            budget,
            mistral: None,
            functions: FunctionSet::Std,
            yaml_loader: None,
            rng: seed,
        }
    }

    /// Consumes one step.
    #[inline]
    pub fn tick(&mut self) -> Result<()> {
        self.tick_n(1)
    }

    /// Consumes `n` steps.
    #[inline]
    pub fn tick_n(&mut self, n: u64) -> Result<()> {
        if self.steps_left < n {
            self.steps_left = 0;
            return Err(Error::new(
                ErrorKind::StepBudgetExceeded,
                format!(
                    "expression exceeded its step budget of {} steps",
                    self.budget.steps
                ),
            ));
        }
        self.steps_left -= n;
        Ok(())
    }

    /// Charges `bytes` to the memory budget before an allocation.
    #[inline]
    pub fn charge(&mut self, bytes: usize) -> Result<()> {
        let b = bytes as u64;
        if self.memory_left < b {
            self.memory_left = 0;
            return Err(Error::new(
                ErrorKind::MemoryQuotaExceeded,
                format!(
                    "expression exceeded its memory budget of {} bytes",
                    self.budget.memory
                ),
            ));
        }
        self.memory_left -= b;
        Ok(())
    }

    /// Bytes of the memory budget not yet charged.
    pub fn memory_left(&self) -> u64 {
        self.memory_left
    }

    /// Steps consumed so far.
    pub fn steps_used(&self) -> u64 {
        self.budget.steps - self.steps_left
    }

    /// A pseudo-random u64 (xorshift64*; not cryptographic).
    pub fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_fail_cleanly() {
        let mut cx = Ctx::new(
            Options::default(),
            Budget {
                steps: 3,
                memory: 10,
            },
        );
        assert!(cx.tick_n(3).is_ok());
        assert_eq!(cx.tick().unwrap_err().kind(), ErrorKind::StepBudgetExceeded);
        assert_eq!(
            cx.charge(11).unwrap_err().kind(),
            ErrorKind::MemoryQuotaExceeded
        );
    }
}
