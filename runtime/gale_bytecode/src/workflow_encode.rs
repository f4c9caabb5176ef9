//! The artifact format of a workflow [`Program`] (`gale compile FILE -o OUT`) and its
//! disassembler (`--emit ir`, `--emit asm`).
//!
//! Layout (integers little-endian): magic `GALEWF`, format version `u16`, IR version
//! `u32`, the tables as a length-prefixed JSON text (`u32` length), then the YAQL and
//! Jinja modules as a `u32` count followed by length-prefixed module artifacts
//! ([`crate::encode`]). [`decode_program`] checks every length against the remaining
//! input and never panics; it runs [`verify_program`] before returning.

use std::fmt::Write as _;

use crate::workflow::{PROGRAM_VERSION, Piece, Program, Template, verify_program};

/// The magic bytes opening a workflow artifact.
pub const PROGRAM_MAGIC: &[u8; 6] = b"GALEWF";
/// The artifact format version written by [`encode_program`].
pub const PROGRAM_FORMAT: u16 = 1;

/// Encodes a program.
pub fn encode_program(p: &Program) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(PROGRAM_MAGIC);
    out.extend_from_slice(&PROGRAM_FORMAT.to_le_bytes());
    out.extend_from_slice(&PROGRAM_VERSION.to_le_bytes());
    let json = serde_json::to_vec(p).unwrap_or_default();
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&(p.modules.len() as u32).to_le_bytes());
    for m in &p.modules {
        let bytes = crate::encode::encode(m);
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

/// Whether `bytes` start like a workflow artifact.
pub fn is_program_artifact(bytes: &[u8]) -> bool {
    bytes.starts_with(PROGRAM_MAGIC)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).ok_or("length overflow")?;
        let s = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| format!("truncated artifact at byte {}", self.pos))?;
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
}

/// Decodes and verifies an artifact produced by [`encode_program`]. Never panics.
pub fn decode_program(bytes: &[u8]) -> Result<Program, String> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(PROGRAM_MAGIC.len())? != PROGRAM_MAGIC {
        return Err("not a Gale workflow artifact".into());
    }
    if r.u16()? != PROGRAM_FORMAT {
        return Err("unsupported artifact format version".into());
    }
    if r.u32()? != PROGRAM_VERSION {
        return Err("unsupported workflow IR version".into());
    }
    let n = r.u32()? as usize;
    let json = r.take(n)?;
    let mut p: Program =
        serde_json::from_slice(json).map_err(|e| format!("bad program tables: {e}"))?;
    let count = r.u32()? as usize;
    if count > bytes.len() {
        return Err("bad module count".into());
    }
    for _ in 0..count {
        let n = r.u32()? as usize;
        let m = crate::encode::decode(r.take(n)?).map_err(|e| format!("bad module: {e:?}"))?;
        p.modules.push(m);
    }
    if r.pos != bytes.len() {
        return Err("trailing bytes after the artifact".into());
    }
    verify_program(&p).map_err(|e| e.to_string())?;
    Ok(p)
}

/// `--emit ir`: the tables as pretty JSON (modules shown by index).
pub fn program_ir(p: &Program) -> String {
    serde_json::to_string_pretty(p).unwrap_or_default()
}

fn template_text(p: &Program, t: &Template) -> String {
    match t {
        Template::Lit(j) => j.to_string(),
        Template::Yaql(i) => format!("yaql#{i}"),
        Template::Jinja(i) => format!(
            "jinja#{i}({:?})",
            p.jinja
                .get(*i as usize)
                .map(|e| e.text.as_str())
                .unwrap_or("")
        ),
        Template::Interp(parts) => {
            let mut s = String::from("interp[");
            for (k, part) in parts.iter().enumerate() {
                if k > 0 {
                    s.push_str(", ");
                }
                match part {
                    Piece::Text(t) => {
                        let _ = write!(s, "{t:?}");
                    }
                    Piece::Yaql(i) => {
                        let _ = write!(s, "yaql#{i}");
                    }
                }
            }
            s.push(']');
            s
        }
        Template::List(items) => {
            let inner: Vec<String> = items.iter().map(|i| template_text(p, i)).collect();
            format!("[{}]", inner.join(", "))
        }
        Template::Dict(items) => {
            let inner: Vec<String> = items
                .iter()
                .map(|(k, v)| format!("{k}: {}", template_text(p, v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// `--emit asm`: workflows, tasks and transitions as text, then every expression
/// with its position and disassembled module.
pub fn program_asm(p: &Program) -> String {
    let mut out = String::new();
    if let Some(wb) = &p.workbook {
        let _ = writeln!(out, "workbook {wb}");
    }
    for w in &p.workflows {
        let _ = writeln!(out, "workflow {} ({:?})", w.name, w.kind);
        let starts: Vec<&str> = w
            .start_tasks
            .iter()
            .filter_map(|i| w.tasks.get(*i as usize).map(|t| t.name.as_str()))
            .collect();
        let _ = writeln!(out, "  start: {starts:?}");
        for (label, t) in [
            ("output", &w.output),
            ("output-on-error", &w.output_on_error),
            ("vars", &w.vars),
        ] {
            if let Some(t) = t {
                let _ = writeln!(out, "  {label}: {}", template_text(p, t));
            }
        }
        for (i, t) in w.tasks.iter().enumerate() {
            let _ = writeln!(
                out,
                "  task {i} {} {:?} {}",
                t.name,
                t.call_kind,
                template_text(p, &t.call)
            );
            if let Some(j) = t.join {
                let _ = writeln!(out, "    join {j:?} inbound {:?}", t.inbound);
            }
            for (v, c) in &t.with_items {
                let _ = writeln!(out, "    with-items {v} in {}", template_text(p, c));
            }
            match &t.input {
                crate::workflow::TaskInput::None => {}
                crate::workflow::TaskInput::Map(x) | crate::workflow::TaskInput::Expr(x) => {
                    let _ = writeln!(out, "    input {}", template_text(p, x));
                }
            }
            if let Some(x) = &t.publish {
                let _ = writeln!(out, "    publish {}", template_text(p, x));
            }
            if let Some(x) = &t.publish_on_error {
                let _ = writeln!(out, "    publish-on-error {}", template_text(p, x));
            }
            if !t.policies.is_empty() {
                let _ = writeln!(out, "    policies {:?}", t.policies);
            }
            for (label, c) in [
                ("on-success", &t.on_success),
                ("on-error", &t.on_error),
                ("on-complete", &t.on_complete),
            ] {
                for tr in &c.next {
                    let guard = tr
                        .guard
                        .as_ref()
                        .map(|g| format!(" if {}", template_text(p, g)))
                        .unwrap_or_default();
                    let _ = writeln!(out, "    {label} -> {}{guard}", tr.target);
                }
            }
            if !t.requires.is_empty() {
                let _ = writeln!(out, "    requires {:?}", t.requires);
            }
        }
    }
    for a in &p.actions {
        let _ = writeln!(out, "action {} base {}", a.name, a.base);
    }
    for (label, table) in [("yaql", &p.exprs), ("jinja", &p.jinja)] {
        for (i, e) in table.iter().enumerate() {
            let _ = writeln!(out, "{label}#{i} at {}:{} {:?}", e.line, e.column, e.text);
            match (e.module, &e.error) {
                (Some(m), _) => {
                    if let Some(module) = p.modules.get(m as usize) {
                        out.push_str(&crate::disasm::disassemble(module));
                    }
                }
                (None, Some(err)) => {
                    let _ = writeln!(out, "  error: {err}");
                }
                _ => {}
            }
        }
    }
    out
}
