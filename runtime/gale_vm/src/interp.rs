//! The expression interpreter: runs verified [`gale_bytecode`] modules.
//!
//! * [`Program::load`] verifies a module (nothing unverified runs) and turns its
//!   constants into [`Value`]s once.
//! * [`Program::run`] evaluates it in a root [`Env`] (`$` = the data, other
//!   variables by name).
//! * The dispatch loop keeps its hot state (code, pc, register base, context) in
//!   locals and its frames in a `Vec`: calling a `def`ined function pushes a frame,
//!   never a Rust stack frame. Lazy arguments become [`Closure`]s the builtins call
//!   through [`Callable`]; such a re-entry runs a fresh loop and is bounded
//!   ([`MAX_NESTING`]), like Python's recursion limit bounds yaql.
//! * Every op costs one step of the [`Ctx`] budget (builtins charge their own loops),
//!   so every evaluation ends: with a value, an error, or `StepBudgetExceeded`.
//! * Contexts (yaql.md §4.1, §4.4): an [`Env`] is a chain of variable scopes with
//!   `def`ined functions; `let`/`with`/`def`/`unpack` make child contexts, returned as
//!   context objects; `->` runs its right side in one; a lambda runs in a child of the
//!   context it was created in, with `$1..` (`$` = `$1`) bound to its arguments.
//! * Jinja (compiled by `gale_codegen::jinja_compile`): an [`Env`] made by
//!   [`Env::jinja`] carries a chain of mutable Jinja scopes (`LoadName`, `StoreName`,
//!   `Rebind`, `PushScope`); every frame has an output buffer (`Emit`, `EmitConst`,
//!   `TakeOutput`); `JinjaCall` runs `gale_vm::jinja::ops`, except `for` (the loop
//!   builtin: it calls the body, `else` and filter prototypes, each in a fresh scope,
//!   so bytecode still never jumps backwards) and `macro:NAME` (a callable that runs its
//!   body prototype in a new scope). [`run_jinja`] is the one call the engine needs.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gale_bytecode::{ArgSpec, Constant, FailKind, Module, Op, Operand, ProtoId, Reg, SiteId, Span};

use crate::Callable;
use crate::ctx::{ConstCallable, Ctx, Lambda};
use crate::error::{Error, ErrorKind, Result};
use crate::jinja::ops::{self as jops, JOp};
use crate::jinja::scope::Scope;
use crate::sig::{self, Arg, PairArg};
use crate::value::{Native, NativeBox, Value};

/// Maximum nesting of lambda invocations from builtins (Rust re-entries of the loop).
pub const MAX_NESTING: u32 = 120;
/// Maximum depth of `def`ined function calls (frames in the loop's `Vec`).
pub const MAX_FRAMES: usize = 2000;
/// Maximum Rust stack an evaluation may use below [`Program::run`] before a lambda
/// invocation fails (lazy iterators nested through lambdas recurse inside the
/// builtins' output conversion, out of reach of [`MAX_NESTING`]). Well under the
/// 2 MiB of a spawned thread.
pub const STACK_LIMIT: usize = 768 * 1024;

/// A variable name.
pub type Name = Rc<str>;

/// A yaql context: variables and `def`ined functions, with a parent.
pub struct Env {
    parent: Option<Rc<Env>>,
    vars: Vec<(Name, Value)>,
    defs: Vec<(Name, Rc<Loaded>, ProtoId)>,
    has_defs: bool,
    jinja: Option<Rc<Scope>>,
}

impl Env {
    /// A root context with `$` bound to `data` (when given) and other variables.
    pub fn root(data: Option<Value>, vars: Vec<(String, Value)>) -> Rc<Env> {
        let mut v: Vec<(Name, Value)> = vars.into_iter().map(|(k, v)| (k.into(), v)).collect();
        if let Some(d) = data {
            v.push(("1".into(), d));
        }
        Rc::new(Env {
            parent: None,
            vars: v,
            defs: Vec::new(),
            has_defs: false,
            jinja: None,
        })
    }

    /// The root context of a Jinja template evaluated against Mistral's data context
    /// `data` (`_`, `__env`, `__execution`, `__task_execution`, then the globals).
    pub fn jinja(data: Value) -> Rc<Env> {
        Rc::new(Env {
            parent: None,
            vars: Vec::new(),
            defs: Vec::new(),
            has_defs: false,
            jinja: Some(Scope::root(data)),
        })
    }

    /// A child context whose Jinja scope is a new frame holding `vars`.
    fn jinja_child(parent: &Rc<Env>, vars: Vec<(Name, Value)>) -> Env {
        let scope = match &parent.jinja {
            Some(s) => Scope::child(s, vars),
            None => Scope::child(&Scope::root(Value::Null), vars),
        };
        Env {
            parent: Some(parent.clone()),
            vars: Vec::new(),
            defs: Vec::new(),
            has_defs: parent.has_defs,
            jinja: Some(scope),
        }
    }

    fn scope(&self) -> Rc<Scope> {
        match &self.jinja {
            Some(s) => s.clone(),
            None => Scope::root(Value::Null),
        }
    }

    fn child(parent: &Rc<Env>, vars: Vec<(Name, Value)>) -> Env {
        Env {
            parent: Some(parent.clone()),
            vars,
            defs: Vec::new(),
            has_defs: parent.has_defs,
            jinja: parent.jinja.clone(),
        }
    }

    /// The value of variable `name` (without `$`; `$` is `1`), null when unbound.
    pub fn lookup(&self, name: &str) -> Value {
        let mut env = self;
        loop {
            // Later bindings of one scope win (Python dict assignment).
            if let Some((_, v)) = env.vars.iter().rev().find(|(n, _)| &**n == name) {
                return v.clone();
            }
            match &env.parent {
                Some(p) => env = p,
                None => return Value::Null,
            }
        }
    }

    /// The `def`ined function `name` visible here: it runs in a child of the context
    /// that holds it (so it sees itself, and recursion works).
    fn find_def(self: &Rc<Env>, name: &str) -> Option<Rc<Closure>> {
        if !self.has_defs {
            return None;
        }
        let bare = name.trim_end_matches('_');
        let mut env = self;
        loop {
            if let Some((_, prog, proto)) = env.defs.iter().rev().find(|(n, ..)| &**n == bare) {
                return Some(Rc::new(Closure {
                    prog: prog.clone(),
                    proto: *proto,
                    env: env.clone(),
                }));
            }
            env = env.parent.as_ref()?;
        }
    }
}

/// A context object (what `let`, `with`, `def`, `unpack` return; the left of `->`).
pub struct ContextObj(pub Rc<Env>);

impl Native for ContextObj {
    fn type_name(&self) -> &'static str {
        "context"
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A delegate value (`lambda(...)` with delegates on).
pub struct DelegateObj(pub Rc<Closure>);

impl Native for DelegateObj {
    fn type_name(&self) -> &'static str {
        "function"
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn native(v: &Value) -> Option<&dyn std::any::Any> {
    match v {
        Value::Native(nb) => Some(nb.0.as_any()),
        _ => None,
    }
}

/// Call sites the loop serves without overload resolution (same results: these
/// names cannot be redefined and have one meaning for these argument types).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fast {
    None,
    /// `#member(dict, 'key')` with the key present.
    Member(Reg, Reg),
    /// `*equal(a, b)`.
    Equal(Reg, Reg),
    /// `*not_equal(a, b)`.
    NotEqual(Reg, Reg),
}

fn fast_of(module: &Module, site: &gale_bytecode::CallSite) -> Fast {
    let regs = match site.args.as_slice() {
        [
            ArgSpec::Positional(Operand::Reg(a)),
            ArgSpec::Positional(Operand::Reg(b)),
        ] => (*a, *b),
        _ => return Fast::None,
    };
    match module.str_const(site.name) {
        Some("#member") if !site.method => Fast::Member(regs.0, regs.1),
        Some("*equal") if !site.method => Fast::Equal(regs.0, regs.1),
        Some("*not_equal") if !site.method => Fast::NotEqual(regs.0, regs.1),
        _ => Fast::None,
    }
}

/// A verified, loaded module.
pub struct Loaded {
    fast: Vec<Fast>,
    /// Each site's Jinja operation and where its `:`-operand starts in the name.
    jops: Vec<(JOp, usize)>,
    /// String constants as shared names (Jinja `StoreName`), by constant index.
    names: Vec<Option<Name>>,
    module: Module,
    consts: Vec<Value>,
    nesting: Cell<u32>,
    error_at: Cell<Option<(u16, u32)>>,
    stack_base: Cell<usize>,
    reg_pool: RefCell<Vec<Vec<Value>>>,
}

thread_local! {
    /// The names `1`..`16` (lambda parameters), shared.
    static NUMS: Vec<Name> = (1..=16).map(|i| Name::from(i.to_string())).collect();
}

/// A program ready to run (cheap to clone).
#[derive(Clone)]
pub struct Program(Rc<Loaded>);

fn const_value(c: &Constant) -> Value {
    match c {
        Constant::Null => Value::Null,
        Constant::Bool(b) => Value::Bool(*b),
        Constant::Int(i) => Value::Int(*i),
        Constant::BigInt(s) => match s.parse::<num_bigint::BigInt>() {
            Ok(b) => Value::from_bigint(b),
            Err(_) => Value::Null,
        },
        Constant::Float(f) => Value::Float(*f),
        Constant::Str(s) => Value::str(&**s),
    }
}

impl Program {
    /// Verifies `module` and prepares it for running.
    pub fn load(module: Module) -> std::result::Result<Program, gale_bytecode::VerifyError> {
        gale_bytecode::verify(&module)?;
        let consts = module.consts.iter().map(const_value).collect();
        let fast = module.sites.iter().map(|s| fast_of(&module, s)).collect();
        let jops = module
            .sites
            .iter()
            .map(|s| {
                let name = module.str_const(s.name).unwrap_or("");
                let at = name.find(':').map_or(name.len(), |i| i + 1);
                (jops::resolve(name), at)
            })
            .collect();
        let names = module
            .consts
            .iter()
            .map(|c| match c {
                Constant::Str(s) if s.len() <= 64 => Some(Name::from(&**s)),
                _ => None,
            })
            .collect();
        Ok(Program(Rc::new(Loaded {
            fast,
            jops,
            names,
            module,
            consts,
            nesting: Cell::new(0),
            error_at: Cell::new(None),
            stack_base: Cell::new(0),
            reg_pool: RefCell::new(Vec::new()),
        })))
    }

    /// The module.
    pub fn module(&self) -> &Module {
        &self.0.module
    }

    /// Evaluates the program in `env`.
    pub fn run(&self, cx: &mut Ctx, env: Rc<Env>) -> Result<Value> {
        self.0.error_at.set(None);
        let marker = 0u8;
        let outer = self.0.stack_base.get();
        if outer == 0 {
            self.0.stack_base.set(std::ptr::addr_of!(marker) as usize);
        }
        let result = run(&self.0, ProtoId(0), env, cx);
        self.0.stack_base.set(outer);
        result
    }

    /// Where the last failing evaluation failed: `(prototype, span)` of the innermost op
    /// that raised.
    pub fn error_span(&self) -> Option<(u16, Span)> {
        let (p, pc) = self.0.error_at.get()?;
        let span = self.0.module.protos.get(p as usize)?.span_of(pc as usize)?;
        Some((p, span))
    }
}

/// A lazy argument, lambda body or `def`ined function: a prototype closing over the
/// context it was created in.
pub struct Closure {
    prog: Rc<Loaded>,
    proto: ProtoId,
    env: Rc<Env>,
}

impl Closure {
    fn invoke(&self, cx: &mut Ctx, args: &[Value], kwargs: Vec<(Name, Value)>) -> Result<Value> {
        let env = if args.is_empty() && kwargs.is_empty() {
            self.env.clone()
        } else {
            Rc::new(bind(&self.prog, &self.env, args, kwargs))
        };
        run(&self.prog, self.proto, env, cx)
    }
}

impl Callable for Closure {
    fn call(&self, cx: &mut Ctx, args: &[Value]) -> Result<Value> {
        self.invoke(cx, args, Vec::new())
    }
}

fn bind(prog: &Loaded, parent: &Rc<Env>, args: &[Value], kwargs: Vec<(Name, Value)>) -> Env {
    let mut vars = Vec::with_capacity(args.len() + kwargs.len());
    for (i, a) in args.iter().enumerate() {
        vars.push((num_name(prog, i + 1), a.clone()));
    }
    vars.extend(kwargs);
    Env::child(parent, vars)
}

fn num_name(_prog: &Loaded, i: usize) -> Name {
    NUMS.with(|n| n.get(i.wrapping_sub(1)).cloned())
        .unwrap_or_else(|| i.to_string().into())
}

struct Frame {
    proto: ProtoId,
    pc: usize,
    base: usize,
    env: Rc<Env>,
    saved: Vec<Rc<Env>>,
    ret: Reg,
    out: String,
}

struct NestGuard<'a>(&'a Cell<u32>);

impl Drop for NestGuard<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

fn run(prog: &Rc<Loaded>, proto: ProtoId, env: Rc<Env>, cx: &mut Ctx) -> Result<Value> {
    let depth = prog.nesting.get();
    let marker = 0u8;
    let base = prog.stack_base.get();
    let used = base.abs_diff(std::ptr::addr_of!(marker) as usize);
    if depth >= MAX_NESTING || (base != 0 && used > STACK_LIMIT) {
        return Err(Error::new(
            ErrorKind::RecursionError,
            "maximum recursion depth exceeded",
        ));
    }
    prog.nesting.set(depth + 1);
    let _guard = NestGuard(&prog.nesting);
    let mut regs = prog.reg_pool.borrow_mut().pop().unwrap_or_default();
    regs.clear();
    let result = dispatch(prog, proto, env, cx, &mut regs);
    if regs.capacity() <= 4096 {
        regs.clear();
        prog.reg_pool.borrow_mut().push(regs);
    }
    result
}

fn mark_error(prog: &Loaded, proto: ProtoId, pc: usize) {
    if prog.error_at.get().is_none() {
        prog.error_at.set(Some((proto.0, pc as u32)));
    }
}

/// The dispatch loop.
fn dispatch(
    prog: &Rc<Loaded>,
    proto: ProtoId,
    env: Rc<Env>,
    cx: &mut Ctx,
    regs: &mut Vec<Value>,
) -> Result<Value> {
    let module = &prog.module;
    let mut frames: Vec<Frame> = Vec::new();
    let mut cur = Frame {
        proto,
        pc: 0,
        base: 0,
        env,
        saved: Vec::new(),
        ret: Reg(0),
        out: String::new(),
    };
    let Some(p) = module.protos.get(proto.0 as usize) else {
        return Err(Error::new(ErrorKind::ValueError, "bad prototype"));
    };
    let mut code: &[Op] = &p.code;
    regs.resize(p.nregs as usize, Value::Null);
    loop {
        let Some(&op) = code.get(cur.pc) else {
            return Err(Error::new(ErrorKind::ValueError, "fell off the code"));
        };
        let at = cur.pc;
        cur.pc += 1;
        let flow = if matches!(
            op,
            Op::JinjaCall { .. }
                | Op::LoadName { .. }
                | Op::StoreName { .. }
                | Op::Rebind { .. }
                | Op::Emit { .. }
                | Op::EmitConst { .. }
                | Op::TakeOutput { .. }
        ) {
            cx.tick()
                .and_then(|_| step_jinja(prog, module, op, &mut cur, cx, regs))
        } else {
            step(prog, module, op, &mut cur, cx, regs)
        };
        match flow {
            Ok(Flow::Next) => {}
            Ok(Flow::Jump(t)) => cur.pc = t,
            Ok(Flow::Return(v)) => {
                regs.truncate(cur.base);
                match frames.pop() {
                    None => return Ok(v),
                    Some(caller) => {
                        let ret = cur.ret;
                        cur = caller;
                        code = &module.protos[cur.proto.0 as usize].code;
                        if let Some(slot) = regs.get_mut(cur.base + ret.0 as usize) {
                            *slot = v;
                        }
                    }
                }
            }
            Ok(Flow::Push(closure, args, kwargs, ret)) => {
                if frames.len() >= MAX_FRAMES {
                    mark_error(prog, cur.proto, at);
                    return Err(Error::new(
                        ErrorKind::RecursionError,
                        "maximum recursion depth exceeded",
                    ));
                }
                let env = if args.is_empty() && kwargs.is_empty() {
                    closure.env.clone()
                } else {
                    Rc::new(bind(prog, &closure.env, &args, kwargs))
                };
                let base = regs.len();
                let callee = &module.protos[closure.proto.0 as usize];
                regs.resize(base + callee.nregs as usize, Value::Null);
                let caller = std::mem::replace(
                    &mut cur,
                    Frame {
                        proto: closure.proto,
                        pc: 0,
                        base,
                        env,
                        saved: Vec::new(),
                        ret,
                        out: String::new(),
                    },
                );
                frames.push(caller);
                code = &callee.code;
            }
            Err(e) => {
                mark_error(prog, cur.proto, at);
                return Err(e);
            }
        }
    }
}

enum Flow {
    Next,
    Jump(usize),
    Return(Value),
    Push(Rc<Closure>, Vec<Value>, Vec<(Name, Value)>, Reg),
}

#[inline]
fn get(regs: &[Value], base: usize, r: Reg) -> Value {
    regs.get(base + r.0 as usize)
        .cloned()
        .unwrap_or(Value::Null)
}

#[inline]
fn set(regs: &mut [Value], base: usize, r: Reg, v: Value) {
    if let Some(slot) = regs.get_mut(base + r.0 as usize) {
        *slot = v;
    }
}

fn str_const(module: &Module, k: gale_bytecode::ConstId) -> &str {
    module.str_const(k).unwrap_or("")
}

fn step(
    prog: &Rc<Loaded>,
    module: &Module,
    op: Op,
    cur: &mut Frame,
    cx: &mut Ctx,
    regs: &mut [Value],
) -> Result<Flow> {
    cx.tick()?;
    let base = cur.base;
    match op {
        Op::LoadConst { dst, k } => {
            let v = prog
                .consts
                .get(k.0 as usize)
                .cloned()
                .unwrap_or(Value::Null);
            set(regs, base, dst, v);
        }
        Op::LoadVar { dst, name } => {
            let v = cur.env.lookup(str_const(module, name));
            set(regs, base, dst, v);
        }
        Op::Move { dst, src } => {
            let v = get(regs, base, src);
            set(regs, base, dst, v);
        }
        Op::Call { dst, site } => {
            match prog.fast[site.0 as usize] {
                Fast::None => {}
                Fast::Member(a, b) => {
                    if let (Some(Value::Dict(d)), Some(Value::Str(k))) =
                        (regs.get(base + a.0 as usize), regs.get(base + b.0 as usize))
                        && let Some(v) = d.get_str(k)
                    {
                        let v = v.clone();
                        cx.tick()?;
                        set(regs, base, dst, v);
                        return Ok(Flow::Next);
                    }
                }
                Fast::Equal(a, b) | Fast::NotEqual(a, b) => {
                    let eq = crate::compare::py_eq(&get(regs, base, a), &get(regs, base, b));
                    let ne = matches!(prog.fast[site.0 as usize], Fast::NotEqual(..));
                    cx.tick()?;
                    set(regs, base, dst, Value::Bool(eq != ne));
                    return Ok(Flow::Next);
                }
            }
            let s = &module.sites[site.0 as usize];
            let name = str_const(module, s.name);
            if !s.method
                && let Some(def) = cur.env.find_def(name)
            {
                let (args, kwargs) = values_of(prog, module, site, cur, cx, regs)?;
                return Ok(Flow::Push(def, args, kwargs, dst));
            }
            if s.method
                && cx.functions == crate::FunctionSet::Legacy
                && let Some(v) = legacy_method(prog, module, site, cur, cx, regs)?
            {
                set(regs, base, dst, v);
                return Ok(Flow::Next);
            }
            let (pos, kws) = args_of(prog, module, site, cur, regs);
            let v = sig::call(cx, name, s.method, pos, kws)?;
            set(regs, base, dst, v);
        }
        Op::CallValue { dst, site } => {
            let (mut args, kwargs) = values_of(prog, module, site, cur, cx, regs)?;
            let callee = if args.is_empty() {
                Value::Null
            } else {
                args.remove(0)
            };
            let Some(d) = native(&callee).and_then(|a| a.downcast_ref::<DelegateObj>()) else {
                return Err(Error::no_matching("#call", false));
            };
            let closure = d.0.clone();
            return Ok(Flow::Push(closure, args, kwargs, dst));
        }
        Op::Jump { target } => return Ok(Flow::Jump(target.0 as usize)),
        Op::JumpIfNull { src, target } => {
            if matches!(regs.get(base + src.0 as usize), Some(Value::Null) | None) {
                return Ok(Flow::Jump(target.0 as usize));
            }
        }
        Op::JumpIfFalsy { src, target } => {
            if !regs.get(base + src.0 as usize).is_some_and(Value::truthy) {
                return Ok(Flow::Jump(target.0 as usize));
            }
        }
        Op::JumpIfTruthy { src, target } => {
            if regs.get(base + src.0 as usize).is_some_and(Value::truthy) {
                return Ok(Flow::Jump(target.0 as usize));
            }
        }
        Op::Enter { src } => {
            let v = get(regs, base, src);
            let Some(c) = native(&v).and_then(|a| a.downcast_ref::<ContextObj>()) else {
                return Err(Error::no_matching("#operator_->", false));
            };
            let env = std::mem::replace(&mut cur.env, c.0.clone());
            cur.saved.push(env);
        }
        Op::Leave => {
            if let Some(env) = cur.saved.pop() {
                cur.env = env;
            }
        }
        Op::MakeContext { dst, site } => {
            let s = &module.sites[site.0 as usize];
            let name = str_const(module, s.name);
            let (args, kwargs) = values_of(prog, module, site, cur, cx, regs)?;
            if name == "with" && !kwargs.is_empty() {
                return Err(Error::no_matching("with", false));
            }
            let env = bind(prog, &cur.env, &args, kwargs);
            set(regs, base, dst, context_value(env));
        }
        Op::Define { dst, name, body } => {
            let n = get(regs, base, name);
            let Some(n) = n.as_str() else {
                return Err(Error::no_matching("def", false));
            };
            let n: Name = n.trim_end_matches('_').into();
            let mut e = Env::child(&cur.env, Vec::new());
            e.defs.push((n, prog.clone(), body));
            e.has_defs = true;
            set(regs, base, dst, context_value(e));
        }
        Op::Unpack { dst, site } => {
            let (args, _) = values_of(prog, module, site, cur, cx, regs)?;
            let Some((seq, names)) = args.split_first() else {
                return Err(Error::no_matching("unpack", true));
            };
            let names: Option<Vec<&str>> = names.iter().map(Value::as_str).collect();
            let (Some(names), Some(mut items)) = (names, crate::iter::Cursor::of(cx, seq)) else {
                return Err(Error::no_matching("unpack", true));
            };
            use crate::iter::PyIter;
            let mut vars: Vec<(Name, Value)> = Vec::new();
            if names.is_empty() {
                let mut i = 0;
                while let Some(v) = items.next(cx)? {
                    i += 1;
                    vars.push((num_name(prog, i), v));
                }
            } else {
                let mut got = Vec::new();
                while got.len() <= names.len() {
                    match items.next(cx)? {
                        Some(v) => got.push(v),
                        None => break,
                    }
                }
                if got.len() != names.len() {
                    return Err(Error::value_error(format!(
                        "Cannot unpack {} elements into {}",
                        got.len(),
                        names.len()
                    )));
                }
                for (n, v) in names.iter().zip(got) {
                    vars.push(((*n).into(), v));
                }
            }
            let env = Env::child(&cur.env, vars);
            set(regs, base, dst, context_value(env));
        }
        Op::MakeTuple { dst, start, count } => {
            let s = base + start.0 as usize;
            let items: Vec<Value> = regs
                .get(s..s + count as usize)
                .map(|r| r.to_vec())
                .unwrap_or_default();
            cx.charge(16 * items.len())?;
            set(regs, base, dst, Value::tuple(items));
        }
        Op::MakeDelegate { dst, body } => {
            let closure = Rc::new(Closure {
                prog: prog.clone(),
                proto: body,
                env: cur.env.clone(),
            });
            let v = Value::Native(Rc::new(NativeBox(Box::new(DelegateObj(closure)))));
            set(regs, base, dst, v);
        }
        Op::Fail { kind, msg } => {
            let m = str_const(module, msg).to_string();
            return Err(match kind {
                FailKind::NoMatchingFunction => Error::new(ErrorKind::NoMatchingFunction, m),
                FailKind::MappingTranslation => Error::new(ErrorKind::MappingTranslation, m),
                FailKind::NoFunctionRegistered => Error::new(ErrorKind::NoFunctionRegistered, m),
            });
        }
        Op::Finalize { dst, src } => {
            let v = crate::convert::output(cx, &get(regs, base, src))?;
            set(regs, base, dst, v);
        }
        Op::Return { src } => return Ok(Flow::Return(get(regs, base, src))),
        Op::JinjaCall { .. }
        | Op::LoadName { .. }
        | Op::StoreName { .. }
        | Op::Rebind { .. }
        | Op::PushScope
        | Op::Emit { .. }
        | Op::EmitConst { .. }
        | Op::TakeOutput { .. } => return step_jinja(prog, module, op, cur, cx, regs),
    }
    Ok(Flow::Next)
}

/// The Jinja ops (a function of their own: templates recurse through it — macros, loop
/// bodies — so its stack frame is kept small).
#[inline(never)]
fn step_jinja(
    prog: &Rc<Loaded>,
    module: &Module,
    op: Op,
    cur: &mut Frame,
    cx: &mut Ctx,
    regs: &mut [Value],
) -> Result<Flow> {
    let base = cur.base;
    match op {
        Op::JinjaCall { dst, site } => {
            let v = jinja_call(prog, module, site, cur, cx, regs)?;
            set(regs, base, dst, v);
        }
        Op::LoadName { dst, name } => {
            let name = str_const(module, name);
            let v = match &cur.env.jinja {
                Some(s) => s.lookup(name),
                None => Scope::root(Value::Null).lookup(name),
            };
            set(regs, base, dst, v);
        }
        Op::StoreName { name, src } => {
            let v = get(regs, base, src);
            match (&cur.env.jinja, prog.names.get(name.0 as usize)) {
                (Some(scope), Some(Some(n))) => scope.set_shared(n, v),
                _ => cur.env.scope().set(str_const(module, name), v),
            }
        }
        Op::Rebind { name, src } => {
            let v = get(regs, base, src);
            cur.env.scope().rebind(str_const(module, name), v);
        }
        Op::PushScope => {
            let child = Rc::new(Env::jinja_child(&cur.env, Vec::new()));
            let env = std::mem::replace(&mut cur.env, child);
            cur.saved.push(env);
        }
        Op::Emit { src } => {
            let t = crate::jinja::to_str(&get(regs, base, src))?;
            cx.charge(t.len())?;
            cur.out.push_str(&t);
        }
        Op::EmitConst { k } => {
            let t = str_const(module, k);
            cx.charge(t.len())?;
            cur.out.push_str(t);
        }
        Op::TakeOutput { dst } => {
            let t = std::mem::take(&mut cur.out);
            set(regs, base, dst, Value::str(t));
        }
        _ => {}
    }
    Ok(Flow::Next)
}

/// Runs a compiled Jinja template or expression (`gale_codegen::jinja_compile`)
/// against Mistral's data context `data`: the rendered text (a string) for a
/// template, the typed value for an expression.
pub fn run_jinja(program: &Program, cx: &mut Ctx, data: Value) -> Result<Value> {
    program.run(cx, Env::jinja(data))
}

/// Runs `proto` in a new Jinja scope (holding `vars`) below `env`.
fn run_scoped(
    prog: &Rc<Loaded>,
    proto: ProtoId,
    env: &Rc<Env>,
    vars: Vec<(Name, Value)>,
    cx: &mut Ctx,
) -> Result<Value> {
    let env = Rc::new(Env::jinja_child(env, vars));
    run(prog, proto, env, cx)
}

/// The name under which the `for` builtin passes the current item to the body and
/// filter prototypes (not a valid template identifier) when the loop target is not a
/// plain name (a plain name, the site's fifth argument, is bound directly).
pub const LOOP_ITEM: &str = "#item";

/// A `JinjaCall`: arguments gathered (registers; lazy prototypes only for `for` and
/// `macro`), then the operation.
fn jinja_call(
    prog: &Rc<Loaded>,
    module: &Module,
    site: SiteId,
    cur: &mut Frame,
    cx: &mut Ctx,
    regs: &[Value],
) -> Result<Value> {
    // Calls get a lean path of their own: macros recurse through it.
    match prog.jops[site.0 as usize].0 {
        JOp::Call => jinja_call_value(module, site, cur, cx, regs),
        _ => jinja_call_other(prog, module, site, cur, cx, regs),
    }
}

/// `call`: the callee and its arguments from registers, `*args`/`**kwargs` spread.
#[inline(never)]
fn jinja_call_value(
    module: &Module,
    site: SiteId,
    cur: &Frame,
    cx: &mut Ctx,
    regs: &[Value],
) -> Result<Value> {
    let s = &module.sites[site.0 as usize];
    let mut args = Vec::with_capacity(s.args.len());
    let mut kwargs = Vec::new();
    for a in &s.args {
        match *a {
            ArgSpec::Positional(Operand::Reg(r)) => args.push(get(regs, cur.base, r)),
            ArgSpec::Keyword {
                name: n,
                value: Operand::Reg(r),
            } => kwargs.push((str_const(module, n).to_string(), get(regs, cur.base, r))),
            _ => args.push(Value::Null),
        }
    }
    let callee = if args.is_empty() {
        Value::Null
    } else {
        args.remove(0)
    };
    let kwargs = jops::spread(cx, &mut args, kwargs)?;
    crate::jinja::call(cx, &callee, args, kwargs)
}

#[inline(never)]
fn jinja_call_other(
    prog: &Rc<Loaded>,
    module: &Module,
    site: SiteId,
    cur: &mut Frame,
    cx: &mut Ctx,
    regs: &[Value],
) -> Result<Value> {
    let s = &module.sites[site.0 as usize];
    let name = str_const(module, s.name);
    let (op, at) = prog.jops[site.0 as usize];
    let operand = name.get(at..).unwrap_or("");
    let lazy = |i: usize| match s.args.get(i) {
        Some(ArgSpec::Positional(Operand::Lazy(p))) => Some(*p),
        _ => None,
    };
    match op {
        JOp::For => {
            let seq = match s.args.first() {
                Some(ArgSpec::Positional(Operand::Reg(r))) => get(regs, cur.base, *r),
                _ => Value::Null,
            };
            let item_name: Name = match s.args.get(4) {
                Some(ArgSpec::Positional(Operand::Reg(r))) => {
                    match regs.get(cur.base + r.0 as usize) {
                        Some(Value::Str(n)) => Name::from(n.as_str()),
                        _ => LOOP_ITEM.into(),
                    }
                }
                _ => LOOP_ITEM.into(),
            };
            let f = Rc::new(ForLoop {
                prog: prog.clone(),
                env: cur.env.clone(),
                item_name,
                body: lazy(1),
                else_body: lazy(2),
                filter: lazy(3),
                with_loop: !operand.contains("noloop"),
                recursive: operand.contains("recursive"),
                lookahead: operand.contains("lookahead"),
            });
            jinja_for(&f, cx, &seq, 1)
        }
        JOp::Macro => {
            let mut params = Vec::new();
            let mut defaults = Vec::new();
            for a in s.args.iter().skip(1) {
                match *a {
                    ArgSpec::Positional(Operand::Reg(r)) => {
                        params.push(Name::from(get(regs, cur.base, r).as_str().unwrap_or("")))
                    }
                    ArgSpec::Keyword {
                        name: n,
                        value: Operand::Lazy(p),
                    } => {
                        params.push(Name::from(str_const(module, n)));
                        defaults.push(p);
                    }
                    _ => {}
                }
            }
            let def = Rc::new(MacroDef {
                prog: prog.clone(),
                env: cur.env.clone(),
                name: operand.into(),
                params,
                defaults,
                body: lazy(0).unwrap_or(ProtoId(0)),
            });
            Ok(macro_value(def))
        }
        JOp::Getattr | JOp::Truthy | JOp::Str | JOp::Index | JOp::Finish | JOp::Unary
            if s.args.len() == 1 =>
        {
            let v = match s.args.first() {
                Some(ArgSpec::Positional(Operand::Reg(r))) => regs.get(cur.base + r.0 as usize),
                _ => None,
            };
            let null = Value::Null;
            let v = v.unwrap_or(&null);
            Ok(match op {
                JOp::Getattr => crate::jinja::getattr(cx, v, operand)?,
                JOp::Truthy => Value::Bool(crate::jinja::truthy(v)?),
                JOp::Str => match v {
                    Value::Str(_) => v.clone(),
                    _ => Value::str(crate::jinja::to_str(v)?),
                },
                JOp::Index => {
                    let i: usize = operand.parse().unwrap_or(0);
                    v.as_seq()
                        .and_then(|s| s.get(i).cloned())
                        .unwrap_or(Value::Null)
                }
                JOp::Finish => {
                    crate::jinja::to_str(v)?;
                    v.clone()
                }
                _ => crate::jinja::unary(operand, v)?,
            })
        }
        JOp::Getitem | JOp::Binary | JOp::Compare if s.args.len() == 2 => {
            let reg = |i: usize| match s.args.get(i) {
                Some(ArgSpec::Positional(Operand::Reg(r))) => regs.get(cur.base + r.0 as usize),
                _ => None,
            };
            let null = Value::Null;
            let (a, b) = (reg(0).unwrap_or(&null), reg(1).unwrap_or(&null));
            let o = operand;
            Ok(match op {
                JOp::Getitem => crate::jinja::getitem(cx, a, b)?,
                JOp::Binary => crate::jinja::binary(cx, o, a, b)?,
                _ => Value::Bool(crate::jinja::compare(cx, o, a, b)?),
            })
        }
        _ => {
            let mut args = Vec::with_capacity(s.args.len());
            let mut kwargs = Vec::new();
            for a in &s.args {
                match *a {
                    ArgSpec::Positional(Operand::Reg(r)) => args.push(get(regs, cur.base, r)),
                    ArgSpec::Keyword {
                        name: n,
                        value: Operand::Reg(r),
                    } => kwargs.push((str_const(module, n).to_string(), get(regs, cur.base, r))),
                    _ => args.push(Value::Null),
                }
            }
            jops::apply(cx, op, name, args, kwargs)
        }
    }
}

/// A `{% for target in seq if filter [recursive] %}body{% else %}else_body{% endfor %}`:
/// its prototypes and the context it runs in.
struct ForLoop {
    prog: Rc<Loaded>,
    env: Rc<Env>,
    /// The loop target's name, or [`LOOP_ITEM`].
    item_name: Name,
    body: Option<ProtoId>,
    else_body: Option<ProtoId>,
    filter: Option<ProtoId>,
    with_loop: bool,
    recursive: bool,
    /// The body asks for `loop.length`/`last`/`revindex`/`nextitem`: filter every item
    /// first (Jinja lists the iterable); otherwise filter and body interleave.
    lookahead: bool,
}

/// `loop(items)` inside a recursive loop: the loop again, one level deeper.
struct Recurse(Rc<ForLoop>, usize);

impl crate::jinja::JinjaFn for Recurse {
    fn call(&self, cx: &mut Ctx, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> Result<Value> {
        let mut args = crate::jinja::bind("__call__", &["iterable"], args, kwargs)?;
        let seq = args.pop().unwrap_or(Value::Null);
        jinja_for(&self.0, cx, &seq, self.1 + 1)
    }
}

/// Runs a `for` at nesting `depth` (1 at the top): the body prototype runs once per
/// (filtered) item in a fresh scope holding `loop` and the item; its output is the
/// result. Nothing iterated: the `else` prototype's output.
fn jinja_for(f: &Rc<ForLoop>, cx: &mut Ctx, seq: &Value, depth: usize) -> Result<Value> {
    let (prog, env) = (&f.prog, &f.env);
    let item_name = f.item_name.clone();
    let loop_name: Name = "loop".into();
    let all = crate::jinja::iterate(cx, seq)?;
    let recurse: Option<Rc<dyn crate::jinja::JinjaFn>> = if f.recursive {
        Some(Rc::new(Recurse(f.clone(), depth)))
    } else {
        None
    };
    // One scope for every filter run: a filter only (re)binds the loop target.
    let filter = match f.filter {
        Some(p) => {
            let mut vars = Vec::with_capacity(4);
            vars.push((item_name.clone(), Value::Null));
            let fenv = Rc::new(Env::jinja_child(env, vars));
            Some((p, fenv.scope(), fenv))
        }
        None => None,
    };
    let keep = |cx: &mut Ctx, it: &Value| -> Result<bool> {
        match &filter {
            None => Ok(true),
            Some((p, scope, fenv)) => {
                scope.set_shared(&item_name, it.clone());
                Ok(run(prog, *p, fenv.clone(), cx)?.truthy())
            }
        }
    };
    let lazy = filter.is_some() && !f.lookahead;
    let (items, prefiltered) = if lazy {
        (all, false)
    } else {
        let mut kept = Vec::with_capacity(all.len());
        for it in all {
            if keep(cx, &it)? {
                kept.push(it);
            }
        }
        (kept, true)
    };
    let items = Rc::new(items);
    let no_items: Rc<Vec<Value>> = Rc::new(Vec::new());
    let mut out = String::new();
    let mut count = 0usize;
    let mut prev: Option<Value> = None;
    let changed: Rc<std::cell::RefCell<Option<Vec<Value>>>> = Rc::default();
    if let Some(body) = f.body {
        for it in items.iter() {
            if !prefiltered && !keep(cx, it)? {
                continue;
            }
            cx.tick_n(4)?;
            let mut vars = Vec::with_capacity(4);
            vars.push((item_name.clone(), it.clone()));
            if f.with_loop {
                let lp = crate::jinja::native(crate::jinja::Loop {
                    index0: count,
                    items: if prefiltered {
                        items.clone()
                    } else {
                        no_items.clone()
                    },
                    depth,
                    recurse: recurse.clone(),
                    changed: changed.clone(),
                    prev: if prefiltered {
                        None
                    } else {
                        Some(prev.take().unwrap_or_else(|| {
                            crate::jinja::undefined(
                                ErrorKind::UndefinedError,
                                "there is no previous item",
                            )
                        }))
                    },
                });
                vars.push((loop_name.clone(), lp));
            }
            let text = run_scoped(prog, body, env, vars, cx)?;
            out.push_str(text.as_str().unwrap_or(""));
            count += 1;
            if !prefiltered {
                prev = Some(it.clone());
            }
        }
    } else if !prefiltered {
        for it in items.iter() {
            if keep(cx, it)? {
                count += 1;
            }
        }
    } else {
        count = items.len();
    }
    if count == 0 {
        return match f.else_body {
            Some(p) => run(prog, p, env.clone(), cx),
            None => Ok(Value::str("")),
        };
    }
    Ok(Value::str(out))
}

/// A `{% macro %}`: its body and default prototypes and the context it was defined in.
struct MacroDef {
    prog: Rc<Loaded>,
    env: Rc<Env>,
    name: Name,
    params: Vec<Name>,
    defaults: Vec<ProtoId>,
    body: ProtoId,
}

struct MacroFn(Rc<MacroDef>);

fn macro_value(def: Rc<MacroDef>) -> Value {
    crate::jinja::native(crate::jinja::Function {
        name: def.name.to_string(),
        kind: "Macro",
        imp: Rc::new(MacroFn(def)),
    })
}

impl crate::jinja::JinjaFn for MacroFn {
    fn call(&self, cx: &mut Ctx, args: Vec<Value>, kwargs: Vec<(String, Value)>) -> Result<Value> {
        let m = &self.0;
        // The macro sees itself (recursion), as template-level names resolve at call time.
        let vars = vec![(m.name.clone(), macro_value(m.clone()))];
        let env = Rc::new(Env::jinja_child(&m.env, vars));
        let scope = env.scope();
        let first_default = m.params.len() - m.defaults.len().min(m.params.len());
        let mut args = args.into_iter();
        // Jinja's special macro variables: `caller` (from a `{% call %}`), `varargs`
        // (extra positional arguments), `kwargs` (unknown keyword arguments).
        let mut extra_kwargs = crate::value::Dict::new();
        for (k, v) in &kwargs {
            if &**k == "caller" {
                scope.set("caller", v.clone());
            } else if !m.params.iter().any(|p| **p == **k) {
                extra_kwargs.insert(Value::str(k.as_str()), v.clone())?;
            }
        }
        for (i, p) in m.params.iter().enumerate() {
            let v = match args.next() {
                Some(v) => v,
                None => match kwargs.iter().find(|(k, _)| **k == **p) {
                    Some((_, v)) => v.clone(),
                    None if i >= first_default => {
                        let d = m.defaults[i - first_default];
                        run(&m.prog, d, env.clone(), cx)?
                    }
                    None => crate::jinja::undefined(
                        ErrorKind::UndefinedError,
                        format!("parameter '{p}' was not provided"),
                    ),
                },
            };
            scope.set(p, v);
        }
        scope.set("varargs", Value::tuple(args.collect()));
        scope.set("kwargs", Value::dict(extra_kwargs));
        run(&m.prog, m.body, env, cx)
    }
}

/// The legacy layer's intrinsics on method calls: `recv.as(expr => name, ...)` and
/// `ctx.method(...)` on a context made by `as` (the method runs in that context with
/// receiver `$0`). `None`: not one of them.
fn legacy_method(
    prog: &Rc<Loaded>,
    module: &Module,
    site: SiteId,
    cur: &mut Frame,
    cx: &mut Ctx,
    regs: &[Value],
) -> Result<Option<Value>> {
    let s = &module.sites[site.0 as usize];
    let name = str_const(module, s.name);
    let receiver = match s.args.first() {
        Some(ArgSpec::Positional(Operand::Reg(r))) => get(regs, cur.base, *r),
        _ => return Ok(None),
    };
    if let Some(c) = native(&receiver).and_then(|a| a.downcast_ref::<ContextObj>()) {
        let inner = c.0.clone();
        let saved = std::mem::replace(&mut cur.env, inner);
        let (mut pos, kws) = args_of(prog, module, site, cur, regs);
        let this = cur.env.lookup("0");
        cur.env = saved;
        if let Some(first) = pos.first_mut() {
            *first = Arg::Value(this);
        }
        return sig::call(cx, name, true, pos, kws).map(Some);
    }
    if name.trim_end_matches('_') != "as" {
        return Ok(None);
    }
    let arg = std::slice::from_ref(&receiver);
    let mut vars: Vec<(Name, Value)> = Vec::new();
    let name_of = |v: &Value| -> Result<Name> { Ok(crate::pyfmt::py_str(v).into()) };
    for a in s.args.iter().skip(1) {
        match *a {
            ArgSpec::Positional(o) => {
                let t = match o {
                    Operand::Reg(r) => get(regs, cur.base, r),
                    Operand::Lazy(p) => closure(prog, p, &cur.env).call(cx, arg)?,
                };
                match t.as_seq() {
                    Some([value, key]) if matches!(t, Value::Tuple(_)) => {
                        vars.push((name_of(key)?, value.clone()))
                    }
                    Some(_) if matches!(t, Value::Tuple(_)) => {
                        return Err(Error::value_error("as() tuples must be of size 2"));
                    }
                    _ => return Err(Error::value_error("as() must have tuple parameters")),
                }
            }
            ArgSpec::Pair { key, value } => {
                let source = lambda_of(prog, key, &cur.env, regs, cur.base).call(cx, arg)?;
                let dest = lambda_of(prog, value, &cur.env, regs, cur.base).call(cx, arg)?;
                vars.push((name_of(&dest)?, source));
            }
            _ => return Err(Error::value_error("as() must have tuple parameters")),
        }
    }
    vars.push(("0".into(), receiver.clone()));
    Ok(Some(context_value(Env::child(&cur.env, vars))))
}

fn context_value(env: Env) -> Value {
    Value::Native(Rc::new(NativeBox(Box::new(ContextObj(Rc::new(env))))))
}

fn closure(prog: &Rc<Loaded>, proto: ProtoId, env: &Rc<Env>) -> Rc<Closure> {
    Rc::new(Closure {
        prog: prog.clone(),
        proto,
        env: env.clone(),
    })
}

fn lambda_of(prog: &Rc<Loaded>, o: Operand, env: &Rc<Env>, regs: &[Value], base: usize) -> Lambda {
    match o {
        Operand::Reg(r) => Rc::new(ConstCallable(get(regs, base, r))),
        Operand::Lazy(p) => closure(prog, p, env),
    }
}

fn arg_of(prog: &Rc<Loaded>, o: Operand, env: &Rc<Env>, regs: &[Value], base: usize) -> Arg {
    match o {
        Operand::Reg(r) => Arg::Value(get(regs, base, r)),
        Operand::Lazy(p) => Arg::Lazy(closure(prog, p, env)),
    }
}

/// The builtin arguments of a call site.
fn args_of(
    prog: &Rc<Loaded>,
    module: &Module,
    site: SiteId,
    cur: &Frame,
    regs: &[Value],
) -> (Vec<Arg>, Vec<(String, Arg)>) {
    let s = &module.sites[site.0 as usize];
    let mut pos = Vec::with_capacity(s.args.len());
    let mut kws = Vec::new();
    for a in &s.args {
        match *a {
            ArgSpec::Positional(o) => pos.push(arg_of(prog, o, &cur.env, regs, cur.base)),
            ArgSpec::Skipped => pos.push(Arg::Skipped),
            ArgSpec::Keyword { name, value } => kws.push((
                str_const(module, name).to_string(),
                arg_of(prog, value, &cur.env, regs, cur.base),
            )),
            ArgSpec::Pair { key, value } => pos.push(Arg::Pair(Rc::new(PairArg {
                key: lambda_of(prog, key, &cur.env, regs, cur.base),
                value: lambda_of(prog, value, &cur.env, regs, cur.base),
            }))),
        }
    }
    (pos, kws)
}

/// Positional and keyword argument values.
type Values = (Vec<Value>, Vec<(Name, Value)>);

/// The arguments of a call site as values (lazies forced in order), for `def`ined
/// functions, delegates and the context intrinsics.
fn values_of(
    prog: &Rc<Loaded>,
    module: &Module,
    site: SiteId,
    cur: &Frame,
    cx: &mut Ctx,
    regs: &[Value],
) -> Result<Values> {
    let s = &module.sites[site.0 as usize];
    let mut pos = Vec::with_capacity(s.args.len());
    let mut kws = Vec::new();
    let value = |o: Operand, cx: &mut Ctx| -> Result<Value> {
        match o {
            Operand::Reg(r) => Ok(get(regs, cur.base, r)),
            Operand::Lazy(p) => run(prog, p, cur.env.clone(), cx),
        }
    };
    for a in &s.args {
        match *a {
            ArgSpec::Positional(o) => pos.push(value(o, cx)?),
            ArgSpec::Skipped => pos.push(Value::Null),
            ArgSpec::Keyword { name, value: v } => {
                kws.push((Name::from(str_const(module, name)), value(v, cx)?))
            }
            ArgSpec::Pair { .. } => {
                return Err(Error::new(
                    ErrorKind::MappingTranslation,
                    "Cannot convert mapping to keyword argument",
                ));
            }
        }
    }
    Ok((pos, kws))
}
