//! The table of diagnostic codes this crate emits.
pub use gale_diagnostics::Severity;

/// Documentation of one diagnostic code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    /// The stable kebab-case code.
    pub code: &'static str,
    /// Its severity.
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// What it means, why it matters, an example and the fix (Markdown).
    pub explanation: &'static str,
}

/// Every code, sorted by name.
pub const CODES: &[CodeInfo] = &[];

/// The documentation of `code`.
pub fn code_info(code: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code == code)
}
