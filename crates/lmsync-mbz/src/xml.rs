//! A small element tree over quick-xml for Moodle's backup XML, which is plain nested elements with text leaves.
//! Only the first few levels are kept (`keep_depth`), so a large activity file with user data costs little memory,
//! while the whole document is still checked to be well-formed.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

use crate::MbzError;

/// Moodle's marker for a database NULL in backup XML.
pub(crate) const NULL_MARKER: &str = "$@NULL@$";

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) name: String,
    /// The concatenated character data directly inside this element, entities resolved, whitespace kept.
    pub(crate) text: String,
    pub(crate) children: Vec<Element>,
}

impl Element {
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at a path of child names below this one.
    pub(crate) fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |el, name| el.child(name))
    }

    /// A child's text, `None` when the child is absent or holds Moodle's NULL marker.
    pub(crate) fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str()).filter(|t| *t != NULL_MARKER)
    }
}

/// Parses a whole document, keeping elements up to `keep_depth` levels (the root is level 1).
pub(crate) fn parse(entry: &str, bytes: &[u8], keep_depth: usize) -> Result<Element, MbzError> {
    let bad = |reason: String| MbzError::bad_xml(entry, reason);
    let text = std::str::from_utf8(bytes).map_err(|e| bad(format!("it is not utf-8 text ({e})")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    // Text is kept verbatim: summaries and names must survive a round trip with their spaces.
    reader.config_mut().trim_text(false);

    // Open elements; those deeper than keep_depth are counted but not stored.
    let mut stack: Vec<Element> = Vec::new();
    let mut depth = 0usize;
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(|e| bad(format!("{e} near byte {}", reader.buffer_position())))?;
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() && depth == 0 => {
                let name = start.name().as_ref().to_string();
                return Err(bad(format!("a second root element <{name}> follows the first")));
            }
            Event::Start(start) => {
                depth += 1;
                if depth <= keep_depth {
                    let name = start.name().as_ref().to_string();
                    stack.push(Element { name, ..Element::default() });
                }
            }
            Event::Empty(start) => {
                if depth < keep_depth {
                    let name = start.name().as_ref().to_string();
                    close(Element { name, ..Element::default() }, &mut stack, &mut root);
                } else if depth == 0 {
                    root = Some(Element::default());
                }
            }
            Event::End(_) => {
                if depth <= keep_depth
                    && let Some(done) = stack.pop()
                {
                    close(done, &mut stack, &mut root);
                }
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) => push_text(&mut stack, depth, keep_depth, &t.xml10_content(), &bad)?,
            Event::CData(c) => push_text(&mut stack, depth, keep_depth, &c.xml10_content(), &bad)?,
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match resolve_predefined_entity(&r) {
                        Some(s) => s.to_string(),
                        None => return Err(bad(format!("unknown entity &{};", &*r))),
                    },
                    Err(e) => return Err(bad(format!("bad character reference &{};: {e}", &*r))),
                };
                push_text(&mut stack, depth, keep_depth, &resolved, &bad)?;
            }
            // Declarations, comments, processing instructions and doctypes carry nothing Moodle uses; custom
            // entities of a doctype are never expanded.
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(bad(format!("the document ends before <{}> is closed", open.name)));
    }
    if depth > 0 {
        return Err(bad("the document ends inside an element".to_string()));
    }
    root.ok_or_else(|| bad("the document has no root element".to_string()))
}

fn close(done: Element, stack: &mut [Element], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(done),
        None => *root = Some(done),
    }
}

fn push_text(
    stack: &mut [Element],
    depth: usize,
    keep_depth: usize,
    text: &str,
    bad: &dyn Fn(String) -> MbzError,
) -> Result<(), MbzError> {
    if depth == 0 {
        if text.chars().all(char::is_whitespace) {
            return Ok(());
        }
        return Err(bad("there is text outside the root element".to_string()));
    }
    if depth <= keep_depth
        && let Some(current) = stack.last_mut()
    {
        current.text.push_str(text);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Element {
        match parse("t.xml", s.as_bytes(), 8) {
            Ok(e) => e,
            Err(e) => panic!("{e}"),
        }
    }

    fn reason(s: &str, keep: usize) -> String {
        match parse("x/t.xml", s.as_bytes(), keep) {
            Err(MbzError::BadXml { entry, reason }) => {
                assert_eq!(entry, "x/t.xml");
                reason
            }
            other => panic!("expected bad xml, got {other:?}"),
        }
    }

    #[test]
    fn reads_nested_text_with_entities_and_whitespace() {
        let root = doc("<?xml version=\"1.0\"?>\n<a>\n  <b> x &amp; &lt;y&gt; &#233;&#x20AC; </b>\n  <c/>\n</a>\n");
        assert_eq!(root.name, "a");
        assert_eq!(root.text_of("b"), Some(" x & <y> é€ "));
        assert_eq!(root.text_of("c"), Some(""));
        assert_eq!(root.text_of("d"), None);
    }

    #[test]
    fn carriage_returns_survive_only_as_references() {
        let root = doc("<a><b>1\r\n2&#13;\n3</b></a>");
        assert_eq!(root.text_of("b"), Some("1\n2\r\n3"));
    }

    #[test]
    fn cdata_and_null_marker() {
        let root = doc("<a><b><![CDATA[<p>hi</p>]]></b><n>$@NULL@$</n></a>");
        assert_eq!(root.text_of("b"), Some("<p>hi</p>"));
        assert_eq!(root.text_of("n"), None);
        assert!(root.child("n").is_some());
    }

    #[test]
    fn paths_and_repeated_children() {
        let root = doc("<m><i><c><s><d>1</d></s><s><d>2</d></s></c></i></m>");
        let list = root.at(&["i", "c"]).expect("path");
        let dirs: Vec<&str> = list.children_named("s").filter_map(|s| s.text_of("d")).collect();
        assert_eq!(dirs, vec!["1", "2"]);
    }

    #[test]
    fn deep_elements_are_checked_but_not_kept() {
        let root = match parse("t.xml", b"<a><b><c><d>x</d></c></b><e>y</e></a>", 2) {
            Ok(e) => e,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(root.text_of("e"), Some("y"));
        assert!(root.child("b").is_some_and(|b| b.children.is_empty()));
        assert!(reason("<a><b><c><d>x</c></b></a>", 2).contains('d'));
    }

    #[test]
    fn malformed_documents_are_refused_with_a_reason() {
        assert!(reason("<a><b></a>", 8).contains('b'));
        assert!(reason("<a><b>", 8).contains("<b>"));
        assert!(reason("<a>&nbsp;</a>", 8).contains("nbsp"));
        assert!(reason("<a/><b/>", 8).contains("second root"));
        assert!(reason("hello <a/>", 8).contains("outside"));
        assert!(reason("", 8).contains("no root"));
        assert!(!reason("<a>&#xD800;</a>", 8).is_empty());
        match parse("t.xml", b"<a>\xff</a>", 8) {
            Err(MbzError::BadXml { reason, .. }) => assert!(reason.contains("utf-8")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        assert_eq!(doc("\u{feff}<a>x</a>").text, "x");
    }
}
