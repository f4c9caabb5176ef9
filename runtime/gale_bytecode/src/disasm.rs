//! The disassembler: a module as text, one op per line with its operands resolved
//! (constants printed, call sites expanded) and its source span.

use std::fmt::Write;

use crate::{ArgSpec, CallSite, ConstId, Constant, Module, Op, Operand, SiteId};

fn konst(m: &Module, k: ConstId) -> String {
    match m.consts.get(k.0 as usize) {
        Some(Constant::Null) => "null".into(),
        Some(Constant::Bool(b)) => b.to_string(),
        Some(Constant::Int(i)) => i.to_string(),
        Some(Constant::BigInt(s)) => s.to_string(),
        Some(Constant::Float(f)) => format!("{f:?}"),
        Some(Constant::Str(s)) => format!("{s:?}"),
        None => format!("k{}?", k.0),
    }
}

fn operand(o: Operand) -> String {
    match o {
        Operand::Reg(r) => format!("r{}", r.0),
        Operand::Lazy(p) => format!("lazy p{}", p.0),
    }
}

fn site(m: &Module, s: SiteId) -> String {
    let Some(CallSite { name, method, args }) = m.sites.get(s.0 as usize) else {
        return format!("s{}?", s.0);
    };
    let args: Vec<String> = args
        .iter()
        .map(|a| match a {
            ArgSpec::Positional(o) => operand(*o),
            ArgSpec::Skipped => "_".into(),
            ArgSpec::Keyword { name, value } => format!("{}={}", konst(m, *name), operand(*value)),
            ArgSpec::Pair { key, value } => format!("{} => {}", operand(*key), operand(*value)),
        })
        .collect();
    format!(
        "{}{}({})",
        if *method { "." } else { "" },
        konst(m, *name),
        args.join(", ")
    )
}

/// One op as text (no position).
pub fn op_text(m: &Module, op: &Op) -> String {
    let name = op.mnemonic();
    match *op {
        Op::LoadConst { dst, k } => format!("{name} r{} ← {}", dst.0, konst(m, k)),
        Op::LoadVar { dst, name: n } => format!("{name} r{} ← ${}", dst.0, konst(m, n)),
        Op::Move { dst, src } | Op::Finalize { dst, src } => {
            format!("{name} r{} ← r{}", dst.0, src.0)
        }
        Op::Call { dst, site: s }
        | Op::CallValue { dst, site: s }
        | Op::MakeContext { dst, site: s }
        | Op::Unpack { dst, site: s } => format!("{name} r{} ← {}", dst.0, site(m, s)),
        Op::Jump { target } => format!("{name} @{}", target.0),
        Op::JumpIfNull { src, target }
        | Op::JumpIfFalsy { src, target }
        | Op::JumpIfTruthy { src, target } => format!("{name} r{} @{}", src.0, target.0),
        Op::Enter { src } => format!("{name} r{}", src.0),
        Op::Leave => name.to_string(),
        Op::Define { dst, name: n, body } => {
            format!("{name} r{} ← def(r{}, p{})", dst.0, n.0, body.0)
        }
        Op::MakeTuple { dst, start, count } => format!(
            "{name} r{} ← (r{}..r{})",
            dst.0,
            start.0,
            u32::from(start.0) + u32::from(count)
        ),
        Op::MakeDelegate { dst, body } => format!("{name} r{} ← p{}", dst.0, body.0),
        Op::Fail { kind, msg } => format!("{name} {kind:?} {}", konst(m, msg)),
        Op::Return { src } | Op::Emit { src } => format!("{name} r{}", src.0),
        Op::JinjaCall { dst, site: s } => format!("{name} r{} ← {}", dst.0, site(m, s)),
        Op::LoadName { dst, name: n } => format!("{name} r{} ← {}", dst.0, konst(m, n)),
        Op::StoreName { name: n, src } | Op::Rebind { name: n, src } => {
            format!("{name} {} ← r{}", konst(m, n), src.0)
        }
        Op::PushScope => name.to_string(),
        Op::EmitConst { k } => format!("{name} {}", konst(m, k)),
        Op::TakeOutput { dst } => format!("{name} r{}", dst.0),
    }
}

/// The whole module as text.
pub fn disassemble(m: &Module) -> String {
    let mut out = String::new();
    for (pi, p) in m.protos.iter().enumerate() {
        let _ = writeln!(out, "p{pi} (registers: {}):", p.nregs);
        for (pc, op) in p.code.iter().enumerate() {
            let span = p
                .span_of(pc)
                .map(|s| format!("  ; {}..{}", s.start, s.end))
                .unwrap_or_default();
            let _ = writeln!(out, "  {pc:>3}  {}{span}", op_text(m, op));
        }
    }
    out
}
