//! User pictures: storing the three sizes and the original's MD5 (profile field
//! `userpicturehash`), reading a stored size back, and backfilling missing hashes.

use lmsync_model::Picture;
use rusqlite::{Connection, OptionalExtension, params};

use crate::{SqliteStore, StoreError, now};

/// Stores a picture; true when the stored one (images and hash) was different.
pub(crate) fn store(conn: &Connection, p: &Picture) -> rusqlite::Result<bool> {
    let same: bool = conn
        .prepare_cached(
            "SELECT count(*) FROM user_pictures WHERE userid = ?1 AND f1 = ?2 AND f2 = ?3 AND f3 = ?4
             AND ?5 = coalesce((SELECT data FROM user_info_data WHERE userid = ?1 AND fieldid = (SELECT id FROM user_info_field WHERE shortname = 'userpicturehash')), '')",
        )?
        .query_row(params![p.user, p.f1, p.f2, p.f3, p.hash], |r| r.get::<_, i64>(0))?
        > 0;
    if same {
        return Ok(false);
    }
    let t = now();
    conn.prepare_cached(
        "INSERT INTO user_pictures (userid, f1, f2, f3, timemodified) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (userid) DO UPDATE SET f1 = excluded.f1, f2 = excluded.f2, f3 = excluded.f3, timemodified = excluded.timemodified",
    )?
    .execute(params![p.user, p.f1, p.f2, p.f3, t])?;
    conn.prepare_cached("UPDATE user SET picture = 1, timemodified = ?2 WHERE id = ?1")?.execute(params![p.user, t])?;
    set_hash(conn, p.user, &p.hash)?;
    Ok(true)
}

fn set_hash(conn: &Connection, user: i64, hash: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO user_info_data (userid, fieldid, data) SELECT ?1, id, ?2 FROM user_info_field WHERE shortname = 'userpicturehash'
         ON CONFLICT (userid, fieldid) DO UPDATE SET data = excluded.data",
    )?
    .execute(params![user, hash])?;
    Ok(())
}

/// Which stored size of a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureSize {
    /// 100×100
    F1,
    /// 35×35
    F2,
    /// 512×512
    F3,
}

impl SqliteStore {
    /// The PNG of one size of a user's stored picture, if the account has one.
    pub fn picture(&self, username: &str, size: PictureSize) -> Result<Option<Vec<u8>>, StoreError> {
        let column = match size {
            PictureSize::F1 => "f1",
            PictureSize::F2 => "f2",
            PictureSize::F3 => "f3",
        };
        Ok(self
            .conn
            .query_row(
                &format!("SELECT p.{column} FROM user_pictures p JOIN user u ON u.id = p.userid WHERE u.username = ?1 AND u.mnethostid = 1"),
                [username],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Gives every stored picture without a hash the MD5 of its stored 100×100 image (the
    /// original is not kept): returns how many were filled.
    pub fn rehash_pictures(&mut self) -> Result<u64, StoreError> {
        let tx = self.conn.transaction()?;
        let missing: Vec<(i64, Vec<u8>)> = tx
            .prepare(
                "SELECT p.userid, p.f1 FROM user_pictures p WHERE NOT EXISTS (SELECT 1 FROM user_info_data d WHERE d.userid = p.userid
                 AND d.data <> '' AND d.fieldid = (SELECT id FROM user_info_field WHERE shortname = 'userpicturehash'))",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (user, f1) in &missing {
            set_hash(&tx, *user, &format!("{:x}", md5_of(f1)))?;
        }
        tx.commit()?;
        Ok(missing.len() as u64)
    }
}

fn md5_of(bytes: &[u8]) -> md5::digest::Output<md5::Md5> {
    use md5::Digest;
    md5::Md5::digest(bytes)
}
