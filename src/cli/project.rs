//! The project's `gale.toml`: found once, read by every command that needs it.
//!
//! `gale check` reads its `[check]` section (through `gale_db::Config`); `gale run`,
//! `gale test` and `gale resume` read the action sections (plugin actions and the
//! options of the standard actions, through `gale_engine::actions::ActionsConfig`).

use std::path::{Path, PathBuf};

use gale_engine::actions::{ActionRegistry, ActionsConfig};

/// The `gale.toml` to use: `explicit`, or the one in the current folder or the
/// nearest parent folder that has one.
pub fn find(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    let dir = std::env::current_dir().ok()?;
    dir.ancestors()
        .map(|d| d.join("gale.toml"))
        .find(|p| p.is_file())
}

/// Reads `gale.toml` (`None` when there is none); errors name the file.
pub fn read(explicit: Option<&Path>) -> Result<Option<(PathBuf, String)>, String> {
    let Some(path) = find(explicit) else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    Ok(Some((path, text)))
}

/// The checker's settings.
pub fn check_config(explicit: Option<&Path>) -> Result<gale_db::Config, String> {
    let Some((path, text)) = read(explicit)? else {
        return Ok(gale_db::Config::default());
    };
    let known = |code: &str| gale_db::code_info(code).is_some();
    gale_db::Config::from_toml(&text, &known).map_err(|e| format!("{}: {e}", path.display()))
}

/// The action registry of the project: every standard action (with the project's
/// options) and the project's plugin actions — `None` when `gale.toml` has no action
/// section, so the engine keeps its built-in registry (and its inline fast paths).
pub fn action_registry(explicit: Option<&Path>) -> Result<Option<ActionRegistry>, String> {
    let Some((path, text)) = read(explicit)? else {
        return Ok(None);
    };
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("{}: {e}", path.display()))?;
    if !table
        .keys()
        .any(|k| k == "actions" || k.starts_with("action_std_"))
    {
        return Ok(None);
    }
    let config = ActionsConfig::from_table(&table, path.parent())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Some(config.registry()))
}

/// Installs the project's actions (if `gale.toml` declares any) into `engine`.
pub fn install_actions(engine: &mut gale_engine::Engine) -> Result<(), String> {
    if let Some(registry) = action_registry(None)? {
        engine.set_registry(registry);
    }
    Ok(())
}
