//! Who may do what in the console and the API (DECISIONS §7): three roles, each allowing what
//! the one below allows; console passwords hashed with argon2, API tokens kept only as their
//! SHA-256.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use sha2::{Digest, Sha256};

/// A role, from the least to the most allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads runs, reports and data.
    Viewer,
    /// Also runs tools and manages files.
    Operator,
    /// Also changes settings and accounts.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

/// An argon2 hash (PHC string) of a console password.
pub fn hash_password(password: &str) -> Result<String, String> {
    let bytes: [u8; 16] = rand::rng().random();
    let salt = SaltString::encode_b64(&bytes).map_err(|e| e.to_string())?;
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A new API token (shown once) and the hash that is kept.
pub fn new_token() -> (String, String) {
    let bytes: [u8; 24] = rand::rng().random();
    let token = format!("lms_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A password for a new console account: 16 characters of letters and digits.
pub fn new_password() -> String {
    const CHARS: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16).map(|_| CHARS[rng.random_range(0..CHARS.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_allow_what_the_roles_below_allow() {
        assert!(Role::Admin.allows(Role::Operator) && Role::Admin.allows(Role::Viewer));
        assert!(Role::Operator.allows(Role::Viewer) && !Role::Operator.allows(Role::Admin));
        assert!(!Role::Viewer.allows(Role::Operator));
        assert_eq!(Role::parse("operator"), Some(Role::Operator));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn passwords_and_tokens_are_kept_only_hashed() {
        let hash = hash_password("s3cret!").unwrap();
        assert!(hash.starts_with("$argon2"));
        assert!(verify_password("s3cret!", &hash) && !verify_password("S3cret!", &hash));
        let (token, kept) = new_token();
        assert!(token.starts_with("lms_") && token.len() == 52);
        assert_eq!(token_hash(&token), kept);
        assert_ne!(new_token().0, token);
        assert_eq!(new_password().len(), 16);
    }
}
