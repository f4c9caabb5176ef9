//! # gale_bytecode — the expression instruction set
//!
//! Two faces of one instruction set (house style item 11):
//! * [`Op`] — a typed enum with newtype operands ([`Reg`], [`ConstId`], [`SiteId`],
//!   [`ProtoId`], [`Target`]), one line of semantics per opcode, 8 bytes each; codegen
//!   emits it, the interpreter (`gale_vm::interp`) dispatches on it, the disassembler
//!   prints it.
//! * [`encode`] — a compact, versioned byte format of a whole [`Module`] (artifact on
//!   disk); [`encode::decode`] never panics on any input.
//!
//! A [`Module`] holds a constant pool, a call-site table (argument lists with their
//! laziness decided by codegen), and prototypes: prototype 0 is the expression, the
//! others are lazy arguments / lambda bodies. Source positions live in a side table per
//! prototype ([`Proto::positions`], op index → [`Span`]), never in the ops.
//! The same format carries YAQL and Jinja: Jinja modules (compiled by
//! `gale_codegen::jinja_compile`) use the Jinja ops (`JinjaCall`, `LoadName`,
//! `StoreName`, `Rebind`, `PushScope`, `Emit`, `EmitConst`, `TakeOutput`); loops stay
//! in builtins that call lazy prototypes, so jumps still only go forward.
//! **Invariant:** nothing executes a module that [`verify`] rejected: register
//! bounds, constant/site/prototype indexes, forward jump targets, balanced
//! `Enter`/`PushScope` and `Leave`, and a terminator at the end of every prototype.

pub mod disasm;
pub mod encode;
pub mod op;
pub mod verify;
pub mod workflow;

pub use op::{ConstId, FailKind, Op, ProtoId, Reg, SiteId, Target};
pub use verify::{VerifyError, verify};

/// A byte range in the expression source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

/// A constant of the pool.
#[derive(Clone, Debug, PartialEq)]
pub enum Constant {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits in i64.
    Int(i64),
    /// A larger integer, in decimal digits.
    BigInt(Box<str>),
    /// A float.
    Float(f64),
    /// A string (also names: variables, functions, keywords).
    Str(Box<str>),
}

/// An argument value: evaluated into a register before the call, or lazy (a prototype
/// the callee may run, zero or more times, as a lambda closing over the caller's
/// context).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Operand {
    /// Already evaluated into this register.
    Reg(Reg),
    /// Unevaluated: the prototype becomes a closure.
    Lazy(ProtoId),
}

/// One argument of a call site.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgSpec {
    /// A positional argument.
    Positional(Operand),
    /// A skipped positional argument (`f(1,,3)`).
    Skipped,
    /// `word => value` passed as a keyword argument named `constants[name]`.
    Keyword {
        /// The keyword (a constant string).
        name: ConstId,
        /// The value.
        value: Operand,
    },
    /// `key => value` passed as a pair (functions taking pairs: `switch`, `#map`, `dict`).
    Pair {
        /// The left side.
        key: Operand,
        /// The right side.
        value: Operand,
    },
}

/// A call site: the function name, call form and arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct CallSite {
    /// The function name (a constant string, e.g. `#operator_+`, `where`).
    pub name: ConstId,
    /// `recv.name(...)`: the receiver is the first positional argument.
    pub method: bool,
    /// The arguments in source order.
    pub args: Vec<ArgSpec>,
}

/// A prototype: straight-line code with forward jumps over its own registers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Proto {
    /// Registers used (all null on entry).
    pub nregs: u16,
    /// The instructions.
    pub code: Vec<Op>,
    /// Position side table: `(op index, span)` sorted by op index; an op's span is the
    /// last entry at or before it.
    pub positions: Vec<(u32, Span)>,
}

impl Proto {
    /// The source span of op `pc`, if recorded.
    pub fn span_of(&self, pc: usize) -> Option<Span> {
        let i = self.positions.partition_point(|(at, _)| *at as usize <= pc);
        i.checked_sub(1)
            .and_then(|i| self.positions.get(i))
            .map(|p| p.1)
    }
}

/// A compiled expression.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Module {
    /// The constant pool.
    pub consts: Vec<Constant>,
    /// The call-site table.
    pub sites: Vec<CallSite>,
    /// Prototypes; 0 is the entry.
    pub protos: Vec<Proto>,
}

impl Module {
    /// The string of constant `k` (names), if it is one.
    pub fn str_const(&self, k: ConstId) -> Option<&str> {
        match self.consts.get(k.0 as usize) {
            Some(Constant::Str(s)) => Some(s),
            _ => None,
        }
    }
}
