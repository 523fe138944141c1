//! Zip archives as inputs (user pictures): copying the failed items of an archive into a
//! tryback archive, entry by entry as they were (no recompression).

use std::fs::File;
use std::io;
use std::path::Path;

/// Writes to `dest` a zip of the items at these 1-based positions of the zip `source`.
pub fn copy_items(source: &Path, positions: &[u64], dest: &Path) -> io::Result<()> {
    let mut from = zip::ZipArchive::new(File::open(source)?).map_err(io::Error::other)?;
    let mut to = zip::ZipWriter::new(File::create(dest)?);
    for p in positions {
        let entry = from.by_index_raw((*p as usize).saturating_sub(1)).map_err(io::Error::other)?;
        to.raw_copy_file(entry).map_err(io::Error::other)?;
    }
    to.finish().map_err(io::Error::other)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn copies_the_items_asked_for_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("in.zip");
        let mut w = zip::ZipWriter::new(File::create(&src).unwrap());
        for (name, body) in [("a.png", "A"), ("b.jpg", "BB"), ("c.gif", "CCC")] {
            w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            w.write_all(body.as_bytes()).unwrap();
        }
        w.finish().unwrap();
        let out = dir.path().join("out.zip");
        copy_items(&src, &[1, 3], &out).unwrap();
        let mut z = zip::ZipArchive::new(File::open(&out).unwrap()).unwrap();
        let names: Vec<String> = z.file_names().map(|n| n.unwrap().to_string()).collect();
        assert_eq!(names, ["a.png", "c.gif"]);
        let mut body = String::new();
        z.by_name("c.gif").unwrap().read_to_string(&mut body).unwrap();
        assert_eq!(body, "CCC");
    }
}
