//! Which lmsync tools a given site can serve, from its site info and the function table: what
//! `lmsync check` prints; and the function list of the operator documentation, rendered from
//! the same table so the two cannot drift apart.

use crate::functions::{ALWAYS, Access, Batch, FUNCTIONS, OPERATIONS, Operation};
use crate::site_info::SiteInfo;
use std::fmt::Write as _;

/// Why one operation cannot be done on a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// These functions are not in the token's service: add them.
    Functions(Vec<&'static str>),
    /// The site is older than the release that has the functions.
    Version { needs: (u32, u32) },
    /// The service may not upload files.
    UploadDisabled,
    /// Not possible through Moodle web services at all.
    Unsupported(&'static str),
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::Functions(names) => write!(f, "add to the lmsync service: {}", names.join(", ")),
            Missing::Version { needs: (major, minor) } => write!(f, "needs moodle {major}.{minor} or later"),
            Missing::UploadDisabled => write!(f, "tick \"can upload files\" in the lmsync service"),
            Missing::Unsupported(why) => write!(f, "{why}"),
        }
    }
}

/// How much of one tool a site can serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Full,
    /// Some operations cannot be done: each with the reason.
    Partial(Vec<(&'static str, Missing)>),
    /// No operation can be done (or the health check itself is missing).
    None(Vec<(&'static str, Missing)>),
}

/// The availability of one tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolAvailability {
    pub tool: &'static str,
    pub availability: Availability,
}

/// Why `op` cannot be done on `site`, if it cannot.
pub fn missing(op: &Operation, site: &SiteInfo) -> Option<Missing> {
    if let Some(why) = op.unsupported {
        return Some(Missing::Unsupported(why));
    }
    if let Some((major, minor)) = op.since
        && !site.at_least(major, minor)
    {
        return Some(Missing::Version { needs: (major, minor) });
    }
    let absent: Vec<&'static str> = op
        .needs
        .iter()
        .filter(|alternatives| !alternatives.iter().any(|f| site.has_function(f)))
        .filter_map(|alternatives| alternatives.first().copied())
        .collect();
    if !absent.is_empty() {
        return Some(Missing::Functions(absent));
    }
    (op.upload && !site.uploadfiles).then_some(Missing::UploadDisabled)
}

/// The tools in the order of the table.
pub fn tools() -> Vec<&'static str> {
    let mut tools: Vec<&'static str> = Vec::new();
    for op in OPERATIONS {
        if !tools.contains(&op.tool) {
            tools.push(op.tool);
        }
    }
    tools
}

/// Per tool: fully available, partly (which operations not, and why), or not at all.
pub fn availability(site: &SiteInfo) -> Vec<ToolAvailability> {
    let no_health: Vec<&'static str> = ALWAYS.iter().copied().filter(|f| !site.has_function(f)).collect();
    tools()
        .into_iter()
        .map(|tool| {
            let ops: Vec<&Operation> = OPERATIONS.iter().filter(|o| o.tool == tool).collect();
            let mut gaps: Vec<(&'static str, Missing)> =
                ops.iter().filter_map(|o| missing(o, site).map(|m| (o.name, m))).collect();
            let availability = if !no_health.is_empty() {
                gaps.insert(0, ("check the site", Missing::Functions(no_health.clone())));
                Availability::None(gaps)
            } else if gaps.is_empty() {
                Availability::Full
            } else if gaps.len() == ops.len() {
                Availability::None(gaps)
            } else {
                Availability::Partial(gaps)
            };
            ToolAvailability { tool, availability }
        })
        .collect()
}

/// The operator documentation of the functions: per tool, each operation and the functions it
/// needs; then every function with how lmsync calls it.
pub fn functions_markdown() -> String {
    let mut md = String::from("# Moodle functions used by lmsync\n\n");
    md.push_str("Add every function below to the lmsync external service. Every tool also needs ");
    md.push_str(&ALWAYS.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "));
    md.push_str(" (the health check).\n");
    for tool in tools() {
        let _ = write!(md, "\n## {tool}\n\n| Operation | Functions | Notes |\n|---|---|---|\n");
        for op in OPERATIONS.iter().filter(|o| o.tool == tool) {
            let functions = op
                .needs
                .iter()
                .map(|alts| alts.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(" or "))
                .collect::<Vec<_>>()
                .join(", ");
            let mut notes = Vec::new();
            if let Some((major, minor)) = op.since {
                notes.push(format!("Moodle {major}.{minor}+"));
            }
            if op.upload {
                notes.push("service must allow file uploads (`webservice/upload.php`)".to_string());
            }
            if let Some(why) = op.unsupported {
                notes.push(format!("not supported: {why}"));
            }
            let functions = if functions.is_empty() { "—".to_string() } else { functions };
            let _ = writeln!(md, "| {} | {} | {} |", op.name, functions, notes.join("; "));
        }
    }
    md.push_str(
        "\n## All functions\n\n| Function | Kind | Items per call | Batch | Safe to resend |\n|---|---|---|---|---|\n",
    );
    for f in FUNCTIONS {
        let kind = if f.access == Access::Read { "read" } else { "write" };
        let batch = match f.batch {
            Batch::Atomic => "all or nothing",
            Batch::PerItem => "per item",
            Batch::NoTransaction => "no transaction",
            Batch::Single => "one per call",
        };
        let resend = if f.idempotent { "yes" } else { "no" };
        let _ = writeln!(md, "| `{}` | {kind} | {} | {batch} | {resend} |", f.name, f.chunk);
    }
    md
}

#[cfg(test)]
#[path = "availability_tests.rs"]
mod tests;
