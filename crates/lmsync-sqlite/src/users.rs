//! Accounts in the `user` table: batched lookups by key, reading rows into `User`, and the
//! streamed export.

use lmsync_core::target::UserKeys;
use lmsync_model::User;
use rusqlite::{Connection, Row, ToSql, params_from_iter};
use std::collections::BTreeMap;
use std::collections::HashMap;

/// Columns read into a `User`, in `from_row` order.
pub(crate) const COLUMNS: &str = "id, auth, confirmed, deleted, suspended, username, password, idnumber, firstname, lastname, email, phone1, phone2, icq, institution, department, address, city, country, lang, timezone, description, url, maildisplay, maildigest, mailformat, autosubscribe, trackforums, picture, timecreated, timemodified";

pub(crate) fn from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        auth: r.get(1)?,
        confirmed: r.get(2)?,
        deleted: r.get(3)?,
        suspended: r.get(4)?,
        username: r.get(5)?,
        password: r.get(6)?,
        idnumber: r.get(7)?,
        firstname: r.get(8)?,
        lastname: r.get(9)?,
        email: r.get(10)?,
        phone1: r.get(11)?,
        phone2: r.get(12)?,
        icq: r.get(13)?,
        institution: r.get(14)?,
        department: r.get(15)?,
        address: r.get(16)?,
        city: r.get(17)?,
        country: r.get(18)?,
        lang: r.get(19)?,
        timezone: r.get(20)?,
        description: r.get(21)?,
        url: r.get(22)?,
        maildisplay: r.get(23)?,
        maildigest: r.get(24)?,
        mailformat: r.get(25)?,
        autosubscribe: r.get(26)?,
        trackforums: r.get(27)?,
        picture: r.get(28)?,
        timecreated: r.get(29)?,
        timemodified: r.get(30)?,
        profile: BTreeMap::new(),
        password_clear: None,
    })
}

/// Keys per `IN (…)` query. Short lists are padded by repeating their last key, so every
/// query of a kind has the same text and its prepared statement is reused.
const BATCH: usize = 256;

pub(crate) fn batched<T: ToSql + Clone>(
    conn: &Connection,
    sql_head: &str,
    keys: &[T],
    mut each: impl FnMut(&Row<'_>) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    if keys.is_empty() {
        return Ok(());
    }
    let placeholders = vec!["?"; BATCH].join(",");
    let sql = format!("{sql_head} IN ({placeholders})");
    let mut stmt = conn.prepare_cached(&sql)?;
    for part in keys.chunks(BATCH) {
        let mut padded: Vec<T> = part.to_vec();
        let last = part[part.len() - 1].clone();
        padded.resize(BATCH, last);
        let mut rows = stmt.query(params_from_iter(padded.iter()))?;
        while let Some(row) = rows.next()? {
            each(row)?;
        }
    }
    Ok(())
}

/// Every account matching any key, deleted ones included, with their profile values.
pub(crate) fn lookup(conn: &Connection, keys: &UserKeys) -> rusqlite::Result<Vec<User>> {
    let mut found: HashMap<i64, User> = HashMap::new();
    let mut keep = |r: &Row<'_>| -> rusqlite::Result<()> {
        // The same account usually matches by username, idnumber and e-mail: read it once.
        if let std::collections::hash_map::Entry::Vacant(slot) = found.entry(r.get(0)?) {
            slot.insert(from_row(r)?);
        }
        Ok(())
    };
    let select = format!("SELECT {COLUMNS} FROM user WHERE");
    batched(conn, &format!("{select} id"), &keys.ids, &mut keep)?;
    batched(conn, &format!("{select} mnethostid = 1 AND username"), &keys.usernames, &mut keep)?;
    batched(conn, &format!("{select} idnumber <> '' AND idnumber"), &keys.idnumbers, &mut keep)?;
    let emails: Vec<String> = keys.emails.iter().map(|e| e.to_lowercase()).collect();
    batched(conn, &format!("{select} email <> '' AND lower(email)"), &emails, &mut keep)?;
    let ids: Vec<i64> = found.keys().copied().collect();
    batched(
        conn,
        "SELECT d.userid, f.shortname, d.data FROM user_info_data d JOIN user_info_field f ON f.id = d.fieldid WHERE d.userid",
        &ids,
        |r| {
            if let Some(u) = found.get_mut(&r.get::<_, i64>(0)?) {
                u.profile.insert(r.get(1)?, r.get(2)?);
            }
            Ok(())
        },
    )?;
    let mut users: Vec<User> = found.into_values().collect();
    users.sort_by_key(|u| u.id);
    Ok(users)
}

impl crate::SqliteStore {
    /// Visits every account in id order with its profile values, without loading them all.
    pub fn each_user(
        &self,
        mut visit: impl FnMut(&User) -> Result<(), crate::StoreError>,
    ) -> Result<(), crate::StoreError> {
        let mut users = self.conn.prepare(&format!("SELECT {COLUMNS} FROM user ORDER BY id"))?;
        let mut data = self.conn.prepare(
            "SELECT d.userid, f.shortname, d.data FROM user_info_data d JOIN user_info_field f ON f.id = d.fieldid ORDER BY d.userid",
        )?;
        let mut data_rows = data.query([])?;
        let mut pending: Option<(i64, String, String)> = None;
        let mut rows = users.query([])?;
        while let Some(row) = rows.next()? {
            let mut u = from_row(row)?;
            loop {
                if pending.is_none() {
                    pending = match data_rows.next()? {
                        Some(r) => Some((r.get(0)?, r.get(1)?, r.get(2)?)),
                        None => break,
                    };
                }
                match &pending {
                    Some((uid, _, _)) if *uid < u.id => pending = None,
                    Some((uid, name, value)) if *uid == u.id => {
                        u.profile.insert(name.clone(), value.clone());
                        pending = None;
                    }
                    _ => break,
                }
            }
            visit(&u)?;
        }
        Ok(())
    }

    /// One account by username, for tests and tools.
    pub fn user_by_username(&self, username: &str) -> Result<Option<User>, crate::StoreError> {
        let keys = UserKeys { usernames: vec![username.to_string()], ..Default::default() };
        Ok(lookup(&self.conn, &keys)?.into_iter().find(|u| u.username == username))
    }

    /// A user preference value.
    pub fn preference(&self, userid: i64, name: &str) -> Result<Option<String>, crate::StoreError> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM user_preferences WHERE userid = ?1 AND name = ?2",
                rusqlite::params![userid, name],
                |r| r.get(0),
            )
            .optional()?)
    }
}
