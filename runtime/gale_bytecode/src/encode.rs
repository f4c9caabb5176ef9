//! The compact byte format of a [`Module`] (an artifact).
//!
//! Layout (all integers little-endian): magic `GALEBC`, format version `u16`, then the
//! constant pool, the call-site table and the prototypes, each as a `u32` count followed
//! by its items. An op is its opcode byte followed by its operands at their natural
//! width (`Reg`/`ProtoId` u16, `ConstId`/`SiteId`/`Target` u32). [`decode`] checks every
//! length against the remaining input, so hostile bytes give an error, never a panic or
//! a huge allocation; run [`crate::verify`] on the result before executing it.

use crate::{
    ArgSpec, CallSite, ConstId, Constant, FailKind, Module, Op, Operand, Proto, ProtoId, Reg,
    SiteId, Span, Target,
};

/// The magic bytes opening an artifact.
pub const MAGIC: &[u8; 6] = b"GALEBC";
/// The format version written by [`encode`] (2: the Jinja ops, opcodes 19–26).
pub const VERSION: u16 = 2;
/// The oldest format version [`decode`] reads (version 1 is a subset of version 2).
pub const MIN_VERSION: u16 = 1;

/// Encodes a module.
pub fn encode(m: &Module) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(256));
    w.0.extend_from_slice(MAGIC);
    w.u16(VERSION);
    w.u32(m.consts.len() as u32);
    for c in &m.consts {
        match c {
            Constant::Null => w.u8(0),
            Constant::Bool(b) => {
                w.u8(1);
                w.u8(*b as u8);
            }
            Constant::Int(i) => {
                w.u8(2);
                w.0.extend_from_slice(&i.to_le_bytes());
            }
            Constant::BigInt(s) => {
                w.u8(3);
                w.str(s);
            }
            Constant::Float(f) => {
                w.u8(4);
                w.0.extend_from_slice(&f.to_bits().to_le_bytes());
            }
            Constant::Str(s) => {
                w.u8(5);
                w.str(s);
            }
        }
    }
    w.u32(m.sites.len() as u32);
    for s in &m.sites {
        w.u32(s.name.0);
        w.u8(s.method as u8);
        w.u32(s.args.len() as u32);
        for a in &s.args {
            match a {
                ArgSpec::Positional(o) => {
                    w.u8(0);
                    w.operand(*o);
                }
                ArgSpec::Skipped => w.u8(1),
                ArgSpec::Keyword { name, value } => {
                    w.u8(2);
                    w.u32(name.0);
                    w.operand(*value);
                }
                ArgSpec::Pair { key, value } => {
                    w.u8(3);
                    w.operand(*key);
                    w.operand(*value);
                }
            }
        }
    }
    w.u32(m.protos.len() as u32);
    for p in &m.protos {
        w.u16(p.nregs);
        w.u32(p.code.len() as u32);
        for op in &p.code {
            w.op(op);
        }
        w.u32(p.positions.len() as u32);
        for (at, span) in &p.positions {
            w.u32(*at);
            w.u32(span.start);
            w.u32(span.end);
        }
    }
    w.0
}

struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, b: u8) {
        self.0.push(b);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn operand(&mut self, o: Operand) {
        match o {
            Operand::Reg(r) => {
                self.u8(0);
                self.u16(r.0);
            }
            Operand::Lazy(p) => {
                self.u8(1);
                self.u16(p.0);
            }
        }
    }
    fn op(&mut self, op: &Op) {
        match *op {
            Op::LoadConst { dst, k } => {
                self.u8(0);
                self.u16(dst.0);
                self.u32(k.0);
            }
            Op::LoadVar { dst, name } => {
                self.u8(1);
                self.u16(dst.0);
                self.u32(name.0);
            }
            Op::Move { dst, src } => {
                self.u8(2);
                self.u16(dst.0);
                self.u16(src.0);
            }
            Op::Call { dst, site } => {
                self.u8(3);
                self.u16(dst.0);
                self.u32(site.0);
            }
            Op::CallValue { dst, site } => {
                self.u8(4);
                self.u16(dst.0);
                self.u32(site.0);
            }
            Op::Jump { target } => {
                self.u8(5);
                self.u32(target.0);
            }
            Op::JumpIfNull { src, target } => {
                self.u8(6);
                self.u16(src.0);
                self.u32(target.0);
            }
            Op::JumpIfFalsy { src, target } => {
                self.u8(7);
                self.u16(src.0);
                self.u32(target.0);
            }
            Op::JumpIfTruthy { src, target } => {
                self.u8(8);
                self.u16(src.0);
                self.u32(target.0);
            }
            Op::Enter { src } => {
                self.u8(9);
                self.u16(src.0);
            }
            Op::Leave => self.u8(10),
            Op::MakeContext { dst, site } => {
                self.u8(11);
                self.u16(dst.0);
                self.u32(site.0);
            }
            Op::Define { dst, name, body } => {
                self.u8(12);
                self.u16(dst.0);
                self.u16(name.0);
                self.u16(body.0);
            }
            Op::Unpack { dst, site } => {
                self.u8(13);
                self.u16(dst.0);
                self.u32(site.0);
            }
            Op::MakeTuple { dst, start, count } => {
                self.u8(14);
                self.u16(dst.0);
                self.u16(start.0);
                self.u16(count);
            }
            Op::MakeDelegate { dst, body } => {
                self.u8(15);
                self.u16(dst.0);
                self.u16(body.0);
            }
            Op::Fail { kind, msg } => {
                self.u8(16);
                self.u8(kind as u8);
                self.u32(msg.0);
            }
            Op::Finalize { dst, src } => {
                self.u8(17);
                self.u16(dst.0);
                self.u16(src.0);
            }
            Op::Return { src } => {
                self.u8(18);
                self.u16(src.0);
            }
            Op::JinjaCall { dst, site } => {
                self.u8(19);
                self.u16(dst.0);
                self.u32(site.0);
            }
            Op::LoadName { dst, name } => {
                self.u8(20);
                self.u16(dst.0);
                self.u32(name.0);
            }
            Op::StoreName { name, src } => {
                self.u8(21);
                self.u32(name.0);
                self.u16(src.0);
            }
            Op::Rebind { name, src } => {
                self.u8(22);
                self.u32(name.0);
                self.u16(src.0);
            }
            Op::PushScope => self.u8(23),
            Op::Emit { src } => {
                self.u8(24);
                self.u16(src.0);
            }
            Op::EmitConst { k } => {
                self.u8(25);
                self.u32(k.0);
            }
            Op::TakeOutput { dst } => {
                self.u8(26);
                self.u16(dst.0);
            }
        }
    }
}

/// Why bytes could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset where decoding failed.
    pub offset: usize,
    /// What was wrong.
    pub message: &'static str,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad artifact at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for DecodeError {}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

type R<T> = Result<T, DecodeError>;

impl Reader<'_> {
    fn err<T>(&self, message: &'static str) -> R<T> {
        Err(DecodeError {
            offset: self.pos,
            message,
        })
    }
    fn take(&mut self, n: usize) -> R<&[u8]> {
        match self.bytes.get(self.pos..self.pos.saturating_add(n)) {
            Some(s) if s.len() == n => {
                self.pos += n;
                Ok(s)
            }
            _ => self.err("unexpected end"),
        }
    }
    fn u8(&mut self) -> R<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> R<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> R<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> R<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    /// A count of items each at least `min_size` bytes: bounded by the input left.
    fn count(&mut self, min_size: usize) -> R<usize> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_size) > self.bytes.len() - self.pos {
            return self.err("count exceeds the input");
        }
        Ok(n)
    }
    fn str(&mut self) -> R<Box<str>> {
        let n = self.count(1)?;
        let b = self.take(n)?;
        match std::str::from_utf8(b) {
            Ok(s) => Ok(s.into()),
            Err(_) => self.err("invalid UTF-8"),
        }
    }
    fn operand(&mut self) -> R<Operand> {
        match self.u8()? {
            0 => Ok(Operand::Reg(Reg(self.u16()?))),
            1 => Ok(Operand::Lazy(ProtoId(self.u16()?))),
            _ => self.err("bad operand tag"),
        }
    }
    fn op(&mut self) -> R<Op> {
        let reg = |r: &mut Self| r.u16().map(Reg);
        Ok(match self.u8()? {
            0 => Op::LoadConst {
                dst: reg(self)?,
                k: ConstId(self.u32()?),
            },
            1 => Op::LoadVar {
                dst: reg(self)?,
                name: ConstId(self.u32()?),
            },
            2 => Op::Move {
                dst: reg(self)?,
                src: reg(self)?,
            },
            3 => Op::Call {
                dst: reg(self)?,
                site: SiteId(self.u32()?),
            },
            4 => Op::CallValue {
                dst: reg(self)?,
                site: SiteId(self.u32()?),
            },
            5 => Op::Jump {
                target: Target(self.u32()?),
            },
            6 => Op::JumpIfNull {
                src: reg(self)?,
                target: Target(self.u32()?),
            },
            7 => Op::JumpIfFalsy {
                src: reg(self)?,
                target: Target(self.u32()?),
            },
            8 => Op::JumpIfTruthy {
                src: reg(self)?,
                target: Target(self.u32()?),
            },
            9 => Op::Enter { src: reg(self)? },
            10 => Op::Leave,
            11 => Op::MakeContext {
                dst: reg(self)?,
                site: SiteId(self.u32()?),
            },
            12 => Op::Define {
                dst: reg(self)?,
                name: reg(self)?,
                body: ProtoId(self.u16()?),
            },
            13 => Op::Unpack {
                dst: reg(self)?,
                site: SiteId(self.u32()?),
            },
            14 => Op::MakeTuple {
                dst: reg(self)?,
                start: reg(self)?,
                count: self.u16()?,
            },
            15 => Op::MakeDelegate {
                dst: reg(self)?,
                body: ProtoId(self.u16()?),
            },
            16 => {
                let Some(kind) = FailKind::from_u8(self.u8()?) else {
                    return self.err("bad failure kind");
                };
                Op::Fail {
                    kind,
                    msg: ConstId(self.u32()?),
                }
            }
            17 => Op::Finalize {
                dst: reg(self)?,
                src: reg(self)?,
            },
            18 => Op::Return { src: reg(self)? },
            19 => Op::JinjaCall {
                dst: reg(self)?,
                site: SiteId(self.u32()?),
            },
            20 => Op::LoadName {
                dst: reg(self)?,
                name: ConstId(self.u32()?),
            },
            21 => Op::StoreName {
                name: ConstId(self.u32()?),
                src: reg(self)?,
            },
            22 => Op::Rebind {
                name: ConstId(self.u32()?),
                src: reg(self)?,
            },
            23 => Op::PushScope,
            24 => Op::Emit { src: reg(self)? },
            25 => Op::EmitConst {
                k: ConstId(self.u32()?),
            },
            26 => Op::TakeOutput { dst: reg(self)? },
            _ => return self.err("unknown opcode"),
        })
    }
}

/// Decodes an artifact produced by [`encode`]. Never panics.
pub fn decode(bytes: &[u8]) -> Result<Module, DecodeError> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(MAGIC.len())? != MAGIC {
        return r.err("not a Gale bytecode artifact");
    }
    if !(MIN_VERSION..=VERSION).contains(&r.u16()?) {
        return r.err("unsupported format version");
    }
    let mut m = Module::default();
    for _ in 0..r.count(1)? {
        let c = match r.u8()? {
            0 => Constant::Null,
            1 => Constant::Bool(r.u8()? != 0),
            2 => Constant::Int(r.u64()? as i64),
            3 => Constant::BigInt(r.str()?),
            4 => Constant::Float(f64::from_bits(r.u64()?)),
            5 => Constant::Str(r.str()?),
            _ => return r.err("bad constant tag"),
        };
        m.consts.push(c);
    }
    for _ in 0..r.count(9)? {
        let name = ConstId(r.u32()?);
        let method = r.u8()? != 0;
        let mut args = Vec::new();
        for _ in 0..r.count(1)? {
            args.push(match r.u8()? {
                0 => ArgSpec::Positional(r.operand()?),
                1 => ArgSpec::Skipped,
                2 => ArgSpec::Keyword {
                    name: ConstId(r.u32()?),
                    value: r.operand()?,
                },
                3 => ArgSpec::Pair {
                    key: r.operand()?,
                    value: r.operand()?,
                },
                _ => return r.err("bad argument tag"),
            });
        }
        m.sites.push(CallSite { name, method, args });
    }
    for _ in 0..r.count(10)? {
        let nregs = r.u16()?;
        let mut code = Vec::new();
        for _ in 0..r.count(1)? {
            code.push(r.op()?);
        }
        let mut positions = Vec::new();
        for _ in 0..r.count(12)? {
            let at = r.u32()?;
            let start = r.u32()?;
            let end = r.u32()?;
            positions.push((at, Span { start, end }));
        }
        m.protos.push(Proto {
            nregs,
            code,
            positions,
        });
    }
    if r.pos != bytes.len() {
        return r.err("trailing bytes");
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Module {
        Module {
            consts: vec![
                Constant::Null,
                Constant::Bool(true),
                Constant::Int(-7),
                Constant::BigInt("123456789012345678901234567890".into()),
                Constant::Float(0.1),
                Constant::Str("where".into()),
            ],
            sites: vec![CallSite {
                name: ConstId(5),
                method: true,
                args: vec![
                    ArgSpec::Positional(Operand::Reg(Reg(0))),
                    ArgSpec::Skipped,
                    ArgSpec::Keyword {
                        name: ConstId(5),
                        value: Operand::Lazy(ProtoId(1)),
                    },
                    ArgSpec::Pair {
                        key: Operand::Reg(Reg(1)),
                        value: Operand::Lazy(ProtoId(1)),
                    },
                ],
            }],
            protos: vec![
                Proto {
                    nregs: 2,
                    code: vec![
                        Op::LoadConst {
                            dst: Reg(0),
                            k: ConstId(2),
                        },
                        Op::Call {
                            dst: Reg(1),
                            site: SiteId(0),
                        },
                        Op::JinjaCall {
                            dst: Reg(1),
                            site: SiteId(0),
                        },
                        Op::LoadName {
                            dst: Reg(0),
                            name: ConstId(5),
                        },
                        Op::StoreName {
                            name: ConstId(5),
                            src: Reg(1),
                        },
                        Op::Rebind {
                            name: ConstId(5),
                            src: Reg(0),
                        },
                        Op::PushScope,
                        Op::Leave,
                        Op::Emit { src: Reg(1) },
                        Op::EmitConst { k: ConstId(5) },
                        Op::TakeOutput { dst: Reg(0) },
                        Op::Fail {
                            kind: FailKind::MappingTranslation,
                            msg: ConstId(5),
                        },
                    ],
                    positions: vec![(0, Span { start: 1, end: 3 })],
                },
                Proto {
                    nregs: 1,
                    code: vec![Op::Return { src: Reg(0) }],
                    positions: vec![],
                },
            ],
        }
    }

    #[test]
    fn round_trip() {
        let m = sample();
        let bytes = encode(&m);
        assert_eq!(decode(&bytes), Ok(m));
    }

    #[test]
    fn garbage_never_panics() {
        let bytes = encode(&sample());
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err());
        }
        let mut x = 0x9e37_79b9u32;
        for i in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let at = (x as usize) % b.len();
            b[at] ^= 1 << (i % 8);
            if let Ok(m) = decode(&b) {
                let _ = crate::verify(&m);
            }
        }
    }
}
