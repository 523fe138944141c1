//! Console accounts and API tokens (migration 008): created, listed, checked, revoked.

use lmsync_core::access::{Role, hash_password, new_token, token_hash, verify_password};
use rusqlite::{OptionalExtension, params};

use crate::{SqliteStore, StoreError, now};

/// A console account or an API token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub name: String,
    pub role: Role,
    pub created: i64,
}

fn role_of(s: String) -> Role {
    Role::parse(&s).unwrap_or(Role::Viewer)
}

impl SqliteStore {
    pub fn account_count(&self) -> Result<u64, StoreError> {
        Ok(self.conn.query_row("SELECT count(*) FROM console_accounts", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Creates a console account, or sets a new password and role for an existing one.
    pub fn set_account(&mut self, username: &str, password: &str, role: Role) -> Result<(), StoreError> {
        let hash = hash_password(password).map_err(StoreError::Invalid)?;
        self.conn.execute(
            "INSERT INTO console_accounts (username, password_hash, role, timecreated) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role",
            params![username, hash, role.as_str(), now()],
        )?;
        Ok(())
    }

    /// The role of an account whose password matches.
    pub fn login(&self, username: &str, password: &str) -> Result<Option<Role>, StoreError> {
        let found: Option<(String, String)> = self
            .conn
            .query_row("SELECT password_hash, role FROM console_accounts WHERE username = ?1", [username], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        Ok(found.filter(|(hash, _)| verify_password(password, hash)).map(|(_, role)| role_of(role)))
    }

    pub fn accounts(&self) -> Result<Vec<Grant>, StoreError> {
        let mut stmt =
            self.conn.prepare("SELECT username, role, timecreated FROM console_accounts ORDER BY username")?;
        let rows =
            stmt.query_map([], |r| Ok(Grant { name: r.get(0)?, role: role_of(r.get(1)?), created: r.get(2)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn remove_account(&mut self, username: &str) -> Result<bool, StoreError> {
        Ok(self.conn.execute("DELETE FROM console_accounts WHERE username = ?1", [username])? > 0)
    }

    /// Creates an API token named `name`; returns the token, shown once.
    pub fn create_token(&mut self, name: &str, role: Role) -> Result<String, StoreError> {
        let (token, hash) = new_token();
        self.conn
            .execute(
                "INSERT INTO api_tokens (name, token_hash, role, timecreated) VALUES (?1, ?2, ?3, ?4)",
                params![name, hash, role.as_str(), now()],
            )
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Invalid(format!(
                    "a token named {name:?} exists; revoke it first or choose another name"
                )),
                _ => e.into(),
            })?;
        Ok(token)
    }

    /// The role a bearer token grants, if it is a live token (its last use is recorded).
    pub fn token_role(&self, token: &str) -> Result<Option<Role>, StoreError> {
        let hash = token_hash(token);
        let role: Option<String> = self
            .conn
            .query_row("SELECT role FROM api_tokens WHERE token_hash = ?1", [&hash], |r| r.get(0))
            .optional()?;
        if role.is_some() {
            self.conn.execute("UPDATE api_tokens SET lastused = ?2 WHERE token_hash = ?1", params![hash, now()])?;
        }
        Ok(role.map(role_of))
    }

    pub fn tokens(&self) -> Result<Vec<Grant>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT name, role, timecreated FROM api_tokens ORDER BY name")?;
        let rows =
            stmt.query_map([], |r| Ok(Grant { name: r.get(0)?, role: role_of(r.get(1)?), created: r.get(2)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn revoke_token(&mut self, name: &str) -> Result<bool, StoreError> {
        Ok(self.conn.execute("DELETE FROM api_tokens WHERE name = ?1", [name])? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_log_in_with_their_password_and_tokens_grant_their_role_until_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("lms.db")).unwrap();
        assert_eq!(store.account_count().unwrap(), 0);
        store.set_account("ops", "pw-1", Role::Operator).unwrap();
        assert_eq!(store.login("ops", "pw-1").unwrap(), Some(Role::Operator));
        assert_eq!(store.login("ops", "pw-2").unwrap(), None);
        assert_eq!(store.login("nobody", "pw-1").unwrap(), None);
        store.set_account("ops", "pw-2", Role::Viewer).unwrap();
        assert_eq!(store.login("ops", "pw-2").unwrap(), Some(Role::Viewer));
        let token = store.create_token("erp", Role::Operator).unwrap();
        assert_eq!(store.token_role(&token).unwrap(), Some(Role::Operator));
        assert_eq!(store.token_role("lms_forged").unwrap(), None);
        assert!(store.create_token("erp", Role::Admin).is_err(), "names are unique");
        assert!(store.revoke_token("erp").unwrap());
        assert_eq!(store.token_role(&token).unwrap(), None);
    }
}
