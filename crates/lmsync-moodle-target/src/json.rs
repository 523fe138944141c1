//! Reading Moodle's JSON answers leniently: a missing key is empty, numbers may come as
//! strings (`upload.php`), booleans as 0/1.

use serde_json::Value;

pub(crate) fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => if *b { "1" } else { "0" }.to_string(),
        _ => String::new(),
    }
}

pub(crate) fn int(v: &Value, key: &str) -> i64 {
    match v.get(key) {
        Some(Value::Number(n)) => n.as_i64().unwrap_or_default(),
        Some(Value::String(s)) => s.trim().parse().unwrap_or_default(),
        Some(Value::Bool(b)) => i64::from(*b),
        _ => 0,
    }
}

pub(crate) fn flag(v: &Value, key: &str) -> bool {
    int(v, key) != 0
}

/// The elements of a list answer (or of `key` in an object answer).
pub(crate) fn list<'a>(v: &'a Value, key: Option<&str>) -> &'a [Value] {
    let v = match key {
        Some(k) => v.get(k).unwrap_or(&Value::Null),
        None => v,
    };
    v.as_array().map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_read_whatever_their_json_type() {
        let v = json!({"a": "7", "b": 8, "c": true, "d": "x", "e": [1, 2]});
        assert_eq!(int(&v, "a"), 7);
        assert_eq!(text(&v, "b"), "8");
        assert!(flag(&v, "c"));
        assert_eq!(int(&v, "missing"), 0);
        assert_eq!(text(&v, "missing"), "");
        assert_eq!(list(&v, Some("e")).len(), 2);
        assert!(list(&v, Some("d")).is_empty());
    }
}
