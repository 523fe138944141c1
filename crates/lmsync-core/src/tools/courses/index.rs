//! The courses a chunk of lines refers to, looked up once and kept up to date as lines are
//! planned, so a course created on one line is found by the next.

use lmsync_model::Course;
use std::collections::HashMap;

use crate::settings::CourseIdentity;

#[derive(Debug, Default)]
pub(super) struct CourseIndex {
    courses: HashMap<i64, Course>,
    by_shortname: HashMap<String, i64>,
    by_idnumber: HashMap<String, i64>,
    next_provisional: i64,
}

impl CourseIndex {
    pub fn new(courses: Vec<Course>) -> Self {
        let mut index = CourseIndex { next_provisional: -1, ..Default::default() };
        for c in courses {
            index.insert(c);
        }
        index
    }

    fn insert(&mut self, c: Course) {
        self.by_shortname.insert(c.shortname.clone(), c.id);
        if !c.idnumber.is_empty() {
            self.by_idnumber.insert(c.idnumber.clone(), c.id);
        }
        self.courses.insert(c.id, c);
    }

    fn remove(&mut self, id: i64) {
        if let Some(c) = self.courses.remove(&id) {
            self.by_shortname.retain(|_, v| *v != id);
            if !c.idnumber.is_empty() {
                self.by_idnumber.remove(&c.idnumber);
            }
        }
    }

    pub fn by_shortname(&self, shortname: &str) -> Option<&Course> {
        self.by_shortname.get(shortname).and_then(|id| self.courses.get(id))
    }

    pub fn by_idnumber(&self, idnumber: &str) -> Option<&Course> {
        self.by_idnumber.get(idnumber).and_then(|id| self.courses.get(id))
    }

    /// The course a value designates through `identity`.
    pub fn find(&self, identity: CourseIdentity, value: &str) -> Option<&Course> {
        match identity {
            CourseIdentity::Shortname => self.by_shortname(value),
            CourseIdentity::Idnumber => self.by_idnumber(value),
            CourseIdentity::Id => value.parse::<i64>().ok().filter(|id| *id > 0).and_then(|id| self.courses.get(&id)),
        }
    }

    /// Records a planned creation under a provisional (negative) id.
    pub fn add_planned(&mut self, mut c: Course) -> i64 {
        c.id = self.next_provisional;
        self.next_provisional -= 1;
        let id = c.id;
        self.insert(c);
        id
    }

    pub fn replace(&mut self, c: Course) {
        self.remove(c.id);
        self.insert(c);
    }

    pub fn forget(&mut self, id: i64) {
        self.remove(id);
    }
}
