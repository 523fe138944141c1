//! Unit tests of the members file's pure parts: which key a line gives first, and contexts.

use super::*;

fn tool(ident: CohortIdentity, header: &[&str]) -> CohortMembersTool {
    let mut t = CohortMembersTool::new(CohortSettings { cohort_identifier: ident, ..Default::default() });
    t.cols = header.iter().enumerate().map(|(i, n)| (n.to_string(), i)).collect();
    t.categories =
        vec![Category { id: 4, parent: None, name: "Sciences".into(), idnumber: "SCI".into(), visible: true }];
    t
}

fn row(fields: &[&str]) -> Row {
    Row { line: 2, fields: fields.iter().map(|f| f.to_string()).collect() }
}

#[test]
fn the_configured_key_column_comes_first_then_the_others_that_have_a_value() {
    let header = ["cid", "cidnumber", "cname"];
    let line = row(&["", "C1", "Year 1"]);
    assert_eq!(
        tool(CohortIdentity::Name, &header).keys(&line),
        vec![Key::Name("Year 1".into()), Key::Idnumber("C1".into())]
    );
    assert_eq!(
        tool(CohortIdentity::Idnumber, &header).keys(&line),
        vec![Key::Idnumber("C1".into()), Key::Name("Year 1".into())]
    );
    let ids = tool(CohortIdentity::Id, &header);
    assert_eq!(ids.keys(&row(&["12", "", ""])), vec![Key::Id(12)]);
    assert_eq!(ids.keys(&row(&["COHORT1", "", ""])), vec![Key::Loose("COHORT1".into())]);
    assert!(ids.keys(&row(&[" ", "", ""])).is_empty());
}

#[test]
fn the_context_columns_name_a_category_or_the_system_and_refuse_unknown_ones() {
    let t = tool(CohortIdentity::Idnumber, &["cidnumber", "ccatcontext", "ccatcontextidnumber"]);
    assert_eq!(t.context(&row(&["C1", "", ""])), Ok(None));
    assert_eq!(t.context(&row(&["C1", "4", ""])), Ok(Some(Some(4))));
    assert_eq!(t.context(&row(&["C1", "0", "SCI"])), Ok(Some(None)));
    assert_eq!(t.context(&row(&["C1", "", "SCI"])), Ok(Some(Some(4))));
    assert_eq!(t.context(&row(&["C1", "9", ""])).unwrap_err().0, "cohort.bad_context");
    assert_eq!(t.context(&row(&["C1", "", "LAW"])).unwrap_err().0, "cohort.bad_context");
}
