//! The console's words, kept in one catalogue per language (`locales/<lang>.toml`) so that its
//! pages can be translated without touching a template or a handler: handlers call [`t`] and
//! [`tf`], templates write `{{ "section.key"|t }}` (or `|tf("name", value)` to fill a
//! `{name}`).
//!
//! The console speaks English only for now. Adding a language is a `locales/<lang>.toml` with
//! the same keys, a `LazyLock` beside [`EN`], and choosing it in [`catalogue`] (from a setting
//! or the browser's `Accept-Language`); the tests below hold every catalogue to the keys the
//! code uses.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::LazyLock;

/// A language's messages: `section.key` → text, where `{name}` marks a value filled in.
pub struct Catalogue {
    messages: HashMap<String, String>,
}

impl Catalogue {
    /// Reads a catalogue: top-level keys and one level of `[section]`s.
    fn parse(source: &str) -> Result<Catalogue, String> {
        let table: toml::Table = toml::from_str(source).map_err(|e| e.to_string())?;
        let mut messages = HashMap::new();
        for (name, value) in table {
            match value {
                toml::Value::String(text) => {
                    messages.insert(name, text);
                }
                toml::Value::Table(section) => {
                    for (key, value) in section {
                        let text = value.as_str().ok_or(format!("{name}.{key} is not text"))?;
                        messages.insert(format!("{name}.{key}"), text.to_string());
                    }
                }
                _ => return Err(format!("{name} is neither text nor a section")),
            }
        }
        Ok(Catalogue { messages })
    }
}

/// The English catalogue, read once (a broken one fails the tests, never a page: it is then
/// empty and every page shows its keys).
static EN: LazyLock<Catalogue> = LazyLock::new(|| {
    Catalogue::parse(include_str!("../../locales/en.toml")).unwrap_or(Catalogue { messages: HashMap::new() })
});

/// The catalogue the pages are written in: the one place a language is chosen.
fn catalogue() -> &'static Catalogue {
    &EN
}

/// The text of `key` (the key itself when the catalogue lacks it, so a gap shows on the page).
pub fn t(key: &'static str) -> &'static str {
    catalogue().messages.get(key).map_or(key, String::as_str)
}

/// The text of `key` with its `{name}`s filled from `values`.
pub fn tf(key: &'static str, values: &[(&str, &dyn Display)]) -> String {
    fill(t(key), values)
}

/// `text` with each `{name}` replaced by its value; a name without a value stays as written.
fn fill(text: &str, values: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').and_then(|close| Some((close, values.iter().find(|(n, _)| *n == &after[..close])?))) {
            Some((close, (_, value))) => {
                out.push_str(&value.to_string());
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The templates' filters: `{{ "key"|t }}`, `{{ "key"|tf("name", value) }}`,
/// `{{ "key"|tf2("a", x, "b", y) }}`. Their text is escaped like any other value.
pub mod filters {
    use std::fmt::Display;

    pub fn t(key: &'static str, _: &dyn askama::Values) -> askama::Result<&'static str> {
        Ok(super::t(key))
    }

    pub fn tf(key: &'static str, _: &dyn askama::Values, name: &str, value: impl Display) -> askama::Result<String> {
        Ok(super::tf(key, &[(name, &value)]))
    }

    pub fn tf2(
        key: &'static str,
        _: &dyn askama::Values,
        name: &str,
        value: impl Display,
        name2: &str,
        value2: impl Display,
    ) -> askama::Result<String> {
        Ok(super::tf(key, &[(name, &value), (name2, &value2)]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    /// A key used in the code: where, and the placeholders its caller fills (`None`: plain `t`).
    struct Use {
        place: String,
        key: String,
        names: Option<BTreeSet<String>>,
    }

    /// The arguments of a call whose `(` starts `s`, split at its top-level commas.
    fn arguments(s: &str) -> Vec<String> {
        let (mut args, mut current, mut depth) = (Vec::new(), String::new(), 0);
        let (mut quoted, mut escaped) = (false, false);
        for c in s.chars().skip(1) {
            if quoted {
                (quoted, escaped) = (escaped || c != '"', !escaped && c == '\\');
            } else {
                match c {
                    '"' => quoted = true,
                    '(' | '[' => depth += 1,
                    ')' | ']' if depth == 0 => {
                        args.push(current.trim().to_string());
                        return args;
                    }
                    ')' | ']' => depth -= 1,
                    ',' if depth == 0 => {
                        args.push(current.trim().to_string());
                        current.clear();
                        continue;
                    }
                    _ => {}
                }
            }
            current.push(c);
        }
        panic!("unclosed call: {s}");
    }

    fn unquoted(s: &str) -> String {
        s.trim().trim_matches('"').to_string()
    }

    /// `"key"|t`, `"key"|tf("name", v)` and `"key"|tf2("a", v, "b", w)` in a template.
    fn template_uses(file: &str, src: &str) -> Vec<Use> {
        let mut uses = Vec::new();
        for (at, _) in src.match_indices("\"|t") {
            let after = &src[at + 2..];
            let filter = &after[..after.find(|c: char| !c.is_alphanumeric()).unwrap_or(after.len())];
            if !["t", "tf", "tf2"].contains(&filter) {
                continue;
            }
            let key = &src[src[..at].rfind('"').expect("an opening quote") + 1..at];
            let names = (filter != "t")
                .then(|| arguments(&after[filter.len()..]).iter().step_by(2).map(|n| unquoted(n)).collect());
            uses.push(Use { place: file.to_string(), key: key.to_string(), names });
        }
        uses
    }

    /// `t("key")` and `tf("key", &[("name", &v), …])` in Rust code.
    fn code_uses(file: &str, src: &str) -> Vec<Use> {
        let mut uses = Vec::new();
        for call in ["t(", "tf("] {
            for (at, _) in src.match_indices(call) {
                let open = at + call.len() - 1;
                let called = !src[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
                if !called || !src[open + 1..].trim_start().starts_with('"') {
                    continue;
                }
                let args = arguments(&src[open..]);
                // The names open the pairs: `("name"` right after `[` or a comma.
                let names = (call == "tf(").then(|| {
                    let pairs = &args[1];
                    pairs
                        .match_indices("(\"")
                        .filter(|(i, _)| pairs[..*i].trim_end().ends_with(['[', ',']))
                        .map(|(i, _)| unquoted(&pairs[i + 1..i + 2 + pairs[i + 2..].find('"').unwrap_or(0)]))
                        .collect()
                });
                uses.push(Use { place: file.to_string(), key: unquoted(&args[0]), names });
            }
        }
        uses
    }

    fn all_uses() -> Vec<Use> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut uses = Vec::new();
        for (folder, ext) in [("templates", "html"), ("src/ui", "rs")] {
            for entry in std::fs::read_dir(root.join(folder)).unwrap() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                if path.extension().is_none_or(|e| e != ext) || name == "text.rs" {
                    continue;
                }
                let src = std::fs::read_to_string(&path).unwrap();
                uses.extend(if ext == "html" { template_uses(&name, &src) } else { code_uses(&name, &src) });
            }
        }
        assert!(uses.len() > 50, "the scan finds the uses ({} found)", uses.len());
        uses
    }

    fn english() -> Catalogue {
        Catalogue::parse(include_str!("../../locales/en.toml")).expect("en.toml reads")
    }

    fn placeholders(text: &str) -> BTreeSet<String> {
        text.split('{').skip(1).filter_map(|p| p.split_once('}')).map(|(name, _)| name.to_string()).collect()
    }

    #[test]
    fn every_key_the_console_uses_is_in_the_catalogue() {
        let en = english();
        let missing: Vec<String> = all_uses()
            .iter()
            .filter(|u| !en.messages.contains_key(&u.key))
            .map(|u| format!("{}: {}", u.place, u.key))
            .collect();
        assert!(missing.is_empty(), "keys missing from en.toml: {missing:#?}");
    }

    #[test]
    fn every_key_of_the_catalogue_is_used() {
        let used: BTreeSet<String> = all_uses().into_iter().map(|u| u.key).collect();
        let en = english();
        let mut unused: Vec<&String> = en.messages.keys().filter(|k| !used.contains(*k)).collect();
        unused.sort();
        assert!(unused.is_empty(), "keys of en.toml nothing uses: {unused:#?}");
    }

    #[test]
    fn callers_fill_exactly_the_placeholders_of_their_text() {
        let en = english();
        let wrong: Vec<String> = all_uses()
            .iter()
            .filter_map(|u| {
                let wanted = placeholders(en.messages.get(&u.key)?);
                let given = u.names.clone().unwrap_or_default();
                (wanted != given).then(|| format!("{}: {} wants {wanted:?}, is given {given:?}", u.place, u.key))
            })
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn the_scans_find_keys_and_names() {
        let html = template_uses("x", r#"<p>{{ "a.b"|t }} {{ "a.c"|tf2("n", f(x, y), "m", z) }} {{ s|trim }}</p>"#);
        assert_eq!(html.iter().map(|u| u.key.as_str()).collect::<Vec<_>>(), ["a.b", "a.c"]);
        assert_eq!(html[1].names.as_ref().unwrap().iter().collect::<Vec<_>>(), ["m", "n"]);
        let rust = code_uses(
            "x",
            r#"let a = text::t("a.b"); tf(
    "a.c", &[("n", &x), ("m", &g(1, 2)), ("o", &format!("{x:?}"))]); format!("t(\"")"#,
        );
        assert_eq!(rust.iter().map(|u| u.key.as_str()).collect::<Vec<_>>(), ["a.b", "a.c"]);
        assert!(rust[0].names.is_none());
        assert_eq!(rust[1].names.as_ref().unwrap().iter().collect::<Vec<_>>(), ["m", "n", "o"]);
    }

    #[test]
    fn placeholders_are_filled_by_name() {
        let n = 3;
        assert_eq!(fill("{count} lines of {file}", &[("file", &"a.csv"), ("count", &n)]), "3 lines of a.csv");
        assert_eq!(fill("{other} and {", &[("file", &"a.csv")]), "{other} and {");
    }

    #[test]
    fn the_english_catalogue_reads_and_a_missing_key_shows_itself() {
        assert_eq!(english().messages.get("lang").map(String::as_str), Some("en"));
        assert_eq!(t("no.such.key"), "no.such.key");
        assert!(Catalogue::parse("a = 1").is_err());
    }
}
