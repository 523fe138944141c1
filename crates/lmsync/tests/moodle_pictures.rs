//! The user pictures tool against a Moodle site (the fake one, over real HTTP): each picture is
//! uploaded to a draft area and made the account's picture; the same archive again uploads
//! nothing; a service that may not upload files fails each picture line saying how to allow it.

mod common;

use common::*;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use lmsync_moodle_fake::{Config, FakeMoodle};
use std::io::{Cursor, Write};
use zip::write::SimpleFileOptions;

fn image(w: u32, h: u32, shade: u8) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| Rgb([shade, (x % 256) as u8, (y % 256) as u8]));
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img).write_to(&mut out, ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A zip of (name, bytes) entries.
fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        w.start_file(*name, SimpleFileOptions::default()).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn site() -> (FakeMoodle, Lms) {
    let fake = FakeMoodle::start(Config::default()).unwrap();
    let lms = on_moodle(&fake);
    let users = "username;firstname;lastname;email\njdoe;J;Doe;jdoe@example.org\nasmith;A;Smith;asmith@example.org\n";
    let r = lms.exec(&["run", "users", "--file", lms.write("users.csv", users).to_str().unwrap()]);
    assert_eq!(r.code, 0, "users: {}", r.all());
    (fake, lms)
}

fn run(lms: &Lms, name: &str, zip: &[u8]) -> Ran {
    let path = lms.write(name, zip);
    let mut r = lms.exec(&["run", "userpictures", "--file", path.to_str().unwrap()]);
    // The report's lines go with the output, so a failed assertion shows why each line failed.
    if let Some(report) = r.report() {
        r.stdout.push_str(&std::fs::read_to_string(report).unwrap_or_default());
    }
    r
}

fn picture(fake: &FakeMoodle, username: &str) -> i64 {
    fake.state().users.values().find(|u| u.username == username).unwrap().picture
}

#[test]
fn pictures_are_uploaded_and_set_and_the_same_archive_again_uploads_nothing() {
    let (fake, lms) = site();
    let archive = zip_of(&[("jdoe.png", image(300, 200, 10)), ("asmith.png", image(120, 160, 20))]);
    let r = run(&lms, "userpictures_1.zip", &archive);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.count("created"), 2, "{}", r.all());
    assert!(picture(&fake, "jdoe") > 0 && picture(&fake, "asmith") > 0);
    assert_eq!(fake.count("core_user_update_picture"), 2);
    {
        let st = fake.state();
        assert_eq!(st.drafts.len(), 2, "one fresh draft area a picture");
        for files in st.drafts.values() {
            assert_eq!(files.len(), 1);
            let img = image::load_from_memory(&files[0].bytes).unwrap();
            assert_eq!((img.width(), img.height()), (512, 512), "the 512×512 rendering is sent");
        }
    }
    assert!(lms.journalled(r.run_id()) >= 2, "each picture is journalled locally");

    let writes = fake.write_count();
    let r = run(&lms, "userpictures_2.zip", &archive);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.count("unchanged"), 2, "{}", r.all());
    assert_eq!(fake.write_count(), writes, "nothing was written the second time");
    assert_eq!(fake.state().drafts.len(), 2, "nothing was uploaded the second time");
    assert_eq!(lms.journalled(r.run_id()), 0);

    // Another picture for jdoe is sent; asmith's is the same.
    let before = picture(&fake, "jdoe");
    let archive = zip_of(&[("jdoe.png", image(300, 200, 99)), ("asmith.png", image(120, 160, 20))]);
    let r = run(&lms, "userpictures_3.zip", &archive);
    assert_eq!(r.code, 0, "{}", r.all());
    assert_eq!(r.count("unchanged"), 1, "{}", r.all());
    assert_eq!(fake.count("core_user_update_picture"), 3);
    assert_ne!(picture(&fake, "jdoe"), before);
}

#[test]
fn a_service_that_may_not_upload_fails_each_picture_saying_how_to_allow_it() {
    let (fake, lms) = site();
    fake.config().services[0].uploadfiles = false;
    let archive = zip_of(&[("jdoe.png", image(64, 64, 1)), ("asmith.png", image(64, 64, 2))]);
    let r = run(&lms, "userpictures_1.zip", &archive);
    assert_eq!(r.count("failed"), 2, "{}", r.all());
    assert!(r.stdout.contains("Can upload files"), "{}", r.all());
    assert!(fake.state().drafts.is_empty());
    assert_eq!(fake.count("core_user_update_picture"), 0);
}
