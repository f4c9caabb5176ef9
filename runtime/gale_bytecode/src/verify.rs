//! The verifier: run before anything executes.
//!
//! Checks, for every prototype: at least one op and a terminator last; every register
//! operand below `nregs` (including the registers of the call sites it uses and of
//! `MakeTuple` ranges); every constant, call-site and prototype index in bounds, and
//! names (variables, functions, keywords, messages) being string constants; every jump
//! forward and inside the prototype; `Enter`/`PushScope` and `Leave` balanced on every path (the same
//! context depth whichever way an op is reached, never negative, zero at `Return`).
//! After it, the interpreter indexes without further checks failing.

use std::fmt;

use crate::{ArgSpec, ConstId, Module, Op, Operand, ProtoId, Reg, SiteId};

/// Why a module was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    /// The prototype.
    pub proto: usize,
    /// The op index (or the code length for whole-prototype problems).
    pub pc: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid bytecode in proto {} at op {}: {}",
            self.proto, self.pc, self.message
        )
    }
}

impl std::error::Error for VerifyError {}

struct Checker<'m> {
    module: &'m Module,
    proto: usize,
    pc: usize,
    nregs: u16,
}

impl Checker<'_> {
    fn err(&self, message: impl Into<String>) -> VerifyError {
        VerifyError {
            proto: self.proto,
            pc: self.pc,
            message: message.into(),
        }
    }
    fn reg(&self, r: Reg) -> Result<(), VerifyError> {
        if r.0 < self.nregs {
            Ok(())
        } else {
            Err(self.err(format!("register r{} out of {} registers", r.0, self.nregs)))
        }
    }
    fn konst(&self, k: ConstId) -> Result<(), VerifyError> {
        if (k.0 as usize) < self.module.consts.len() {
            Ok(())
        } else {
            Err(self.err(format!("constant k{} out of bounds", k.0)))
        }
    }
    fn name(&self, k: ConstId) -> Result<(), VerifyError> {
        self.konst(k)?;
        match self.module.str_const(k) {
            Some(_) => Ok(()),
            None => Err(self.err(format!("constant k{} is not a string", k.0))),
        }
    }
    fn proto_id(&self, p: ProtoId) -> Result<(), VerifyError> {
        if (p.0 as usize) < self.module.protos.len() {
            Ok(())
        } else {
            Err(self.err(format!("prototype p{} out of bounds", p.0)))
        }
    }
    fn operand(&self, o: Operand) -> Result<(), VerifyError> {
        match o {
            Operand::Reg(r) => self.reg(r),
            Operand::Lazy(p) => self.proto_id(p),
        }
    }
    fn site(&self, s: SiteId) -> Result<(), VerifyError> {
        let Some(site) = self.module.sites.get(s.0 as usize) else {
            return Err(self.err(format!("call site s{} out of bounds", s.0)));
        };
        self.name(site.name)?;
        for a in &site.args {
            match a {
                ArgSpec::Positional(o) => self.operand(*o)?,
                ArgSpec::Skipped => {}
                ArgSpec::Keyword { name, value } => {
                    self.name(*name)?;
                    self.operand(*value)?;
                }
                ArgSpec::Pair { key, value } => {
                    self.operand(*key)?;
                    self.operand(*value)?;
                }
            }
        }
        Ok(())
    }
}

/// Verifies a whole module.
pub fn verify(module: &Module) -> Result<(), VerifyError> {
    if module.protos.is_empty() {
        return Err(VerifyError {
            proto: 0,
            pc: 0,
            message: "no prototypes".into(),
        });
    }
    for (pi, proto) in module.protos.iter().enumerate() {
        let mut c = Checker {
            module,
            proto: pi,
            pc: proto.code.len(),
            nregs: proto.nregs,
        };
        match proto.code.last() {
            Some(op) if op.is_terminator() => {}
            _ => return Err(c.err("prototype does not end with a terminator")),
        }
        let len = proto.code.len();
        // Context depth on entry to each op (None: not reached yet).
        let mut depth: Vec<Option<u32>> = vec![None; len];
        depth[0] = Some(0);
        for (pc, op) in proto.code.iter().enumerate() {
            c.pc = pc;
            let Some(d) = depth[pc] else {
                // Unreachable code is allowed; it is never executed.
                continue;
            };
            let mut flow = |target: usize, d: u32, c: &Checker| -> Result<(), VerifyError> {
                if target <= pc || target >= len {
                    return Err(c.err(format!("jump target {target} is not forward in 0..{len}")));
                }
                match depth[target] {
                    None => depth[target] = Some(d),
                    Some(x) if x == d => {}
                    Some(_) => return Err(c.err("context depth differs between paths")),
                }
                Ok(())
            };
            let mut next_depth = d;
            match *op {
                Op::LoadConst { dst, k } => {
                    c.reg(dst)?;
                    c.konst(k)?;
                }
                Op::LoadVar { dst, name } => {
                    c.reg(dst)?;
                    c.name(name)?;
                }
                Op::Move { dst, src } | Op::Finalize { dst, src } => {
                    c.reg(dst)?;
                    c.reg(src)?;
                }
                Op::Call { dst, site }
                | Op::JinjaCall { dst, site }
                | Op::CallValue { dst, site }
                | Op::MakeContext { dst, site }
                | Op::Unpack { dst, site } => {
                    c.reg(dst)?;
                    c.site(site)?;
                }
                Op::Jump { target } => {
                    flow(target.0 as usize, d, &c)?;
                }
                Op::JumpIfNull { src, target }
                | Op::JumpIfFalsy { src, target }
                | Op::JumpIfTruthy { src, target } => {
                    c.reg(src)?;
                    flow(target.0 as usize, d, &c)?;
                }
                Op::Enter { src } => {
                    c.reg(src)?;
                    next_depth = d + 1;
                }
                Op::PushScope => next_depth = d + 1,
                Op::LoadName { dst, name } => {
                    c.reg(dst)?;
                    c.name(name)?;
                }
                Op::StoreName { name, src } | Op::Rebind { name, src } => {
                    c.name(name)?;
                    c.reg(src)?;
                }
                Op::Emit { src } => c.reg(src)?,
                Op::EmitConst { k } => c.name(k)?,
                Op::TakeOutput { dst } => c.reg(dst)?,
                Op::Leave => {
                    next_depth = d
                        .checked_sub(1)
                        .ok_or_else(|| c.err("leave without enter"))?;
                }
                Op::Define { dst, name, body } => {
                    c.reg(dst)?;
                    c.reg(name)?;
                    c.proto_id(body)?;
                }
                Op::MakeTuple { dst, start, count } => {
                    c.reg(dst)?;
                    if u32::from(start.0) + u32::from(count) > u32::from(c.nregs) {
                        return Err(c.err("tuple register range out of bounds"));
                    }
                }
                Op::MakeDelegate { dst, body } => {
                    c.reg(dst)?;
                    c.proto_id(body)?;
                }
                Op::Fail { msg, .. } => c.name(msg)?,
                Op::Return { src } => {
                    c.reg(src)?;
                    if d != 0 {
                        return Err(c.err("return inside an entered context"));
                    }
                }
            }
            if !op.is_terminator() && pc + 1 < len {
                match depth[pc + 1] {
                    None => depth[pc + 1] = Some(next_depth),
                    Some(x) if x == next_depth => {}
                    Some(_) => return Err(c.err("context depth differs between paths")),
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CallSite, Constant, Proto, Target};

    fn module(code: Vec<Op>, nregs: u16) -> Module {
        Module {
            consts: vec![Constant::Str("x".into()), Constant::Int(1)],
            sites: vec![CallSite {
                name: ConstId(0),
                method: false,
                args: vec![ArgSpec::Positional(Operand::Reg(Reg(3)))],
            }],
            protos: vec![Proto {
                nregs,
                code,
                positions: vec![],
            }],
        }
    }

    #[test]
    fn accepts_and_rejects() {
        let ok = module(
            vec![
                Op::LoadConst {
                    dst: Reg(0),
                    k: ConstId(1),
                },
                Op::Return { src: Reg(0) },
            ],
            1,
        );
        assert!(verify(&ok).is_ok());
        let scoped = module(
            vec![
                Op::PushScope,
                Op::EmitConst { k: ConstId(0) },
                Op::Leave,
                Op::TakeOutput { dst: Reg(0) },
                Op::Return { src: Reg(0) },
            ],
            1,
        );
        assert!(verify(&scoped).is_ok());
        let cases: Vec<(Vec<Op>, u16, &str)> = vec![
            (vec![Op::Return { src: Reg(1) }], 1, "register"),
            (
                vec![
                    Op::LoadConst {
                        dst: Reg(0),
                        k: ConstId(9),
                    },
                    Op::Return { src: Reg(0) },
                ],
                1,
                "constant",
            ),
            (
                vec![
                    Op::LoadVar {
                        dst: Reg(0),
                        name: ConstId(1),
                    },
                    Op::Return { src: Reg(0) },
                ],
                1,
                "not a string",
            ),
            (
                vec![
                    Op::Call {
                        dst: Reg(0),
                        site: SiteId(0),
                    },
                    Op::Return { src: Reg(0) },
                ],
                1,
                "register r3",
            ),
            (
                vec![Op::Jump { target: Target(0) }, Op::Return { src: Reg(0) }],
                1,
                "forward",
            ),
            (
                vec![Op::LoadConst {
                    dst: Reg(0),
                    k: ConstId(1),
                }],
                1,
                "terminator",
            ),
            (
                vec![Op::Enter { src: Reg(0) }, Op::Return { src: Reg(0) }],
                1,
                "entered",
            ),
            (vec![Op::Leave, Op::Return { src: Reg(0) }], 1, "leave"),
            (
                vec![Op::PushScope, Op::Return { src: Reg(0) }],
                1,
                "entered",
            ),
            (
                vec![
                    Op::LoadName {
                        dst: Reg(0),
                        name: ConstId(1),
                    },
                    Op::Return { src: Reg(0) },
                ],
                1,
                "not a string",
            ),
            (
                vec![
                    Op::StoreName {
                        name: ConstId(0),
                        src: Reg(2),
                    },
                    Op::Return { src: Reg(0) },
                ],
                1,
                "register",
            ),
            (
                vec![Op::EmitConst { k: ConstId(1) }, Op::Return { src: Reg(0) }],
                1,
                "not a string",
            ),
            (
                vec![Op::TakeOutput { dst: Reg(1) }, Op::Return { src: Reg(0) }],
                1,
                "register",
            ),
            (
                vec![
                    Op::JinjaCall {
                        dst: Reg(0),
                        site: SiteId(0),
                    },
                    Op::Return { src: Reg(0) },
                ],
                1,
                "register r3",
            ),
        ];
        for (code, n, want) in cases {
            let e = verify(&module(code.clone(), n)).expect_err("must reject");
            assert!(e.message.contains(want), "{code:?}: {e}");
        }
    }
}
