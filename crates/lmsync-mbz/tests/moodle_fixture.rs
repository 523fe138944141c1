//! Reads a backup in Moodle's real layout (files modelled on a Moodle 4.1 course backup without users), packed
//! both as Moodle packs it by default (zip) and as its "tgz" option does, and checks the structure found.

mod common;

use common::{tgz_of, zip_of};
use lmsync_mbz::{Activity, CourseStructure, Limits, Section, read_mbz, read_mbz_bytes};

const MOODLE_BACKUP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<moodle_backup>
  <information>
    <name>backup-moodle2-course-4-bio101-20240115-1030-nu.mbz</name>
    <moodle_version>2022112800</moodle_version>
    <moodle_release>4.1 (Build: 20221128)</moodle_release>
    <backup_version>2022112800</backup_version>
    <backup_release>4.1</backup_release>
    <backup_date>1705311000</backup_date>
    <mnet_remoteusers>0</mnet_remoteusers>
    <include_files>1</include_files>
    <include_file_references_to_external_content>0</include_file_references_to_external_content>
    <original_wwwroot>https://moodle.example.org</original_wwwroot>
    <original_site_identifier_hash>5d41402abc4b2a76b9719d911017c592</original_site_identifier_hash>
    <original_course_id>4</original_course_id>
    <original_course_format>topics</original_course_format>
    <original_course_fullname>Biology 101 &amp; Lab</original_course_fullname>
    <original_course_shortname>BIO101</original_course_shortname>
    <original_course_startdate>1704067200</original_course_startdate>
    <original_course_enddate>1735603200</original_course_enddate>
    <original_course_contextid>58</original_course_contextid>
    <original_system_contextid>1</original_system_contextid>
    <details>
      <detail backup_id="c3b0e8b7e0f1d8a9b6c5d4e3f2a1b0c9">
        <type>course</type>
        <format>moodle2</format>
        <interactive>1</interactive>
        <mode>10</mode>
        <execution>1</execution>
        <executiontime>0</executiontime>
      </detail>
    </details>
    <contents>
      <activities>
        <activity>
          <moduleid>21</moduleid>
          <sectionid>31</sectionid>
          <modulename>forum</modulename>
          <title>Announcements</title>
          <directory>activities/forum_21</directory>
        </activity>
        <activity>
          <moduleid>25</moduleid>
          <sectionid>32</sectionid>
          <modulename>page</modulename>
          <title>Reading: cells</title>
          <directory>activities/page_25</directory>
        </activity>
        <activity>
          <moduleid>24</moduleid>
          <sectionid>32</sectionid>
          <modulename>assign</modulename>
          <title>Lab report 1 &lt;draft&gt;</title>
          <directory>activities/assign_24</directory>
        </activity>
        <activity>
          <moduleid>23</moduleid>
          <sectionid>33</sectionid>
          <modulename>quiz</modulename>
          <title>Quiz 1</title>
          <directory>activities/quiz_23</directory>
        </activity>
      </activities>
      <sections>
        <section>
          <sectionid>31</sectionid>
          <title>0</title>
          <directory>sections/section_31</directory>
        </section>
        <section>
          <sectionid>33</sectionid>
          <title>Évaluation "finale"</title>
          <directory>sections/section_33</directory>
        </section>
        <section>
          <sectionid>32</sectionid>
          <title>Week 1: Cells</title>
          <directory>sections/section_32</directory>
        </section>
      </sections>
      <course>
        <courseid>4</courseid>
        <title>BIO101</title>
        <directory>course</directory>
      </course>
    </contents>
    <settings>
      <setting>
        <level>root</level>
        <name>filename</name>
        <value>backup-moodle2-course-4-bio101-20240115-1030-nu.mbz</value>
      </setting>
      <setting>
        <level>root</level>
        <name>users</name>
        <value>0</value>
      </setting>
      <setting>
        <level>section</level>
        <section>section_31</section>
        <name>section_31_included</name>
        <value>1</value>
      </setting>
      <setting>
        <level>activity</level>
        <activity>forum_21</activity>
        <name>forum_21_included</name>
        <value>1</value>
      </setting>
    </settings>
  </information>
</moodle_backup>
"#;

const COURSE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<course id="4" contextid="58">
  <shortname>BIO101</shortname>
  <fullname>Biology 101 &amp; Lab</fullname>
  <idnumber>BIO-101-2024</idnumber>
  <summary>&lt;p dir="ltr" style="text-align: left;"&gt;Cells, genes &amp;amp; évolution.&lt;/p&gt;</summary>
  <summaryformat>1</summaryformat>
  <format>topics</format>
  <showgrades>1</showgrades>
  <newsitems>3</newsitems>
  <startdate>1704067200</startdate>
  <enddate>1735603200</enddate>
  <relativedatesmode>0</relativedatesmode>
  <marker>0</marker>
  <maxbytes>0</maxbytes>
  <legacyfiles>0</legacyfiles>
  <showreports>0</showreports>
  <visible>1</visible>
  <groupmode>1</groupmode>
  <groupmodeforce>0</groupmodeforce>
  <defaultgroupingid>0</defaultgroupingid>
  <lang>en</lang>
  <theme></theme>
  <timecreated>1700000000</timecreated>
  <timemodified>1705000000</timemodified>
  <requested>0</requested>
  <showactivitydates>1</showactivitydates>
  <showcompletionconditions>1</showcompletionconditions>
  <enablecompletion>1</enablecompletion>
  <completionnotify>0</completionnotify>
  <category id="1">
    <name>Category 1</name>
    <description>$@NULL@$</description>
  </category>
  <tags>
  </tags>
  <customfields>
  </customfields>
  <courseformatoptions>
    <courseformatoption>
      <format>topics</format>
      <sectionid>0</sectionid>
      <name>hiddensections</name>
      <value>0</value>
    </courseformatoption>
  </courseformatoptions>
</course>
"#;

fn section(id: u32, number: u32, name: &str, summary: &str, sequence: &str, visible: u8) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<section id="{id}">
  <number>{number}</number>
  <name>{name}</name>
  <summary>{summary}</summary>
  <summaryformat>1</summaryformat>
  <sequence>{sequence}</sequence>
  <visible>{visible}</visible>
  <availabilityjson>$@NULL@$</availabilityjson>
  <timemodified>1705000000</timemodified>
  <course_format_options id="{id}">
  </course_format_options>
</section>
"#
    )
}

fn module(id: u32, modname: &str, sectionid: u32, number: u32, idnumber: &str, visible: u8) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<module id="{id}" version="2022111400">
  <modulename>{modname}</modulename>
  <sectionid>{sectionid}</sectionid>
  <sectionnumber>{number}</sectionnumber>
  <idnumber>{idnumber}</idnumber>
  <added>1700000000</added>
  <score>0</score>
  <indent>0</indent>
  <visible>{visible}</visible>
  <visibleoncoursepage>1</visibleoncoursepage>
  <visibleold>1</visibleold>
  <groupmode>0</groupmode>
  <groupingid>0</groupingid>
  <completion>0</completion>
  <completiongradeitemnumber>$@NULL@$</completiongradeitemnumber>
  <completionpassgrade>0</completionpassgrade>
  <completionview>0</completionview>
  <completionexpected>0</completionexpected>
  <availability>$@NULL@$</availability>
  <showdescription>0</showdescription>
  <downloadcontent>1</downloadcontent>
  <tags>
  </tags>
</module>
"#
    )
}

fn activity(id: u32, cmid: u32, modname: &str, name: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<activity id="{id}" moduleid="{cmid}" modulename="{modname}" contextid="{ctx}">
  <{modname} id="{id}">
    <name>{name}</name>
    <intro>&lt;p&gt;Read this first.&lt;/p&gt;</intro>
    <introformat>1</introformat>
    <timemodified>1705000000</timemodified>
    <grade_items>
      <grade_item id="3">
        <itemname>{name}</itemname>
      </grade_item>
    </grade_items>
  </{modname}>
</activity>
"#,
        ctx = cmid + 40
    )
}

/// Every file of the fixture, including the parts the reader skips (blobs, companions, directories).
fn fixture() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, String)> = vec![
        ("moodle_backup.xml".into(), MOODLE_BACKUP.into()),
        ("course/".into(), String::new()),
        ("course/course.xml".into(), COURSE.into()),
        ("course/roles.xml".into(), "<roles>\n</roles>\n".into()),
        ("files.xml".into(), "<files>\n</files>\n".into()),
        ("files/a9/a94a8fe5ccb19ba61c4c0873d391e987982fbbd3".into(), "test".into()),
        ("sections/section_31/section.xml".into(), section(31, 0, "$@NULL@$", "", "21", 1)),
        (
            "sections/section_32/section.xml".into(),
            section(32, 1, "Week 1: Cells", "&lt;p&gt;Intro&lt;/p&gt;", "24,25", 1),
        ),
        (
            "sections/section_33/section.xml".into(),
            section(33, 2, "Évaluation &quot;finale&quot; &lt;bis&gt;", "", "23", 0),
        ),
        ("activities/forum_21/module.xml".into(), module(21, "forum", 31, 0, "", 1)),
        ("activities/forum_21/forum.xml".into(), activity(7, 21, "forum", "Announcements")),
        ("activities/forum_21/grades.xml".into(), "<activity_gradebook>\n</activity_gradebook>\n".into()),
        ("activities/page_25/module.xml".into(), module(25, "page", 32, 1, "R1", 1)),
        ("activities/page_25/page.xml".into(), activity(3, 25, "page", "Reading: cells")),
        ("activities/assign_24/module.xml".into(), module(24, "assign", 32, 1, "", 1)),
        ("activities/assign_24/assign.xml".into(), activity(2, 24, "assign", "Lab report 1 &lt;draft&gt;")),
        ("activities/quiz_23/module.xml".into(), module(23, "quiz", 33, 2, "Q1", 0)),
        ("activities/quiz_23/quiz.xml".into(), activity(1, 23, "quiz", "Quiz 1")),
    ];
    files.push((".ARCHIVE_INDEX".into(), format!("Moodle archive file index. Count: {}\n", files.len())));
    files.into_iter().map(|(n, t)| (n, t.into_bytes())).collect()
}

fn expected() -> CourseStructure {
    let act = |modname: &str, name: &str, section: u32, idnumber: &str, visible: bool| Activity {
        modname: modname.into(),
        name: name.into(),
        section,
        idnumber: idnumber.into(),
        visible,
    };
    CourseStructure {
        shortname: "BIO101".into(),
        fullname: "Biology 101 & Lab".into(),
        idnumber: "BIO-101-2024".into(),
        summary: r#"<p dir="ltr" style="text-align: left;">Cells, genes &amp; évolution.</p>"#.into(),
        format: "topics".into(),
        startdate: 1_704_067_200,
        enddate: 1_735_603_200,
        visible: true,
        lang: "en".into(),
        showgrades: true,
        newsitems: 3,
        groupmode: 1,
        groupmodeforce: false,
        enablecompletion: true,
        sections: vec![
            Section { number: 0, name: None, summary: String::new(), visible: true },
            Section { number: 1, name: Some("Week 1: Cells".into()), summary: "<p>Intro</p>".into(), visible: true },
            Section {
                number: 2,
                name: Some("Évaluation \"finale\" <bis>".into()),
                summary: String::new(),
                visible: false,
            },
        ],
        activities: vec![
            act("forum", "Announcements", 0, "", true),
            // Section 1's sequence is "24,25": the assignment comes first although listed second.
            act("assign", "Lab report 1 <draft>", 1, "", true),
            act("page", "Reading: cells", 1, "R1", true),
            act("quiz", "Quiz 1", 2, "Q1", false),
        ],
    }
}

fn borrowed(files: &[(String, Vec<u8>)]) -> Vec<(&str, &[u8])> {
    files.iter().map(|(n, d)| (n.as_str(), d.as_slice())).collect()
}

#[test]
fn a_moodle_zip_backup_is_read() {
    let bytes = zip_of(&borrowed(&fixture()));
    assert_eq!(read_mbz_bytes(&bytes, &Limits::default()).expect("read"), expected());
}

#[test]
fn a_moodle_tgz_backup_is_read() {
    let bytes = tgz_of(&borrowed(&fixture()));
    assert_eq!(read_mbz_bytes(&bytes, &Limits::default()).expect("read"), expected());
}

#[test]
fn the_file_name_does_not_decide_the_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tgz_named_mbz = dir.path().join("template.mbz");
    std::fs::write(&tgz_named_mbz, tgz_of(&borrowed(&fixture()))).expect("write");
    assert_eq!(read_mbz(&tgz_named_mbz, &Limits::default()).expect("read"), expected());
    let zip_named_tgz = dir.path().join("template.tar.gz");
    std::fs::write(&zip_named_tgz, zip_of(&borrowed(&fixture()))).expect("write");
    assert_eq!(read_mbz(&zip_named_tgz, &Limits::default()).expect("read"), expected());
}
