//! The categories functions (none registered yet).
use super::Function;
use crate::config::Config;
pub fn functions(_cfg: &Config) -> Vec<Function> {
    Vec::new()
}
