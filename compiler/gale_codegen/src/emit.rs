//! Building a [`Module`]: the constant pool with interned strings, the call-site
//! table, registers, the code of the current prototype with its position side table,
//! forward-jump patching and prototype nesting — shared by the YAQL generator
//! (`lib.rs`) and the Jinja generator (`jinja_compile.rs`), which reach it through
//! `Deref` as the layer they are built on.

use std::collections::HashMap;

use gale_bytecode::{
    ArgSpec, CallSite, ConstId, Constant, Module, Op, Proto, ProtoId, Reg, SiteId, Span, Target,
};

use crate::CompileError;

type R<T> = Result<T, CompileError>;

/// The prototype being emitted.
#[derive(Default)]
pub(crate) struct ProtoGen {
    /// Its instructions so far.
    pub code: Vec<Op>,
    /// Position side table: `(op index, span)`.
    pub positions: Vec<(u32, Span)>,
    /// Next free register.
    pub next: u16,
    /// Registers used at most.
    pub max: u16,
}

/// A module under construction.
pub(crate) struct ModuleBuilder {
    /// What is compiled (`expression`, `template`), for "too large" errors.
    noun: &'static str,
    /// The module so far.
    pub module: Module,
    strings: HashMap<String, ConstId>,
    /// The prototype being emitted.
    pub cur: ProtoGen,
}

impl ModuleBuilder {
    /// An empty module; `noun` names what is compiled in limit errors.
    pub fn new(noun: &'static str) -> ModuleBuilder {
        ModuleBuilder {
            noun,
            module: Module::default(),
            strings: HashMap::new(),
            cur: ProtoGen::default(),
        }
    }

    /// The error for an encoding limit (`what`: registers, constants, …).
    pub fn too_big(&self, what: &str) -> CompileError {
        CompileError {
            message: format!("{} too large to compile: too many {what}", self.noun),
        }
    }

    /// The constant of string `s` (interned).
    pub fn string(&mut self, s: &str) -> R<ConstId> {
        if let Some(k) = self.strings.get(s) {
            return Ok(*k);
        }
        let k = self.constant(Constant::Str(s.into()))?;
        self.strings.insert(s.to_string(), k);
        Ok(k)
    }

    /// Adds a constant to the pool.
    pub fn constant(&mut self, c: Constant) -> R<ConstId> {
        let k = u32::try_from(self.module.consts.len()).map_err(|_| self.too_big("constants"))?;
        self.module.consts.push(c);
        Ok(ConstId(k))
    }

    /// A fresh register of the current prototype.
    pub fn alloc(&mut self) -> R<Reg> {
        let r = self.cur.next;
        self.cur.next = r.checked_add(1).ok_or_else(|| self.too_big("registers"))?;
        self.cur.max = self.cur.max.max(self.cur.next);
        Ok(Reg(r))
    }

    /// Appends `op` (at source span `at`); returns its index.
    pub fn emit(&mut self, op: Op, at: Span) -> usize {
        let pc = self.cur.code.len();
        if self.cur.positions.last().is_none_or(|(_, s)| *s != at) {
            self.cur.positions.push((pc as u32, at));
        }
        self.cur.code.push(op);
        pc
    }

    /// The index the next op will have.
    pub fn here(&self) -> Target {
        Target(self.cur.code.len() as u32)
    }

    /// Points the forward jump at `at` to [`Self::here`].
    pub fn patch(&mut self, at: usize) {
        let t = self.here();
        if let Some(
            Op::Jump { target }
            | Op::JumpIfNull { target, .. }
            | Op::JumpIfFalsy { target, .. }
            | Op::JumpIfTruthy { target, .. },
        ) = self.cur.code.get_mut(at)
        {
            *target = t;
        }
    }

    /// Adds a call site.
    pub fn site(&mut self, name: &str, method: bool, args: Vec<ArgSpec>) -> R<SiteId> {
        let name = self.string(name)?;
        let id = u32::try_from(self.module.sites.len()).map_err(|_| self.too_big("calls"))?;
        self.module.sites.push(CallSite { name, method, args });
        Ok(SiteId(id))
    }

    /// Starts a nested prototype (`what` names it in limit errors): returns its id
    /// and the interrupted prototype, to hand back to [`Self::close_proto`].
    pub fn open_proto(&mut self, what: &str) -> R<(u16, ProtoGen)> {
        let id = u16::try_from(self.module.protos.len()).map_err(|_| self.too_big(what))?;
        self.module.protos.push(Proto::default());
        Ok((id, std::mem::take(&mut self.cur)))
    }

    /// Ends prototype `id` (at least `min_regs` registers) and resumes `saved`.
    pub fn close_proto(&mut self, id: u16, saved: ProtoGen, min_regs: u16) -> ProtoId {
        let done = std::mem::replace(&mut self.cur, saved);
        if let Some(p) = self.module.protos.get_mut(id as usize) {
            *p = Proto {
                nregs: done.max.max(min_regs),
                code: done.code,
                positions: done.positions,
            };
        }
        ProtoId(id)
    }
}
