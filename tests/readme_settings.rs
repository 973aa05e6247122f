//! The README's settings table against the command line clap defines: every flag is a
//! row, every row a flag, with the same variable and default. The names are defined once
//! (the clap attributes); this keeps the documentation from drifting away from them.

use clap::CommandFactory;
use std::collections::BTreeMap;
use vignette::Cli;

/// One row of the table: its variable cell and its default cell, backticks kept.
struct Row {
    env: String,
    default: String,
}

fn readme_rows() -> BTreeMap<String, Row> {
    let readme = include_str!("../README.md");
    let mut rows = BTreeMap::new();
    for line in readme.lines().filter(|l| l.starts_with("| `--")) {
        let cells: Vec<&str> = line
            .split(" | ")
            .map(|c| c.trim_matches('|').trim())
            .collect();
        let flag = cells[0].trim_matches('`').to_owned();
        let row = Row {
            env: cells[1].to_owned(),
            default: cells[2].to_owned(),
        };
        assert!(
            rows.insert(flag.clone(), row).is_none(),
            "{flag} twice in README"
        );
    }
    rows
}

#[test]
fn the_readme_settings_table_matches_the_command_line() {
    let rows = readme_rows();
    let cmd = Cli::command();
    let mut flags = Vec::new();
    for arg in cmd.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if matches!(long, "help" | "version") {
            continue;
        }
        let flag = format!("--{long}");
        let row = rows
            .get(&flag)
            .unwrap_or_else(|| panic!("{flag} has no row in README's settings table"));
        let env = arg.get_env().expect("every flag has a variable");
        let env = format!("`{}`", env.to_string_lossy());
        assert!(
            row.env == env || row.env.starts_with(&format!("{env} (or ")),
            "{flag}: README says {}, clap {env}",
            row.env
        );
        if let [default] = arg.get_default_values() {
            let default = default.to_string_lossy();
            let documented = if default.is_empty() {
                row.default == "empty"
            } else {
                row.default == format!("`{default}`")
            };
            assert!(
                documented,
                "{flag}: README's default is {}, clap's {default:?}",
                row.default
            );
        }
        flags.push(flag);
    }
    for flag in rows.keys() {
        assert!(
            flags.contains(flag),
            "README documents {flag}, which does not exist"
        );
    }
}
