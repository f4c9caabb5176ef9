//! The instruction set: one typed [`Op`] per instruction, newtype operands.
//!
//! A register machine. Every prototype (the whole expression, or one lazy argument /
//! lambda body) owns a window of `nregs` registers, all null on entry. Control never
//! loops inside a prototype: jumps only go forward (iteration lives in the builtins,
//! which call lambdas), so every prototype terminates in at most `code.len()` steps.
//! `size_of::<Op>() == 8` (checked by a test): the typed enum is already a compact,
//! fixed-width encoding for the dispatch loop; [`crate::encode`] is the byte format of
//! an artifact on disk.

/// A register of the current frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reg(pub u16);

/// An index into the module's constant pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConstId(pub u32);

/// An index into the module's call-site table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SiteId(pub u32);

/// An index into the module's prototypes (sub-programs: lazy arguments, lambdas).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProtoId(pub u16);

/// A jump target: an op index inside the same prototype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Target(pub u32);

/// The error an [`Op::Fail`] raises (resolved statically by codegen).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FailKind {
    /// `NoMatchingFunctionException` (e.g. `x.(1 + 2)`: no `#operator_.` fits).
    NoMatchingFunction = 0,
    /// `MappingTranslationException` (`f(1 => 2)` where keywords are expected).
    MappingTranslation = 1,
    /// `NoFunctionRegisteredException`.
    NoFunctionRegistered = 2,
}

impl FailKind {
    /// Decodes the byte form.
    pub fn from_u8(b: u8) -> Option<FailKind> {
        Some(match b {
            0 => FailKind::NoMatchingFunction,
            1 => FailKind::MappingTranslation,
            2 => FailKind::NoFunctionRegistered,
            _ => return None,
        })
    }
}

/// One instruction. Semantics in one line each; `ctx` is the frame's current yaql
/// context (variables and `def`ined functions, a chain of parents).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// `dst ← constants[k]`.
    LoadConst { dst: Reg, k: ConstId },
    /// `dst ← ctx[$name]` walking the parents (`name` = constant string; unbound → null).
    LoadVar { dst: Reg, name: ConstId },
    /// `dst ← src`.
    Move { dst: Reg, src: Reg },
    /// `dst ← call(site)`: a `def`ined function of ctx first (plain calls), else a builtin.
    Call { dst: Reg, site: SiteId },
    /// `dst ← delegate(args)`: the site's first positional is the callable (`E(args)`, `#call`).
    CallValue { dst: Reg, site: SiteId },
    /// `pc ← target`.
    Jump { target: Target },
    /// `if src is null { pc ← target }`.
    JumpIfNull { src: Reg, target: Target },
    /// `if !truthy(src) { pc ← target }` (`and` keeps the falsy operand).
    JumpIfFalsy { src: Reg, target: Target },
    /// `if truthy(src) { pc ← target }` (`or` keeps the truthy operand).
    JumpIfTruthy { src: Reg, target: Target },
    /// Push ctx; ctx ← the context object in `src` (`left -> right`), else NoMatchingFunction.
    Enter { src: Reg },
    /// ctx ← the context pushed by the matching `Enter`.
    Leave,
    /// `dst ← let/with(site args)`: a child of ctx with `$1..` and keyword `$name`s bound.
    MakeContext { dst: Reg, site: SiteId },
    /// `dst ← def(name, body)`: a child of ctx where calling `name(...)` runs `body`.
    Define { dst: Reg, name: Reg, body: ProtoId },
    /// `dst ← seq.unpack(names...)`: the site's receiver items bound to names (or `$1..`).
    Unpack { dst: Reg, site: SiteId },
    /// `dst ← tuple(start .. start+count)` (legacy `a => b => c`).
    MakeTuple { dst: Reg, start: Reg, count: u16 },
    /// `dst ← lambda(body)`: a delegate closing over ctx.
    MakeDelegate { dst: Reg, body: ProtoId },
    /// Raise `kind` with message `constants[msg]`.
    Fail { kind: FailKind, msg: ConstId },
    /// `dst ← #finalize(src)`: output conversion of the result.
    Finalize { dst: Reg, src: Reg },
    /// Return `src` from the frame.
    Return { src: Reg },
    /// `dst ← jinja(site)`: the Jinja runtime operation named by the site (`getattr:x`,
    /// `filter:upper`, `binary:+`, `for`, …; see `gale_vm::jinja::ops`) on its arguments.
    JinjaCall { dst: Reg, site: SiteId },
    /// `dst ← name` in Jinja scope: innermost scope first, then the template globals, else
    /// a `StrictUndefined`.
    LoadName { dst: Reg, name: ConstId },
    /// Binds `name ← src` in the innermost Jinja scope (`set`, loop targets).
    StoreName { name: ConstId, src: Reg },
    /// Stores `name ← src` in the innermost Jinja scope that binds `name`, else the
    /// outermost (write-back after `list.append` and friends).
    Rebind { name: ConstId, src: Reg },
    /// Push ctx; ctx ← a child with a new empty Jinja scope (`with`); `Leave` pops it.
    PushScope,
    /// Appends `str(src)` to the frame's output (an undefined raises).
    Emit { src: Reg },
    /// Appends the string `constants[k]` to the frame's output (template data).
    EmitConst { k: ConstId },
    /// `dst ← the frame's output as a string`; the output is emptied.
    TakeOutput { dst: Reg },
}

impl Op {
    /// The mnemonic (disassembler).
    pub fn mnemonic(&self) -> &'static str {
        match self {
            Op::LoadConst { .. } => "load_const",
            Op::LoadVar { .. } => "load_var",
            Op::Move { .. } => "move",
            Op::Call { .. } => "call",
            Op::CallValue { .. } => "call_value",
            Op::Jump { .. } => "jump",
            Op::JumpIfNull { .. } => "jump_if_null",
            Op::JumpIfFalsy { .. } => "jump_if_falsy",
            Op::JumpIfTruthy { .. } => "jump_if_truthy",
            Op::Enter { .. } => "enter",
            Op::Leave => "leave",
            Op::MakeContext { .. } => "make_context",
            Op::Define { .. } => "define",
            Op::Unpack { .. } => "unpack",
            Op::MakeTuple { .. } => "make_tuple",
            Op::MakeDelegate { .. } => "make_delegate",
            Op::Fail { .. } => "fail",
            Op::Finalize { .. } => "finalize",
            Op::Return { .. } => "return",
            Op::JinjaCall { .. } => "jinja_call",
            Op::LoadName { .. } => "load_name",
            Op::StoreName { .. } => "store_name",
            Op::Rebind { .. } => "rebind",
            Op::PushScope => "push_scope",
            Op::Emit { .. } => "emit",
            Op::EmitConst { .. } => "emit_const",
            Op::TakeOutput { .. } => "take_output",
        }
    }

    /// True for ops after which control never falls through.
    pub fn is_terminator(&self) -> bool {
        matches!(self, Op::Jump { .. } | Op::Fail { .. } | Op::Return { .. })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn op_is_eight_bytes() {
        assert_eq!(std::mem::size_of::<super::Op>(), 8);
    }
}
