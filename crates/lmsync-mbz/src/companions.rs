//! The empty companion files a Moodle course backup always has (roles, grades, filters, …). lmsync's reader does
//! not need them, but Moodle's restore steps expect each file to exist, so lmsync's backups carry them empty.

/// (file name, empty document body) pairs; the XML declaration is added when a file is produced.
type Files = &'static [(&'static str, &'static str)];

const ROOT: Files = &[
    ("files.xml", "<files>\n</files>"),
    ("groups.xml", "<groups>\n  <groupings>\n  </groupings>\n</groups>"),
    ("outcomes.xml", "<outcomes_definition>\n</outcomes_definition>"),
    ("questions.xml", "<question_categories>\n</question_categories>"),
    ("roles.xml", "<roles_definition>\n</roles_definition>"),
    ("scales.xml", "<scales_definition>\n</scales_definition>"),
    ("completion.xml", "<course_completion>\n</course_completion>"),
    ("badges.xml", "<badges>\n</badges>"),
    ("grade_history.xml", "<grade_history>\n  <grade_grades>\n  </grade_grades>\n</grade_history>"),
    (
        "gradebook.xml",
        "<gradebook>\n  <attributes>\n  </attributes>\n  <grade_categories>\n  </grade_categories>\n  \
         <grade_items>\n  </grade_items>\n  <grade_letters>\n  </grade_letters>\n  <grade_settings>\n  \
         </grade_settings>\n</gradebook>",
    ),
];

const COURSE: Files = &[
    ("inforef.xml", "<inforef>\n</inforef>"),
    ("roles.xml", ROLES),
    ("enrolments.xml", "<enrolments>\n  <enrols>\n  </enrols>\n</enrolments>"),
    ("filters.xml", FILTERS),
    ("comments.xml", "<comments>\n</comments>"),
    ("calendar.xml", "<events>\n</events>"),
    ("completiondefaults.xml", "<course_completion_defaults>\n</course_completion_defaults>"),
    (
        "competencies.xml",
        "<course_competencies>\n  <competencies>\n  </competencies>\n  <user_competencies>\n  \
         </user_competencies>\n</course_competencies>",
    ),
    ("contentbank.xml", "<contents>\n</contents>"),
];

const SECTION: Files = &[("inforef.xml", "<inforef>\n</inforef>")];

const ACTIVITY: Files = &[
    ("inforef.xml", "<inforef>\n</inforef>"),
    ("roles.xml", ROLES),
    ("filters.xml", FILTERS),
    ("comments.xml", "<comments>\n</comments>"),
    ("calendar.xml", "<events>\n</events>"),
    ("completion.xml", "<completions>\n</completions>"),
    (
        "grades.xml",
        "<activity_gradebook>\n  <grade_items>\n  </grade_items>\n  <grade_letters>\n  </grade_letters>\n\
         </activity_gradebook>",
    ),
    ("grade_history.xml", "<grade_history>\n  <grade_grades>\n  </grade_grades>\n</grade_history>"),
    (
        "competencies.xml",
        "<course_module_competencies>\n  <competencies>\n  </competencies>\n</course_module_competencies>",
    ),
];

const ROLES: &str =
    "<roles>\n  <role_overrides>\n  </role_overrides>\n  <role_assignments>\n  </role_assignments>\n</roles>";
const FILTERS: &str =
    "<filters>\n  <filter_actives>\n  </filter_actives>\n  <filter_configs>\n  </filter_configs>\n</filters>";

fn produce(dir: Option<&str>, files: Files) -> impl Iterator<Item = (String, Vec<u8>)> + '_ {
    files.iter().map(move |(name, body)| {
        let path = match dir {
            Some(dir) => format!("{dir}/{name}"),
            None => (*name).to_string(),
        };
        (path, format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}\n").into_bytes())
    })
}

pub(crate) fn root_level() -> impl Iterator<Item = (String, Vec<u8>)> {
    produce(None, ROOT)
}

pub(crate) fn course_level() -> impl Iterator<Item = (String, Vec<u8>)> {
    produce(Some("course"), COURSE)
}

pub(crate) fn section_level(dir: &str) -> impl Iterator<Item = (String, Vec<u8>)> + '_ {
    produce(Some(dir), SECTION)
}

pub(crate) fn activity_level(dir: &str) -> impl Iterator<Item = (String, Vec<u8>)> + '_ {
    produce(Some(dir), ACTIVITY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_companion_is_well_formed_xml() {
        let all = root_level().chain(course_level()).chain(section_level("s")).chain(activity_level("a"));
        for (path, bytes) in all {
            assert!(crate::xml::parse(&path, &bytes, 8).is_ok(), "{path}");
        }
    }

    #[test]
    fn companions_land_in_their_directory() {
        let names: Vec<String> = activity_level("activities/forum_1").map(|(p, _)| p).collect();
        assert!(names.contains(&"activities/forum_1/grades.xml".to_string()));
        assert!(root_level().any(|(p, _)| p == "files.xml"));
    }
}
