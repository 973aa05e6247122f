//! The Nomad job in `deploy/nomad/` parses, and every `VIGNETTE_*` variable it sets is
//! one vignette reads (a renamed or mistyped setting would otherwise be silently
//! ignored in production).

use clap::CommandFactory;
use hcl::expr::{Expression, TemplateExpr};
use hcl::{Block, Body};
use std::collections::BTreeSet;
use std::path::Path;

fn job() -> Body {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nomad/vignette.nomad.hcl");
    let text = std::fs::read_to_string(&path).expect("the job file exists");
    hcl::parse(&text).expect("the job file is valid HCL")
}

fn blocks<'a>(body: &'a Body, out: &mut Vec<&'a Block>) {
    for b in body.blocks() {
        out.push(b);
        blocks(b.body(), out);
    }
}

fn text_of(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.clone()),
        Expression::TemplateExpr(t) => Some(match t.as_ref() {
            TemplateExpr::QuotedString(s) => s.clone(),
            TemplateExpr::Heredoc(h) => h.template.clone(),
        }),
        _ => None,
    }
}

/// `VIGNETTE_*` and `AWS_*` names the job sets: `env` block keys and `NAME=` lines of
/// templates rendered into the environment.
fn variables(body: &Body) -> BTreeSet<String> {
    let mut all = Vec::new();
    blocks(body, &mut all);
    let mut names = BTreeSet::new();
    for b in all {
        match b.identifier() {
            "env" => names.extend(b.body().attributes().map(|a| a.key().to_owned())),
            "template" => {
                let data = b.body().attributes().find(|a| a.key() == "data");
                if let Some(data) = data.and_then(|a| text_of(a.expr())) {
                    names.extend(
                        data.lines()
                            .filter_map(|l| l.split_once('='))
                            .map(|(k, _)| k.trim().to_owned())
                            .filter(|k| !k.is_empty() && !k.starts_with('{')),
                    );
                }
            }
            _ => {}
        }
    }
    names
}

#[test]
fn every_vignette_variable_of_the_job_is_a_real_setting() {
    let known: BTreeSet<String> = vignette::Cli::command()
        .get_arguments()
        .filter_map(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
        .collect();
    assert!(known.contains("VIGNETTE_CACHE_BUCKET"), "sanity: {known:?}");
    let set = variables(&job());
    let vignette: Vec<&String> = set.iter().filter(|n| n.starts_with("VIGNETTE_")).collect();
    assert!(vignette.len() >= 10, "the job sets the settings: {set:?}");
    for name in vignette {
        assert!(
            known.contains(name),
            "{name} is set by the job but vignette does not read it"
        );
    }
    // Credentials come from Nomad Variables through the template, not from `env`.
    assert!(set.contains("AWS_ACCESS_KEY_ID") && set.contains("AWS_SECRET_ACCESS_KEY"));
}

#[test]
fn the_job_has_what_operations_need() {
    let body = job();
    let mut all = Vec::new();
    blocks(&body, &mut all);
    let ids: BTreeSet<&str> = all.iter().map(|b| b.identifier()).collect();
    for needed in [
        "job",
        "group",
        "task",
        "network",
        "service",
        "check",
        "restart",
        "update",
        "resources",
        "template",
    ] {
        assert!(ids.contains(needed), "missing a {needed} block");
    }
    let check = all.iter().filter(|b| b.identifier() == "check").find(|b| {
        b.body()
            .attributes()
            .any(|a| a.key() == "path" && text_of(a.expr()).as_deref() == Some("/health/ready"))
    });
    assert!(check.is_some(), "an HTTP check on /health/ready");
    let template = all.iter().find(|b| b.identifier() == "template").unwrap();
    let data = text_of(
        template
            .body()
            .attributes()
            .find(|a| a.key() == "data")
            .unwrap()
            .expr(),
    )
    .unwrap();
    assert!(
        data.contains("nomadVar"),
        "credentials from Nomad Variables"
    );
    let group = all.iter().find(|b| b.identifier() == "group").unwrap();
    assert!(group.body().attributes().any(|a| a.key() == "count"));
}

/// The value the job's `env` block gives `name`.
fn env_value(body: &Body, name: &str) -> Option<String> {
    let mut all = Vec::new();
    blocks(body, &mut all);
    all.iter()
        .filter(|b| b.identifier() == "env")
        .flat_map(|b| b.body().attributes())
        .find(|a| a.key() == name)
        .and_then(|a| text_of(a.expr()))
}

#[test]
fn the_instances_share_one_slot_cache_numbered_by_their_allocation() {
    let body = job();
    let mut all = Vec::new();
    blocks(&body, &mut all);
    let group = all.iter().find(|b| b.identifier() == "group").unwrap();
    let count = group
        .body()
        .attributes()
        .find(|a| a.key() == "count")
        .map(|a| a.expr().to_string())
        .unwrap();
    assert_eq!(count, "2", "two instances");
    let value = |name| env_value(&body, name).unwrap_or_else(|| panic!("{name} unset"));
    assert_eq!(
        value("VIGNETTE_CACHE_INSTANCES"),
        count,
        "as many as the count"
    );
    assert_eq!(value("VIGNETTE_CACHE_INSTANCE"), "${NOMAD_ALLOC_INDEX}");
    assert!(
        !value("VIGNETTE_CACHE_PREFIX").contains("NOMAD"),
        "one prefix for all instances"
    );
}
