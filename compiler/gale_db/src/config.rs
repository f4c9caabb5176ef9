//! Per-project settings from `gale.toml`: codes to ignore and severity overrides.
//!
//! ```toml
//! [check]
//! ignore = ["unreachable-task"]        # never reported
//!
//! [check.severity]
//! join-may-not-fire = "error"          # error | warning | info | off
//! ```
//!
//! The text comes in from the driver (CLI or language server); this crate does no I/O.
//!
//! The same file declares plugin actions (`[actions."name"]`) and the options of the
//! standard actions (`[action_std_http]`, …); those sections belong to the runtime
//! (`gale_engine::actions::ActionsConfig` reads and validates them) and are skipped
//! here, so one `gale.toml` serves `gale check` and `gale run`.

use gale_diagnostics::{Diagnostic, Severity};
use std::collections::BTreeMap;

/// Sections read by the runtime's action configuration, not by the checker.
fn is_runtime_section(key: &str) -> bool {
    key == "actions" || key.starts_with("action_std_")
}

/// What a project's `gale.toml` says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// Codes never reported.
    pub ignore: Vec<String>,
    /// Code → new severity (`None`: off).
    pub severity: BTreeMap<String, Option<Severity>>,
}

impl Config {
    /// Parses `gale.toml`. Unknown codes are accepted only when `known` says so:
    /// the error names the bad key and suggests the closest code.
    pub fn from_toml(text: &str, known: &dyn Fn(&str) -> bool) -> Result<Config, String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        let mut config = Config::default();
        for (key, value) in &table {
            if is_runtime_section(key) {
                continue;
            }
            if key != "check" {
                return Err(format!(
                    "unknown section `{key}` (expected `[check]`, `[actions.\"NAME\"]` or `[action_std_…]`)"
                ));
            }
            let Some(check) = value.as_table() else {
                return Err("`check` must be a table".into());
            };
            for (key, value) in check {
                match key.as_str() {
                    "ignore" => {
                        let list = value
                            .as_array()
                            .ok_or("`check.ignore` must be a list of codes")?;
                        for item in list {
                            let code = item
                                .as_str()
                                .ok_or("`check.ignore` must be a list of code strings")?;
                            check_code(code, known)?;
                            config.ignore.push(code.to_string());
                        }
                    }
                    "severity" => {
                        let map = value
                            .as_table()
                            .ok_or("`check.severity` must be a table of code = level")?;
                        for (code, level) in map {
                            check_code(code, known)?;
                            let level = match level.as_str() {
                                Some("error") => Some(Severity::Error),
                                Some("warning") => Some(Severity::Warning),
                                Some("info") => Some(Severity::Info),
                                Some("off") => None,
                                _ => {
                                    return Err(format!(
                                        "`check.severity.{code}` must be \"error\", \"warning\", \"info\" or \"off\""
                                    ));
                                }
                            };
                            config.severity.insert(code.to_string(), level);
                        }
                    }
                    other => {
                        return Err(format!(
                            "unknown key `check.{other}` (expected `ignore` or `severity`)"
                        ));
                    }
                }
            }
        }
        Ok(config)
    }

    /// Applies the settings to a file's diagnostics.
    pub fn apply(&self, diagnostics: &[Diagnostic]) -> Vec<Diagnostic> {
        diagnostics
            .iter()
            .filter(|d| !self.ignore.iter().any(|c| c == d.code))
            .filter_map(|d| match self.severity.get(d.code) {
                None => Some(d.clone()),
                Some(None) => None,
                Some(Some(severity)) => {
                    let mut d = d.clone();
                    d.severity = *severity;
                    Some(d)
                }
            })
            .collect()
    }

    /// Whether the settings change nothing.
    pub fn is_empty(&self) -> bool {
        self.ignore.is_empty() && self.severity.is_empty()
    }
}

fn check_code(code: &str, known: &dyn Fn(&str) -> bool) -> Result<(), String> {
    if known(code) {
        return Ok(());
    }
    let codes = crate::all_codes();
    match gale_diagnostics::did_you_mean(code, codes.iter().map(|c| c.code)) {
        Some(s) => Err(format!(
            "unknown diagnostic code `{code}`; did you mean `{s}`?"
        )),
        None => Err(format!(
            "unknown diagnostic code `{code}` (`gale explain --list` shows every code)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gale_diagnostics::Span;

    fn known(code: &str) -> bool {
        matches!(
            code,
            "unreachable-task" | "join-may-not-fire" | "unknown-key"
        )
    }

    #[test]
    fn parses_and_applies() {
        let config = Config::from_toml(
            "[check]\nignore = [\"unreachable-task\"]\n[check.severity]\njoin-may-not-fire = \"error\"\nunknown-key = \"off\"\n",
            &known,
        )
        .expect("valid config");
        let diags = vec![
            Diagnostic::warning("unreachable-task", Span::empty(0), "a"),
            Diagnostic::warning("join-may-not-fire", Span::empty(1), "b"),
            Diagnostic::error("unknown-key", Span::empty(2), "c"),
        ];
        let out = config.apply(&diags);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].code, out[0].severity),
            ("join-may-not-fire", Severity::Error)
        );
    }

    #[test]
    fn rejects_unknown_codes_and_levels() {
        let err =
            Config::from_toml("[check]\nignore = [\"unreachable-tsk\"]\n", &known).unwrap_err();
        assert!(
            err.contains("unknown diagnostic code `unreachable-tsk`"),
            "{err}"
        );
        let err =
            Config::from_toml("[check.severity]\nunknown-key = \"fatal\"\n", &known).unwrap_err();
        assert!(err.contains("must be"), "{err}");
        assert!(Config::from_toml("[lint]\n", &known).is_err());
        let runtime_only = "[actions.\"acme.deploy\"]\ncommand = [\"./d\"]\n[action_std_http]\n";
        assert_eq!(
            Config::from_toml(runtime_only, &known),
            Ok(Config::default())
        );
    }
}
