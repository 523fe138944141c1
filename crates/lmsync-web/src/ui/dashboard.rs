//! The dashboard: one card per tool (its files, schedule, last run and buttons), the drop
//! folder's state, and a chart of each tool's last 30 runs.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use lmsync_core::access::Role;
use serde_json::Value;

use super::runs::{RunRow, lines_handled, run_row};
use super::{Console, Nav, Page, call, cell, filters, html, require, t, tf, when};

/// A tool's card.
pub struct Card {
    pub tool: String,
    pub schedule: String,
    pub next: String,
    /// Per operation: its label, configured location and the files waiting for it.
    pub operations: Vec<(String, String, Vec<String>)>,
    pub last: Option<RunRow>,
    pub last_tryback: bool,
}

/// The cards of the tools, from the service's `tools()`.
pub fn cards(tools: &Value) -> Vec<Card> {
    tools
        .as_array()
        .into_iter()
        .flatten()
        .map(|tool| Card {
            tool: cell(&tool["tool"]),
            schedule: Some(cell(&tool["schedule"]))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| t("dashboard.off").into()),
            next: when(tool["next_run"].as_i64()),
            operations: tool["operations"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| {
                    let waiting = o["waiting"].as_array().into_iter().flatten().map(cell).collect();
                    (cell(&o["op"]), cell(&o["location"]), waiting)
                })
                .collect(),
            last: Some(&tool["last_run"]).filter(|r| r.is_object()).map(run_row),
            last_tryback: !tool["last_run"]["tryback"].is_null() && tool["last_run"].is_object(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    nav: Nav,
    version: String,
    cards: Vec<Card>,
    runs: Vec<RunRow>,
    /// Per tool, an SVG of its last 30 runs.
    charts: Vec<(String, String)>,
    waiting: Vec<String>,
    locks: Vec<String>,
    cleanup: String,
}

pub async fn dashboard(State(c): State<Console>, headers: HeaderMap) -> Page {
    let s = require(&c, &headers, Role::Viewer)?;
    let (status, tools, history) = call(&c, |s| Ok((s.status()?, s.tools()?, s.runs(1000)?))).await?;
    let list = |v: &Value| v.as_array().map(|a| a.iter().map(cell).collect()).unwrap_or_default();
    let cleanup = status["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|task| task["task"] == "cleanup")
        .map(|task| {
            tf(
                "dashboard.cleanup_schedule",
                &[("schedule", &cell(&task["schedule"])), ("next", &when(task["next_run"].as_i64()))],
            )
        })
        .unwrap_or_else(|| t("dashboard.off").into());
    html(DashboardPage {
        nav: Nav::of(&s),
        version: cell(&status["version"]),
        cards: cards(&tools),
        runs: status["recent_runs"].as_array().map(|a| a.iter().map(run_row).collect()).unwrap_or_default(),
        charts: charts(&history),
        waiting: list(&status["drop"]["waiting"]),
        locks: list(&status["drop"]["locks"]),
        cleanup,
    })
}

/// For each tool, an SVG bar chart of its last 30 runs (oldest left): height = lines handled,
/// colour = how the run ended, a tooltip per bar.
fn charts(runs: &Value) -> Vec<(String, String)> {
    let mut by_tool: Vec<(String, Vec<&Value>)> = Vec::new();
    for r in runs.as_array().into_iter().flatten() {
        let tool = cell(&r["tool"]);
        match by_tool.iter_mut().find(|(t, _)| *t == tool) {
            Some((_, list)) if list.len() < 30 => list.push(r),
            Some(_) => {}
            None => by_tool.push((tool, vec![r])),
        }
    }
    by_tool.sort_by(|a, b| a.0.cmp(&b.0));
    by_tool
        .into_iter()
        .map(|(tool, mut list)| {
            list.reverse();
            let max = list.iter().map(|r| lines_handled(r)).max().unwrap_or(1).max(1);
            let label = escape(&tf("dashboard.chart_label", &[("tool", &tool)]));
            let mut svg = format!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="40" role="img" aria-label="{label}">"#,
                30 * 8
            );
            for (i, r) in list.iter().enumerate() {
                let n = lines_handled(r);
                let h = (n * 38 / max).max(2);
                let status = r["status"].as_str().unwrap_or("");
                let fill = match status {
                    "succeeded" => "#1e7d32",
                    "failed" | "aborted" | "interrupted" => "#b3261e",
                    _ => "#8a8f98",
                };
                let id = r["id"].as_i64().unwrap_or(0);
                let title = escape(&tf("dashboard.chart_bar", &[("id", &id), ("status", &status), ("count", &n)]));
                svg.push_str(&format!(
                    r#"<rect x="{}" y="{}" width="6" height="{h}" fill="{fill}"><title>{title}</title></rect>"#,
                    i * 8,
                    40 - h,
                ));
            }
            svg.push_str("</svg>");
            (tool, svg)
        })
        .collect()
}

/// Text put into the chart's markup as it is written in the catalogue.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn charts_draw_one_bar_per_run_oldest_first_coloured_by_outcome() {
        let runs = json!([
            {"id": 3, "tool": "users", "status": "failed", "counts": {"failed": 1}},
            {"id": 2, "tool": "users", "status": "succeeded", "counts": {"created": 4}},
            {"id": 1, "tool": "cohorts", "status": "succeeded", "counts": {}},
        ]);
        let charts = charts(&runs);
        assert_eq!(charts.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), ["cohorts", "users"]);
        let users = &charts[1].1;
        assert_eq!(users.matches("<rect").count(), 2);
        assert!(users.find("run 2").unwrap() < users.find("run 3").unwrap(), "oldest first");
        assert!(users.contains(r##"height="38" fill="#1e7d32""##) && users.contains(r##"height="9" fill="#b3261e""##));
    }

    #[test]
    fn cards_show_waiting_files_and_the_last_run() {
        let tools = json!([{
            "tool": "users", "schedule": "0 * * * *", "next_run": 0,
            "operations": [{"op": null, "location": "users.csv", "waiting": ["users.csv"]}],
            "last_run": {"id": 7, "tool": "users", "status": "succeeded", "counts": {"created": 2}, "tryback": "t.csv"},
        }, {"tool": "groups", "schedule": "", "operations": [], "last_run": null}]);
        let cards = cards(&tools);
        assert_eq!(cards[0].operations, [(String::new(), "users.csv".to_string(), vec!["users.csv".to_string()])]);
        assert_eq!(cards[0].last.as_ref().map(|r| r.id), Some(7));
        assert!(cards[0].last_tryback);
        assert_eq!(cards[1].schedule, "off");
        assert!(cards[1].last.is_none() && !cards[1].last_tryback);
    }
}
