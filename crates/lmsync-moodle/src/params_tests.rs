//! Tests of the bracket encoding: examples of the spec, and a decoder (as PHP reads the form)
//! that must give the tree back.

use super::*;
use proptest::prelude::*;

#[test]
fn encodes_the_examples_of_the_spec() {
    let params = Params::new()
        .with(
            "users",
            Param::list([Param::obj([
                ("username", Param::from("jdoe")),
                ("suspended", Param::from(false)),
                ("customfields", Param::list([Param::obj([("type", "campus"), ("value", "North")])])),
            ])]),
        )
        .with("courseid", 12i64);
    let form = params.encode();
    let expected = [
        ("users[0][username]", "jdoe"),
        ("users[0][suspended]", "0"),
        ("users[0][customfields][0][type]", "campus"),
        ("users[0][customfields][0][value]", "North"),
        ("courseid", "12"),
    ];
    let got: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(got, expected);
    assert_eq!(params.field_count(), 5);
}

#[test]
fn the_request_form_starts_with_the_reserved_fields() {
    let form = request_form("t0k", "core_user_get_users_by_field", &Params::new(), true);
    let names: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["wstoken", "wsfunction", "moodlewsrestformat", "moodlewssettingraw", "moodlewssettingfileurl"]);
    assert_eq!(form[2].1, "json");
    assert!(form.len() <= RESERVED_FIELDS);
}

#[test]
fn empty_lists_are_omitted() {
    let params = Params::new().with("ids", Param::List(vec![])).with("x", true);
    assert_eq!(params.encode(), vec![("x".to_string(), "1".to_string())]);
    assert_eq!(params.field_count(), 1);
}

/// Reads `a[b][0]` into its segments.
fn segments(name: &str) -> Vec<String> {
    let (head, rest) = name.split_once('[').map_or((name, ""), |(h, r)| (h, r));
    let mut out = vec![head.to_string()];
    if !rest.is_empty() {
        out.extend(rest.trim_end_matches(']').split("][").map(str::to_string));
    }
    out
}

/// Decodes form fields the way PHP builds its arrays: all-digit keys make lists.
fn decode(form: &[(String, String)]) -> Params {
    fn insert(node: &mut Vec<(String, Param)>, path: &[String], value: &str) {
        let (key, rest) = (&path[0], &path[1..]);
        let pos = node.iter().position(|(k, _)| k == key);
        if rest.is_empty() {
            node.push((key.clone(), Param::Str(value.to_string())));
            return;
        }
        let idx = pos.unwrap_or_else(|| {
            node.push((key.clone(), Param::Struct(vec![])));
            node.len() - 1
        });
        if let Param::Struct(children) = &mut node[idx].1 {
            insert(children, rest, value);
        }
    }
    fn listify(p: Param) -> Param {
        match p {
            Param::Struct(pairs) if pairs.iter().all(|(k, _)| k.bytes().all(|b| b.is_ascii_digit())) => {
                Param::List(pairs.into_iter().map(|(_, v)| listify(v)).collect())
            }
            Param::Struct(pairs) => Param::Struct(pairs.into_iter().map(|(k, v)| (k, listify(v))).collect()),
            other => other,
        }
    }
    let mut root = vec![];
    for (name, value) in form {
        insert(&mut root, &segments(name), value);
    }
    Params(root.into_iter().map(|(k, v)| (k, listify(v))).collect())
}

/// What the server sees of a tree: strings only, empty containers gone.
fn as_received(p: &Param) -> Option<Param> {
    match p {
        Param::List(items) => {
            let items: Vec<Param> = items.iter().filter_map(as_received).collect();
            (!items.is_empty()).then_some(Param::List(items))
        }
        Param::Struct(pairs) => {
            let pairs: Vec<(String, Param)> =
                pairs.iter().filter_map(|(k, v)| as_received(v).map(|v| (k.clone(), v))).collect();
            (!pairs.is_empty()).then_some(Param::Struct(pairs))
        }
        scalar => scalar.scalar_text().map(Param::Str),
    }
}

fn scalar() -> impl Strategy<Value = Param> {
    prop_oneof![
        any::<String>().prop_map(Param::Str),
        "[a-z&=\\[\\] %+é]{0,6}".prop_map(Param::Str),
        any::<i64>().prop_map(Param::Int),
        any::<bool>().prop_map(Param::Bool),
    ]
}

fn tree() -> impl Strategy<Value = Param> {
    scalar().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Param::List),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..4)
                .prop_map(|m| Param::Struct(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn encoding_then_decoding_gives_the_tree_back(
        top in prop::collection::btree_map("[a-z]{1,8}", tree(), 0..4)
    ) {
        let params = Params(top.into_iter().collect());
        let form = params.encode();
        prop_assert_eq!(params.field_count(), form.len());
        let body = urlencode(&form);
        let parsed: Vec<(String, String)> =
            form_urlencoded::parse(body.as_bytes()).into_owned().collect();
        prop_assert_eq!(&parsed, &form);
        let expected: Vec<(String, Param)> = params
            .0
            .iter()
            .filter_map(|(k, v)| as_received(v).map(|v| (k.clone(), v)))
            .collect();
        prop_assert_eq!(decode(&parsed), Params(expected));
    }
}
