//! Jinja evaluation as Mistral 23 does it (`mistral/expressions/jinja_expression.py`):
//! an AST evaluator over `gale_expr::jinja`'s tree, on `gale_vm`'s values and its Jinja
//! runtime (`gale_vm::jinja`: object model, operators, filters, tests, globals).
//!
//! * [`evaluate_expression`]: a whole-string `{{ E }}` — `compile_expression(E)` called
//!   with the template variables; the typed value is returned (an undefined result
//!   raises, as Mistral's `str(result)` makes it).
//! * [`render`]: any other string — `from_string(text).render(...)`, the text result,
//!   with `trim_blocks`, `lstrip_blocks`, `-` whitespace control and one trailing
//!   newline dropped.
//!
//! Template variables (`get_jinja_context`): `_` = the data context; `__env`,
//! `__execution`, `__task_execution` when it is a dict; Mistral's functions bound to it;
//! then Jinja's globals. Unknown filters and tests fail before anything runs
//! (`TemplateAssertionError`, as Jinja's compiler does). Loops, output size and
//! recursion are bounded by the [`Ctx`] budget and [`MAX_DEPTH`].
//!
//! This tree-walker is the reference: the runtime executes Jinja compiled to bytecode
//! ([`crate::jinja_compile`], run by `gale_vm::interp`), and the conformance suite runs
//! both and requires both to match Mistral's recorded results.

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;

use gale_expr::jinja::ast::{
    BinaryOp, CallArgs, CmpOp, Const, Expr, ExprKind, Node, Template, UnaryOp,
};
use gale_vm::jinja::{self as rt, Function, JinjaFn, Namespace};
use gale_vm::value::Dict;
use gale_vm::{Ctx, Error, ErrorKind, Value};

/// Deepest nesting of macro calls and recursive evaluation.
pub const MAX_DEPTH: u32 = 100;

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

struct DepthGuard;

impl DepthGuard {
    fn enter() -> Result<DepthGuard, Error> {
        let d = DEPTH.with(|c| {
            let d = c.get() + 1;
            c.set(d);
            d
        });
        let g = DepthGuard;
        if d > MAX_DEPTH {
            return Err(Error::new(
                ErrorKind::RecursionError,
                "maximum recursion depth exceeded",
            ));
        }
        Ok(g)
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        DEPTH.with(|c| c.set(c.get().saturating_sub(1)));
    }
}

type Scope = HashMap<String, Value>;

/// Keyword arguments of a call, in order.
type Keywords = Vec<(String, Value)>;

/// The template variables Mistral passes for `data` (`get_jinja_context`).
fn root_scope(data: &Value) -> Scope {
    let mut s = Scope::new();
    s.insert("_".into(), data.clone());
    if let Value::Dict(d) = data {
        for k in ["__env", "__execution", "__task_execution"] {
            s.insert(k.into(), d.get_str(k).cloned().unwrap_or(Value::Null));
        }
    }
    s
}

struct Renderer {
    text: Rc<str>,
    data: Value,
    scopes: Vec<Scope>,
}

/// Evaluates the body of a whole-string `{{ … }}` (typed result).
pub fn evaluate_expression(cx: &mut Ctx, expr: &str, data: &Value) -> Result<Value, Error> {
    let parsed = gale_expr::jinja::parse_expression(expr).map_err(|e| {
        // Lexer errors are not "translated" on this path: Jinja appends the line.
        let message = if e.message.starts_with("unexpected char") {
            format!("{}\n  line 1", e.message)
        } else {
            e.message
        };
        Error::new(ErrorKind::TemplateSyntaxError, message)
    })?;
    check_names_expr(&parsed)?;
    let mut r = Renderer {
        text: Rc::from(expr),
        data: data.clone(),
        scopes: vec![root_scope(data)],
    };
    let _g = DepthGuard::enter()?;
    let v = r.eval(cx, &parsed)?;
    // Mistral calls `str(result)` so that a StrictUndefined raises.
    rt::to_str(&v)?;
    Ok(v)
}

/// Renders a whole template to text.
pub fn render(cx: &mut Ctx, text: &str, data: &Value) -> Result<String, Error> {
    let tpl: Template = gale_expr::jinja::parse_template(text)
        .map_err(|e| Error::new(ErrorKind::TemplateSyntaxError, e.message))?;
    check_names_nodes(&tpl.body)?;
    let mut r = Renderer {
        text: Rc::from(text),
        data: data.clone(),
        scopes: vec![root_scope(data)],
    };
    let _g = DepthGuard::enter()?;
    let mut out = String::new();
    r.render_nodes(cx, &tpl.body, &mut out)?;
    Ok(out)
}

pub(crate) fn check_names_expr(e: &Expr) -> Result<(), Error> {
    let mut err = None;
    e.walk(&mut |x| {
        if err.is_some() {
            return;
        }
        match &x.kind {
            ExprKind::Filter { name, .. } if rt::filters::lookup(name).is_none() => {
                err = Some(rt::filters::no_filter(name));
            }
            ExprKind::Test { name, .. } if rt::tests::lookup(name).is_none() => {
                err = Some(rt::tests::no_test(name));
            }
            _ => {}
        }
    });
    err.map_or(Ok(()), Err)
}

pub(crate) fn check_names_nodes(nodes: &[Node]) -> Result<(), Error> {
    for n in nodes {
        match n {
            Node::Data(_) => {}
            Node::Output { expr, .. } => check_names_expr(expr)?,
            Node::If {
                branches,
                else_body,
                ..
            } => {
                for (t, b) in branches {
                    check_names_expr(t)?;
                    check_names_nodes(b)?;
                }
                check_names_nodes(else_body)?;
            }
            Node::For {
                iter,
                filter,
                body,
                else_body,
                ..
            } => {
                check_names_expr(iter)?;
                if let Some(f) = filter {
                    check_names_expr(f)?;
                }
                check_names_nodes(body)?;
                check_names_nodes(else_body)?;
            }
            Node::Set {
                value,
                filter,
                body,
                ..
            } => {
                for e in value.iter().chain(filter.iter()) {
                    check_names_expr(e)?;
                }
                check_names_nodes(body)?;
            }
            Node::With {
                assignments, body, ..
            } => {
                for (_, v) in assignments {
                    check_names_expr(v)?;
                }
                check_names_nodes(body)?;
            }
            Node::Other { exprs, body, .. } => {
                for e in exprs {
                    check_names_expr(e)?;
                }
                check_names_nodes(body)?;
            }
        }
    }
    Ok(())
}

/// The parts of a `{% for %}`.
#[derive(Clone, Copy)]
struct ForDef<'a> {
    target: &'a Expr,
    filter: Option<&'a Expr>,
    body: &'a [Node],
    else_body: &'a [Node],
    /// Filter every item before the body runs (the body may ask for the length);
    /// otherwise filter and body interleave, as Jinja's lazy loop does.
    lookahead: bool,
}

/// A `{% for … recursive %}` kept for `loop(items)`: its parts and the scopes it was
/// rendered in.
struct RecursiveLoop {
    text: Rc<str>,
    data: Value,
    closure: Vec<Scope>,
    target: Expr,
    filter: Option<Expr>,
    body: Rc<Vec<Node>>,
    else_body: Rc<Vec<Node>>,
    lookahead: bool,
}

/// `loop(items)`: the recursive loop over `items` at `depth`.
struct Recurse {
    def: Rc<RecursiveLoop>,
    depth: usize,
}

impl JinjaFn for Recurse {
    fn call(
        &self,
        cx: &mut Ctx,
        args: Vec<Value>,
        kwargs: Vec<(String, Value)>,
    ) -> Result<Value, Error> {
        let _g = DepthGuard::enter()?;
        let mut args = rt::bind("__call__", &["iterable"], args, kwargs)?;
        let seq = args.pop().unwrap_or(Value::Null);
        let l = &self.def;
        let mut r = Renderer {
            text: l.text.clone(),
            data: l.data.clone(),
            scopes: l.closure.clone(),
        };
        let def = ForDef {
            target: &l.target,
            filter: l.filter.as_ref(),
            body: &l.body,
            else_body: &l.else_body,
            lookahead: l.lookahead,
        };
        let mut out = String::new();
        r.render_for(cx, &def, &seq, self.depth, Some(l.clone()), &mut out)?;
        Ok(Value::str(out))
    }
}

/// A macro defined by `{% macro %}`.
struct Macro(Rc<MacroDef>);

struct MacroDef {
    name: String,
    text: Rc<str>,
    data: Value,
    closure: Vec<Scope>,
    params: Vec<String>,
    defaults: Vec<Expr>,
    body: Rc<Vec<Node>>,
}

impl JinjaFn for Macro {
    fn call(
        &self,
        cx: &mut Ctx,
        args: Vec<Value>,
        kwargs: Vec<(String, Value)>,
    ) -> Result<Value, Error> {
        let _g = DepthGuard::enter()?;
        let m = &self.0;
        let mut r = Renderer {
            text: m.text.clone(),
            data: m.data.clone(),
            scopes: m.closure.clone(),
        };
        let mut frame = Scope::new();
        // The macro sees itself (recursion), as template-level names resolve at call time.
        frame.insert(
            m.name.clone(),
            rt::native(Function {
                name: m.name.clone(),
                kind: "Macro",
                imp: Rc::new(Macro(m.clone())),
            }),
        );
        let first_default = m.params.len() - m.defaults.len().min(m.params.len());
        let mut args = args.into_iter();
        // Jinja's special macro variables: `caller` (from a `{% call %}`), `varargs`
        // (extra positional arguments), `kwargs` (unknown keyword arguments).
        let mut extra_kwargs = Dict::new();
        for (k, v) in &kwargs {
            if k == "caller" {
                frame.insert("caller".into(), v.clone());
            } else if !m.params.iter().any(|p| p == k) {
                extra_kwargs.insert(Value::str(k.as_str()), v.clone())?;
            }
        }
        for (i, p) in m.params.iter().enumerate() {
            let v = match args.next() {
                Some(v) => v,
                None => match kwargs.iter().find(|(k, _)| k == p) {
                    Some((_, v)) => v.clone(),
                    None if i >= first_default => {
                        r.scopes.push(frame.clone());
                        let v = r.eval(cx, &m.defaults[i - first_default])?;
                        r.scopes.pop();
                        v
                    }
                    None => rt::undefined(
                        ErrorKind::UndefinedError,
                        format!("parameter '{p}' was not provided"),
                    ),
                },
            };
            frame.insert(p.clone(), v);
        }
        frame.insert("varargs".into(), Value::tuple(args.collect()));
        frame.insert("kwargs".into(), Value::dict(extra_kwargs));
        r.scopes.push(frame);
        let mut out = String::new();
        r.render_nodes(cx, &m.body, &mut out)?;
        Ok(Value::str(out))
    }
}

/// Parameter names of a `{% call(a, b=1) f() %}` header (none without parentheses).
pub(crate) fn caller_params(header: &str) -> Vec<String> {
    let rest = header.trim_start_matches(['{', '%', '-', '+']).trim_start();
    let Some(rest) = rest.strip_prefix("call") else {
        return Vec::new();
    };
    if !rest.trim_start().starts_with('(') {
        return Vec::new();
    }
    macro_header(&format!("macro caller{}", rest.trim_start()))
        .map(|(_, p)| p)
        .unwrap_or_default()
}

/// Name and parameter names of a `{% macro name(a, b=1) %}` header.
pub(crate) fn macro_header(header: &str) -> Option<(String, Vec<String>)> {
    let rest = header.trim_start_matches(['{', '%', '-', '+']).trim_start();
    let rest = rest.strip_prefix("macro")?.trim_start();
    let open = rest.find('(')?;
    let name = rest[..open].trim().to_string();
    let mut params = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    let mut in_default = false;
    for c in rest[open + 1..].chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' if depth == 0 => {
                if !cur.trim().is_empty() {
                    params.push(cur.trim().to_string());
                }
                return Some((name, params));
            }
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                if !cur.trim().is_empty() {
                    params.push(cur.trim().to_string());
                }
                cur.clear();
                in_default = false;
                continue;
            }
            '=' if depth == 0 => in_default = true,
            _ => {}
        }
        if !in_default && depth == 0 && c != '=' {
            cur.push(c);
        }
    }
    None
}

impl Renderer {
    fn lookup(&self, name: &str) -> Value {
        for s in self.scopes.iter().rev() {
            if let Some(v) = s.get(name) {
                return v.clone();
            }
        }
        rt::globals::global(name, &self.data).unwrap_or_else(|| rt::undefined_name(name))
    }

    fn assign(&mut self, cx: &mut Ctx, target: &Expr, value: Value) -> Result<(), Error> {
        match &target.kind {
            ExprKind::Name(n) => {
                if let Some(s) = self.scopes.last_mut() {
                    s.insert(n.to_string(), value);
                }
                Ok(())
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                let values = rt::iterate(cx, &value)?;
                if values.len() != items.len() {
                    return Err(Error::value_error(if values.len() > items.len() {
                        format!("too many values to unpack (expected {})", items.len())
                    } else {
                        format!(
                            "not enough values to unpack (expected {}, got {})",
                            items.len(),
                            values.len()
                        )
                    }));
                }
                for (t, v) in items.iter().zip(values) {
                    self.assign(cx, t, v)?;
                }
                Ok(())
            }
            ExprKind::NsRef { name, attr } => {
                let ns = self.lookup(name);
                match rt::downcast::<Namespace>(&ns) {
                    Some(n) => n.attrs.borrow_mut().insert(Value::str(&**attr), value),
                    None => Err(Error::new(
                        ErrorKind::TemplateAssertionError,
                        "cannot assign attribute on non-namespace object",
                    )),
                }
            }
            _ => Err(Error::new(
                ErrorKind::TemplateSyntaxError,
                "cannot assign to this expression",
            )),
        }
    }

    /// Stores `value` where `place` reads from: a variable (in the scope that defines
    /// it), a dict item or attribute (copy-on-write up the path), or a namespace
    /// attribute. Other places (call results, literals) are left alone, like a
    /// temporary mutated in Python.
    fn store(&mut self, cx: &mut Ctx, place: &Expr, value: Value) -> Result<(), Error> {
        cx.tick()?;
        match &place.kind {
            ExprKind::Name(n) => {
                let n: &str = n;
                match self.scopes.iter_mut().rev().find(|s| s.contains_key(n)) {
                    Some(s) => {
                        s.insert(n.to_string(), value);
                    }
                    None => {
                        if let Some(s) = self.scopes.first_mut() {
                            s.insert(n.to_string(), value);
                        }
                    }
                }
                Ok(())
            }
            ExprKind::Getattr { target, attr, .. } => {
                let obj = self.eval(cx, target)?;
                self.store_in(cx, target, obj, Value::str(&**attr), value)
            }
            ExprKind::Getitem { target, index }
                if !matches!(index.kind, ExprKind::Slice { .. }) =>
            {
                let obj = self.eval(cx, target)?;
                let key = self.eval(cx, index)?;
                self.store_in(cx, target, obj, key, value)
            }
            _ => Ok(()),
        }
    }

    fn store_in(
        &mut self,
        cx: &mut Ctx,
        target: &Expr,
        obj: Value,
        key: Value,
        value: Value,
    ) -> Result<(), Error> {
        if let Some(ns) = rt::downcast::<Namespace>(&obj) {
            return ns.attrs.borrow_mut().insert(key, value);
        }
        let new = match &obj {
            Value::Dict(d) => {
                let mut m = d.as_ref().clone();
                m.insert(key, value)?;
                Value::dict(m)
            }
            Value::List(items) => {
                let mut v = items.as_ref().clone();
                let n = v.len() as i64;
                match key.as_i64_lenient() {
                    Some(i) if (-n..n).contains(&i) => {
                        v[if i < 0 { i + n } else { i } as usize] = value;
                    }
                    _ => return Ok(()),
                }
                Value::list(v)
            }
            _ => return Ok(()),
        };
        self.store(cx, target, new)
    }

    fn data_text(&self, start: usize, end: usize) -> String {
        data_text(&self.text, start, end)
    }
}

/// The text of template data `start..end` after Jinja's whitespace control
/// (`-` markers, `lstrip_blocks`; `trim_blocks` is applied by the parser's spans),
/// with newlines normalised.
pub(crate) fn data_text(text: &str, start: usize, end: usize) -> String {
    {
        let mut s = text.get(start..end).unwrap_or("");
        let next = text.get(end..).unwrap_or("");
        let b = next.as_bytes();
        let is_tag = b.len() >= 2 && b[0] == b'{' && matches!(b[1], b'{' | b'%' | b'#');
        if is_tag && b.get(2) == Some(&b'-') {
            s = s.trim_end();
        } else if is_tag && b[1] != b'{' && b.get(2) != Some(&b'+') {
            // lstrip_blocks: spaces/tabs between a line start and a block/comment tag.
            let l_pos = s.rfind('\n').map(|p| p + 1).unwrap_or(0);
            let line_starting = start == 0 || text.as_bytes().get(start - 1) == Some(&b'\n');
            if (l_pos > 0 || line_starting) && s[l_pos..].chars().all(|c| c == ' ' || c == '\t') {
                s = &s[..l_pos];
            }
        }
        if s.contains('\r') {
            s.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            s.to_string()
        }
    }
}

impl Renderer {
    fn render_nodes(
        &mut self,
        cx: &mut Ctx,
        nodes: &[Node],
        out: &mut String,
    ) -> Result<(), Error> {
        for n in nodes {
            cx.tick()?;
            match n {
                Node::Data(span) => {
                    let t = self.data_text(span.start as usize, span.end as usize);
                    cx.charge(t.len())?;
                    out.push_str(&t);
                }
                Node::Output { expr, .. } => {
                    let v = self.eval(cx, expr)?;
                    let t = rt::to_str(&v)?;
                    cx.charge(t.len())?;
                    out.push_str(&t);
                }
                Node::If {
                    branches,
                    else_body,
                    ..
                } => {
                    let mut done = false;
                    for (test, body) in branches {
                        let v = self.eval(cx, test)?;
                        if rt::truthy(&v)? {
                            self.render_nodes(cx, body, out)?;
                            done = true;
                            break;
                        }
                    }
                    if !done {
                        self.render_nodes(cx, else_body, out)?;
                    }
                }
                Node::For {
                    target,
                    iter,
                    filter,
                    body,
                    else_body,
                    recursive,
                    span,
                } => {
                    let seq = self.eval(cx, iter)?;
                    let source = self
                        .text
                        .get(span.start as usize..span.end as usize)
                        .unwrap_or("length");
                    let def = ForDef {
                        target,
                        filter: filter.as_ref(),
                        body,
                        else_body,
                        lookahead: crate::jinja_compile::needs_lookahead(source),
                    };
                    let recurse = if *recursive {
                        Some(Rc::new(RecursiveLoop {
                            text: self.text.clone(),
                            data: self.data.clone(),
                            closure: self.scopes.clone(),
                            target: target.clone(),
                            filter: filter.clone(),
                            body: Rc::new(body.clone()),
                            else_body: Rc::new(else_body.clone()),
                            lookahead: def.lookahead,
                        }))
                    } else {
                        None
                    };
                    self.render_for(cx, &def, &seq, 1, recurse, out)?
                }
                Node::Set {
                    target,
                    value,
                    filter,
                    body,
                    ..
                } => {
                    let v = match value {
                        Some(e) => self.eval(cx, e)?,
                        None => {
                            let mut inner = String::new();
                            self.render_nodes(cx, body, &mut inner)?;
                            let v = Value::str(inner);
                            match filter {
                                Some(f) => self.eval_piped(cx, f, v)?,
                                None => v,
                            }
                        }
                    };
                    self.assign(cx, target, v)?;
                }
                Node::With {
                    assignments, body, ..
                } => {
                    let mut frame = Scope::new();
                    for (t, e) in assignments {
                        let v = self.eval(cx, e)?;
                        if let ExprKind::Name(n) = &t.kind {
                            frame.insert(n.to_string(), v);
                        }
                    }
                    self.scopes.push(frame);
                    let r = self.render_nodes(cx, body, out);
                    self.scopes.pop();
                    r?;
                }
                Node::Other {
                    tag,
                    exprs,
                    body,
                    span,
                } => self.render_other(cx, tag, exprs, body, *span, out)?,
            }
        }
        Ok(())
    }

    /// Renders a `for` over `seq` at nesting `depth`; `recurse` is the loop itself for
    /// `loop(items)` in a recursive loop.
    fn render_for(
        &mut self,
        cx: &mut Ctx,
        def: &ForDef<'_>,
        seq: &Value,
        depth: usize,
        recurse: Option<Rc<RecursiveLoop>>,
        out: &mut String,
    ) -> Result<(), Error> {
        let ForDef {
            target,
            filter,
            body,
            else_body,
            lookahead,
        } = *def;
        let all = rt::iterate(cx, seq)?;
        let lazy = filter.is_some() && !lookahead;
        let items = if lazy {
            all
        } else {
            let mut kept = Vec::with_capacity(all.len());
            for it in all {
                if self.keep(cx, target, filter, &it)? {
                    kept.push(it);
                }
            }
            kept
        };
        let items = Rc::new(items);
        let no_items: Rc<Vec<Value>> = Rc::new(Vec::new());
        let recurse: Option<Rc<dyn JinjaFn>> = recurse.map(|r| {
            Rc::new(Recurse {
                def: r,
                depth: depth + 1,
            }) as Rc<dyn JinjaFn>
        });
        let mut count = 0usize;
        let mut prev: Option<Value> = None;
        let changed: Rc<std::cell::RefCell<Option<Vec<Value>>>> = Rc::default();
        for it in items.iter() {
            if lazy && !self.keep(cx, target, filter, it)? {
                continue;
            }
            cx.tick_n(4)?;
            let mut frame = Scope::new();
            let lp = rt::native(rt::Loop {
                index0: count,
                items: if lazy {
                    no_items.clone()
                } else {
                    items.clone()
                },
                depth,
                recurse: recurse.clone(),
                changed: changed.clone(),
                prev: if lazy {
                    Some(prev.take().unwrap_or_else(|| {
                        rt::undefined(ErrorKind::UndefinedError, "there is no previous item")
                    }))
                } else {
                    None
                },
            });
            frame.insert("loop".into(), lp);
            self.scopes.push(frame);
            let r = self
                .assign(cx, target, it.clone())
                .and_then(|_| self.render_nodes(cx, body, out));
            self.scopes.pop();
            r?;
            count += 1;
            if lazy {
                prev = Some(it.clone());
            }
        }
        if count == 0 {
            return self.render_nodes(cx, else_body, out);
        }
        Ok(())
    }

    /// Whether the loop `filter` keeps `item` (bound to `target` in a scope of its own).
    fn keep(
        &mut self,
        cx: &mut Ctx,
        target: &Expr,
        filter: Option<&Expr>,
        item: &Value,
    ) -> Result<bool, Error> {
        let Some(f) = filter else {
            return Ok(true);
        };
        self.scopes.push(Scope::new());
        let r = self
            .assign(cx, target, item.clone())
            .and_then(|_| self.eval(cx, f))
            .and_then(|v| rt::truthy(&v));
        self.scopes.pop();
        r
    }

    fn render_other(
        &mut self,
        cx: &mut Ctx,
        tag: &str,
        exprs: &[Expr],
        body: &[Node],
        span: gale_expr::Span,
        out: &mut String,
    ) -> Result<(), Error> {
        match tag {
            "include" | "extends" | "import" | "from" => Err(Error::type_error(
                "no loader for this environment specified",
            )),
            "block" | "autoescape" => self.render_nodes(cx, body, out),
            "print" => {
                for e in exprs {
                    let v = self.eval(cx, e)?;
                    out.push_str(&rt::to_str(&v)?);
                }
                Ok(())
            }
            "filter" => {
                let mut inner = String::new();
                self.render_nodes(cx, body, &mut inner)?;
                let mut v = Value::str(inner);
                if let Some(f) = exprs.first() {
                    v = self.eval_piped(cx, f, v)?;
                }
                out.push_str(&rt::to_str(&v)?);
                Ok(())
            }
            "macro" => {
                let header = self
                    .text
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or("");
                let Some((name, params)) = macro_header(header) else {
                    return Err(Error::new(
                        ErrorKind::TemplateSyntaxError,
                        "unsupported macro header",
                    ));
                };
                let m = Macro(Rc::new(MacroDef {
                    name: name.clone(),
                    text: self.text.clone(),
                    data: self.data.clone(),
                    closure: self.scopes.clone(),
                    params,
                    defaults: exprs.to_vec(),
                    body: Rc::new(body.to_vec()),
                }));
                let f = rt::native(Function {
                    name: name.clone(),
                    kind: "Macro",
                    imp: Rc::new(m),
                });
                if let Some(s) = self.scopes.last_mut() {
                    s.insert(name, f);
                }
                Ok(())
            }
            "call" => {
                // `{% call(params) f(args) %}body{% endcall %}`: `f(args, caller=<macro>)`.
                let Some((call, defaults)) = exprs.split_last() else {
                    return Ok(());
                };
                let ExprKind::Call { callee, args } = &call.kind else {
                    return Ok(());
                };
                let header = self
                    .text
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or("");
                let caller = Macro(Rc::new(MacroDef {
                    name: "caller".into(),
                    text: self.text.clone(),
                    data: self.data.clone(),
                    closure: self.scopes.clone(),
                    params: caller_params(header),
                    defaults: defaults.to_vec(),
                    body: Rc::new(body.to_vec()),
                }));
                let caller = rt::native(Function {
                    name: "caller".into(),
                    kind: "Macro",
                    imp: Rc::new(caller),
                });
                let f = self.eval(cx, callee)?;
                let (a, mut k) = self.eval_args(cx, args)?;
                k.push(("caller".into(), caller));
                let v = rt::call(cx, &f, a, k)?;
                let t = rt::to_str(&v)?;
                cx.charge(t.len())?;
                out.push_str(&t);
                Ok(())
            }
            other => Err(Error::new(
                ErrorKind::TemplateAssertionError,
                format!("the '{other}' statement is not supported by gale"),
            )),
        }
    }

    /// Evaluates a filter chain whose innermost target is the piped `value`.
    fn eval_piped(&mut self, cx: &mut Ctx, f: &Expr, value: Value) -> Result<Value, Error> {
        match &f.kind {
            ExprKind::Filter {
                target, name, args, ..
            } => {
                let v = match target {
                    Some(t) => self.eval_piped(cx, t, value)?,
                    None => value,
                };
                let (a, k) = self.eval_args(cx, args)?;
                rt::filters::apply(cx, name, v, a, k)
            }
            _ => self.eval(cx, f),
        }
    }

    fn eval_args(
        &mut self,
        cx: &mut Ctx,
        args: &CallArgs,
    ) -> Result<(Vec<Value>, Keywords), Error> {
        let mut a = Vec::with_capacity(args.args.len());
        for e in &args.args {
            a.push(self.eval(cx, e)?);
        }
        if let Some(d) = &args.dyn_args {
            let v = self.eval(cx, d)?;
            a.extend(rt::iterate(cx, &v)?);
        }
        let mut k = Vec::with_capacity(args.kwargs.len());
        for (name, _, e) in &args.kwargs {
            k.push((name.to_string(), self.eval(cx, e)?));
        }
        if let Some(d) = &args.dyn_kwargs {
            match rt::check(&self.eval(cx, d)?)? {
                Value::Dict(m) => {
                    for (key, v) in m.map.iter() {
                        k.push((rt::to_str(&key.0)?, v.clone()));
                    }
                }
                other => {
                    return Err(Error::type_error(format!(
                        "argument after ** must be a mapping, not {}",
                        other.type_name()
                    )));
                }
            }
        }
        Ok((a, k))
    }

    fn eval(&mut self, cx: &mut Ctx, e: &Expr) -> Result<Value, Error> {
        cx.tick()?;
        Ok(match &e.kind {
            ExprKind::Name(n) => self.lookup(n),
            ExprKind::NsRef { name, attr } => {
                let ns = self.lookup(name);
                rt::getattr(cx, &ns, attr)?
            }
            ExprKind::Const(c) => match c {
                Const::None => Value::Null,
                Const::Bool(b) => Value::Bool(*b),
                Const::Float(f) if f.is_finite() => Value::Float(*f),
                Const::Float(_) => {
                    // Jinja's code generator writes `repr(inf)`, a name Python lacks.
                    return Err(Error::new(
                        ErrorKind::NameError,
                        "name 'inf' is not defined",
                    ));
                }
                Const::Str(s) => Value::str(s.as_str()),
                Const::Int(t) => int_literal(t)?,
            },
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                let mut v = Vec::with_capacity(items.len());
                for i in items {
                    v.push(self.eval(cx, i)?);
                }
                if matches!(e.kind, ExprKind::Tuple(_)) {
                    Value::tuple(v)
                } else {
                    Value::list(v)
                }
            }
            ExprKind::Dict(pairs) => {
                let mut d = Dict::new();
                for (k, v) in pairs {
                    let key = self.eval(cx, k)?;
                    let val = self.eval(cx, v)?;
                    d.insert(key, val)?;
                }
                Value::dict(d)
            }
            ExprKind::Getattr { target, attr, .. } => {
                let t = self.eval(cx, target)?;
                rt::getattr(cx, &t, attr)?
            }
            ExprKind::Getitem { target, index } => {
                let t = self.eval(cx, target)?;
                if let ExprKind::Slice { start, stop, step } = &index.kind {
                    let mut part = |x: &Option<Box<Expr>>| -> Result<Value, Error> {
                        match x {
                            Some(x) => self.eval(cx, x),
                            None => Ok(Value::Null),
                        }
                    };
                    let (a, b, c) = (part(start)?, part(stop)?, part(step)?);
                    rt::slice(cx, &t, &a, &b, &c)?
                } else {
                    let i = self.eval(cx, index)?;
                    rt::getitem(cx, &t, &i)?
                }
            }
            ExprKind::Slice { .. } => {
                return Err(Error::type_error("a slice is only valid inside []"));
            }
            ExprKind::Call { callee, args } => {
                if let ExprKind::Getattr { target, attr, .. } = &callee.kind {
                    let recv = self.eval(cx, target)?;
                    if rt::methods::is_mutator(&recv, attr) {
                        // `l.append(x)`: Python mutates the object; values are
                        // immutable here, so the new object is stored back where
                        // the receiver came from (variable, item or attribute).
                        let (a, k) = self.eval_args(cx, args)?;
                        let (ret, new) = rt::methods::mutate(cx, &recv, attr, a, k)?;
                        self.store(cx, target, new)?;
                        return Ok(ret);
                    }
                    let f = rt::getattr(cx, &recv, attr)?;
                    let (a, k) = self.eval_args(cx, args)?;
                    return rt::call(cx, &f, a, k);
                }
                let f = self.eval(cx, callee)?;
                let (a, k) = self.eval_args(cx, args)?;
                rt::call(cx, &f, a, k)?
            }
            ExprKind::Filter {
                target, name, args, ..
            } => {
                let v = match target {
                    Some(t) => self.eval(cx, t)?,
                    None => Value::Null,
                };
                let (a, k) = self.eval_args(cx, args)?;
                rt::filters::apply(cx, name, v, a, k)?
            }
            ExprKind::Test {
                target, name, args, ..
            } => {
                let v = self.eval(cx, target)?;
                let (a, k) = self.eval_args(cx, args)?;
                Value::Bool(rt::tests::apply(cx, name, v, a, k)?)
            }
            ExprKind::Unary { op, operand } => {
                let v = self.eval(cx, operand)?;
                rt::unary(
                    match op {
                        UnaryOp::Not => "not",
                        UnaryOp::Neg => "-",
                        UnaryOp::Pos => "+",
                    },
                    &v,
                )?
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let l = self.eval(cx, lhs)?;
                match op {
                    BinaryOp::And => {
                        if rt::truthy(&l)? {
                            self.eval(cx, rhs)?
                        } else {
                            l
                        }
                    }
                    BinaryOp::Or => {
                        if rt::truthy(&l)? {
                            l
                        } else {
                            self.eval(cx, rhs)?
                        }
                    }
                    _ => {
                        let r = self.eval(cx, rhs)?;
                        let o = match op {
                            BinaryOp::Add => "+",
                            BinaryOp::Sub => "-",
                            BinaryOp::Mul => "*",
                            BinaryOp::Div => "/",
                            BinaryOp::FloorDiv => "//",
                            BinaryOp::Mod => "%",
                            _ => "**",
                        };
                        rt::binary(cx, o, &l, &r)?
                    }
                }
            }
            ExprKind::Concat(parts) => {
                let mut s = String::new();
                for p in parts {
                    let v = self.eval(cx, p)?;
                    s.push_str(&rt::to_str(&v)?);
                }
                cx.charge(s.len())?;
                Value::str(s)
            }
            ExprKind::Compare { first, ops } => {
                let mut left = self.eval(cx, first)?;
                for (op, rhs) in ops {
                    let right = self.eval(cx, rhs)?;
                    let o = match op {
                        CmpOp::Eq => "==",
                        CmpOp::Ne => "!=",
                        CmpOp::Lt => "<",
                        CmpOp::LtEq => "<=",
                        CmpOp::Gt => ">",
                        CmpOp::GtEq => ">=",
                        CmpOp::In => "in",
                        CmpOp::NotIn => "notin",
                    };
                    if !rt::compare(cx, o, &left, &right)? {
                        return Ok(Value::Bool(false));
                    }
                    left = right;
                }
                Value::Bool(true)
            }
            ExprKind::CondExpr {
                test,
                then,
                otherwise,
            } => {
                let t = self.eval(cx, test)?;
                if rt::truthy(&t)? {
                    self.eval(cx, then)?
                } else {
                    match otherwise {
                        Some(o) => self.eval(cx, o)?,
                        None => rt::lenient_undefined(
                            "the inline if-expression on line 1 evaluated to false and no else \
                             section was defined.",
                        ),
                    }
                }
            }
        })
    }
}

pub(crate) fn int_literal(t: &str) -> Result<Value, Error> {
    let (digits, radix) = match t.get(..2) {
        Some("0x" | "0X") => (&t[2..], 16),
        Some("0o" | "0O") => (&t[2..], 8),
        Some("0b" | "0B") => (&t[2..], 2),
        _ => (t, 10),
    };
    num_bigint::BigInt::parse_bytes(digits.as_bytes(), radix)
        .map(Value::from_bigint)
        .ok_or_else(|| Error::value_error(format!("invalid integer literal {t}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macro_headers() {
        assert_eq!(
            macro_header("{% macro m(x, y=(1, 2), z='a') %}"),
            Some(("m".into(), vec!["x".into(), "y".into(), "z".into()]))
        );
        assert_eq!(macro_header("{% macro m() %}"), Some(("m".into(), vec![])));
    }
}
