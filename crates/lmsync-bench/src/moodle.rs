//! The Moodle side of the benchmarks (bench/moodle.sh): preparing the site's courses, and the
//! client a naive integration would be — one lookup and one write call per line, one after the
//! other — to compare lmsync's batched, concurrent target with.

use anyhow::{Context, bail};
use lmsync_moodle::{ClientOptions, MoodleClient, Param, Params};
use std::time::Instant;

fn client(url: &str, token: &str) -> anyhow::Result<MoodleClient> {
    Ok(MoodleClient::new(url, token, ClientOptions::default())?)
}

/// Creates the courses `C000000…` of `lmsync-bench courses` on the site, 50 a call.
pub fn setup(url: &str, token: &str, courses: u64) -> anyhow::Result<()> {
    let client = client(url, token)?;
    let all: Vec<u64> = (0..courses).collect();
    for chunk in all.chunks(50) {
        let list = Param::list(chunk.iter().map(|i| {
            Param::obj([
                ("fullname", Param::from(format!("Course {i}"))),
                ("shortname", Param::from(format!("C{i:06}"))),
                ("categoryid", Param::from(1i64)),
            ])
        }));
        client.call("core_course_create_courses", &Params::new().with("courses", list))?;
    }
    Ok(())
}

/// The semicolon-separated lines of a command file after its header, at most `limit`.
fn lines(path: &std::path::Path, limit: usize) -> anyhow::Result<Vec<Vec<String>>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text.lines().skip(1).take(limit).map(|l| l.split(';').map(str::to_string).collect()).collect())
}

fn one(field: &str, value: &str) -> Params {
    Params::new().with("field", field).with("values", Param::list([value]))
}

/// One call per step of each line: look the account up, create it; look the user and the
/// course up, enrol. Prints lines, seconds and lines/s for each file.
pub fn naive(
    url: &str,
    token: &str,
    users: &std::path::Path,
    enrols: &std::path::Path,
    limit: usize,
) -> anyhow::Result<()> {
    let client = client(url, token)?;
    let rows = lines(users, limit)?;
    let start = Instant::now();
    for r in &rows {
        // username;idnumber;firstname;lastname;email;… as `lmsync-bench users` writes them.
        let [username, idnumber, firstname, lastname, email, ..] = r.as_slice() else { bail!("short user line {r:?}") };
        let found = client.call("core_user_get_users_by_field", &one("username", username))?;
        if found.as_array().is_some_and(|a| !a.is_empty()) {
            continue;
        }
        let user = Param::obj([
            ("username", Param::from(username.as_str())),
            ("password", Param::from("Bench#2026pass")),
            ("firstname", Param::from(firstname.as_str())),
            ("lastname", Param::from(lastname.as_str())),
            ("email", Param::from(email.as_str())),
            ("idnumber", Param::from(idnumber.as_str())),
        ]);
        client.call("core_user_create_users", &Params::new().with("users", Param::list([user])))?;
    }
    report("users", rows.len(), start);
    let rows = lines(enrols, limit)?;
    let start = Instant::now();
    for r in &rows {
        let [_, course, user, ..] = r.as_slice() else { bail!("short enrolment line {r:?}") };
        let found = client.call("core_user_get_users_by_field", &one("idnumber", user))?;
        let userid = found.get(0).and_then(|u| u.get("id")).and_then(|v| v.as_i64()).context("user not found")?;
        let params = Params::new().with("field", "shortname").with("value", course.as_str());
        let found = client.call("core_course_get_courses_by_field", &params)?;
        let courseid =
            found["courses"].get(0).and_then(|c| c.get("id")).and_then(|v| v.as_i64()).context("course not found")?;
        let enrolment = Param::obj([
            ("roleid", Param::from(5i64)),
            ("userid", Param::from(userid)),
            ("courseid", Param::from(courseid)),
            ("timestart", Param::from(0i64)),
            ("timeend", Param::from(0i64)),
        ]);
        client.call("enrol_manual_enrol_users", &Params::new().with("enrolments", Param::list([enrolment])))?;
    }
    report("enrolments", rows.len(), start);
    Ok(())
}

fn report(what: &str, rows: usize, start: Instant) {
    let secs = start.elapsed().as_secs_f64();
    println!("naive {what}: {rows} lines in {secs:.2} s, {:.1} lines/s", rows as f64 / secs.max(1e-9));
}
