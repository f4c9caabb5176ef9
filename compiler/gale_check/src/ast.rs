//! The parsed expressions of one string, parsed once and shared by the data-flow
//! checks (`refs::reads_parsed`) and the call checks (`calls::findings_parsed`).
//!
//! The parts follow Mistral's reading of a string: its `<% %>` segments one by one
//! until the first Jinja segment, at which point the whole string is one Jinja
//! template.

use gale_expr::jinja::ast::Template;
use gale_expr::yaql::ast::Expr;
use gale_expr::{Lang, find_segments};

/// One parsed part of a string.
pub(crate) enum Part {
    /// A `<% %>` segment: the start of its body in the string, and the expression
    /// (`None` when it does not parse; the syntax error is reported elsewhere).
    Yaql(u32, Option<Expr>),
    /// The whole string as a Jinja template (`None` when it does not parse).
    Jinja(Option<Template>),
}

/// The parsed parts of one string.
pub(crate) struct SiteAst {
    /// In string order.
    pub parts: Vec<Part>,
}

impl SiteAst {
    /// Parses the expressions of `text`.
    pub fn parse(text: &str) -> SiteAst {
        let mut parts = Vec::new();
        for seg in find_segments(text) {
            match seg.lang {
                Lang::Yaql => {
                    let Some(inner) = text.get(seg.inner.start as usize..seg.inner.end as usize)
                    else {
                        continue;
                    };
                    parts.push(Part::Yaql(
                        seg.inner.start,
                        gale_expr::yaql::parse(inner).expr,
                    ));
                }
                Lang::Jinja => {
                    // The Jinja segments of a string are parsed as one template.
                    parts.push(Part::Jinja(gale_expr::jinja::parse_template(text).ok()));
                    break;
                }
            }
        }
        SiteAst { parts }
    }
}
