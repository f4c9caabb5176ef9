//! The Jinja parser: a line-by-line transcription of `jinja2/parser.py` (3.1.6)
//! into Rust, so that acceptance and error messages match Jinja exactly
//! (`expected token 'end of print statement', got '='`, `unexpected '*'`,
//! `Expected an expression, got 'end of print statement'`, the unknown-tag and
//! end-of-template messages...).
//!
//! Unlike the YAQL parser this one is hand-written rather than built with chumsky:
//! Jinja's error messages depend on *which* recursive-descent function fails
//! (`expect` vs `parse_primary` vs `parse_tuple`) and on parser state (the stacks of
//! open tags and expected end tags), which a combinator's merged "expected" sets do
//! not reproduce.
//!
//! Like Jinja, parsing stops at the first error.

use super::ast::{BinaryOp, CallArgs, CmpOp, Const, Expr, ExprKind, Node, Template, UnaryOp};
use super::lexer::{JOp, Tok, lex};
use crate::Span;

/// A Jinja `TemplateSyntaxError`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Jinja's message (Mistral wraps it as `Syntax error '<message>'.`).
    pub message: String,
    /// Byte range of the token where Jinja failed.
    pub span: Span,
}

/// Parses a whole template as `Environment.parse` does.
pub fn parse_template(text: &str) -> Result<Template, SyntaxError> {
    let toks = lex(text);
    check_limits(&toks)?;
    let mut p = P {
        toks: &toks,
        i: 0,
        prev_end: 0,
        end_token_stack: Vec::new(),
        tag_stack: Vec::new(),
        depth: 0,
        unary_depth: 0,
    };
    p.check_current()?;
    let body = p.subparse(None)?;
    Ok(Template { body })
}

/// Parses a single expression as `Environment.compile_expression` does (used by
/// Mistral for a string that is exactly one `{{ … }}`): `expr` is the text between
/// the delimiters. Spans are relative to `expr`.
pub fn parse_expression(expr: &str) -> Result<Expr, SyntaxError> {
    let toks = super::lexer::lex_expression(expr);
    check_limits(&toks)?;
    let mut p = P {
        toks: &toks,
        i: 0,
        prev_end: 0,
        end_token_stack: Vec::new(),
        tag_stack: Vec::new(),
        depth: 0,
        unary_depth: 0,
    };
    p.check_current()?;
    let e = p.parse_expression(true)?;
    if !matches!(p.cur(), Tok::Eof) {
        return p.fail("chunk after expression".into());
    }
    Ok(e)
}

type PResult<T> = Result<T, SyntaxError>;

/// Tokens allowed in one tag, and block tags open at once: bounds the depth of the
/// tree (left-nested chains, nested blocks) so that no input exhausts the stack.
const MAX_TAG_TOKENS: usize = 3000;
const MAX_OPEN_BLOCKS: usize = 100;

fn check_limits(toks: &[(Tok<'_>, Span)]) -> PResult<()> {
    let mut in_tag = 0usize;
    let mut open_blocks = 0usize;
    let mut block_tag = false;
    for (t, s) in toks {
        match t {
            Tok::VariableBegin | Tok::BlockBegin => {
                in_tag = 1;
                block_tag = matches!(t, Tok::BlockBegin);
            }
            Tok::VariableEnd | Tok::BlockEnd => in_tag = 0,
            Tok::Name(n) if in_tag == 1 && block_tag => {
                // the tag name: count nesting of block statements
                if matches!(
                    *n,
                    "if" | "for" | "with" | "block" | "macro" | "call" | "filter" | "autoescape"
                ) {
                    open_blocks += 1;
                } else if n.starts_with("end") {
                    open_blocks = open_blocks.saturating_sub(1);
                }
                in_tag += 1;
            }
            _ if in_tag > 0 => in_tag += 1,
            _ => {}
        }
        if in_tag > MAX_TAG_TOKENS {
            return Err(SyntaxError {
                message: format!("tag longer than {MAX_TAG_TOKENS} tokens"),
                span: *s,
            });
        }
        if open_blocks > MAX_OPEN_BLOCKS {
            return Err(SyntaxError {
                message: format!("more than {MAX_OPEN_BLOCKS} nested blocks"),
                span: *s,
            });
        }
    }
    Ok(())
}

/// Nesting limit of expressions: Jinja (CPython's default recursion limit) raises
/// `RecursionError` between 60 and 80 nested parentheses.
const MAX_DEPTH: u32 = 80;

/// Limit of chained unary operators (`- - - x`, `not not x`); Jinja allows ~990.
const MAX_UNARY: u32 = 200;

/// Jinja's token type name.
fn tok_type(t: &Tok) -> &'static str {
    match t {
        Tok::Data => "data",
        Tok::VariableBegin => "variable_begin",
        Tok::VariableEnd => "variable_end",
        Tok::BlockBegin => "block_begin",
        Tok::BlockEnd => "block_end",
        Tok::Name(_) => "name",
        Tok::Str(_) => "string",
        Tok::Int(_) => "integer",
        Tok::Float(_) => "float",
        Tok::Eof | Tok::Error(_) => "eof",
        Tok::Op(o) => match o {
            JOp::Add => "add",
            JOp::Sub => "sub",
            JOp::Div => "div",
            JOp::FloorDiv => "floordiv",
            JOp::Mul => "mul",
            JOp::Mod => "mod",
            JOp::Pow => "pow",
            JOp::Tilde => "tilde",
            JOp::LBracket => "lbracket",
            JOp::RBracket => "rbracket",
            JOp::LParen => "lparen",
            JOp::RParen => "rparen",
            JOp::LBrace => "lbrace",
            JOp::RBrace => "rbrace",
            JOp::Eq => "eq",
            JOp::Ne => "ne",
            JOp::Gt => "gt",
            JOp::GtEq => "gteq",
            JOp::Lt => "lt",
            JOp::LtEq => "lteq",
            JOp::Assign => "assign",
            JOp::Dot => "dot",
            JOp::Colon => "colon",
            JOp::Pipe => "pipe",
            JOp::Comma => "comma",
            JOp::Semicolon => "semicolon",
        },
    }
}

/// Jinja's `Token.test(expr)`: `type` or `type:value`.
fn test(t: &Tok, expr: &str) -> bool {
    if let Some(value) = expr.strip_prefix("name:") {
        return matches!(t, Tok::Name(n) if *n == value);
    }
    match expr.split_once(':') {
        Some((ty, value)) => tok_type(t) == ty && matches!(t, Tok::Name(n) if *n == value),
        None => tok_type(t) == expr,
    }
}

/// Jinja's `describe_token_expr`.
fn describe_expr(expr: &str) -> String {
    if let Some((ty, value)) = expr.split_once(':')
        && ty == "name"
    {
        return value.to_owned();
    }
    let ty = expr.split_once(':').map_or(expr, |(t, _)| t);
    match ty {
        "add" => "+",
        "sub" => "-",
        "div" => "/",
        "floordiv" => "//",
        "mul" => "*",
        "mod" => "%",
        "pow" => "**",
        "tilde" => "~",
        "lbracket" => "[",
        "rbracket" => "]",
        "lparen" => "(",
        "rparen" => ")",
        "lbrace" => "{",
        "rbrace" => "}",
        "eq" => "==",
        "ne" => "!=",
        "gt" => ">",
        "gteq" => ">=",
        "lt" => "<",
        "lteq" => "<=",
        "assign" => "=",
        "dot" => ".",
        "colon" => ":",
        "pipe" => "|",
        "comma" => ",",
        "semicolon" => ";",
        "block_begin" => "begin of statement block",
        "block_end" => "end of statement block",
        "variable_begin" => "begin of print statement",
        "variable_end" => "end of print statement",
        "data" => "template data / text",
        "eof" => "end of template",
        other => other,
    }
    .to_owned()
}

struct P<'a> {
    toks: &'a [(Tok<'a>, Span)],
    i: usize,
    prev_end: u32,
    end_token_stack: Vec<Vec<&'static str>>,
    tag_stack: Vec<Box<str>>,
    depth: u32,
    unary_depth: u32,
}

const EOF: (Tok<'static>, Span) = (Tok::Eof, Span { start: 0, end: 0 });

impl<'a> P<'a> {
    fn tok(&self) -> &'a (Tok<'a>, Span) {
        self.toks
            .get(self.i)
            .or_else(|| self.toks.last())
            .unwrap_or(&EOF)
    }
    fn cur(&self) -> &'a Tok<'a> {
        &self.tok().0
    }
    fn cur_span(&self) -> Span {
        self.tok().1
    }
    fn err(&self, message: String) -> SyntaxError {
        SyntaxError {
            message,
            span: self.cur_span(),
        }
    }
    fn fail<T>(&self, message: String) -> PResult<T> {
        Err(self.err(message))
    }
    /// Raises the lexical error if the current token is one.
    fn check_current(&self) -> PResult<()> {
        if let (Tok::Error(m), s) = self.tok() {
            return Err(SyntaxError {
                message: m.clone(),
                span: *s,
            });
        }
        Ok(())
    }
    fn next(&mut self) -> PResult<&'a (Tok<'a>, Span)> {
        let t = self.tok();
        if !matches!(t.0, Tok::Eof) {
            self.prev_end = t.1.end;
            self.i += 1;
            self.check_current()?;
        }
        Ok(t)
    }
    fn look(&self) -> PResult<&'a Tok<'a>> {
        if matches!(self.cur(), Tok::Eof) {
            return Ok(self.cur());
        }
        match self.toks.get(self.i + 1) {
            Some((Tok::Error(m), s)) => Err(SyntaxError {
                message: m.clone(),
                span: *s,
            }),
            Some((t, _)) => Ok(t),
            None => Ok(&EOF.0),
        }
    }
    fn test(&self, expr: &str) -> bool {
        test(self.cur(), expr)
    }
    fn skip_if(&mut self, expr: &str) -> PResult<bool> {
        if self.test(expr) {
            self.next()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }
    fn expect(&mut self, expr: &str) -> PResult<&'a (Tok<'a>, Span)> {
        if !self.test(expr) {
            let d = describe_expr(expr);
            if matches!(self.cur(), Tok::Eof) {
                return self.fail(format!("unexpected end of template, expected '{d}'."));
            }
            return self.fail(format!(
                "expected token '{d}', got '{}'",
                self.cur().describe()
            ));
        }
        self.next()
    }
    fn name_value(&self) -> Option<&'a str> {
        match self.cur() {
            Tok::Name(n) => Some(*n),
            _ => None,
        }
    }
    fn span_from(&self, start: u32) -> Span {
        Span {
            start,
            end: self.prev_end.max(start),
        }
    }

    fn fail_ut_eof<T>(&self, name: Option<&str>, stack: &[Vec<&'static str>]) -> PResult<T> {
        let mut expected: Vec<String> = Vec::new();
        for exprs in stack {
            expected.extend(exprs.iter().map(|e| describe_expr(e)));
        }
        let currently_looking = stack.last().map(|l| {
            l.iter()
                .map(|e| format!("'{}'", describe_expr(e)))
                .collect::<Vec<_>>()
                .join(" or ")
        });
        let mut message = vec![match name {
            None => "Unexpected end of template.".to_owned(),
            Some(n) => format!("Encountered unknown tag '{n}'."),
        }];
        if let Some(cl) = currently_looking {
            if name.is_some_and(|n| expected.iter().any(|e| e == n)) {
                message.push(format!(
                    "You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for {cl}."
                ));
            } else {
                message.push(format!("Jinja was looking for the following tags: {cl}."));
            }
        }
        if let Some(t) = self.tag_stack.last() {
            message.push(format!(
                "The innermost block that needs to be closed is '{t}'."
            ));
        }
        self.fail(message.join(" "))
    }

    fn fail_eof<T>(&self, end_tokens: &[&'static str]) -> PResult<T> {
        let mut stack = self.end_token_stack.clone();
        stack.push(end_tokens.to_vec());
        self.fail_ut_eof(None, &stack)
    }

    fn is_tuple_end(&self, extra: Option<&[&'static str]>) -> bool {
        matches!(
            self.cur(),
            Tok::VariableEnd | Tok::BlockEnd | Tok::Op(JOp::RParen)
        ) || extra.is_some_and(|e| e.iter().any(|x| self.test(x)))
    }

    // ---- template level ----

    fn subparse(&mut self, end_tokens: Option<&[&'static str]>) -> PResult<Vec<Node>> {
        if let Some(e) = end_tokens {
            self.end_token_stack.push(e.to_vec());
        }
        let r = self.subparse_inner(end_tokens);
        if end_tokens.is_some() {
            self.end_token_stack.pop();
        }
        r
    }

    fn subparse_inner(&mut self, end_tokens: Option<&[&'static str]>) -> PResult<Vec<Node>> {
        let mut body = Vec::new();
        loop {
            let (t, s) = self.tok();
            match t {
                Tok::Eof => break,
                Tok::Data => {
                    body.push(Node::Data(*s));
                    self.next()?;
                }
                Tok::VariableBegin => {
                    let start = s.start;
                    self.next()?;
                    let expr = self.parse_tuple(false, true, None, false, false)?;
                    self.expect("variable_end")?;
                    body.push(Node::Output {
                        expr,
                        span: self.span_from(start),
                    });
                }
                Tok::BlockBegin => {
                    let start = s.start;
                    self.next()?;
                    if let Some(e) = end_tokens
                        && e.iter().any(|x| self.test(x))
                    {
                        return Ok(body);
                    }
                    let node = self.parse_statement(start)?;
                    self.expect("block_end")?;
                    body.push(node);
                }
                _ => return self.fail("internal parsing error".into()),
            }
        }
        Ok(body)
    }

    fn parse_statements(
        &mut self,
        end_tokens: &[&'static str],
        drop_needle: bool,
    ) -> PResult<Vec<Node>> {
        self.skip_if("colon")?;
        self.expect("block_end")?;
        let result = self.subparse(Some(end_tokens))?;
        if matches!(self.cur(), Tok::Eof) {
            return self.fail_eof(end_tokens);
        }
        if drop_needle {
            self.next()?;
        }
        Ok(result)
    }

    fn parse_statement(&mut self, start: u32) -> PResult<Node> {
        let Some(name) = self.name_value() else {
            return self.fail("tag name expected".into());
        };
        const KNOWN: [&str; 14] = [
            "for",
            "if",
            "block",
            "extends",
            "print",
            "macro",
            "include",
            "from",
            "import",
            "set",
            "with",
            "autoescape",
            "call",
            "filter",
        ];
        if !KNOWN.contains(&name) {
            return self.fail_ut_eof(Some(name), &self.end_token_stack.clone());
        }
        self.tag_stack.push(name.into());
        let r = match name {
            "for" => self.parse_for(start),
            "if" => self.parse_if(start),
            "set" => self.parse_set(start),
            "with" => self.parse_with(start),
            _ => self.parse_other(name, start),
        };
        self.tag_stack.pop();
        r
    }

    fn parse_for(&mut self, start: u32) -> PResult<Node> {
        self.expect("name:for")?;
        let target = self.parse_assign_target(true, false, Some(&["name:in"]), false)?;
        self.expect("name:in")?;
        let iter = self.parse_tuple(false, false, Some(&["name:recursive"]), false, false)?;
        let filter = if self.skip_if("name:if")? {
            Some(self.parse_expression(true)?)
        } else {
            None
        };
        let recursive = self.skip_if("name:recursive")?;
        let body = self.parse_statements(&["name:endfor", "name:else"], false)?;
        let else_body = if self.next()?.0 == Tok::Name("endfor") {
            Vec::new()
        } else {
            self.parse_statements(&["name:endfor"], true)?
        };
        Ok(Node::For {
            target,
            iter,
            filter,
            recursive,
            body,
            else_body,
            span: self.span_from(start),
        })
    }

    fn parse_if(&mut self, start: u32) -> PResult<Node> {
        self.expect("name:if")?;
        let mut branches = Vec::new();
        let mut else_body = Vec::new();
        loop {
            let test = self.parse_tuple(false, false, None, false, false)?;
            let body = self.parse_statements(&["name:elif", "name:else", "name:endif"], false)?;
            branches.push((test, body));
            let (tok, _) = self.next()?;
            if test_tok(tok, "name:elif") {
                continue;
            } else if test_tok(tok, "name:else") {
                else_body = self.parse_statements(&["name:endif"], true)?;
            }
            break;
        }
        Ok(Node::If {
            branches,
            else_body,
            span: self.span_from(start),
        })
    }

    fn parse_set(&mut self, start: u32) -> PResult<Node> {
        self.next()?;
        let target = self.parse_assign_target(true, false, None, true)?;
        if self.skip_if("assign")? {
            let value = self.parse_tuple(false, true, None, false, false)?;
            return Ok(Node::Set {
                target,
                value: Some(value),
                filter: None,
                body: Vec::new(),
                span: self.span_from(start),
            });
        }
        let filter = self.parse_filter(None, false)?;
        let body = self.parse_statements(&["name:endset"], true)?;
        Ok(Node::Set {
            target,
            value: None,
            filter,
            body,
            span: self.span_from(start),
        })
    }

    fn parse_with(&mut self, start: u32) -> PResult<Node> {
        self.next()?;
        let mut assignments = Vec::new();
        while !matches!(self.cur(), Tok::BlockEnd) {
            if !assignments.is_empty() {
                self.expect("comma")?;
            }
            let target = self.parse_assign_target(true, false, None, false)?;
            self.expect("assign")?;
            let value = self.parse_expression(true)?;
            assignments.push((target, value));
        }
        let body = self.parse_statements(&["name:endwith"], true)?;
        Ok(Node::With {
            assignments,
            body,
            span: self.span_from(start),
        })
    }

    fn parse_other(&mut self, tag: &'a str, start: u32) -> PResult<Node> {
        let mut exprs = Vec::new();
        let mut body = Vec::new();
        match tag {
            "extends" => {
                self.next()?;
                exprs.push(self.parse_expression(true)?);
            }
            "print" => {
                self.next()?;
                while !matches!(self.cur(), Tok::BlockEnd) {
                    if !exprs.is_empty() {
                        self.expect("comma")?;
                    }
                    exprs.push(self.parse_expression(true)?);
                }
            }
            "autoescape" => {
                self.next()?;
                exprs.push(self.parse_expression(true)?);
                body = self.parse_statements(&["name:endautoescape"], true)?;
            }
            "block" => {
                self.next()?;
                self.expect("name")?;
                let block_name = match self.toks.get(self.i.saturating_sub(1)).map(|t| &t.0) {
                    Some(Tok::Name(n)) => Box::<str>::from(*n),
                    _ => "".into(),
                };
                self.skip_if("name:scoped")?;
                let required = self.skip_if("name:required")?;
                if matches!(self.cur(), Tok::Op(JOp::Sub)) {
                    return self.fail(
                        "Block names in Jinja have to be valid Python identifiers and may not contain hyphens, use an underscore instead.".into(),
                    );
                }
                body = self.parse_statements(&["name:endblock"], true)?;
                if required && body.iter().any(|n| !matches!(n, Node::Data(_))) {
                    return self
                        .fail("Required blocks can only contain comments or whitespace".into());
                }
                let needle = format!("name:{block_name}");
                self.skip_if(&needle)?;
            }
            "include" => {
                self.next()?;
                exprs.push(self.parse_expression(true)?);
                if self.test("name:ignore") && test_tok(self.look()?, "name:missing") {
                    self.next()?;
                    self.next()?;
                }
                self.parse_import_context()?;
            }
            "import" => {
                self.next()?;
                exprs.push(self.parse_expression(true)?);
                self.expect("name:as")?;
                self.parse_assign_target(false, true, None, false)?;
                self.parse_import_context()?;
            }
            "from" => {
                self.next()?;
                exprs.push(self.parse_expression(true)?);
                self.expect("name:import")?;
                let mut names = 0usize;
                loop {
                    if names > 0 {
                        self.expect("comma")?;
                    }
                    if matches!(self.cur(), Tok::Name(_)) {
                        if self.parse_context_from()? {
                            break;
                        }
                        let target_span = self.cur_span();
                        let target = self.parse_assign_target(false, true, None, false)?;
                        if matches!(&target.kind, ExprKind::Name(n) if n.starts_with('_')) {
                            return Err(SyntaxError {
                                message: "names starting with an underline can not be imported"
                                    .into(),
                                span: target_span,
                            });
                        }
                        if self.skip_if("name:as")? {
                            self.parse_assign_target(false, true, None, false)?;
                        }
                        names += 1;
                        if self.parse_context_from()? || !matches!(self.cur(), Tok::Op(JOp::Comma))
                        {
                            break;
                        }
                    } else {
                        self.expect("name")?;
                    }
                }
            }
            "macro" => {
                self.next()?;
                self.parse_assign_target(false, true, None, false)?;
                self.parse_signature(&mut exprs)?;
                body = self.parse_statements(&["name:endmacro"], true)?;
            }
            "call" => {
                self.next()?;
                if matches!(self.cur(), Tok::Op(JOp::LParen)) {
                    self.parse_signature(&mut exprs)?;
                }
                let call = self.parse_expression(true)?;
                if !matches!(call.kind, ExprKind::Call { .. }) {
                    return Err(SyntaxError {
                        message: "expected call".into(),
                        span: Span { start, end: start },
                    });
                }
                exprs.push(call);
                body = self.parse_statements(&["name:endcall"], true)?;
            }
            _ => {
                // filter
                self.next()?;
                if let Some(f) = self.parse_filter(None, true)? {
                    exprs.push(f);
                }
                body = self.parse_statements(&["name:endfilter"], true)?;
            }
        }
        Ok(Node::Other {
            tag: tag.into(),
            exprs,
            body,
            span: self.span_from(start),
        })
    }

    fn parse_import_context(&mut self) -> PResult<()> {
        if (self.test("name:with") || self.test("name:without"))
            && test_tok(self.look()?, "name:context")
        {
            self.next()?;
            self.next()?;
        }
        Ok(())
    }

    fn parse_context_from(&mut self) -> PResult<bool> {
        if matches!(self.name_value(), Some("with" | "without"))
            && test_tok(self.look()?, "name:context")
        {
            self.next()?;
            self.next()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn parse_signature(&mut self, exprs: &mut Vec<Expr>) -> PResult<()> {
        self.expect("lparen")?;
        let mut args = 0usize;
        let mut defaults = false;
        while !matches!(self.cur(), Tok::Op(JOp::RParen)) {
            if args > 0 {
                self.expect("comma")?;
            }
            self.parse_assign_target(false, true, None, false)?;
            if self.skip_if("assign")? {
                exprs.push(self.parse_expression(true)?);
                defaults = true;
            } else if defaults {
                return self.fail("non-default argument follows default argument".into());
            }
            args += 1;
        }
        self.expect("rparen")?;
        Ok(())
    }

    fn parse_assign_target(
        &mut self,
        with_tuple: bool,
        name_only: bool,
        extra_end_rules: Option<&[&'static str]>,
        with_namespace: bool,
    ) -> PResult<Expr> {
        if name_only {
            let (t, s) = self.expect("name")?;
            let name = match t {
                Tok::Name(n) => Box::<str>::from(*n),
                _ => "".into(),
            };
            return Ok(Expr {
                kind: ExprKind::Name(name),
                span: *s,
            });
        }
        let target = if with_tuple {
            self.parse_tuple(true, true, extra_end_rules, false, with_namespace)?
        } else {
            self.parse_primary(with_namespace)?
        };
        if !can_assign(&target) {
            return Err(SyntaxError {
                message: format!("can't assign to '{}'", node_type_name(&target)),
                span: target.span,
            });
        }
        Ok(target)
    }

    // ---- expressions ----

    fn parse_expression(&mut self, with_condexpr: bool) -> PResult<Expr> {
        // Python's recursion limit stops Jinja after a few dozen nesting levels
        // (RecursionError); refuse deeper nesting instead of exhausting the stack.
        if self.depth >= MAX_DEPTH {
            return self.fail("maximum expression nesting depth exceeded".into());
        }
        self.depth += 1;
        let r = self.parse_expression_inner(with_condexpr);
        self.depth -= 1;
        r
    }

    fn parse_expression_inner(&mut self, with_condexpr: bool) -> PResult<Expr> {
        if with_condexpr {
            self.parse_condexpr()
        } else {
            self.parse_or()
        }
    }

    fn parse_condexpr(&mut self) -> PResult<Expr> {
        let start = self.cur_span().start;
        let mut expr1 = self.parse_or()?;
        while self.skip_if("name:if")? {
            let expr2 = self.parse_or()?;
            let expr3 = if self.skip_if("name:else")? {
                Some(Box::new(self.parse_condexpr()?))
            } else {
                None
            };
            expr1 = Expr {
                kind: ExprKind::CondExpr {
                    test: Box::new(expr2),
                    then: Box::new(expr1),
                    otherwise: expr3,
                },
                span: self.span_from(start),
            };
        }
        Ok(expr1)
    }

    fn parse_or(&mut self) -> PResult<Expr> {
        let start = self.cur_span().start;
        let mut left = self.parse_and()?;
        while self.skip_if("name:or")? {
            let right = self.parse_and()?;
            left = self.bin(BinaryOp::Or, left, right, start);
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> PResult<Expr> {
        let start = self.cur_span().start;
        let mut left = self.parse_not()?;
        while self.skip_if("name:and")? {
            let right = self.parse_not()?;
            left = self.bin(BinaryOp::And, left, right, start);
        }
        Ok(left)
    }

    fn parse_not(&mut self) -> PResult<Expr> {
        // `not not … x`, iteratively (Jinja recurses).
        let mut starts = Vec::new();
        while self.test("name:not") {
            if starts.len() as u32 >= MAX_UNARY {
                return self.fail("maximum expression nesting depth exceeded".into());
            }
            starts.push(self.cur_span().start);
            self.next()?;
        }
        let mut expr = self.parse_compare()?;
        while let Some(start) = starts.pop() {
            expr = Expr {
                kind: ExprKind::Unary {
                    op: UnaryOp::Not,
                    operand: Box::new(expr),
                },
                span: self.span_from(start),
            };
        }
        Ok(expr)
    }

    fn parse_compare(&mut self) -> PResult<Expr> {
        let start = self.cur_span().start;
        let expr = self.parse_math1()?;
        let mut ops = Vec::new();
        loop {
            let op = match self.cur() {
                Tok::Op(JOp::Eq) => Some(CmpOp::Eq),
                Tok::Op(JOp::Ne) => Some(CmpOp::Ne),
                Tok::Op(JOp::Lt) => Some(CmpOp::Lt),
                Tok::Op(JOp::LtEq) => Some(CmpOp::LtEq),
                Tok::Op(JOp::Gt) => Some(CmpOp::Gt),
                Tok::Op(JOp::GtEq) => Some(CmpOp::GtEq),
                _ => None,
            };
            if let Some(op) = op {
                self.next()?;
                ops.push((op, self.parse_math1()?));
            } else if self.skip_if("name:in")? {
                ops.push((CmpOp::In, self.parse_math1()?));
            } else if self.test("name:not") && test_tok(self.look()?, "name:in") {
                self.next()?;
                self.next()?;
                ops.push((CmpOp::NotIn, self.parse_math1()?));
            } else {
                break;
            }
        }
        if ops.is_empty() {
            return Ok(expr);
        }
        Ok(Expr {
            kind: ExprKind::Compare {
                first: Box::new(expr),
                ops,
            },
            span: self.span_from(start),
        })
    }

    fn bin(&self, op: BinaryOp, lhs: Expr, rhs: Expr, start: u32) -> Expr {
        Expr {
            kind: ExprKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            span: self.span_from(start),
        }
    }

    fn parse_math1(&mut self) -> PResult<Expr> {
        let start = self.cur_span().start;
        let mut left = self.parse_concat()?;
        loop {
            let op = match self.cur() {
                Tok::Op(JOp::Add) => BinaryOp::Add,
                Tok::Op(JOp::Sub) => BinaryOp::Sub,
                _ => break,
            };
            self.next()?;
            let right = self.parse_concat()?;
            left = self.bin(op, left, right, start);
        }
        Ok(left)
    }

    fn parse_concat(&mut self) -> PResult<Expr> {
        let start = self.cur_span().start;
        let first = self.parse_math2()?;
        if !matches!(self.cur(), Tok::Op(JOp::Tilde)) {
            return Ok(first);
        }
        let mut args = vec![first];
        while matches!(self.cur(), Tok::Op(JOp::Tilde)) {
            self.next()?;
            args.push(self.parse_math2()?);
        }
        Ok(Expr {
            kind: ExprKind::Concat(args),
            span: self.span_from(start),
        })
    }

    fn parse_math2(&mut self) -> PResult<Expr> {
        let start = self.cur_span().start;
        let mut left = self.parse_pow()?;
        loop {
            let op = match self.cur() {
                Tok::Op(JOp::Mul) => BinaryOp::Mul,
                Tok::Op(JOp::Div) => BinaryOp::Div,
                Tok::Op(JOp::FloorDiv) => BinaryOp::FloorDiv,
                Tok::Op(JOp::Mod) => BinaryOp::Mod,
                _ => break,
            };
            self.next()?;
            let right = self.parse_pow()?;
            left = self.bin(op, left, right, start);
        }
        Ok(left)
    }

    fn parse_pow(&mut self) -> PResult<Expr> {
        let start = self.cur_span().start;
        let mut left = self.parse_unary(true)?;
        while matches!(self.cur(), Tok::Op(JOp::Pow)) {
            self.next()?;
            let right = self.parse_unary(true)?;
            left = self.bin(BinaryOp::Pow, left, right, start);
        }
        Ok(left)
    }

    fn parse_unary(&mut self, with_filter: bool) -> PResult<Expr> {
        if self.unary_depth >= MAX_UNARY {
            return self.fail("maximum expression nesting depth exceeded".into());
        }
        self.unary_depth += 1;
        let r = self.parse_unary_inner(with_filter);
        self.unary_depth -= 1;
        r
    }

    fn parse_unary_inner(&mut self, with_filter: bool) -> PResult<Expr> {
        let start = self.cur_span().start;
        let mut node = match self.cur() {
            Tok::Op(JOp::Sub) | Tok::Op(JOp::Add) => {
                let op = if matches!(self.cur(), Tok::Op(JOp::Sub)) {
                    UnaryOp::Neg
                } else {
                    UnaryOp::Pos
                };
                self.next()?;
                let operand = self.parse_unary(false)?;
                Expr {
                    kind: ExprKind::Unary {
                        op,
                        operand: Box::new(operand),
                    },
                    span: self.span_from(start),
                }
            }
            _ => self.parse_primary(false)?,
        };
        node = self.parse_postfix(node, start)?;
        if with_filter {
            node = self.parse_filter_expr(node, start)?;
        }
        Ok(node)
    }

    fn parse_primary(&mut self, with_namespace: bool) -> PResult<Expr> {
        let (tok, span) = self.tok();
        let start = span.start;
        let kind = match tok {
            Tok::Name(n) => {
                self.next()?;
                match &**n {
                    "true" | "True" => ExprKind::Const(Const::Bool(true)),
                    "false" | "False" => ExprKind::Const(Const::Bool(false)),
                    "none" | "None" => ExprKind::Const(Const::None),
                    _ if with_namespace && matches!(self.cur(), Tok::Op(JOp::Dot)) => {
                        self.next()?;
                        let (a, _) = self.expect("name")?;
                        let attr = match a {
                            Tok::Name(x) => Box::<str>::from(*x),
                            _ => "".into(),
                        };
                        ExprKind::NsRef {
                            name: (*n).into(),
                            attr,
                        }
                    }
                    _ => ExprKind::Name((*n).into()),
                }
            }
            Tok::Str(s) => {
                let mut buf = s.clone();
                self.next()?;
                while let Tok::Str(more) = self.cur() {
                    buf.push_str(more);
                    self.next()?;
                }
                ExprKind::Const(Const::Str(buf))
            }
            Tok::Int(i) => {
                self.next()?;
                ExprKind::Const(Const::Int(i.clone()))
            }
            Tok::Float(f) => {
                self.next()?;
                ExprKind::Const(Const::Float(*f))
            }
            Tok::Op(JOp::LParen) => {
                self.next()?;
                let e = self.parse_tuple(false, true, None, true, false)?;
                self.expect("rparen")?;
                return Ok(Expr {
                    kind: e.kind,
                    span: self.span_from(start),
                });
            }
            Tok::Op(JOp::LBracket) => return self.parse_list(),
            Tok::Op(JOp::LBrace) => return self.parse_dict(),
            other => return self.fail(format!("unexpected '{}'", other.describe())),
        };
        Ok(Expr {
            kind,
            span: self.span_from(start),
        })
    }

    fn parse_tuple(
        &mut self,
        simplified: bool,
        with_condexpr: bool,
        extra_end_rules: Option<&[&'static str]>,
        explicit_parentheses: bool,
        with_namespace: bool,
    ) -> PResult<Expr> {
        let start = self.cur_span().start;
        let mut args: Vec<Expr> = Vec::new();
        let mut is_tuple = false;
        loop {
            if !args.is_empty() {
                self.expect("comma")?;
            }
            if self.is_tuple_end(extra_end_rules) {
                break;
            }
            let e = if simplified {
                self.parse_primary(with_namespace)?
            } else {
                self.parse_expression(with_condexpr)?
            };
            args.push(e);
            if matches!(self.cur(), Tok::Op(JOp::Comma)) {
                is_tuple = true;
            } else {
                break;
            }
        }
        if !is_tuple {
            if let Some(e) = args.pop() {
                return Ok(e);
            }
            if !explicit_parentheses {
                return self.fail(format!(
                    "Expected an expression, got '{}'",
                    self.cur().describe()
                ));
            }
        }
        Ok(Expr {
            kind: ExprKind::Tuple(args),
            span: self.span_from(start),
        })
    }

    fn parse_list(&mut self) -> PResult<Expr> {
        let (_, s) = self.expect("lbracket")?;
        let start = s.start;
        let mut items = Vec::new();
        while !matches!(self.cur(), Tok::Op(JOp::RBracket)) {
            if !items.is_empty() {
                self.expect("comma")?;
            }
            if matches!(self.cur(), Tok::Op(JOp::RBracket)) {
                break;
            }
            items.push(self.parse_expression(true)?);
        }
        self.expect("rbracket")?;
        Ok(Expr {
            kind: ExprKind::List(items),
            span: self.span_from(start),
        })
    }

    fn parse_dict(&mut self) -> PResult<Expr> {
        let (_, s) = self.expect("lbrace")?;
        let start = s.start;
        let mut items = Vec::new();
        while !matches!(self.cur(), Tok::Op(JOp::RBrace)) {
            if !items.is_empty() {
                self.expect("comma")?;
            }
            if matches!(self.cur(), Tok::Op(JOp::RBrace)) {
                break;
            }
            let key = self.parse_expression(true)?;
            self.expect("colon")?;
            let value = self.parse_expression(true)?;
            items.push((key, value));
        }
        self.expect("rbrace")?;
        Ok(Expr {
            kind: ExprKind::Dict(items),
            span: self.span_from(start),
        })
    }

    fn parse_postfix(&mut self, mut node: Expr, start: u32) -> PResult<Expr> {
        loop {
            match self.cur() {
                Tok::Op(JOp::Dot) | Tok::Op(JOp::LBracket) => {
                    node = self.parse_subscript(node, start)?
                }
                Tok::Op(JOp::LParen) => node = self.parse_call(node, start)?,
                _ => break,
            }
        }
        Ok(node)
    }

    fn parse_filter_expr(&mut self, mut node: Expr, start: u32) -> PResult<Expr> {
        loop {
            match self.cur() {
                Tok::Op(JOp::Pipe) => {
                    node = match self.parse_filter(Some(node), false)? {
                        Some(n) => n,
                        None => return self.fail("internal parsing error".into()),
                    }
                }
                Tok::Name(n) if *n == "is" => node = self.parse_test(node, start)?,
                Tok::Op(JOp::LParen) => node = self.parse_call(node, start)?,
                _ => break,
            }
        }
        Ok(node)
    }

    fn parse_subscript(&mut self, node: Expr, start: u32) -> PResult<Expr> {
        let (tok, tok_span) = self.next()?;
        match tok {
            Tok::Op(JOp::Dot) => {
                let (attr_tok, attr_span) = self.tok();
                self.next()?;
                match attr_tok {
                    Tok::Name(n) => Ok(Expr {
                        kind: ExprKind::Getattr {
                            target: Box::new(node),
                            attr: (*n).into(),
                            attr_span: *attr_span,
                        },
                        span: self.span_from(start),
                    }),
                    Tok::Int(i) => Ok(Expr {
                        kind: ExprKind::Getitem {
                            target: Box::new(node),
                            index: Box::new(Expr {
                                kind: ExprKind::Const(Const::Int(i.clone())),
                                span: *attr_span,
                            }),
                        },
                        span: self.span_from(start),
                    }),
                    _ => Err(SyntaxError {
                        message: "expected name or number".into(),
                        span: *attr_span,
                    }),
                }
            }
            Tok::Op(JOp::LBracket) => {
                let mut args = Vec::new();
                let istart = self.cur_span().start;
                while !matches!(self.cur(), Tok::Op(JOp::RBracket)) {
                    if !args.is_empty() {
                        self.expect("comma")?;
                    }
                    args.push(self.parse_subscribed()?);
                }
                let iend = self.prev_end;
                self.expect("rbracket")?;
                let index = if args.len() == 1 {
                    args.pop().unwrap_or(Expr {
                        kind: ExprKind::Tuple(Vec::new()),
                        span: *tok_span,
                    })
                } else {
                    Expr {
                        kind: ExprKind::Tuple(args),
                        span: Span {
                            start: istart,
                            end: iend.max(istart),
                        },
                    }
                };
                Ok(Expr {
                    kind: ExprKind::Getitem {
                        target: Box::new(node),
                        index: Box::new(index),
                    },
                    span: self.span_from(start),
                })
            }
            _ => Err(SyntaxError {
                message: "expected subscript expression".into(),
                span: *tok_span,
            }),
        }
    }

    fn parse_subscribed(&mut self) -> PResult<Expr> {
        let start = self.cur_span().start;
        let first = if matches!(self.cur(), Tok::Op(JOp::Colon)) {
            self.next()?;
            None
        } else {
            let node = self.parse_expression(true)?;
            if !matches!(self.cur(), Tok::Op(JOp::Colon)) {
                return Ok(node);
            }
            self.next()?;
            Some(Box::new(node))
        };
        let stop = if matches!(self.cur(), Tok::Op(JOp::Colon)) {
            None
        } else if !matches!(self.cur(), Tok::Op(JOp::RBracket) | Tok::Op(JOp::Comma)) {
            Some(Box::new(self.parse_expression(true)?))
        } else {
            None
        };
        let step = if matches!(self.cur(), Tok::Op(JOp::Colon)) {
            self.next()?;
            if !matches!(self.cur(), Tok::Op(JOp::RBracket) | Tok::Op(JOp::Comma)) {
                Some(Box::new(self.parse_expression(true)?))
            } else {
                None
            }
        } else {
            None
        };
        Ok(Expr {
            kind: ExprKind::Slice {
                start: first,
                stop,
                step,
            },
            span: self.span_from(start),
        })
    }

    fn parse_call_args(&mut self) -> PResult<CallArgs> {
        let (_, lparen_span) = self.expect("lparen")?;
        let lparen_span = *lparen_span;
        let mut out = CallArgs::default();
        let mut require_comma = false;
        let invalid = || SyntaxError {
            message: "invalid syntax for function call expression".into(),
            span: lparen_span,
        };
        while !matches!(self.cur(), Tok::Op(JOp::RParen)) {
            if require_comma {
                self.expect("comma")?;
                if matches!(self.cur(), Tok::Op(JOp::RParen)) {
                    break;
                }
            }
            if matches!(self.cur(), Tok::Op(JOp::Mul)) {
                if out.dyn_args.is_some() || out.dyn_kwargs.is_some() {
                    return Err(invalid());
                }
                self.next()?;
                out.dyn_args = Some(Box::new(self.parse_expression(true)?));
            } else if matches!(self.cur(), Tok::Op(JOp::Pow)) {
                if out.dyn_kwargs.is_some() {
                    return Err(invalid());
                }
                self.next()?;
                out.dyn_kwargs = Some(Box::new(self.parse_expression(true)?));
            } else if matches!(self.cur(), Tok::Name(_))
                && matches!(self.look()?, Tok::Op(JOp::Assign))
            {
                if out.dyn_kwargs.is_some() {
                    return Err(invalid());
                }
                let (key, key_span) = match self.tok() {
                    (Tok::Name(n), s) => (Box::<str>::from(*n), *s),
                    (_, s) => ("".into(), *s),
                };
                self.next()?;
                self.next()?;
                let value = self.parse_expression(true)?;
                out.kwargs.push((key, key_span, value));
            } else {
                if out.dyn_args.is_some() || out.dyn_kwargs.is_some() || !out.kwargs.is_empty() {
                    return Err(invalid());
                }
                out.args.push(self.parse_expression(true)?);
            }
            require_comma = true;
        }
        self.expect("rparen")?;
        Ok(out)
    }

    fn parse_call(&mut self, node: Expr, start: u32) -> PResult<Expr> {
        let args = self.parse_call_args()?;
        Ok(Expr {
            kind: ExprKind::Call {
                callee: Box::new(node),
                args,
            },
            span: self.span_from(start),
        })
    }

    fn dotted_name(&mut self) -> PResult<(Box<str>, Span)> {
        let (t, s) = self.expect("name")?;
        let mut name: String = match t {
            Tok::Name(n) => n.to_string(),
            _ => String::new(),
        };
        let mut span = *s;
        while matches!(self.cur(), Tok::Op(JOp::Dot)) {
            self.next()?;
            let (t, s) = self.expect("name")?;
            if let Tok::Name(n) = t {
                name.push('.');
                name.push_str(n);
            }
            span.end = s.end;
        }
        Ok((name.into(), span))
    }

    fn parse_filter(
        &mut self,
        mut node: Option<Expr>,
        mut start_inline: bool,
    ) -> PResult<Option<Expr>> {
        let start = node
            .as_ref()
            .map_or(self.cur_span().start, |n| n.span.start);
        while matches!(self.cur(), Tok::Op(JOp::Pipe)) || start_inline {
            if !start_inline {
                self.next()?;
            }
            let (name, name_span) = self.dotted_name()?;
            let args = if matches!(self.cur(), Tok::Op(JOp::LParen)) {
                self.parse_call_args()?
            } else {
                CallArgs::default()
            };
            node = Some(Expr {
                kind: ExprKind::Filter {
                    target: node.map(Box::new),
                    name,
                    name_span,
                    args,
                },
                span: self.span_from(start),
            });
            start_inline = false;
        }
        Ok(node)
    }

    fn parse_test(&mut self, node: Expr, start: u32) -> PResult<Expr> {
        self.next()?;
        let negated = if self.test("name:not") {
            self.next()?;
            true
        } else {
            false
        };
        let (name, name_span) = self.dotted_name()?;
        let mut args = CallArgs::default();
        if matches!(self.cur(), Tok::Op(JOp::LParen)) {
            args = self.parse_call_args()?;
        } else if matches!(
            self.cur(),
            Tok::Name(_)
                | Tok::Str(_)
                | Tok::Int(_)
                | Tok::Float(_)
                | Tok::Op(JOp::LParen | JOp::LBracket | JOp::LBrace)
        ) && !(self.test("name:else") || self.test("name:or") || self.test("name:and"))
        {
            if self.test("name:is") {
                return self.fail("You cannot chain multiple tests with is".into());
            }
            let astart = self.cur_span().start;
            let arg = self.parse_primary(false)?;
            let arg = self.parse_postfix(arg, astart)?;
            args.args.push(arg);
        }
        let test = Expr {
            kind: ExprKind::Test {
                target: Box::new(node),
                name,
                name_span,
                args,
            },
            span: self.span_from(start),
        };
        if negated {
            return Ok(Expr {
                kind: ExprKind::Unary {
                    op: UnaryOp::Not,
                    operand: Box::new(test),
                },
                span: self.span_from(start),
            });
        }
        Ok(test)
    }
}

fn test_tok(t: &Tok, expr: &str) -> bool {
    test(t, expr)
}

fn can_assign(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Name(n) => !matches!(&**n, "true" | "false" | "none" | "True" | "False" | "None"),
        ExprKind::NsRef { .. } => true,
        ExprKind::Tuple(items) => items.iter().all(can_assign),
        _ => false,
    }
}

/// `type(node).__name__.lower()` for the nodes an assignment target can be.
fn node_type_name(e: &Expr) -> &'static str {
    match &e.kind {
        ExprKind::Const(_) => "const",
        ExprKind::List(_) => "list",
        ExprKind::Dict(_) => "dict",
        ExprKind::Tuple(_) => "tuple",
        ExprKind::Name(_) => "name",
        ExprKind::NsRef { .. } => "nsref",
        ExprKind::Getattr { .. } => "getattr",
        ExprKind::Getitem { .. } => "getitem",
        ExprKind::Slice { .. } => "slice",
        ExprKind::Call { .. } => "call",
        ExprKind::Filter { .. } => "filter",
        ExprKind::Test { .. } => "test",
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => "not",
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => "neg",
        ExprKind::Unary {
            op: UnaryOp::Pos, ..
        } => "pos",
        ExprKind::Binary { op, .. } => match op {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::FloorDiv => "floordiv",
            BinaryOp::Mod => "mod",
            BinaryOp::Pow => "pow",
        },
        ExprKind::Concat(_) => "concat",
        ExprKind::Compare { .. } => "compare",
        ExprKind::CondExpr { .. } => "condexpr",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> Option<String> {
        parse_template(s).err().map(|e| e.message)
    }

    #[test]
    fn messages() {
        assert_eq!(err("{{ * }}").as_deref(), Some("unexpected '*'"));
        assert_eq!(
            err("{{ }}").as_deref(),
            Some("Expected an expression, got 'end of print statement'")
        );
        assert_eq!(
            err("{{ a = 1 }}").as_deref(),
            Some("expected token 'end of print statement', got '='")
        );
        assert_eq!(err("{{ $ }}").as_deref(), Some("unexpected char '$' at 3"));
        assert_eq!(
            err("{{ foo( }}").as_deref(),
            Some("unexpected '}', expected ')'")
        );
        assert_eq!(
            err("{{ _.a }} and {% if %}").as_deref(),
            Some("Expected an expression, got 'end of statement block'")
        );
        assert_eq!(
            err("{% for x in y %}").as_deref(),
            Some(
                "Unexpected end of template. Jinja was looking for the following tags: 'endfor' or 'else'. The innermost block that needs to be closed is 'for'."
            )
        );
        assert_eq!(
            err("{% endif %}").as_deref(),
            Some("Encountered unknown tag 'endif'.")
        );
        assert_eq!(
            err("{{ 1 ").as_deref(),
            Some("unexpected end of template, expected 'end of print statement'.")
        );
    }

    #[test]
    fn accepted() {
        for s in [
            "{{ _.a | default('x') | list }}",
            "{{ _.a is not none and x is defined }}",
            "{{ a if b else c }}",
            "{{ (1, 2) }}",
            "{{ {'a': 1, 'b': [1, 2,]} }}",
            "{{ x[1:2] ~ y[::-1] ~ z.0 }}",
            "{{ f(1, *a, k=2, **kw) }}",
            "{% for x in y if x %}{{ loop.index }}{% else %}none{% endfor %}",
            "{% if a %}1{% elif b %}2{% else %}3{% endif %}",
            "{% set x = 1 %}{% set a, b = 1, 2 %}{% set ns.y = 2 %}",
            "{% raw %}{{ $ }}{% endraw %}",
            "{# comment #}{{- x -}}",
            "{{ 2 ** 3 // 2 % 5 }}",
            "{{ a not in b }}",
            "{{ _.get('k') }}",
        ] {
            assert!(
                parse_template(s).is_ok(),
                "{s}: {:?}",
                parse_template(s).err()
            );
        }
    }

    #[test]
    fn expression_spans() {
        let e = parse_expression(" _.a ").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(e.span, Span { start: 1, end: 4 });
        let m = |s: &str| parse_expression(s).err().map(|e| e.message);
        assert_eq!(
            m(" _.a + ").as_deref(),
            Some("unexpected 'end of template'")
        );
        assert_eq!(m(" _.a _.b ").as_deref(), Some("chunk after expression"));
        assert_eq!(m(" ").as_deref(), Some("unexpected 'end of template'"));
    }
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    #[test]
    fn many_sets_are_not_nesting() {
        let t = "{% set x = 1 %}".repeat(500);
        assert!(parse_template(&t).is_ok());
    }
}
