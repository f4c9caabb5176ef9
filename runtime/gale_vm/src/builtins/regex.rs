//! yaql's `regex` module with Python `re` semantics on fancy-regex.
//!
//! Patterns are written in Python syntax and translated ([`translate`]) before
//! compiling: `\Z` → `\z`; `$` without MULTILINE → "end, or before a final newline"
//! (`(?=\n?\z)`); `{` that is not a quantifier, and `[`, `&`, `~` inside classes, become
//! literals; `{,n}` → `{0,n}`; `\uXXXX`, `\UXXXXXXXX`, `\xHH`, octal escapes and
//! `\a \f \v \b`(in a class) become explicit code points; `(?#…)` comments are dropped;
//! `(?P<name>…)`/`(?P=name)` pass through (fancy-regex accepts Python's spelling).
//! Python errors stay errors: unknown ASCII-letter escapes, `(?<name>…)` (3.12+ only),
//! bad syntax → `re.error` ([`ErrorKind::RegexError`]).
//!
//! Matching follows CPython's scanner: offsets are in code points; after an empty
//! match the next match may not be empty at the same position (so
//! `regex('x*').replace('abxd', '-')` = `-a-b--d-`, as in Python ≥ 3.7); `split` keeps
//! groups (`None` for groups that did not participate); `replace` uses Python's
//! template syntax (`\1`, `\g<name>`, `\g<1>`, `\n`…; unknown letter escapes are
//! errors, other unknown escapes are kept verbatim).
//!
//! Known gaps (documented, not silently different):
//! * When an empty match is refused at a position, CPython backtracks into the
//!   pattern's other alternatives *at that position* (`regex('|b').searchAll('b')` =
//!   `['', 'b', '']`); fancy-regex cannot be asked for "a non-empty match here", so the
//!   search resumes one character later (giving `['', '']`).
//! * `\N{NAME}` escapes, the `(?x)` verbose flag's comments, `(?a)`/`(?L)` and
//!   Python-specific Unicode tables for `\w`/`\d`/`\s` (Rust uses UTS#18 classes, which
//!   differ on a few exotic code points) are not reproduced.
//! * yaql's match publishing crashes on patterns with named groups (upstream bug:
//!   ValueError/TypeError/IndexError); the crash is reproduced, except in the one case
//!   where the upstream code "works" (a 2-character group value whose second character
//!   names a group), where the extra `$<first char>` variable is not bound.
//! * Python has no backtracking limit; fancy-regex's (1,000,000 steps per match) turns
//!   a catastrophic pattern into `StepBudgetExceeded` instead of a hang.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::ctx::{Ctx, Lambda};
use crate::error::{Error, ErrorKind, Result};
use crate::iter::IterObj;
use crate::sig::Args;
use crate::value::{Dict, Regex, Value};

/// Python `re` flag bits.
pub const IGNORECASE: u32 = 2;
/// `re.MULTILINE`.
pub const MULTILINE: u32 = 8;
/// `re.DOTALL`.
pub const DOTALL: u32 = 16;
/// `re.UNICODE` (always set for str patterns).
pub const UNICODE: u32 = 32;

fn re_error(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::RegexError, msg)
}

/// A code point as an escaped literal fancy-regex accepts anywhere.
fn lit(c: char) -> String {
    format!("\\x{{{:X}}}", c as u32)
}

/// Reads up to `max` digits of `radix` at `i`.
fn digits(ch: &[char], i: usize, max: usize, radix: u32) -> (usize, u32) {
    let (mut j, mut v) = (i, 0u32);
    while j < ch.len() && j - i < max {
        match ch[j].to_digit(radix) {
            Some(d) => v = v.saturating_mul(radix).saturating_add(d),
            None => break,
        }
        j += 1;
    }
    (j, v)
}

/// Translates `\x`-style escapes shared by both contexts; `None` when not one of them.
/// Returns (literal, next index).
fn code_escape(ch: &[char], i: usize) -> Result<Option<(char, usize)>> {
    let c = ch[i];
    let hex = |n: usize| -> Result<(char, usize)> {
        let (j, v) = digits(ch, i + 1, n, 16);
        if j - (i + 1) != n {
            return Err(re_error(format!("incomplete escape \\{c}")));
        }
        char::from_u32(v)
            .map(|x| (x, j))
            .ok_or_else(|| re_error(format!("bad escape \\{c}")))
    };
    Ok(Some(match c {
        'x' => hex(2)?,
        'u' => hex(4)?,
        'U' => hex(8)?,
        'a' => ('\x07', i + 1),
        'f' => ('\x0c', i + 1),
        'v' => ('\x0b', i + 1),
        'n' => ('\n', i + 1),
        'r' => ('\r', i + 1),
        't' => ('\t', i + 1),
        _ => return Ok(None),
    }))
}

/// True when `{` at `i` starts a valid Python quantifier; returns its end (after `}`)
/// and the Rust spelling.
fn quantifier(ch: &[char], i: usize) -> Option<(usize, String)> {
    let (j, _) = digits(ch, i + 1, usize::MAX, 10);
    let lo: String = ch[i + 1..j].iter().collect();
    if ch.get(j) == Some(&'}') {
        return (!lo.is_empty()).then(|| (j + 1, format!("{{{lo}}}")));
    }
    if ch.get(j) != Some(&',') {
        return None;
    }
    let (k, _) = digits(ch, j + 1, usize::MAX, 10);
    let hi: String = ch[j + 1..k].iter().collect();
    if ch.get(k) != Some(&'}') {
        return None;
    }
    let lo = if lo.is_empty() { "0".to_string() } else { lo };
    Some((k + 1, format!("{{{lo},{hi}}}")))
}

/// Translates a Python `re` pattern to fancy-regex syntax (see the module docs).
pub fn translate(pattern: &str, flags: u32) -> Result<String> {
    let ch: Vec<char> = pattern.chars().collect();
    let mut multiline = flags & MULTILINE != 0;
    // A leading global inline-flag group, e.g. `(?im)`.
    if pattern.starts_with("(?") {
        let inline: String = ch[2..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        if ch.get(2 + inline.len()) == Some(&')') && inline.contains('m') {
            multiline = true;
        }
    }
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = false;
    while i < ch.len() {
        let c = ch[i];
        if c == '\\' {
            let Some(&n) = ch.get(i + 1) else {
                return Err(re_error("bad escape (end of pattern)"));
            };
            i += 1;
            if let Some((lit_c, j)) = code_escape(&ch, i)? {
                out.push_str(&lit(lit_c));
                i = j;
            } else if n == '0' || (n.is_ascii_digit() && in_class) {
                let (j, v) = digits(&ch, i, 3, 8);
                let v = if j == i { 0 } else { v };
                let c = char::from_u32(v).ok_or_else(|| re_error("bad octal escape"))?;
                out.push_str(&lit(c));
                i = j.max(i + 1);
            } else if n.is_ascii_digit() {
                // Octal when three octal digits, else a group reference (1–2 digits).
                let (j, v) = digits(&ch, i, 3, 8);
                if j - i == 3 {
                    let c = char::from_u32(v).ok_or_else(|| re_error("bad octal escape"))?;
                    out.push_str(&lit(c));
                    i = j;
                } else {
                    let (j, _) = digits(&ch, i, 2, 10);
                    out.push('\\');
                    out.extend(&ch[i..j]);
                    i = j;
                }
            } else if n.is_ascii_alphabetic() {
                let ok_out = "AZbBdDsSwW";
                let ok_in = "dDsSwWb";
                let tr = match (in_class, n) {
                    (true, 'b') => lit('\x08'),
                    (false, 'Z') => "\\z".to_string(),
                    (false, _) if ok_out.contains(n) => format!("\\{n}"),
                    (true, _) if ok_in.contains(n) => format!("\\{n}"),
                    _ => return Err(re_error(format!("bad escape \\{n}"))),
                };
                out.push_str(&tr);
                i += 1;
            } else {
                out.push_str(&lit(n));
                i += 1;
            }
            class_start = false;
            continue;
        }
        if in_class {
            match c {
                ']' if !class_start => {
                    in_class = false;
                    out.push(']');
                }
                ']' => out.push_str("\\]"),
                '[' | '&' | '~' => out.push_str(&lit(c)),
                '-' if ch.get(i + 1) == Some(&'-') => out.push_str(&lit(c)),
                '^' if class_start && out.ends_with('[') => {
                    out.push('^');
                    i += 1;
                    // `]` right after `[^` is still a literal.
                    continue;
                }
                _ => out.push(c),
            }
            class_start = false;
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                class_start = true;
                out.push('[');
                i += 1;
                continue;
            }
            '{' => match quantifier(&ch, i) {
                Some((j, q)) => {
                    out.push_str(&q);
                    i = j;
                    continue;
                }
                None => out.push_str("\\{"),
            },
            '}' => out.push_str("\\}"),
            '$' if !multiline => out.push_str("(?=\\n?\\z)"),
            '(' if ch.get(i + 1) == Some(&'?') => {
                let rest: String = ch[i + 2..].iter().take(2).collect();
                if rest.starts_with('#') {
                    // Comment group: skip to the closing parenthesis.
                    match ch[i..].iter().position(|&x| x == ')') {
                        Some(p) => {
                            i += p + 1;
                            continue;
                        }
                        None => return Err(re_error("missing ), unterminated comment")),
                    }
                }
                if rest.starts_with('<') && !matches!(rest.chars().nth(1), Some('=' | '!')) {
                    return Err(re_error("unknown extension ?<"));
                }
                out.push('(');
            }
            _ => out.push(c),
        }
        i += 1;
    }
    if in_class {
        return Err(re_error("unterminated character set"));
    }
    Ok(out)
}

/// Compiles a Python pattern with Python flag bits into a [`Regex`] value.
pub fn compile(pattern: &str, flags: u32) -> Result<Rc<Regex>> {
    thread_local! {
        static CACHE: RefCell<HashMap<(String, u32), Rc<Regex>>> = RefCell::new(HashMap::new());
    }
    let key = (pattern.to_string(), flags);
    if let Some(r) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(r);
    }
    let mut src = String::new();
    let inline: String = [(IGNORECASE, 'i'), (MULTILINE, 'm'), (DOTALL, 's')]
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, c)| *c)
        .collect();
    if !inline.is_empty() {
        src.push_str(&format!("(?{inline})"));
    }
    src.push_str(&translate(pattern, flags)?);
    let compiled = fancy_regex::RegexBuilder::new(&src)
        .build()
        .map_err(|e| re_error(format!("{e} in pattern {pattern:?}")))?;
    let r = Rc::new(Regex {
        pattern: pattern.to_string(),
        flags: flags | UNICODE,
        compiled,
    });
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 256 {
            c.clear();
        }
        c.insert(key, r.clone());
    });
    Ok(r)
}

/// One match: byte spans of group 0.. (None when a group did not participate).
type Spans = Vec<Option<(usize, usize)>>;

fn search_at(re: &Regex, text: &str, pos: usize, must_advance: bool) -> Result<Option<Spans>> {
    let mut start = pos;
    loop {
        if start > text.len() {
            return Ok(None);
        }
        let caps = re.compiled.captures_from_pos(text, start).map_err(|e| {
            Error::new(
                ErrorKind::StepBudgetExceeded,
                format!("regular expression matching failed: {e}"),
            )
        })?;
        let Some(caps) = caps else { return Ok(None) };
        let spans: Spans = (0..caps.len())
            .map(|i| caps.get(i).map(|m| (m.start(), m.end())))
            .collect();
        match spans.first().copied().flatten() {
            Some((s, e)) if must_advance && s == pos && e == pos => {
                // Refused empty match: resume one character later (see module docs).
                match text[pos..].chars().next() {
                    Some(c) => start = pos + c.len_utf8(),
                    None => return Ok(None),
                }
            }
            Some(_) => return Ok(Some(spans)),
            None => return Ok(None),
        }
    }
}

/// CPython's scanner over all matches, charging one step per match.
struct Scanner {
    re: Rc<Regex>,
    text: Rc<String>,
    pos: usize,
    must_advance: bool,
    done: bool,
}

impl Scanner {
    fn new(re: Rc<Regex>, text: Rc<String>) -> Scanner {
        Scanner {
            re,
            text,
            pos: 0,
            must_advance: false,
            done: false,
        }
    }
    fn next(&mut self, cx: &mut Ctx) -> Result<Option<Spans>> {
        if self.done {
            return Ok(None);
        }
        cx.tick()?;
        match search_at(&self.re, &self.text, self.pos, self.must_advance)? {
            Some(sp) => {
                let (s, e) = sp[0].unwrap_or((self.pos, self.pos));
                self.must_advance = s == e;
                self.pos = e;
                Ok(Some(sp))
            }
            None => {
                self.done = true;
                Ok(None)
            }
        }
    }
}

fn char_index(text: &str, byte: usize) -> i64 {
    text[..byte].chars().count() as i64
}

/// yaql's match record `{value, start, end}` (null / -1 / -1 for a missing group).
fn record(text: &str, span: Option<(usize, usize)>) -> Value {
    let mut d = Dict::new();
    let (v, s, e) = match span {
        Some((s, e)) => (
            Value::str(&text[s..e]),
            Value::Int(char_index(text, s)),
            Value::Int(char_index(text, e)),
        ),
        None => (Value::Null, Value::Int(-1), Value::Int(-1)),
    };
    d.map.insert(crate::value::Key(Value::str("value")), v);
    d.map.insert(crate::value::Key(Value::str("start")), s);
    d.map.insert(crate::value::Key(Value::str("end")), e);
    Value::dict(d)
}

/// The lambda arguments yaql's `_publish_match` binds (`$1` whole match, `$2`… groups),
/// reproducing its crash on patterns with named groups.
fn publish(re: &Regex, text: &str, spans: &Spans) -> Result<Vec<Value>> {
    let names: Vec<Option<&str>> = re.compiled.capture_names().collect();
    for (i, name) in names.iter().enumerate() {
        if name.is_none() {
            continue;
        }
        // `for key, value in match.groupdict().values()`: unpacks each group's text.
        let value = spans.get(i).copied().flatten().map(|(s, e)| &text[s..e]);
        let Some(value) = value else {
            return Err(Error::type_error(
                "cannot unpack non-iterable NoneType object",
            ));
        };
        let n = value.chars().count();
        if n != 2 {
            return Err(Error::value_error(if n < 2 {
                format!("not enough values to unpack (expected 2, got {n})")
            } else {
                format!("too many values to unpack (expected 2, got {n})")
            }));
        }
        let group = value.chars().nth(1).map(String::from).unwrap_or_default();
        if !names.contains(&Some(group.as_str())) {
            return Err(Error::index_error("no such group"));
        }
    }
    Ok(spans.iter().map(|sp| record(text, *sp)).collect())
}

fn regex_of(v: &Value) -> Result<Rc<Regex>> {
    match v {
        Value::Regex(r) => Ok(r.clone()),
        Value::Str(s) => compile(s, 0),
        _ => Err(Error::type_error("not a regular expression")),
    }
}
fn text_of(v: &Value) -> Rc<String> {
    match v {
        Value::Str(s) => s.clone(),
        _ => Rc::new(String::new()),
    }
}

/// `re.search(...) is not None`.
fn found(cx: &mut Ctx, re: &Regex, text: &str) -> Result<bool> {
    cx.tick()?;
    Ok(search_at(re, text, 0, false)?.is_some())
}

pub(crate) fn regex(_: &mut Ctx, a: &Args) -> Result<Value> {
    let mut flags = UNICODE;
    for (i, bit) in [(1, IGNORECASE), (2, MULTILINE), (3, DOTALL)] {
        if a.v(i).truthy() {
            flags |= bit;
        }
    }
    Ok(Value::Regex(compile(a.str(0), flags)?))
}
pub(crate) fn matches(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let re = regex_of(a.v(0))?;
    found(cx, &re, a.str(1)).map(Value::Bool)
}
pub(crate) fn matches_str(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let re = regex_of(a.v(1))?;
    found(cx, &re, a.str(0)).map(Value::Bool)
}
pub(crate) fn match_op(cx: &mut Ctx, a: &Args) -> Result<Value> {
    matches_str(cx, a)
}
pub(crate) fn not_match_op(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let re = regex_of(a.v(1))?;
    found(cx, &re, a.str(0)).map(|b| Value::Bool(!b))
}

pub(crate) fn search(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let re = regex_of(a.v(0))?;
    let text = text_of(a.v(1));
    cx.tick()?;
    let Some(spans) = search_at(&re, &text, 0, false)? else {
        return Ok(Value::Null);
    };
    match a.lam(2) {
        None => Ok(match spans[0] {
            Some((s, e)) => Value::str(&text[s..e]),
            None => Value::Null,
        }),
        Some(f) => {
            let args = publish(&re, &text, &spans)?;
            f.call(cx, &args)
        }
    }
}

pub(crate) fn search_all(_: &mut Ctx, a: &Args) -> Result<Value> {
    let re = regex_of(a.v(0))?;
    let text = text_of(a.v(1));
    let selector = a.lam(2).cloned();
    let mut sc = Scanner::new(re.clone(), text.clone());
    Ok(IterObj::from_fn(move |cx| {
        let Some(spans) = sc.next(cx)? else {
            return Ok(None);
        };
        match &selector {
            None => {
                let (s, e) = spans[0].unwrap_or((0, 0));
                Ok(Some(Value::str(&text[s..e])))
            }
            Some(f) => {
                let args = publish(&re, &text, &spans)?;
                f.call(cx, &args).map(Some)
            }
        }
    }))
}

fn split_impl(cx: &mut Ctx, re: Rc<Regex>, text: Rc<String>, max_split: i64) -> Result<Value> {
    let mut out = Vec::new();
    let mut sc = Scanner::new(re, text.clone());
    let (mut last, mut n) = (0usize, 0i64);
    while max_split <= 0 || n < max_split {
        let Some(spans) = sc.next(cx)? else { break };
        let (s, e) = spans[0].unwrap_or((last, last));
        out.push(Value::str(&text[last..s]));
        for g in spans.iter().skip(1) {
            out.push(match g {
                Some((gs, ge)) => Value::str(&text[*gs..*ge]),
                None => Value::Null,
            });
        }
        last = e;
        n += 1;
    }
    out.push(Value::str(&text[last..]));
    cx.charge(16 * out.len() + text.len())?;
    Ok(Value::list(out))
}
pub(crate) fn split(cx: &mut Ctx, a: &Args) -> Result<Value> {
    split_impl(cx, regex_of(a.v(0))?, text_of(a.v(1)), a.int(2)?)
}
pub(crate) fn split_str(cx: &mut Ctx, a: &Args) -> Result<Value> {
    split_impl(cx, regex_of(a.v(1))?, text_of(a.v(0)), a.int(2)?)
}

/// A parsed `re.sub` replacement template.
enum Piece {
    Text(String),
    Group(usize),
}

/// Parses Python's replacement template syntax.
fn parse_template(re: &Regex, repl: &str) -> Result<Vec<Piece>> {
    let ngroups = re.compiled.captures_len();
    let names: Vec<Option<&str>> = re.compiled.capture_names().collect();
    let ch: Vec<char> = repl.chars().collect();
    let mut out = Vec::new();
    let mut text = String::new();
    let group = |g: usize| -> Result<Piece> {
        if g < ngroups {
            Ok(Piece::Group(g))
        } else {
            Err(re_error(format!("invalid group reference {g}")))
        }
    };
    let mut i = 0;
    while i < ch.len() {
        let c = ch[i];
        if c != '\\' {
            text.push(c);
            i += 1;
            continue;
        }
        let Some(&n) = ch.get(i + 1) else {
            return Err(re_error("bad escape (end of pattern)"));
        };
        let piece = if n == 'g' {
            if ch.get(i + 2) != Some(&'<') {
                return Err(re_error("missing <"));
            }
            let close = ch[i + 3..]
                .iter()
                .position(|&x| x == '>')
                .ok_or_else(|| re_error("missing >, unterminated name"))?;
            let name: String = ch[i + 3..i + 3 + close].iter().collect();
            i += 4 + close;
            if !name.is_empty() && name.chars().all(|x| x.is_ascii_digit()) {
                group(name.parse().map_err(|_| re_error("bad group number"))?)?
            } else {
                match names.iter().position(|x| *x == Some(name.as_str())) {
                    Some(g) => Piece::Group(g),
                    None => return Err(Error::index_error(format!("unknown group name '{name}'"))),
                }
            }
        } else if n == '0' {
            let (j, v) = digits(&ch, i + 1, 3, 8);
            i = j;
            Piece::Text(char::from_u32(v).map(String::from).unwrap_or_default())
        } else if n.is_ascii_digit() {
            let (j, v) = digits(&ch, i + 1, 3, 8);
            if j - (i + 1) == 3 {
                i = j;
                Piece::Text(char::from_u32(v).map(String::from).unwrap_or_default())
            } else {
                let (j, g) = digits(&ch, i + 1, 2, 10);
                i = j;
                group(g as usize)?
            }
        } else {
            i += 2;
            let esc = match n {
                'a' => Some('\x07'),
                'b' => Some('\x08'),
                'f' => Some('\x0c'),
                'n' => Some('\n'),
                'r' => Some('\r'),
                't' => Some('\t'),
                'v' => Some('\x0b'),
                '\\' => Some('\\'),
                _ => None,
            };
            match esc {
                Some(e) => Piece::Text(e.to_string()),
                None if n.is_ascii_alphabetic() => {
                    return Err(re_error(format!("bad escape \\{n}")));
                }
                None => Piece::Text(format!("\\{n}")),
            }
        };
        match piece {
            Piece::Text(t) => text.push_str(&t),
            g => {
                out.push(Piece::Text(std::mem::take(&mut text)));
                out.push(g);
            }
        }
    }
    out.push(Piece::Text(text));
    Ok(out)
}

/// `re.sub` with a replacement function.
fn sub_with(
    cx: &mut Ctx,
    re: Rc<Regex>,
    text: Rc<String>,
    count: i64,
    mut repl: impl FnMut(&mut Ctx, &Spans) -> Result<Value>,
) -> Result<Value> {
    let mut sc = Scanner::new(re, text.clone());
    let mut out = String::with_capacity(text.len());
    let (mut last, mut n) = (0usize, 0i64);
    let mut bad: Option<String> = None;
    while count <= 0 || n < count {
        let Some(spans) = sc.next(cx)? else { break };
        let (s, e) = spans[0].unwrap_or((last, last));
        out.push_str(&text[last..s]);
        match repl(cx, &spans)? {
            Value::Str(r) => {
                cx.charge(r.len())?;
                out.push_str(&r);
            }
            other => {
                bad.get_or_insert_with(|| other.type_name().to_string());
            }
        }
        last = e;
        n += 1;
    }
    if let Some(t) = bad {
        return Err(Error::type_error(format!(
            "sequence item 0: expected str instance, {t} found"
        )));
    }
    out.push_str(&text[last..]);
    cx.charge(out.len())?;
    Ok(Value::from(out))
}

fn replace_impl(
    cx: &mut Ctx,
    re: Rc<Regex>,
    text: Rc<String>,
    repl: &str,
    count: i64,
) -> Result<Value> {
    let pieces = parse_template(&re, repl)?;
    let t = text.clone();
    sub_with(cx, re, text, count, |_, spans| {
        let mut s = String::new();
        for p in &pieces {
            match p {
                Piece::Text(x) => s.push_str(x),
                Piece::Group(g) => {
                    if let Some(Some((a, b))) = spans.get(*g) {
                        s.push_str(&t[*a..*b]);
                    }
                }
            }
        }
        Ok(Value::from(s))
    })
}
pub(crate) fn replace(cx: &mut Ctx, a: &Args) -> Result<Value> {
    replace_impl(cx, regex_of(a.v(0))?, text_of(a.v(1)), a.str(2), a.int(3)?)
}
pub(crate) fn replace_str(cx: &mut Ctx, a: &Args) -> Result<Value> {
    replace_impl(cx, regex_of(a.v(1))?, text_of(a.v(0)), a.str(2), a.int(3)?)
}

fn replace_by_impl(
    cx: &mut Ctx,
    re: Rc<Regex>,
    text: Rc<String>,
    f: Lambda,
    count: i64,
) -> Result<Value> {
    let (r, t) = (re.clone(), text.clone());
    sub_with(cx, re, text, count, |cx, spans| {
        let args = publish(&r, &t, spans)?;
        f.call(cx, &args)
    })
}
pub(crate) fn replace_by(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let f = a
        .lam(2)
        .cloned()
        .ok_or_else(|| Error::no_matching(a.name, true))?;
    replace_by_impl(cx, regex_of(a.v(0))?, text_of(a.v(1)), f, a.int(3)?)
}
pub(crate) fn replace_by_str(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let f = a
        .lam(2)
        .cloned()
        .ok_or_else(|| Error::no_matching(a.name, true))?;
    replace_by_impl(cx, regex_of(a.v(1))?, text_of(a.v(0)), f, a.int(3)?)
}

/// Python 3.7+ `re.escape`: escapes the special characters only.
pub fn escape(s: &str) -> String {
    const SPECIAL: &str = "()[]{}?*+-|^$\\.&~# \t\n\r\x0b\x0c";
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if SPECIAL.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
pub(crate) fn escape_regex(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let e = escape(a.str(0));
    cx.charge(e.len())?;
    Ok(Value::from(e))
}
pub(crate) fn is_regex(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(matches!(a.v(0), Value::Regex(_))))
}

#[cfg(test)]
mod tests {
    //! Expected values are yaql 3.2.0's (checked with `/work/venv/bin/python`); the
    //! YAQL expression is in each comment.
    use super::*;
    use crate::ctx::lambda;
    use crate::sig::{Arg, call};

    fn v(x: impl Into<Value>) -> Arg {
        Arg::Value(x.into())
    }
    fn re(p: &str) -> Arg {
        Arg::Value(Value::Regex(compile(p, UNICODE).unwrap()))
    }
    fn f(body: impl Fn(&[Value]) -> Result<Value> + 'static) -> Arg {
        Arg::Lazy(lambda(move |_, a| body(a)))
    }
    fn go(name: &str, method: bool, args: Vec<Arg>, kws: Vec<(String, Arg)>) -> String {
        let mut cx = Ctx::default();
        match call(&mut cx, name, method, args, kws)
            .and_then(|r| crate::convert::output(&mut cx, &r))
        {
            Ok(r) => crate::pyfmt::repr(&r),
            Err(e) => format!("ERR {}", e.kind().python_name()),
        }
    }
    fn m(name: &str, args: Vec<Arg>) -> String {
        go(name, true, args, vec![])
    }
    fn field(a: &[Value], i: usize, k: &str) -> Value {
        match a.get(i) {
            Some(Value::Dict(d)) => d.get_str(k).cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }

    #[test]
    fn translation() {
        assert_eq!(translate(r"a\Z", 0).unwrap(), r"a\z");
        assert_eq!(translate("a$", 0).unwrap(), r"a(?=\n?\z)");
        assert_eq!(translate("a$", MULTILINE).unwrap(), "a$");
        assert_eq!(translate("a{", 0).unwrap(), r"a\{");
        assert_eq!(translate("a{,2}", 0).unwrap(), "a{0,2}");
        assert_eq!(translate("[[]", 0).unwrap(), r"[\x{5B}]");
        assert_eq!(translate("(?#c)a", 0).unwrap(), "a");
        assert_eq!(translate(r"\<", 0).unwrap(), r"\x{3C}");
        assert_eq!(translate(r"(?P<n>a)(?P=n)", 0).unwrap(), "(?P<n>a)(?P=n)");
        assert!(translate(r"\q", 0).is_err());
        assert!(translate("(?<n>a)", 0).is_err());
        assert!(translate("[a", 0).is_err());
    }

    #[test]
    fn matching() {
        // regex('a{').matches('a{'), regex('a$').matches('a\n'), regex('[[]').matches('[')
        assert_eq!(m("matches", vec![re("a{"), v("a{")]), "True");
        assert_eq!(m("matches", vec![re("a$"), v("a\n")]), "True");
        assert_eq!(m("matches", vec![re("[[]"), v("[")]), "True");
        // regex('(').matches('x') → re.error
        assert_eq!(go("regex", false, vec![v("(")], vec![]), "ERR error");
        // 'abc' =~ 'b', 'abc' !~ regex('B', ignoreCase => true), 'abc'.matches('B')
        assert_eq!(
            go("#operator_=~", false, vec![v("abc"), v("b")], vec![]),
            "True"
        );
        let ci = go(
            "regex",
            false,
            vec![v("B")],
            vec![("ignoreCase".into(), v(true))],
        );
        assert_eq!(ci, "re.compile('B', re.IGNORECASE)");
        let mut cx = Ctx::default();
        let r = call(
            &mut cx,
            "regex",
            false,
            vec![v("B")],
            vec![("ignoreCase".into(), v(true))],
        )
        .unwrap();
        assert_eq!(
            go("#operator_!~", false, vec![v("abc"), v(r)], vec![]),
            "False"
        );
        assert_eq!(m("matches", vec![v("abc"), v("B")]), "False");
        // regex('a', 1, 1, 1) → NoMatchingFunctionException
        assert_eq!(
            go(
                "regex",
                false,
                vec![v("a"), v(1i64), v(1i64), v(1i64)],
                vec![]
            ),
            "ERR NoMatchingFunctionException"
        );
        // regex('(?i)A').matches('a'), isRegex(regex('a'))
        assert_eq!(m("matches", vec![re("(?i)A"), v("a")]), "True");
        assert_eq!(go("isRegex", false, vec![re("a")], vec![]), "True");
    }

    #[test]
    fn searching() {
        // regex('b').search('abc'), regex('z').search('abc', $)
        assert_eq!(m("search", vec![re("b"), v("abc")]), "'b'");
        assert_eq!(
            m("search", vec![re("z"), v("abc"), f(|a| Ok(a[0].clone()))]),
            "None"
        );
        // regex('\Z').search('ab', $.start) → 2 (code points)
        assert_eq!(
            m(
                "search",
                vec![re(r"\Z"), v("ab"), f(|a| Ok(field(a, 0, "start")))]
            ),
            "2"
        );
        assert_eq!(
            m(
                "search",
                vec![re("é"), v("aéb"), f(|a| Ok(field(a, 0, "end")))]
            ),
            "2"
        );
        // regex('(a)(x)?').searchAll('ab', [$1, $2, $3])
        assert_eq!(
            m(
                "searchAll",
                vec![re("(a)(x)?"), v("ab"), f(|a| Ok(Value::tuple(a.to_vec())))]
            ),
            "[[{'value': 'a', 'start': 0, 'end': 1}, {'value': 'a', 'start': 0, 'end': 1}, {'value': None, 'start': -1, 'end': -1}]]"
        );
        // named groups crash upstream: ValueError / IndexError
        assert_eq!(
            m(
                "search",
                vec![re("a(?P<n>b)"), v("ab"), f(|a| Ok(a[0].clone()))]
            ),
            "ERR ValueError"
        );
        assert_eq!(
            m(
                "search",
                vec![re("a(?P<n>bc)"), v("abc"), f(|a| Ok(a[0].clone()))]
            ),
            "ERR IndexError"
        );
        // regex('x*').searchAll('abxd') — empty matches as CPython ≥ 3.7
        assert_eq!(
            m("searchAll", vec![re("x*"), v("abxd")]),
            "['', '', 'x', '', '']"
        );
    }

    #[test]
    fn splitting() {
        // regex('x*').split('abxd'), regex('(a)|b').split('cabd')
        assert_eq!(
            m("split", vec![re("x*"), v("abxd")]),
            "['', 'a', 'b', '', 'd', '']"
        );
        assert_eq!(
            m("split", vec![re("(a)|b"), v("cabd")]),
            "['c', 'a', '', None, 'd']"
        );
        // 'a1b2'.split(regex('\d')), (…, 1), regex('\d').split('a1b2', maxSplit => 1)
        assert_eq!(m("split", vec![v("a1b2"), re(r"\d")]), "['a', 'b', '']");
        assert_eq!(
            m("split", vec![v("a1b2"), re(r"\d"), v(1i64)]),
            "['a', 'b2']"
        );
        assert_eq!(
            go(
                "split",
                true,
                vec![re(r"\d"), v("a1b2")],
                vec![("maxSplit".into(), v(1i64))]
            ),
            "['a', 'b2']"
        );
    }

    #[test]
    fn replacing() {
        // regex('x*').replace('abxd', '-') → '-a-b--d-'
        assert_eq!(
            m("replace", vec![re("x*"), v("abxd"), v("-")]),
            "'-a-b--d-'"
        );
        // regex('(a)(x)?').replace('ab', '[\x01\x02]') (yaql decoded the octal escapes)
        assert_eq!(
            m("replace", vec![re("(a)(x)?"), v("ab"), v("[\\1\\2]")]),
            "'[a]b'"
        );
        // regex('(?P<x>a)').replace('ab', '<\g<x>\g<1>>')
        assert_eq!(
            m("replace", vec![re("(?P<x>a)"), v("ab"), v(r"<\g<x>\g<1>>")]),
            "'<aa>b'"
        );
        // bad escape \q → re.error; '\-\n' keeps '\-' and decodes '\n'
        assert_eq!(m("replace", vec![re("a"), v("ab"), v(r"\q")]), "ERR error");
        assert_eq!(
            m("replace", vec![re("a"), v("ab"), v(r"\-\n")]),
            r"'\\-\nb'"
        );
        // 'aXbX'.replace(regex('X'), 'y', 1)
        assert_eq!(
            m("replace", vec![v("aXbX"), re("X"), v("y"), v(1i64)]),
            "'aybX'"
        );
        // regex('(a)').replaceBy('aa', str($.start) + $2.value)
        assert_eq!(
            m(
                "replaceBy",
                vec![
                    re("(a)"),
                    v("aa"),
                    f(|a| {
                        let s = crate::pyfmt::py_str(&field(a, 0, "start"));
                        let g = field(a, 1, "value");
                        Ok(Value::from(format!("{s}{}", g.as_str().unwrap_or(""))))
                    })
                ]
            ),
            "'0a1a'"
        );
        // regex('(a)').replaceBy('aa', 5) → TypeError
        assert_eq!(
            m(
                "replaceBy",
                vec![re("(a)"), v("aa"), f(|_| Ok(Value::Int(5)))]
            ),
            "ERR TypeError"
        );
        // 'abc'.replaceBy(regex('b'), $.value + $.value)
        assert_eq!(
            m(
                "replaceBy",
                vec![
                    v("abc"),
                    re("b"),
                    f(|a| {
                        let s = field(a, 0, "value");
                        let s = s.as_str().unwrap_or("");
                        Ok(Value::from(format!("{s}{s}")))
                    })
                ]
            ),
            "'abbc'"
        );
    }

    #[test]
    fn escaping() {
        // escapeRegex('a.b-c d#e&f~g')
        assert_eq!(escape("a.b-c d#e&f~g"), r"a\.b\-c\ d\#e\&f\~g");
    }
}
