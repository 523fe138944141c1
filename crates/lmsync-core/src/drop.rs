//! The drop folder (DECISIONS §4, framework §3): an external feeder (SFTP, rsync) puts command
//! files in `<data dir>/sync`; an import moves them into the file area root. While the feeder's
//! `alock.txt` exists nothing is imported; `lock.txt` (holding the Unix time) exists exactly
//! while lmsync imports. A file still being written waits; a file of the same name in the area
//! is replaced only once the new one is completely and durably copied, and the source is removed
//! only then. Locks older than `drop.stale_lock_hours` are reported, once per lock episode.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::area::{FileArea, sync_dir};
use crate::lock::{LockError, ToolLock};

/// The feeder's lock: present while it uploads.
pub const WRITER_LOCK: &str = "alock.txt";
/// lmsync's lock: present while it imports.
pub const READER_LOCK: &str = "lock.txt";

pub struct DropFolder {
    pub dir: PathBuf,
    /// A file modified less than this ago is still being written.
    pub settle: Duration,
    /// A lock older than this raises an alarm.
    pub stale_after: Duration,
}

/// Which side holds a lock too long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockSide {
    /// `alock.txt`: the remote feeder.
    Writer,
    /// `lock.txt`: lmsync itself (an import that died).
    Reader,
}

/// A lock older than the threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleLock {
    pub side: LockSide,
    pub path: PathBuf,
    /// Its modification time, in Unix seconds: one lock episode.
    pub since: i64,
    pub age: Duration,
}

impl StaleLock {
    /// Subject of the alarm (DECISIONS §4).
    pub fn subject(&self, site: &str) -> String {
        match self.side {
            LockSide::Writer => format!("{site} : write lock too old"),
            LockSide::Reader => format!("{site} : read lock too old"),
        }
    }

    /// Body of the alarm: whose fault it is and what to do.
    pub fn body(&self) -> String {
        let hours = self.age.as_secs() / 3600;
        let minutes = self.age.as_secs() % 3600 / 60;
        match self.side {
            LockSide::Writer => format!(
                "The feeder's lock {} has existed for {hours} h {minutes:02} min. While it exists lmsync imports nothing \
                 from the drop folder, so no new command file is processed.\n\n\
                 The remote writer is at fault: its upload job probably died before removing the lock. Check the job \
                 on the sending side (SFTP, rsync), then remove {} once no upload is running.",
                self.path.display(),
                self.path.display()
            ),
            LockSide::Reader => format!(
                "lmsync's own import lock {} has existed for {hours} h {minutes:02} min: an import was interrupted \
                 (crash, kill, full disk) and left it behind.\n\n\
                 lmsync is at fault, not the feeder. The next import removes it and goes on; if this message comes \
                 back, check the service's log and the disk of the data directory.",
                self.path.display()
            ),
        }
    }
}

/// What one import pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Import {
    /// Files moved into the area root, in name order.
    pub imported: Vec<String>,
    /// Files still being written, left for the next pass.
    pub waiting: Vec<String>,
    /// `alock.txt` was present: nothing was imported.
    pub blocked: bool,
    /// A `lock.txt` left by an interrupted import was removed.
    pub recovered_lock: bool,
    pub stale: Vec<StaleLock>,
    /// Files that could not be imported, with the reason (they stay in the drop folder).
    pub errors: Vec<String>,
}

/// Files of the drop folder an import would consider, in name order.
pub fn candidates(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with('_') || name == WRITER_LOCK || name == READER_LOCK {
            continue;
        }
        if entry.file_type()?.is_file() {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

fn age(path: &Path, now: SystemTime) -> Option<(i64, Duration)> {
    let mtime = fs::metadata(path).ok()?.modified().ok()?;
    let since = mtime.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    Some((since, now.duration_since(mtime).unwrap_or_default()))
}

impl DropFolder {
    /// One import pass. Imports are serialised by an OS lock (`locks_dir/drop.lock`): a pass
    /// that finds another one running returns at once, importing nothing.
    pub fn import(&self, area: &FileArea, locks_dir: &Path, now: SystemTime) -> io::Result<Import> {
        let mut out = Import::default();
        fs::create_dir_all(&self.dir)?;
        let _serial = match ToolLock::acquire(locks_dir, "drop") {
            Ok(lock) => lock,
            Err(LockError::Busy(_)) => return Ok(out),
            Err(LockError::Io { source, .. }) => return Err(source),
        };
        let writer = self.dir.join(WRITER_LOCK);
        if writer.exists() {
            out.blocked = true;
            if let Some((since, age)) = age(&writer, now).filter(|(_, a)| *a >= self.stale_after) {
                out.stale.push(StaleLock { side: LockSide::Writer, path: writer, since, age });
            }
            return Ok(out);
        }
        let reader = self.dir.join(READER_LOCK);
        if reader.exists() {
            // Imports are serialised by the OS lock held above: a lock.txt found now was left by
            // an import that died. It is ours; it goes.
            if let Some((since, age)) = age(&reader, now).filter(|(_, a)| *a >= self.stale_after) {
                out.stale.push(StaleLock { side: LockSide::Reader, path: reader.clone(), since, age });
            }
            out.recovered_lock = true;
        }
        let files = candidates(&self.dir)?;
        if files.is_empty() {
            if out.recovered_lock {
                fs::remove_file(&reader)?;
            }
            return Ok(out);
        }
        write_lock(&reader, now)?;
        for file in files {
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            match age(&file, now) {
                Some((_, age)) if age < self.settle => {
                    out.waiting.push(name);
                    continue;
                }
                None => continue,
                Some(_) => {}
            }
            match move_in(&file, area.root(), &name) {
                Ok(()) => out.imported.push(name),
                Err(e) => out.errors.push(format!("{name}: {e}")),
            }
        }
        fs::remove_file(&reader)?;
        sync_dir(&self.dir);
        Ok(out)
    }
}

/// `lock.txt` holding the Unix time, durable before anything is imported.
fn write_lock(path: &Path, now: SystemTime) -> io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()).to_string().as_bytes())?;
    f.sync_all()
}

/// Copies `src` to a hidden temporary name in `dest_dir`, syncs it, renames it over `name`,
/// syncs the folder, and only then removes the source.
fn move_in(src: &Path, dest_dir: &Path, name: &str) -> io::Result<()> {
    fs::create_dir_all(dest_dir)?;
    let tmp = dest_dir.join(format!(".{name}.importing"));
    let copied = (|| {
        fs::copy(src, &tmp)?;
        File::open(&tmp)?.sync_all()?;
        fs::rename(&tmp, dest_dir.join(name))?;
        sync_dir(dest_dir);
        Ok(())
    })();
    if copied.is_err() {
        let _ = fs::remove_file(&tmp);
        return copied;
    }
    fs::remove_file(src)
}

/// Alarms already sent, one per lock episode (lock file and modification time), kept in a small
/// file so a restart does not send them again.
pub struct AlarmLog {
    path: PathBuf,
}

impl AlarmLog {
    pub fn new(locks_dir: &Path) -> Self {
        AlarmLog { path: locks_dir.join("lock-alarms.txt") }
    }

    fn read(&self) -> Vec<String> {
        fs::read_to_string(&self.path).map(|s| s.lines().map(str::to_string).collect()).unwrap_or_default()
    }

    fn key(lock: &StaleLock) -> String {
        format!("{} {}", lock.path.display(), lock.since)
    }

    /// The stale locks not alarmed yet; records them as alarmed. Episodes whose lock is gone
    /// are forgotten, so the same lock file coming back later alarms again.
    pub fn fresh(&self, stale: &[StaleLock]) -> io::Result<Vec<StaleLock>> {
        let known = self.read();
        let fresh: Vec<StaleLock> = stale.iter().filter(|l| !known.contains(&Self::key(l))).cloned().collect();
        let mut keep: Vec<String> =
            known.into_iter().filter(|k| k.rsplit_once(' ').is_some_and(|(p, _)| Path::new(p).exists())).collect();
        keep.extend(fresh.iter().map(Self::key));
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&self.path, keep.join("\n"))?;
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Setup {
        _tmp: tempfile::TempDir,
        drop: DropFolder,
        area: FileArea,
        locks: PathBuf,
    }

    fn setup() -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let drop = DropFolder {
            dir: tmp.path().join("sync"),
            settle: Duration::from_secs(2),
            stale_after: Duration::from_secs(3 * 3600),
        };
        let area = FileArea::new(tmp.path().join("files"));
        area.ensure().unwrap();
        fs::create_dir_all(&drop.dir).unwrap();
        let locks = tmp.path().join(".locks");
        Setup { _tmp: tmp, drop, area, locks }
    }

    fn write_aged(path: &Path, body: &str, age: Duration) {
        fs::write(path, body).unwrap();
        let f = File::options().write(true).open(path).unwrap();
        f.set_modified(SystemTime::now() - age).unwrap();
    }

    const OLD: Duration = Duration::from_secs(60);

    #[test]
    fn settled_files_move_into_the_area_and_the_rest_stays() {
        let s = setup();
        write_aged(&s.drop.dir.join("users.csv"), "new", OLD);
        write_aged(&s.drop.dir.join("blocked.csv"), "x", OLD);
        write_aged(&s.drop.dir.join("fresh.csv"), "still writing", Duration::ZERO);
        for skipped in [".hidden.csv", "_answer.csv"] {
            write_aged(&s.drop.dir.join(skipped), "x", OLD);
        }
        fs::create_dir_all(s.drop.dir.join("sub")).unwrap();
        fs::write(s.area.root().join("users.csv"), "old").unwrap();
        let out = s.drop.import(&s.area, &s.locks, SystemTime::now()).unwrap();
        assert_eq!(out.imported, ["blocked.csv", "users.csv"], "only lock.txt and alock.txt are locks (F1)");
        assert_eq!(out.waiting, ["fresh.csv"]);
        assert_eq!(fs::read_to_string(s.area.root().join("users.csv")).unwrap(), "new");
        assert!(!s.drop.dir.join("users.csv").exists());
        for left in ["fresh.csv", ".hidden.csv", "_answer.csv", "sub"] {
            assert!(s.drop.dir.join(left).exists(), "{left}");
        }
        assert!(!s.drop.dir.join(READER_LOCK).exists(), "lock.txt exists only while importing");
    }

    #[test]
    fn the_writer_lock_blocks_everything_and_is_stale_after_the_threshold() {
        let s = setup();
        write_aged(&s.drop.dir.join("users.csv"), "x", OLD);
        write_aged(&s.drop.dir.join(WRITER_LOCK), "", Duration::from_secs(600));
        let out = s.drop.import(&s.area, &s.locks, SystemTime::now()).unwrap();
        assert!(out.blocked && out.imported.is_empty() && out.stale.is_empty());
        assert!(s.drop.dir.join("users.csv").exists());
        let later = SystemTime::now() + Duration::from_secs(3 * 3600);
        let out = s.drop.import(&s.area, &s.locks, later).unwrap();
        assert_eq!(out.stale.len(), 1);
        assert_eq!(out.stale[0].side, LockSide::Writer);
        assert_eq!(out.stale[0].subject("Uni"), "Uni : write lock too old");
        assert!(out.stale[0].body().contains("remote writer is at fault"));
        fs::remove_file(s.drop.dir.join(WRITER_LOCK)).unwrap();
        let out = s.drop.import(&s.area, &s.locks, SystemTime::now()).unwrap();
        assert_eq!(out.imported, ["users.csv"]);
    }

    #[test]
    fn a_lock_left_by_a_dead_import_is_recognised_removed_and_alarmed_when_old() {
        let s = setup();
        write_aged(&s.drop.dir.join(READER_LOCK), "1700000000", Duration::from_secs(4 * 3600));
        write_aged(&s.drop.dir.join("enrols.csv"), "x", OLD);
        let out = s.drop.import(&s.area, &s.locks, SystemTime::now()).unwrap();
        assert!(out.recovered_lock);
        assert_eq!(out.imported, ["enrols.csv"]);
        assert_eq!(out.stale.len(), 1);
        assert_eq!(out.stale[0].side, LockSide::Reader);
        assert!(out.stale[0].body().contains("lmsync is at fault"));
        assert!(!s.drop.dir.join(READER_LOCK).exists());
    }

    #[test]
    fn alarms_go_once_per_lock_episode() {
        let s = setup();
        let log = AlarmLog::new(&s.locks);
        let lock = s.drop.dir.join(WRITER_LOCK);
        write_aged(&lock, "", Duration::from_secs(4 * 3600));
        let stale = |at| s.drop.import(&s.area, &s.locks, at).unwrap().stale;
        let now = SystemTime::now();
        assert_eq!(log.fresh(&stale(now)).unwrap().len(), 1);
        assert!(log.fresh(&stale(now)).unwrap().is_empty(), "same episode: no second alarm");
        assert!(log.fresh(&stale(now + Duration::from_secs(3600))).unwrap().is_empty());
        // The lock goes, then a new one stays too long: a new episode.
        fs::remove_file(&lock).unwrap();
        assert!(log.fresh(&stale(now)).unwrap().is_empty());
        write_aged(&lock, "", Duration::from_secs(5 * 3600));
        assert_eq!(log.fresh(&stale(now)).unwrap().len(), 1);
    }

    #[test]
    fn a_concurrent_import_pass_does_nothing() {
        let s = setup();
        write_aged(&s.drop.dir.join("users.csv"), "x", OLD);
        let held = ToolLock::acquire(&s.locks, "drop").unwrap();
        let out = s.drop.import(&s.area, &s.locks, SystemTime::now()).unwrap();
        assert!(out.imported.is_empty());
        drop(held);
        assert_eq!(s.drop.import(&s.area, &s.locks, SystemTime::now()).unwrap().imported, ["users.csv"]);
    }
}
