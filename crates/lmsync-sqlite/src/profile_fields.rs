//! Custom profile field definitions (`user_info_field`): listed for the users tool, added by
//! the `profile-fields` command.

use lmsync_model::{ProfileField, ProfileFieldType};
use rusqlite::Connection;

use crate::{SqliteStore, StoreError};

pub(crate) fn list(conn: &Connection) -> rusqlite::Result<Vec<ProfileField>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, shortname, name, datatype, locked, visible, param1 FROM user_info_field ORDER BY sortorder, id",
    )?;
    let rows = stmt.query_map([], |r| {
        let datatype: String = r.get(3)?;
        let param1: String = r.get(6)?;
        Ok(ProfileField {
            id: r.get(0)?,
            shortname: r.get(1)?,
            name: r.get(2)?,
            datatype: ProfileFieldType::parse(&datatype).unwrap_or(ProfileFieldType::Text),
            locked: r.get(4)?,
            visible: r.get::<_, i64>(5)? != 0,
            options: param1.lines().map(str::to_string).filter(|l| !l.is_empty()).collect(),
        })
    })?;
    rows.collect()
}

/// A field to define.
#[derive(Debug, Clone)]
pub struct NewProfileField {
    pub shortname: String,
    pub name: String,
    pub datatype: ProfileFieldType,
    pub options: Vec<String>,
    pub locked: bool,
}

impl SqliteStore {
    pub fn profile_fields(&self) -> Result<Vec<ProfileField>, StoreError> {
        Ok(list(&self.conn)?)
    }

    pub fn add_profile_field(&self, f: &NewProfileField) -> Result<i64, StoreError> {
        if f.shortname.is_empty() || !f.shortname.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(StoreError::Invalid(format!(
                "profile field shortname {:?} may only contain letters, digits and _",
                f.shortname
            )));
        }
        if f.datatype == ProfileFieldType::Menu && f.options.is_empty() {
            return Err(StoreError::Invalid("a menu field needs its options (--option A --option B)".into()));
        }
        if list(&self.conn)?.iter().any(|x| x.shortname == f.shortname) {
            return Err(StoreError::Invalid(format!("a profile field named {} already exists", f.shortname)));
        }
        self.conn.execute(
            "INSERT INTO user_info_field (shortname, name, datatype, locked, param1, sortorder) VALUES (?1, ?2, ?3, ?4, ?5, (SELECT coalesce(max(sortorder), 0) + 1 FROM user_info_field WHERE sortorder < 999))",
            rusqlite::params![f.shortname, f.name, f.datatype.as_str(), f.locked, f.options.join("\n")],
        )?;
        Ok(self.conn.last_insert_rowid())
    }
}
