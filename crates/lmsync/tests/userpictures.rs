//! The user pictures tool through the binary, on generated archives: formats, matching, the
//! differential hash, overwrite, safety refusals (zip-slip, symlink, encryption, bombs, corrupt
//! images and archives), trybacks, archives, dry runs, and the picture commands.

mod common;

use common::*;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use md5::{Digest, Md5};
use std::io::{Cursor, Write};
use std::path::PathBuf;
use zip::write::SimpleFileOptions;

fn image(w: u32, h: u32, format: ImageFormat, shade: u8) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| Rgb([shade, (x % 256) as u8, (y % 256) as u8]));
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img).write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn md5_hex(bytes: &[u8]) -> String {
    format!("{:x}", Md5::digest(bytes))
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

/// CRC-32 (IEEE), to forge PNG chunks.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A PNG whose header announces `w`×`h` pixels (a decompression bomb's signature) and whose
/// data is a few bytes: only a decoder that trusts the header before checking it is hurt.
fn bomb(w: u32, h: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        png.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        png.extend(&body);
        png.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    png
}

fn site() -> Lms {
    let lms = Lms::new().with("LMSYNC_USERS__PRIMARY_IDENTITY", "username");
    let r = lms.run_bytes(
        "users.csv",
        "username;firstname;lastname;email;idnumber\njdoe;J;Doe;jdoe@example.org;E1\nasmith;A;Smith;asmith@example.org;E2\nbob;B;Bob;bob@example.org;E3\ncarl;C;Carl;carl@example.org;E4\ndora;D;Dora;dora@example.org;E5\n",
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    lms
}

impl Lms {
    fn picture_zip(&self, name: &str, bytes: &[u8]) -> PathBuf {
        self.write(name, bytes)
    }

    fn run_pictures(&self, file: &std::path::Path, extra: &[&str]) -> Ran {
        let mut args = vec!["run", "userpictures", "--file", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        self.exec(&args)
    }

    fn has_picture(&self, username: &str) -> bool {
        self.rows(&format!("SELECT CAST(picture AS TEXT) FROM user WHERE username = '{username}'")) == ["1"]
    }

    fn hash_of(&self, username: &str) -> String {
        self.user(username)["profile_field_userpicturehash"].as_str().unwrap_or("").to_string()
    }

    fn outcome_of(&self, report: &serde_json::Value, key: &str) -> (String, String, String) {
        let l =
            lines(report).iter().find(|l| l["key"] == key).unwrap_or_else(|| panic!("no line for {key}: {report:#}"));
        let s = |k: &str| l[k].as_str().unwrap_or("").to_string();
        (s("outcome"), s("code"), s("message"))
    }
}

#[test]
fn every_format_is_stored_in_three_sizes_with_the_original_hash_and_a_second_run_is_unchanged() {
    let lms = site();
    let png = image(300, 200, ImageFormat::Png, 10);
    let jpg = image(120, 160, ImageFormat::Jpeg, 20);
    let gif = image(64, 64, ImageFormat::Gif, 30);
    let archive = zip_of(&[
        ("jdoe.png", png.clone()),
        ("photos/asmith.JPG", jpg.clone()),
        ("bob.gif", gif.clone()),
        ("readme.txt", b"pictures of the year".to_vec()),
        (".carl.png", png.clone()),
        ("__MACOSX/._jdoe.png", b"\x00\x05\x16\x07resource".to_vec()),
        ("dora", png.clone()),
        ("ghost.png", png.clone()),
    ]);
    let path = lms.picture_zip("userpictures_2026.zip", &archive);
    let r = lms.run_pictures(&path, &[]);
    assert_eq!(r.code, 1, "ghost fails: {}", r.all());
    let report = lms.json_report(r.run_id());
    for (key, outcome) in [("jdoe.png", "created"), ("photos/asmith.JPG", "created"), ("bob.gif", "created")] {
        assert_eq!(lms.outcome_of(&report, key).0, outcome, "{key}: {report:#}");
    }
    for key in ["readme.txt", ".carl.png", "__MACOSX/._jdoe.png", "dora"] {
        assert_eq!(lms.outcome_of(&report, key).0, "skipped", "{key}: {report:#}");
    }
    assert_eq!(lms.outcome_of(&report, "ghost.png").1, "picture.user_not_found");
    assert_eq!(lms.hash_of("jdoe"), md5_hex(&png));
    assert_eq!(lms.hash_of("asmith"), md5_hex(&jpg));
    assert_eq!(lms.hash_of("bob"), md5_hex(&gif));
    assert!(lms.has_picture("jdoe"));
    assert_eq!(lms.hash_of("carl"), "", "hidden files are never pictures");

    let exported = lms.export_json("pictures");
    let names: Vec<&str> = exported.iter().map(|p| p["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["asmith", "bob", "jdoe"]);
    assert_eq!(exported[2]["hash"], md5_hex(&png).as_str());

    // The three sizes, fetched through the CLI.
    for (size, side) in [("f1", 100), ("f2", 35), ("f3", 512)] {
        let out = lms.tmp.path().join(format!("jdoe-{size}.png"));
        let g = lms.exec(&["userpictures", "get", "jdoe", "--size", size, "--output", out.to_str().unwrap()]);
        assert_eq!(g.code, 0, "{}", g.all());
        let img = image::load_from_memory_with_format(&std::fs::read(&out).unwrap(), ImageFormat::Png).unwrap();
        assert_eq!((img.width(), img.height()), (side, side));
    }
    assert_ne!(lms.exec(&["userpictures", "get", "carl"]).code, 0);

    // The archive was moved to archives/; its failed entry is in a tryback archive.
    assert!(!lms.files().join("userpictures_2026.zip").exists());
    assert!(list(&lms.archives()).iter().any(|n| n.ends_with("_userpictures_2026.zip")));
    let tryback = r.tryback().expect("a tryback of the failed pictures");
    let mut z = zip::ZipArchive::new(std::fs::File::open(&tryback).unwrap()).unwrap();
    let failed: Vec<String> = z.file_names().map(|n| n.unwrap().to_string()).collect();
    assert_eq!(failed, ["ghost.png"]);
    assert_eq!(std::io::Read::bytes(z.by_name("ghost.png").unwrap()).count(), png.len());

    // Same archive again: stored pictures are unchanged, nothing is written.
    let again = lms.run_pictures(&lms.picture_zip("userpictures_2026.zip", &archive), &[]);
    let report = lms.json_report(again.run_id());
    for key in ["jdoe.png", "photos/asmith.JPG", "bob.gif"] {
        assert_eq!(lms.outcome_of(&report, key).0, "unchanged", "{key}: {report:#}");
    }
    assert_eq!(lms.journalled(again.run_id()), 0);
}

#[test]
fn a_changed_picture_replaces_the_old_one_unless_overwrite_is_off() {
    let mut lms = site();
    let first = image(80, 80, ImageFormat::Png, 1);
    let second = image(80, 80, ImageFormat::Png, 200);
    let r = lms.run_pictures(&lms.picture_zip("userpictures_a.zip", &zip_of(&[("jdoe.png", first.clone())])), &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    lms.set("LMSYNC_USERPICTURES__OVERWRITE", "false");
    let r = lms.run_pictures(&lms.picture_zip("userpictures_b.zip", &zip_of(&[("jdoe.png", second.clone())])), &[]);
    let (outcome, _, message) = lms.outcome_of(&lms.json_report(r.run_id()), "jdoe.png");
    assert_eq!(outcome, "skipped");
    assert!(message.contains("already has a picture"), "{message}");
    assert_eq!(lms.hash_of("jdoe"), md5_hex(&first));
    // Unchanged is unchanged even with overwrite off.
    let r = lms.run_pictures(&lms.picture_zip("userpictures_c.zip", &zip_of(&[("jdoe.png", first.clone())])), &[]);
    assert_eq!(lms.outcome_of(&lms.json_report(r.run_id()), "jdoe.png").0, "unchanged");
    lms.unset("LMSYNC_USERPICTURES__OVERWRITE");
    let r = lms.run_pictures(&lms.picture_zip("userpictures_d.zip", &zip_of(&[("jdoe.png", second.clone())])), &[]);
    assert_eq!(lms.outcome_of(&lms.json_report(r.run_id()), "jdoe.png").0, "updated");
    assert_eq!(lms.hash_of("jdoe"), md5_hex(&second));
}

#[test]
fn unsafe_entries_bombs_and_corrupt_images_fail_alone() {
    let mut lms = site();
    lms.set("LMSYNC_USERPICTURES__MAX_PIXELS", "1000000");
    let good = image(50, 50, ImageFormat::Png, 5);
    let mut corrupt = image(50, 50, ImageFormat::Png, 6);
    corrupt.truncate(corrupt.len() / 2);
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default();
    for (name, bytes) in [
        ("../jdoe.png", good.clone()),
        ("/etc/asmith.png", good.clone()),
        ("bob.png", bomb(100_000, 100_000)),
        ("carl.png", corrupt),
        ("dora.png", good.clone()),
    ] {
        w.start_file(name, opts).unwrap();
        w.write_all(&bytes).unwrap();
    }
    w.add_symlink("jdoe.gif", "/etc/passwd", opts).unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let r = lms.run_pictures(&lms.picture_zip("userpictures_bad.zip", &bytes), &[]);
    assert_eq!(r.code, 1, "{}", r.all());
    let report = lms.json_report(r.run_id());
    assert_eq!(lms.outcome_of(&report, "../jdoe.png").1, "picture.unsafe_path");
    assert_eq!(lms.outcome_of(&report, "/etc/asmith.png").1, "picture.unsafe_path");
    let (_, code, message) = lms.outcome_of(&report, "bob.png");
    assert_eq!(code, "picture.too_large", "{message}");
    assert!(message.contains("100000×100000"), "{message}");
    assert_eq!(lms.outcome_of(&report, "carl.png").1, "picture.corrupt");
    assert_eq!(lms.outcome_of(&report, "jdoe.gif").1, "picture.symlink");
    assert_eq!(lms.outcome_of(&report, "dora.png").0, "created");
    for u in ["jdoe", "asmith", "bob", "carl"] {
        assert!(!lms.has_picture(u), "{u} got no half-written picture");
    }
}

#[test]
fn an_encrypted_entry_is_refused() {
    let lms = site();
    let mut bytes = zip_of(&[("jdoe.png", image(20, 20, ImageFormat::Png, 9))]);
    // Mark the entry encrypted (general purpose flag bit 0) in its local and central headers.
    for sig in [[0x50, 0x4b, 0x03, 0x04], [0x50, 0x4b, 0x01, 0x02]] {
        let at = bytes.windows(4).position(|w| w == sig).unwrap();
        let flags = at + if sig[2] == 3 { 6 } else { 8 };
        bytes[flags] |= 1;
    }
    let r = lms.run_pictures(&lms.picture_zip("userpictures_enc.zip", &bytes), &[]);
    assert_eq!(lms.outcome_of(&lms.json_report(r.run_id()), "jdoe.png").1, "picture.encrypted");
}

#[test]
fn a_corrupt_or_oversized_archive_is_refused_whole_and_kept() {
    let mut lms = site();
    let path = lms.picture_zip("userpictures_broken.zip", b"PK\x03\x04 this is not really a zip");
    let r = lms.run_pictures(&path, &[]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(r.all().contains("not a readable zip archive"), "{}", r.all());
    assert!(lms.files().join("userpictures_broken.zip").exists(), "kept for the operator");

    lms.set("LMSYNC_USERPICTURES__MAX_FILES", "2");
    let many = zip_of(&[("a.png", vec![1]), ("b.png", vec![2]), ("c.png", vec![3])]);
    let r = lms.run_pictures(&lms.picture_zip("userpictures_many.zip", &many), &[]);
    assert_eq!(r.code, 2);
    assert!(r.all().contains("userpictures.max_files"), "{}", r.all());
    lms.unset("LMSYNC_USERPICTURES__MAX_FILES");
    lms.set("LMSYNC_USERPICTURES__MAX_BYTES", "100");
    let r = lms.run_pictures(
        &lms.picture_zip("userpictures_big.zip", &zip_of(&[("jdoe.png", image(64, 64, ImageFormat::Png, 1))])),
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(r.all().contains("userpictures.max_bytes"), "{}", r.all());
}

#[test]
fn a_dry_run_decodes_and_matches_but_stores_nothing() {
    let lms = site();
    let archive =
        zip_of(&[("jdoe.png", image(40, 40, ImageFormat::Png, 3)), ("ghost.png", image(40, 40, ImageFormat::Png, 3))]);
    let path = lms.picture_zip("userpictures_dry.zip", &archive);
    let r = lms.run_pictures(&path, &["--dry-run"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let report = lms.json_report(r.run_id());
    assert_eq!(lms.outcome_of(&report, "jdoe.png").0, "created");
    assert_eq!(lms.outcome_of(&report, "ghost.png").1, "picture.user_not_found");
    assert!(!lms.has_picture("jdoe"));
    assert!(lms.export_json("pictures").is_empty());
    assert!(path.exists() || lms.files().join("userpictures_dry.zip").exists(), "a dry run keeps its input");
    assert!(r.tryback().is_none());
}

#[test]
fn waiting_archives_run_in_name_order_matched_by_the_configured_field_and_force_deletion_deletes_them() {
    let mut lms = site();
    lms.set("LMSYNC_USERPICTURES__USER_FIELD", "idnumber");
    lms.set("LMSYNC_USERPICTURES__FORCE_DELETION", "true");
    let first = image(30, 30, ImageFormat::Png, 1);
    let second = image(30, 30, ImageFormat::Png, 2);
    std::fs::create_dir_all(lms.files().join("incoming")).unwrap();
    std::fs::write(lms.files().join("userpictures_1.zip"), zip_of(&[("E1.png", first.clone())])).unwrap();
    std::fs::write(lms.files().join("incoming/userpictures_2.zip"), zip_of(&[("E1.png", second.clone())])).unwrap();
    std::fs::write(lms.files().join("other.zip"), zip_of(&[("E2.png", first.clone())])).unwrap();
    let r = lms.exec(&["run", "userpictures"]);
    assert_eq!(r.code, 0, "{}", r.all());
    // incoming/userpictures_2.zip sorts before userpictures_1.zip: the latter wins.
    assert_eq!(lms.hash_of("jdoe"), md5_hex(&first));
    assert_eq!(lms.hash_of("asmith"), "", "other.zip does not match the prefix");
    assert!(
        !lms.files().join("userpictures_1.zip").exists() && !lms.files().join("incoming/userpictures_2.zip").exists()
    );
    assert!(!list(&lms.archives()).iter().any(|n| n.contains("userpictures_")), "deleted, not archived");
    let none = lms.exec(&["run", "userpictures"]);
    assert_eq!(none.code, 0);
    assert!(none.stdout.contains("nothing to do"), "{}", none.all());
}

#[test]
fn rehash_fills_missing_hashes_from_the_stored_image() {
    let lms = site();
    let r = lms.run_pictures(
        &lms.picture_zip("userpictures_h.zip", &zip_of(&[("bob.png", image(40, 40, ImageFormat::Png, 7))])),
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    lms.db_write().execute("DELETE FROM user_info_data WHERE fieldid = (SELECT id FROM user_info_field WHERE shortname = 'userpicturehash')", []).unwrap();
    assert_eq!(lms.hash_of("bob"), "");
    let out = lms.exec(&["userpictures", "rehash"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.starts_with("1 stored pictures"), "{}", out.stdout);
    let f1 = lms.tmp.path().join("bob.png");
    lms.exec(&["userpictures", "get", "bob", "--output", f1.to_str().unwrap()]);
    assert_eq!(lms.hash_of("bob"), md5_hex(&std::fs::read(&f1).unwrap()));
}
