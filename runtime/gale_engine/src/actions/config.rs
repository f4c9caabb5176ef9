//! The action settings of a project's `gale.toml`: plugin declarations
//! (`[actions."<name>"]`, see [`super::plugin`]) and the standard actions' options,
//! in sections named after Mistral's configuration groups:
//!
//! ```toml
//! [action_std_http]                 # Mistral's [action_std_http] group
//! allowed_hosts = ["api.example.com"]
//! denied_cidrs = ["127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10", "10.0.0.0/8"]
//! denied_hosts = ["metadata.internal"]   # Gale addition
//! default_timeout = 60
//! max_response_size_bytes = 5242880
//!
//! [action_std_email]
//! verify_tls = true
//!
//! [action_std_ssh]
//! program = "ssh"
//! extra_args = ["-F", "/etc/gale/ssh_config"]
//! connect_timeout = 30
//!
//! [action_std_javascript]
//! time_limit = 30                   # seconds
//! memory_limit = 67108864           # bytes
//! max_stack_size = 1048576          # bytes
//! ```
//!
//! Other sections (`[check]`…) are ignored here; unknown keys inside these sections
//! are errors.

use std::path::Path;
use std::time::Duration;

use super::builtin::{StdActionsConfig, register_std};
use super::plugin::{PluginSpec, plugin_specs_from_table, register_plugins};
use super::{ActionRegistry, egress::Cidr};

/// Everything `gale.toml` says about actions.
#[derive(Clone, Debug, Default)]
pub struct ActionsConfig {
    /// Options of the standard actions.
    pub std: StdActionsConfig,
    /// Declared plugin actions.
    pub plugins: Vec<PluginSpec>,
}

impl ActionsConfig {
    /// Parses the action sections of a `gale.toml` text; `base_dir` is its directory.
    pub fn from_toml(text: &str, base_dir: Option<&Path>) -> Result<ActionsConfig, String> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        ActionsConfig::from_table(&table, base_dir)
    }

    /// Same, from an already parsed table.
    pub fn from_table(
        table: &toml::Table,
        base_dir: Option<&Path>,
    ) -> Result<ActionsConfig, String> {
        Ok(ActionsConfig {
            std: std_config_from_table(table)?,
            plugins: plugin_specs_from_table(table, base_dir)?,
        })
    }

    /// A registry with every standard action and every plugin.
    pub fn registry(&self) -> ActionRegistry {
        let mut registry = ActionRegistry::new();
        register_plugins(&mut registry, &self.plugins);
        register_std(&mut registry, &self.std);
        registry
    }
}

fn section<'a>(
    table: &'a toml::Table,
    name: &str,
    keys: &[&str],
) -> Result<Option<&'a toml::Table>, String> {
    let Some(value) = table.get(name) else {
        return Ok(None);
    };
    let section = value
        .as_table()
        .ok_or_else(|| format!("`{name}` must be a table"))?;
    for key in section.keys() {
        if !keys.contains(&key.as_str()) {
            return Err(format!(
                "unknown key `{name}.{key}` (expected one of: {})",
                keys.join(", ")
            ));
        }
    }
    Ok(Some(section))
}

fn strings(section: &toml::Table, group: &str, key: &str) -> Result<Option<Vec<String>>, String> {
    let Some(value) = section.get(key) else {
        return Ok(None);
    };
    value
        .as_array()
        .and_then(|items| {
            items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
        .map(Some)
        .ok_or_else(|| format!("`{group}.{key}` must be a list of strings"))
}

fn non_negative(section: &toml::Table, group: &str, key: &str) -> Result<Option<u64>, String> {
    let Some(value) = section.get(key) else {
        return Ok(None);
    };
    value
        .as_integer()
        .and_then(|i| u64::try_from(i).ok())
        .map(Some)
        .ok_or_else(|| format!("`{group}.{key}` must be a non-negative integer"))
}

fn flag(section: &toml::Table, group: &str, key: &str) -> Result<Option<bool>, String> {
    let Some(value) = section.get(key) else {
        return Ok(None);
    };
    value
        .as_bool()
        .map(Some)
        .ok_or_else(|| format!("`{group}.{key}` must be true or false"))
}

/// Reads `[action_std_http]`, `[action_std_email]`, `[action_std_ssh]` and
/// `[action_std_javascript]` over Mistral's defaults.
pub fn std_config_from_table(table: &toml::Table) -> Result<StdActionsConfig, String> {
    let mut config = StdActionsConfig::default();
    const HTTP: &str = "action_std_http";
    if let Some(s) = section(
        table,
        HTTP,
        &[
            "allowed_hosts",
            "denied_hosts",
            "denied_cidrs",
            "default_timeout",
            "max_response_size_bytes",
        ],
    )? {
        let egress = &mut config.http.egress;
        if let Some(hosts) = strings(s, HTTP, "allowed_hosts")? {
            egress.allowed_hosts = hosts;
        }
        if let Some(hosts) = strings(s, HTTP, "denied_hosts")? {
            egress.denied_hosts = hosts;
        }
        if let Some(cidrs) = strings(s, HTTP, "denied_cidrs")? {
            egress.denied_cidrs = cidrs
                .iter()
                .map(|c| {
                    c.parse::<Cidr>()
                        .map_err(|e| format!("`{HTTP}.denied_cidrs`: {e}"))
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(t) = non_negative(s, HTTP, "default_timeout")? {
            config.http.default_timeout = t;
        }
        if let Some(n) = non_negative(s, HTTP, "max_response_size_bytes")? {
            config.http.max_response_size_bytes = n;
        }
    }
    const EMAIL: &str = "action_std_email";
    if let Some(s) = section(
        table,
        EMAIL,
        &["verify_tls", "default_timeout", "local_hostname"],
    )? {
        if let Some(v) = flag(s, EMAIL, "verify_tls")? {
            config.email.verify_tls = v;
        }
        if let Some(t) = non_negative(s, EMAIL, "default_timeout")? {
            config.email.default_timeout = t;
        }
        if let Some(v) = s.get("local_hostname") {
            config.email.local_hostname = v
                .as_str()
                .ok_or_else(|| format!("`{EMAIL}.local_hostname` must be a string"))?
                .to_string();
        }
    }
    const SSH: &str = "action_std_ssh";
    if let Some(s) = section(
        table,
        SSH,
        &[
            "program",
            "extra_args",
            "connect_timeout",
            "default_timeout",
        ],
    )? {
        if let Some(v) = s.get("program") {
            config.ssh.program = v
                .as_str()
                .ok_or_else(|| format!("`{SSH}.program` must be a string"))?
                .to_string();
        }
        if let Some(args) = strings(s, SSH, "extra_args")? {
            config.ssh.extra_args = args;
        }
        if let Some(t) = non_negative(s, SSH, "connect_timeout")? {
            config.ssh.connect_timeout = t;
        }
        if let Some(t) = non_negative(s, SSH, "default_timeout")? {
            config.ssh.default_timeout = t;
        }
    }
    const JS: &str = "action_std_javascript";
    if let Some(s) = section(table, JS, &["time_limit", "memory_limit", "max_stack_size"])? {
        if let Some(t) = non_negative(s, JS, "time_limit")? {
            config.javascript.time_limit = (t > 0).then(|| Duration::from_secs(t));
        }
        if let Some(n) = non_negative(s, JS, "memory_limit")? {
            config.javascript.memory_limit = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = non_negative(s, JS, "max_stack_size")? {
            config.javascript.max_stack_size =
                usize::try_from(n).unwrap_or(usize::MAX).min(256 << 20);
        }
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections() {
        let text = r#"
[check]
ignore = []

[action_std_http]
allowed_hosts = ["api.example.com"]
denied_cidrs = ["10.0.0.0/8"]
default_timeout = 5

[action_std_ssh]
extra_args = ["-p", "2222"]

[action_std_javascript]
time_limit = 0

[actions."acme.x"]
command = ["x"]
"#;
        let config = ActionsConfig::from_toml(text, None);
        let Ok(config) = config else {
            panic!("{config:?}")
        };
        assert_eq!(config.std.http.egress.allowed_hosts, ["api.example.com"]);
        assert_eq!(config.std.http.egress.denied_cidrs.len(), 1);
        assert_eq!(config.std.http.default_timeout, 5);
        assert_eq!(config.std.ssh.extra_args, ["-p", "2222"]);
        assert_eq!(config.std.javascript.time_limit, None);
        let registry = config.registry();
        assert!(registry.contains("acme.x") && registry.contains("std.echo"));
    }

    #[test]
    fn rejects_bad_values() {
        for (text, expected) in [
            (
                "[action_std_http]\nbogus = 1",
                "unknown key `action_std_http.bogus`",
            ),
            (
                "[action_std_http]\ndenied_cidrs = [\"x\"]",
                "invalid CIDR 'x'",
            ),
            (
                "[action_std_http]\ndefault_timeout = -1",
                "non-negative integer",
            ),
            ("[action_std_email]\nverify_tls = \"yes\"", "true or false"),
        ] {
            match ActionsConfig::from_toml(text, None) {
                Err(e) => assert!(e.contains(expected), "{text}: {e}"),
                Ok(_) => panic!("{text}: accepted"),
            }
        }
    }
}
