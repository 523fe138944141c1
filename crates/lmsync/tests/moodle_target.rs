//! The `moodle` target as far as it goes: its settings are checked, `lmsync check` reaches the
//! site (or says why not) without ever showing the token, and the tools refuse to run rather
//! than write somewhere else.

mod common;

use common::*;

const TOKEN: &str = "f00dfacecafe0123456789abcdef0123";

fn moodle_site(url: &str) -> Lms {
    Lms::new().with("LMSYNC_TARGET__KIND", "moodle").with("LMSYNC_TARGET__URL", url).with("LMSYNC_TARGET_TOKEN", TOKEN)
}

#[test]
fn check_reports_the_sites_version_and_what_each_tool_can_do_there() {
    let fake = lmsync_moodle_fake::FakeMoodle::start(lmsync_moodle_fake::Config::default()).unwrap();
    let mut lms = Lms::new()
        .with("LMSYNC_TARGET__KIND", "moodle")
        .with("LMSYNC_TARGET__URL", &fake.url())
        .with("LMSYNC_TARGET_TOKEN", &fake.token());
    let r = lms.exec(&["check"]);
    assert_eq!(r.code, 0, "every function is in the service: {}", r.all());
    assert!(r.stdout.starts_with("moodle Fake Moodle ("), "{}", r.all());
    assert!(r.stdout.contains("release 4.5.2+"), "{}", r.all());
    assert!(r.stdout.contains("\nusers: available\n"), "{}", r.all());
    assert!(!r.all().contains(&fake.token()), "the token is never shown: {}", r.all());
    assert_eq!(fake.write_count(), 0, "a check writes nothing");

    // A service without the user functions: the users tool cannot work, and check says what to add.
    {
        let mut config = fake.config();
        let all = lmsync_moodle::functions::FUNCTIONS.iter().map(|f| f.name.to_string());
        config.services[0].functions = Some(all.filter(|f| !f.starts_with("core_user_")).collect());
    }
    let r = lms.exec(&["check"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stdout.contains("\nusers: not available\n"), "{}", r.all());
    assert!(r.stdout.contains("add to the lmsync service: core_user_create_users"), "{}", r.all());

    // A token the site does not know: said plainly, still without the token.
    lms.set("LMSYNC_TARGET_TOKEN", "0000000000000000");
    let r = lms.exec(&["check"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stdout.contains("token"), "{}", r.all());
}

#[test]
fn check_says_when_the_site_cannot_be_reached_and_never_shows_the_token() {
    let lms = moodle_site("http://127.0.0.1:9").with("LMSYNC_TARGET__TIMEOUT_SECONDS", "2");
    let r = lms.exec(&["check"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.all().contains("moodle http://127.0.0.1:9"), "{}", r.all());
    assert!(!r.all().contains(TOKEN), "{}", r.all());
}

#[test]
fn a_moodle_target_without_a_token_or_with_a_clear_text_address_is_refused() {
    let lms = Lms::new().with("LMSYNC_TARGET__KIND", "moodle").with("LMSYNC_TARGET__URL", "https://lms.example.edu");
    let r = lms.exec(&["check"]);
    assert_ne!(r.code, 0);
    assert!(r.all().contains("LMSYNC_TARGET_TOKEN"), "{}", r.all());
    let r = moodle_site("http://lms.example.edu").exec(&["check"]);
    assert_ne!(r.code, 0);
    assert!(r.all().contains("target.url") && !r.all().contains(TOKEN), "{}", r.all());
}
