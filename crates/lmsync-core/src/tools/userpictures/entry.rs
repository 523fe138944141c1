//! The entries of a picture archive: listing them (refusing an archive that is too big, has too
//! many entries or is not a zip), and reading one with its safety checks — a path leaving the
//! archive (zip-slip), a symbolic link, an encrypted entry or an oversized one is refused;
//! hidden files, `__MACOSX/` resources and names without extension are skipped.

use md5::{Digest, Md5};
use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::settings::PictureSettings;
use crate::tools::Row;

/// What an entry is for the tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Not a picture to consider (the reason is reported).
    Skip(String),
    /// Refused: the line fails with this code and reason.
    Refuse(&'static str, String),
    /// A file to match: the name's value (base name without extension), its bytes and their MD5.
    Picture { value: String, bytes: Vec<u8>, md5: String },
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub verdict: Verdict,
}

/// An open archive and its files (folders left out) as (1-based position, name).
pub type Listing = (zip::ZipArchive<File>, Vec<(u64, String)>);

/// Opens the archive and lists its files.
pub fn list(input: &Path, s: &PictureSettings) -> Result<Listing, String> {
    let display = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let size = std::fs::metadata(input).map_err(|e| format!("cannot read {display}: {e}"))?.len();
    if size > s.max_bytes {
        return Err(format!(
            "{display} is {size} bytes, over userpictures.max_bytes ({}); split it into smaller archives or raise the limit",
            s.max_bytes
        ));
    }
    let file = File::open(input).map_err(|e| format!("cannot read {display}: {e}"))?;
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| format!("{display} is not a readable zip archive ({e}); send it again"))?;
    if archive.len() as u64 > s.max_files {
        return Err(format!(
            "{display} holds {} entries, over userpictures.max_files ({}); split it into smaller archives",
            archive.len(),
            s.max_files
        ));
    }
    let mut items = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| format!("{display}: entry {} is unreadable ({e}); send the archive again", i + 1))?;
        if !entry.is_dir() {
            items.push((i as u64 + 1, String::from_utf8_lossy(entry.name_raw()).into_owned()));
        }
    }
    Ok((archive, items))
}

/// Checks and reads the entry of a row (line = its position in the archive).
pub fn read(archive: &mut zip::ZipArchive<File>, row: &Row, s: &PictureSettings) -> Entry {
    let name = row.fields.first().cloned().unwrap_or_default();
    let verdict = verdict(archive, (row.line as usize).saturating_sub(1), &name, s);
    Entry { name, verdict }
}

/// A path that stays inside the archive's folder: relative, no `..`, no drive letter.
fn is_relative_inside(name: &str) -> bool {
    let absolute = name.starts_with(['/', '\\']) || name.as_bytes().get(1) == Some(&b':');
    !absolute && !name.split(['/', '\\']).any(|part| part == "..")
}

fn verdict(archive: &mut zip::ZipArchive<File>, index: usize, name: &str, s: &PictureSettings) -> Verdict {
    let refuse = |code, why: String| Verdict::Refuse(code, why);
    let (safe, symlink, encrypted, size) = match archive.by_index_raw(index) {
        Ok(e) => (e.enclosed_name().is_some(), e.is_symlink(), e.encrypted(), e.size()),
        Err(e) => return refuse("picture.unreadable", format!("the entry cannot be read ({e})")),
    };
    if !safe || !is_relative_inside(name) {
        return refuse("picture.unsafe_path", "the entry's path leaves the archive (absolute, or ../): refused".into());
    }
    if symlink {
        return refuse("picture.symlink", "the entry is a symbolic link, not an image: refused".into());
    }
    if encrypted {
        return refuse(
            "picture.encrypted",
            "the entry is encrypted: send pictures in an archive without password".into(),
        );
    }
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    if name.split(['/', '\\']).any(|part| part == "__MACOSX") {
        return Verdict::Skip("macOS resource (__MACOSX/), not a picture".into());
    }
    if base.starts_with('.') {
        return Verdict::Skip("hidden file, not a picture".into());
    }
    let Some((value, _ext)) = base.rsplit_once('.').filter(|(v, e)| !v.is_empty() && !e.is_empty()) else {
        return Verdict::Skip("the name has no extension: name pictures <account>.jpg, .png or .gif".into());
    };
    if size > s.max_bytes {
        return refuse(
            "picture.too_big",
            format!("the image is {size} bytes, over userpictures.max_bytes ({})", s.max_bytes),
        );
    }
    let mut bytes = Vec::with_capacity(size.min(1 << 24) as usize);
    let read = match archive.by_index(index) {
        // The declared size may lie: never read more than the limit.
        Ok(e) => e.take(s.max_bytes + 1).read_to_end(&mut bytes),
        Err(e) => return refuse("picture.unreadable", format!("the entry cannot be read ({e})")),
    };
    if let Err(e) = read {
        return refuse("picture.unreadable", format!("the entry is corrupted ({e}); send the archive again"));
    }
    if bytes.len() as u64 > s.max_bytes {
        return refuse("picture.too_big", format!("the image is over userpictures.max_bytes ({})", s.max_bytes));
    }
    // Checked by content, whatever the extension says.
    if super::render::sniff(&bytes).is_none() {
        return Verdict::Skip("not a GIF, JPEG or PNG image (by its content)".into());
    }
    let md5 = format!("{:x}", Md5::digest(&bytes));
    Verdict::Picture { value: value.to_string(), bytes, md5 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_relative_paths_inside_the_archive_are_safe() {
        for ok in ["jdoe.png", "photos/jdoe.png", "a/./b.png", "x..y.png"] {
            assert!(is_relative_inside(ok), "{ok}");
        }
        for bad in ["../jdoe.png", "/etc/jdoe.png", "\\server\\x.png", "C:\\x.png", "a/../../b.png", "a\\..\\b.png"] {
            assert!(!is_relative_inside(bad), "{bad}");
        }
    }
}
