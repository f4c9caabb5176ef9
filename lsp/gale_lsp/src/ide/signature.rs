//! Signature help: inside a YAQL or Jinja function call (`len(|`, `$.where(|`), the
//! overloads of the function from `gale_vm`'s signature table (the table the checker
//! and the runtime use); inside a task's `input:` (or inline parameters on the
//! `action:` line), the parameters of the task's std action (`gale_engine`'s table) or
//! ad-hoc action, with the parameter under the cursor active.

use gale_db::{Database, SourceFile};
use gale_expr::jinja::lexer::{JOp, Tok};
use gale_expr::yaql::lexer::{Op, Token};
use gale_expr::{Lang, find_segments};
use gale_hir::{CallKind, ExpressionSite, Item, Task};
use gale_vm::sig::{Form, Layer};

/// One signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The whole label, e.g. `where(collection: iter, predicate: lam)`.
    pub label: String,
    /// One line of documentation.
    pub documentation: String,
    /// Parameter labels, each a substring of `label`.
    pub parameters: Vec<String>,
}

/// What to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHelp {
    /// The candidate signatures (overloads).
    pub signatures: Vec<Signature>,
    /// The parameter the cursor is in, when known.
    pub active_parameter: Option<u32>,
}

/// Signature help at byte `offset`.
pub fn signature_help(db: &Database, file: SourceFile, offset: u32) -> Option<SignatureHelp> {
    let lowered = gale_db::lower(db, file);
    let map = &lowered.source_map;
    if let Some(help) = map
        .expressions()
        .iter()
        .filter(|s| s.span.start <= offset && offset <= s.span.end)
        .find_map(|site| in_expression(site, offset))
    {
        return Some(help);
    }
    let doc = lowered.document.as_ref()?;
    let text = file.text(db);
    for (_, task) in doc.tasks() {
        if let Some(help) = in_task_input(doc, map, text, task, offset) {
            return Some(help);
        }
    }
    None
}

/// The decoded offset of source offset `offset` in a scalar.
fn decoded_offset(site: &ExpressionSite, offset: u32) -> Option<u32> {
    let mut best = None;
    for (d, s, len) in site.offsets.runs() {
        if s <= offset && offset <= s + len {
            best = Some(d + (offset - s));
        }
    }
    best
}

/// Help for a call around the cursor inside an expression.
fn in_expression(site: &ExpressionSite, offset: u32) -> Option<SignatureHelp> {
    let at = decoded_offset(site, offset)?;
    let segment = find_segments(&site.text)
        .into_iter()
        .find(|s| s.inner.start <= at && at <= s.inner.end)?;
    let prefix = site.text.get(segment.inner.start as usize..at as usize)?;
    let (name, method, argument) = match segment.lang {
        Lang::Yaql => open_yaql_call(prefix)?,
        Lang::Jinja => open_jinja_call(prefix)?,
    };
    let signatures = function_signatures(&name, method);
    if signatures.is_empty() {
        return None;
    }
    Some(SignatureHelp {
        signatures,
        active_parameter: Some(argument),
    })
}

/// An open call frame: the function's name (`None` for brackets), whether it is a
/// method call, and the commas seen so far.
type Frame = (Option<String>, bool, u32);

fn innermost(stack: Vec<Frame>) -> Option<(String, bool, u32)> {
    let (name, method, commas) = stack.into_iter().next_back()?;
    Some((name?, method, commas))
}

/// The innermost unclosed YAQL call in `prefix`: name, method?, argument index.
fn open_yaql_call(prefix: &str) -> Option<(String, bool, u32)> {
    let lexed = gale_expr::yaql::lexer::lex_with(prefix, true);
    let mut stack: Vec<Frame> = Vec::new();
    let mut prev: Option<Token<'_>> = None;
    for (token, _) in &lexed.tokens {
        match token {
            Token::Func(name) => {
                let method = matches!(prev, Some(Token::Op(Op::Dot | Op::SafeDot)));
                stack.push((Some((*name).to_string()), method, 0));
            }
            Token::LParen | Token::LBracket | Token::LBrace => stack.push((None, false, 0)),
            Token::RParen | Token::RBracket | Token::RBrace => {
                stack.pop();
            }
            Token::Comma => {
                if let Some(top) = stack.last_mut() {
                    top.2 += 1;
                }
            }
            _ => {}
        }
        prev = Some(*token);
    }
    innermost(stack)
}

/// The innermost unclosed Jinja call in `prefix`.
fn open_jinja_call(prefix: &str) -> Option<(String, bool, u32)> {
    let tokens = gale_expr::jinja::lexer::lex_expression(prefix);
    let mut stack: Vec<Frame> = Vec::new();
    for (i, (tok, _)) in tokens.iter().enumerate() {
        match tok {
            Tok::Op(JOp::LParen) => {
                let name = match i.checked_sub(1).and_then(|p| tokens.get(p)) {
                    Some((Tok::Name(n), _)) => Some((*n).to_string()),
                    _ => None,
                };
                let method =
                    i >= 2 && matches!(tokens.get(i - 2), Some((Tok::Op(JOp::Dot | JOp::Pipe), _)));
                stack.push((name, method, 0));
            }
            Tok::Op(JOp::LBracket | JOp::LBrace) => stack.push((None, false, 0)),
            Tok::Op(JOp::RParen | JOp::RBracket | JOp::RBrace) => {
                stack.pop();
            }
            Tok::Op(JOp::Comma) => {
                if let Some(top) = stack.last_mut() {
                    top.2 += 1;
                }
            }
            _ => {}
        }
    }
    innermost(stack)
}

/// The standard-set overloads of `name` callable in this form, as signatures. For a
/// method call the receiver (the first parameter) is not an argument, so it is left
/// out of the parameter list the argument index points into.
fn function_signatures(name: &str, method: bool) -> Vec<Signature> {
    let reg = gale_vm::sig::registry();
    let mut out: Vec<Signature> = Vec::new();
    for &i in reg.group(name).unwrap_or(&[]) {
        let Some(o) = reg.overloads.get(i) else {
            continue;
        };
        if o.layer != Layer::Std {
            continue;
        }
        let fits = match o.form {
            Form::Extension => true,
            Form::Method => method,
            Form::Function => !method,
        };
        if !fits {
            continue;
        }
        let table = gale_vm::signatures::SIGNATURES
            .iter()
            .find(|e| e.id == o.id)
            .map(|e| e.sig)
            .unwrap_or("");
        // The table text is `<form> name(params)`: show `name(params)`.
        let label = table
            .split_once(' ')
            .map(|(_, rest)| rest)
            .unwrap_or(table)
            .to_string();
        let mut parameters = params_of(&label);
        if method && !parameters.is_empty() {
            parameters.remove(0);
        }
        let signature = Signature {
            label,
            documentation: o.doc.to_string(),
            parameters,
        };
        if !out.contains(&signature) {
            out.push(signature);
        }
    }
    out
}

/// The parameter texts of a `name(a: t, b: t = 1)` label (top-level commas only).
fn params_of(label: &str) -> Vec<String> {
    let Some(open) = label.find('(') else {
        return Vec::new();
    };
    let inner = label[open + 1..].trim_end().trim_end_matches(')');
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(inner[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = inner[start..].trim();
    if !last.is_empty() {
        out.push(last.to_string());
    }
    out
}

/// Help inside a task's `input` block or inline parameters.
fn in_task_input(
    doc: &gale_hir::Document,
    map: &gale_hir::SourceMap,
    text: &str,
    task: &Task,
    offset: u32,
) -> Option<SignatureHelp> {
    if task.call.kind != CallKind::Action {
        return None;
    }
    let item = Item::Task(task.id);
    let input = map.field(item, "input").map(|f| f.value);
    let action = map.field(item, "action").map(|f| f.value);
    let in_input = input.is_some_and(|s| s.start <= offset && offset <= s.end);
    let in_action = action.is_some_and(|s| s.start <= offset && offset <= s.end);
    if !in_input && !in_action {
        return None;
    }
    let (label, documentation, parameters) = action_signature(doc, &task.call.name)?;
    // The parameter under the cursor: `key:` on the cursor's line in `input`, or the
    // last `key=` before the cursor on the `action:` line.
    let line_start = text
        .get(..offset as usize)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let before = text.get(line_start..offset as usize).unwrap_or("");
    let key = if in_input {
        let line_end = text
            .get(offset as usize..)
            .and_then(|t| t.find('\n'))
            .map_or(text.len(), |i| offset as usize + i);
        let line = text.get(line_start..line_end).unwrap_or("");
        line.trim_start()
            .trim_start_matches("input:")
            .trim_start()
            .trim_start_matches('{')
            .split(':')
            .next()
            .map(str::trim)
            .unwrap_or("")
            .to_string()
    } else {
        // The `key=value` word around the cursor, else the last one before it.
        let after = text.get(offset as usize..).unwrap_or("");
        let word_end = after.find(char::is_whitespace).unwrap_or(after.len());
        let word_start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let word = format!(
            "{}{}",
            before.get(word_start..).unwrap_or(""),
            after.get(..word_end).unwrap_or("")
        );
        word.split_once('=')
            .map(|(k, _)| k.to_string())
            .or_else(|| {
                before
                    .rsplit(char::is_whitespace)
                    .find_map(|w| w.split_once('=').map(|(k, _)| k.to_string()))
            })
            .unwrap_or_default()
    };
    let names: Vec<String> = parameters
        .iter()
        .map(|p| p.split(['=', ':']).next().unwrap_or("").trim().to_string())
        .collect();
    let active = names.iter().position(|n| *n == key).map(|i| i as u32);
    Some(SignatureHelp {
        signatures: vec![Signature {
            label,
            documentation,
            parameters,
        }],
        active_parameter: active,
    })
}

/// `(label, doc, parameter labels)` of a std or ad-hoc action.
fn action_signature(doc: &gale_hir::Document, name: &str) -> Option<(String, String, Vec<String>)> {
    if let Some(a) = gale_engine::std_action(name) {
        let mut parameters: Vec<String> = a
            .params
            .iter()
            .map(|p| match p.default {
                Some(d) => format!("{}={d}", p.name),
                None => p.name.to_string(),
            })
            .collect();
        if a.kwargs {
            parameters.push("**kwargs".into());
        }
        let label = format!("{}({})", a.name, parameters.join(", "));
        return Some((label, a.doc.to_string(), parameters));
    }
    let workbook = doc.workbook.as_ref().and_then(|w| w.name.as_deref());
    let local = workbook
        .and_then(|wb| name.strip_prefix(wb))
        .and_then(|r| r.strip_prefix('.'))
        .unwrap_or(name);
    let a = doc
        .actions
        .iter()
        .find(|a| a.name == name || a.name == local)?;
    let parameters: Vec<String> = a
        .input
        .iter()
        .map(|p| match &p.default {
            Some(_) => format!("{}=…", p.name),
            None => p.name.clone(),
        })
        .collect();
    let label = format!("{}({})", a.name, parameters.join(", "));
    Some((
        label,
        format!("ad-hoc action based on `{}`", a.base),
        parameters,
    ))
}
