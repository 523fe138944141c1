//! docs/moodle.md ends with the function list generated from the code, so the document an
//! administrator follows to set up the site's service cannot drift from what lmsync calls.
//! `LMSYNC_WRITE_DOCS=1 cargo test -p lmsync-moodle operator_doc` rewrites that part.

const MARKER: &str = "     LMSYNC_WRITE_DOCS=1 cargo test -p lmsync-moodle operator_doc   to rewrite it. -->\n";

#[test]
fn operator_doc_lists_the_functions_the_code_calls() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/moodle.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let at = doc.find(MARKER).expect("docs/moodle.md keeps its generated-part marker") + MARKER.len();
    // The generated part goes under the document's own title, one level down.
    let generated = lmsync_moodle::functions_markdown().replace("\n## ", "\n### ").replacen("# ", "\n## ", 1);
    if std::env::var_os("LMSYNC_WRITE_DOCS").is_some() {
        std::fs::write(path, format!("{}{generated}", &doc[..at])).unwrap();
        return;
    }
    assert!(
        doc[at..] == generated,
        "docs/moodle.md's function list is out of date: run LMSYNC_WRITE_DOCS=1 cargo test -p lmsync-moodle operator_doc"
    );
}
