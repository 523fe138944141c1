//! The REST wire format: PHP bracket-notation form fields decoded into a tree (as PHP
//! builds `$_POST`), and answers encoded the way PHP's `json_encode` writes them.

/// A decoded request parameter: a string, or a PHP array (ordered keys).
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Str(String),
    Arr(Vec<(String, Param)>),
}

impl Param {
    /// Every leaf string of the tree, depth first.
    pub fn leaves(&self) -> Vec<&str> {
        match self {
            Param::Str(s) => vec![s.as_str()],
            Param::Arr(items) => items.iter().flat_map(|(_, v)| v.leaves()).collect(),
        }
    }
}

/// Splits `a[b][c]` into `["a", "b", "c"]`; `[]` yields an empty segment (append).
/// Like PHP, a name without a well-formed bracket part keeps the rest as literal text.
fn split_name(name: &str) -> Vec<String> {
    let (head, mut rest) = match name.find('[') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => return vec![name.to_string()],
    };
    let mut parts = vec![head.to_string()];
    while let Some(stripped) = rest.strip_prefix('[') {
        match stripped.find(']') {
            Some(end) => {
                parts.push(stripped[..end].to_string());
                rest = &stripped[end + 1..];
            }
            None => break,
        }
    }
    parts
}

fn next_index(items: &[(String, Param)]) -> String {
    let max = items.iter().filter_map(|(k, _)| k.parse::<i64>().ok()).max();
    max.map_or(0, |m| m + 1).to_string()
}

fn insert(items: &mut Vec<(String, Param)>, path: &[String], value: String) {
    let key = if path[0].is_empty() { next_index(items) } else { path[0].clone() };
    let pos = items.iter().position(|(k, _)| *k == key);
    if path.len() == 1 {
        match pos {
            Some(i) => items[i].1 = Param::Str(value),
            None => items.push((key, Param::Str(value))),
        }
        return;
    }
    let i = match pos {
        Some(i) => {
            if !matches!(items[i].1, Param::Arr(_)) {
                items[i].1 = Param::Arr(Vec::new());
            }
            i
        }
        None => {
            items.push((key, Param::Arr(Vec::new())));
            items.len() - 1
        }
    };
    if let Param::Arr(children) = &mut items[i].1 {
        insert(children, &path[1..], value);
    }
}

/// Builds the parameter tree from form fields in order (later duplicates overwrite).
pub fn decode(fields: &[(String, String)]) -> Vec<(String, Param)> {
    let mut root = Vec::new();
    for (name, value) in fields {
        insert(&mut root, &split_name(name), value.clone());
    }
    root
}

/// Parses an `application/x-www-form-urlencoded` string into ordered fields.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// A response value whose objects keep their key order (Moodle's return descriptions).
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Out>),
    Obj(Vec<(String, Out)>),
}

fn php_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7f => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Out {
    /// `json_encode` with PHP's defaults: `/` escaped, non-ASCII as `\uXXXX`.
    pub fn to_php_json(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn write(&self, out: &mut String) {
        match self {
            Out::Null => out.push_str("null"),
            Out::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Out::Int(i) => out.push_str(&i.to_string()),
            Out::Float(f) => out.push_str(&f.to_string()),
            Out::Str(s) => php_string(s, out),
            Out::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Out::Obj(items) => {
                out.push('{');
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    php_string(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn brackets_build_a_tree() {
        let tree = decode(&f(&[
            ("users[0][username]", "a"),
            ("users[0][customfields][0][type]", "campus"),
            ("users[1][username]", "b"),
            ("x[]", "p"),
            ("x[]", "q"),
        ]));
        assert_eq!(tree[0].0, "users");
        let Param::Arr(users) = &tree[0].1 else { panic!() };
        assert_eq!(users.len(), 2);
        let Param::Arr(x) = &tree[1].1 else { panic!() };
        assert_eq!(x[1], ("1".to_string(), Param::Str("q".into())));
    }

    #[test]
    fn later_duplicates_overwrite() {
        let tree = decode(&f(&[("a", "1"), ("a", "2")]));
        assert_eq!(tree, vec![("a".to_string(), Param::Str("2".into()))]);
    }

    #[test]
    fn php_escaping() {
        let o = Out::Obj(vec![("u".into(), Out::Str("a/b é 😀".into()))]);
        assert_eq!(o.to_php_json(), r#"{"u":"a\/b \u00e9 \ud83d\ude00"}"#);
    }
}
