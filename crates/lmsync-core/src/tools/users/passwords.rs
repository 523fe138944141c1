//! Password work of a chunk: bcrypt hashing and verification spread over every core (bcrypt is
//! slow by design), password generation, and the protected file that lists generated passwords.

use rand::Rng;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::plan::PasswordWork;

/// What the password pass decided for one line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct PasswordResult {
    /// New hash to store; `None` = keep the stored one.
    pub hash: Option<String>,
    /// The clear-text password generated for this line, to hand to the operator.
    pub generated: Option<String>,
    /// The new password in clear (given or generated), for a target that hashes it itself.
    pub clear: Option<String>,
}

const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const SYMBOLS: &[u8] = b"#%*+-=?@_";

/// A 12-character password with lower and upper case letters, digits and a symbol, so it
/// passes the platform's default password policy; look-alike characters are left out.
pub(super) fn generate() -> String {
    let mut rng = rand::rng();
    loop {
        let mut p: Vec<u8> = (0..11).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())]).collect();
        p.insert(rng.random_range(0..=p.len()), SYMBOLS[rng.random_range(0..SYMBOLS.len())]);
        let has = |f: fn(&u8) -> bool| p.iter().any(f);
        if has(u8::is_ascii_lowercase) && has(u8::is_ascii_uppercase) && has(u8::is_ascii_digit) {
            return String::from_utf8(p).unwrap_or_default();
        }
    }
}

fn one(work: &PasswordWork, cost: u32) -> Result<PasswordResult, String> {
    let hash = |p: &str| bcrypt::hash(p, cost).map_err(|e| format!("cannot hash the password: {e}"));
    Ok(match work {
        PasswordWork::None => PasswordResult::default(),
        PasswordWork::Hash(p) => PasswordResult { hash: Some(hash(p)?), generated: None, clear: Some(p.clone()) },
        PasswordWork::Generate => {
            let p = generate();
            PasswordResult { hash: Some(hash(&p)?), generated: Some(p.clone()), clear: Some(p) }
        }
        PasswordWork::Verify { plain, stored } => match bcrypt::verify(plain, stored) {
            Ok(true) => PasswordResult::default(),
            _ => PasswordResult { hash: Some(hash(plain)?), generated: None, clear: Some(plain.clone()) },
        },
    })
}

/// Runs the password work of a chunk on all cores; results are in input order.
pub(super) fn run(work: &[PasswordWork], cost: u32) -> Vec<Result<PasswordResult, String>> {
    let busy = work.iter().filter(|w| **w != PasswordWork::None).count();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(busy.max(1));
    if threads <= 1 {
        return work.iter().map(|w| one(w, cost)).collect();
    }
    let size = work.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = work
            .chunks(size)
            .map(|part| scope.spawn(move || part.iter().map(|w| one(w, cost)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|_| vec![Err("password hashing failed".to_string())]))
            .collect()
    })
}

/// `reports/<stamp>_passwords_<input name>`: `username;password` lines, readable by its owner only.
pub(super) struct PasswordFile {
    path: PathBuf,
    out: Option<BufWriter<File>>,
    pub count: u64,
}

impl PasswordFile {
    pub fn new(path: PathBuf) -> Self {
        PasswordFile { path, out: None, count: 0 }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lists one password, creating the file on first use under a name no earlier file has
    /// (two runs of a same-named file in one minute get `-2`), and flushing it at once so a
    /// crash never loses a password whose account exists.
    pub fn add(&mut self, username: &str, password: &str) -> io::Result<()> {
        if self.out.is_none() {
            let dir = self.path.parent().map(Path::to_path_buf).unwrap_or_default();
            let name = self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            self.path = crate::area::FileArea::unique_path(&dir, &name);
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut w = BufWriter::new(options.open(&self.path)?);
            writeln!(w, "username;password")?;
            self.out = Some(w);
        }
        if let Some(w) = &mut self.out {
            writeln!(w, "{username};{password}")?;
            w.flush()?;
            self.count += 1;
        }
        Ok(())
    }

    pub fn finish(&mut self) -> io::Result<()> {
        if let Some(w) = self.out.take() {
            w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_meet_the_default_policy() {
        for _ in 0..50 {
            let p = generate();
            assert_eq!(p.len(), 12);
            assert!(p.bytes().any(|b| SYMBOLS.contains(&b)));
            assert!(p.bytes().any(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn hashing_verifying_and_generating_in_parallel_keep_order() {
        let stored = bcrypt::hash("secret", 4).unwrap();
        let work = vec![
            PasswordWork::Hash("a".into()),
            PasswordWork::None,
            PasswordWork::Verify { plain: "secret".into(), stored: stored.clone() },
            PasswordWork::Verify { plain: "other".into(), stored },
            PasswordWork::Generate,
        ];
        let r: Vec<PasswordResult> = run(&work, 4).into_iter().map(Result::unwrap).collect();
        assert!(bcrypt::verify("a", r[0].hash.as_deref().unwrap()).unwrap());
        assert_eq!(r[1], PasswordResult::default());
        assert_eq!(r[2], PasswordResult::default(), "a matching password is kept");
        assert!(bcrypt::verify("other", r[3].hash.as_deref().unwrap()).unwrap());
        let generated = r[4].generated.as_deref().unwrap();
        assert!(bcrypt::verify(generated, r[4].hash.as_deref().unwrap()).unwrap());
    }

    #[cfg(unix)]
    #[test]
    fn the_password_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mut f = PasswordFile::new(dir.path().join("p.csv"));
        f.add("jdoe", "Xy3#abcdefgh").unwrap();
        f.finish().unwrap();
        let meta = std::fs::metadata(f.path()).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(f.path()).unwrap(), "username;password\njdoe;Xy3#abcdefgh\n");
    }
}
