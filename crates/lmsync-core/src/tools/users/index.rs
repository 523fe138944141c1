//! The accounts one chunk of lines can touch, looked up once from the target and then kept up
//! to date as lines are planned, so later lines see what earlier lines of the file will do.

use lmsync_model::User;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub(super) struct UserIndex {
    users: HashMap<i64, User>,
    by_username: HashMap<String, i64>,
    by_idnumber: HashMap<String, Vec<i64>>,
    by_email: HashMap<String, Vec<i64>>,
    /// Accounts planned for creation get negative ids until the target assigns real ones.
    next_provisional: i64,
    /// Input line that planned each provisional account.
    provisional_lines: HashMap<i64, u64>,
}

fn email_key(email: &str) -> String {
    email.to_lowercase()
}

impl UserIndex {
    pub fn new(users: Vec<User>) -> Self {
        let mut index = UserIndex { next_provisional: -1, ..Default::default() };
        for u in users {
            index.insert(u);
        }
        index
    }

    fn insert(&mut self, u: User) {
        self.by_username.insert(u.username.clone(), u.id);
        if !u.idnumber.is_empty() {
            self.by_idnumber.entry(u.idnumber.clone()).or_default().push(u.id);
        }
        if !u.email.is_empty() {
            self.by_email.entry(email_key(&u.email)).or_default().push(u.id);
        }
        self.users.insert(u.id, u);
    }

    fn remove(&mut self, id: i64) -> Option<User> {
        let u = self.users.remove(&id)?;
        if self.by_username.get(&u.username) == Some(&id) {
            self.by_username.remove(&u.username);
        }
        if let Some(ids) = self.by_idnumber.get_mut(&u.idnumber) {
            ids.retain(|i| *i != id);
        }
        if let Some(ids) = self.by_email.get_mut(&email_key(&u.email)) {
            ids.retain(|i| *i != id);
        }
        Some(u)
    }

    pub fn get(&self, id: i64) -> Option<&User> {
        self.users.get(&id)
    }

    pub fn by_username(&self, username: &str) -> Option<&User> {
        self.by_username.get(username).and_then(|id| self.users.get(id))
    }

    pub fn by_idnumber(&self, idnumber: &str) -> Vec<&User> {
        self.lookup(&self.by_idnumber, idnumber)
    }

    pub fn by_email(&self, email: &str) -> Vec<&User> {
        self.lookup(&self.by_email, &email_key(email))
    }

    fn lookup<'a>(&'a self, map: &HashMap<String, Vec<i64>>, key: &str) -> Vec<&'a User> {
        map.get(key).map(|ids| ids.iter().filter_map(|id| self.users.get(id)).collect()).unwrap_or_default()
    }

    /// Records a planned creation; returns its provisional id.
    pub fn add_planned(&mut self, mut u: User, line: u64) -> i64 {
        let id = self.next_provisional;
        self.next_provisional -= 1;
        u.id = id;
        self.provisional_lines.insert(id, line);
        self.insert(u);
        id
    }

    /// Records a planned change of an existing (or provisional) account.
    pub fn replace(&mut self, u: User) {
        self.remove(u.id);
        self.insert(u);
    }

    /// The file line that plans the creation of a provisional account.
    pub fn planned_on(&self, id: i64) -> Option<u64> {
        self.provisional_lines.get(&id).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, username: &str, idnumber: &str, email: &str) -> User {
        User { id, username: username.into(), idnumber: idnumber.into(), email: email.into(), ..Default::default() }
    }

    #[test]
    fn lookups_follow_planned_changes() {
        let mut index = UserIndex::new(vec![user(5, "ann", "A1", "Ann@X.fr")]);
        assert_eq!(index.by_email("ann@x.fr")[0].id, 5);
        let mut renamed = index.get(5).unwrap().clone();
        renamed.username = "anna".into();
        renamed.idnumber = "A2".into();
        index.replace(renamed);
        assert!(index.by_username("ann").is_none());
        assert_eq!(index.by_username("anna").unwrap().id, 5);
        assert!(index.by_idnumber("A1").is_empty());
        let id = index.add_planned(user(0, "bob", "B1", "b@x.fr"), 9);
        assert!(id < 0);
        assert_eq!(index.by_idnumber("B1")[0].username, "bob");
        assert_eq!(index.planned_on(id), Some(9));
    }
}
