//! What a run changed, as its page shows it: the journal's entries with, for each, the values
//! that changed (an update shows only the columns whose value differs).

use serde_json::Value;

use super::{cell, t, tf};

/// Journal entries shown on a run's page at a time.
pub const CHANGES_PAGE: usize = 200;

pub struct ChangeRow {
    pub line: u64,
    pub entity: String,
    pub key: String,
    pub action: String,
    /// `column: before → after` for an update, `column = value` for a creation or removal.
    pub detail: String,
}

/// One entry of `Service::changes` as a row.
pub fn change_row(c: &Value) -> ChangeRow {
    ChangeRow {
        line: c["line"].as_u64().unwrap_or(0),
        entity: cell(&c["entity"]),
        key: cell(&c["key"]),
        action: cell(&c["action"]),
        detail: detail(&c["before"], &c["after"]),
    }
}

/// What an entry changed: `column: before → after` for an update, the values set otherwise.
pub fn detail(before: &Value, after: &Value) -> String {
    let shown = |v: &Value| match v {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    };
    match (before.as_object(), after.as_object()) {
        (Some(b), Some(a)) => a
            .iter()
            .filter(|(k, v)| b.get(*k) != Some(*v))
            .map(|(k, v)| format!("{k}: {} → {}", b.get(k).map_or(t("changes.none").into(), shown), shown(v)))
            .chain(b.keys().filter(|k| !a.contains_key(*k)).map(|k| tf("changes.removed", &[("column", k)])))
            .collect::<Vec<_>>()
            .join(", "),
        (None, Some(values)) | (Some(values), None) => values
            .iter()
            .filter(|(_, v)| !unset(v))
            .map(|(k, v)| format!("{k} = {}", shown(v)))
            .collect::<Vec<_>>()
            .join(", "),
        (None, None) => String::new(),
    }
}

/// A value not worth showing for a creation or removal: empty, zero, false.
fn unset(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_update_shows_only_what_differs() {
        let row = change_row(&json!({
            "line": 3, "entity": "user", "key": "jdoe", "action": "update",
            "before": {"city": "Paris", "email": "j@x.org", "suspended": 0},
            "after": {"city": "Lyon", "email": "j@x.org", "suspended": 1}
        }));
        assert_eq!(row.detail, "city: \"Paris\" → \"Lyon\", suspended: 0 → 1");
        assert_eq!((row.line, row.entity.as_str(), row.action.as_str()), (3, "user", "update"));
    }

    #[test]
    fn a_creation_or_removal_shows_the_values_that_are_set() {
        let created = json!({"before": null, "after": {"shortname": "C1", "visible": 1, "summary": "", "deleted": false, "profile": {}}});
        assert_eq!(change_row(&created).detail, "shortname = \"C1\", visible = 1");
        let removed = json!({"before": {"userid": 4, "roleid": 5}, "after": null});
        assert_eq!(change_row(&removed).detail, "roleid = 5, userid = 4");
    }
}
