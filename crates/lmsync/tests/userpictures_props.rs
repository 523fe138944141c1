//! Property: an archive of pictures applied twice changes nothing the second time — whatever it
//! holds (known and unknown accounts, repeated accounts, non-images, hidden files), every entry
//! that did not fail is `unchanged` or skipped again, and nothing is journalled.

mod common;

use common::*;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use proptest::prelude::*;
use proptest::sample::select;
use std::io::{Cursor, Write};

fn picture(shade: u8, format: ImageFormat) -> Vec<u8> {
    let img = RgbImage::from_fn(24, 16, |x, y| Rgb([shade, x as u8 * 9, y as u8 * 13]));
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img).write_to(&mut out, format).unwrap();
    out.into_inner()
}

#[derive(Debug, Clone)]
struct Item {
    name: &'static str,
    ext: &'static str,
    shade: u8,
}

fn item() -> impl Strategy<Value = Item> {
    (
        select(&["ann", "ben", "cy", "ANN", "ghost", ".ann", "__MACOSX/ben"][..]),
        select(&["png", "jpg", "gif", "txt", ""][..]),
        0..3u8,
    )
        .prop_map(|(name, ext, shade)| Item { name, ext, shade })
}

fn archive(items: &[Item]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (i, it) in items.iter().enumerate() {
        let bytes = match it.ext {
            "png" | "" => picture(it.shade * 80, ImageFormat::Png),
            "jpg" => picture(it.shade * 80, ImageFormat::Jpeg),
            "gif" => picture(it.shade * 80, ImageFormat::Gif),
            _ => b"not an image".to_vec(),
        };
        let name = if it.ext.is_empty() { format!("{i}/{}", it.name) } else { format!("{i}/{}.{}", it.name, it.ext) };
        w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(&bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn an_archive_applied_twice_changes_nothing_the_second_time(items in prop::collection::vec(item(), 1..10)) {
        let lms = Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
        let seed = lms.run_bytes("u.csv", "username;firstname;lastname;email\nann;A;A;a@x.org\nben;B;B;b@x.org\ncy;C;C;c@x.org\n", &[]);
        prop_assert_eq!(seed.code, 0);
        let bytes = archive(&items);
        let first = lms.exec(&["run", "userpictures", "--file", lms.write("userpictures_p.zip", &bytes).to_str().unwrap()]);
        prop_assert!(first.code <= 1, "{}", first.all());
        let report1 = lms.json_report(first.run_id());
        let pictures = lms.export_json("pictures");
        let second = lms.exec(&["run", "userpictures", "--file", lms.write("userpictures_p.zip", &bytes).to_str().unwrap()]);
        prop_assert!(second.code <= 1, "{}", second.all());
        let report2 = lms.json_report(second.run_id());
        prop_assert_eq!(lms.journalled(second.run_id()), 0, "{:#}", report2);
        prop_assert_eq!(&pictures, &lms.export_json("pictures"));
        for (a, b) in lines(&report1).iter().zip(lines(&report2)) {
            match a["outcome"].as_str().unwrap() {
                "created" | "updated" | "unchanged" => prop_assert_eq!(&b["outcome"], "unchanged", "{} then {}", a, b),
                "failed" => prop_assert_eq!(&a["code"], &b["code"], "{} then {}", a, b),
                other => prop_assert_eq!(&b["outcome"], other, "{} then {}", a, b),
            }
        }
    }
}
