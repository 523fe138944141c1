//! Consistency check of what cohort bindings derive. Migration 006's triggers keep enrolments,
//! roles and group memberships in step with cohort membership; a database edited by hand, or
//! restored in part, can still drift. This finds each kind of drift and repairs it.

use crate::{SqliteStore, StoreError};

/// One kind of drift: what it is, how to count it and how to repair it. Repairs run in this
/// order, so that the triggers fired by the first ones (an enrolment added grants its role and
/// group) leave the later ones less to do.
struct Drift {
    name: &'static str,
    count: &'static str,
    repair: &'static str,
}

const DRIFTS: &[Drift] = &[
    Drift {
        name: "enrolments of people no longer in the bound cohort",
        count: "SELECT count(*) FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid
                WHERE e.enrol = 'cohort' AND NOT EXISTS (SELECT 1 FROM cohort_members m WHERE m.cohortid = e.customint1 AND m.userid = ue.userid)",
        repair: "DELETE FROM user_enrolments WHERE id IN (SELECT ue.id FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid
                WHERE e.enrol = 'cohort' AND NOT EXISTS (SELECT 1 FROM cohort_members m WHERE m.cohortid = e.customint1 AND m.userid = ue.userid))",
    },
    Drift {
        name: "cohort members not enrolled through an enabled binding",
        count: "SELECT count(*) FROM enrol e JOIN cohort_members m ON m.cohortid = e.customint1
                WHERE e.enrol = 'cohort' AND e.status = 0 AND NOT EXISTS (SELECT 1 FROM user_enrolments ue WHERE ue.enrolid = e.id AND ue.userid = m.userid)",
        repair: "INSERT INTO user_enrolments (enrolid, userid, status, timestart, timeend, timecreated, timemodified)
                SELECT e.id, m.userid, 0, e.enrolstartdate, e.enrolenddate, strftime('%s', 'now'), strftime('%s', 'now')
                FROM enrol e JOIN cohort_members m ON m.cohortid = e.customint1 WHERE e.enrol = 'cohort' AND e.status = 0
                ON CONFLICT (enrolid, userid) DO NOTHING",
    },
    Drift {
        name: "enrolments whose activity differs from their binding's",
        count: "SELECT count(*) FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid
                WHERE e.enrol = 'cohort' AND (ue.status = 0) <> (e.status = 0)",
        repair: "UPDATE user_enrolments SET status = CASE WHEN (SELECT status FROM enrol WHERE id = enrolid) = 0 THEN 0 ELSE 1 END,
                        timemodified = strftime('%s', 'now')
                WHERE id IN (SELECT ue.id FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid
                             WHERE e.enrol = 'cohort' AND (ue.status = 0) <> (e.status = 0))",
    },
    Drift {
        name: "roles held through a binding without an active enrolment, or not the binding's role",
        count: "SELECT count(*) FROM role_assignments ra LEFT JOIN enrol e ON e.id = ra.itemid
                WHERE ra.component = 'enrol_cohort' AND (e.id IS NULL OR e.roleid IS NOT ra.roleid OR e.course <> ra.courseid
                   OR NOT EXISTS (SELECT 1 FROM user_enrolments ue WHERE ue.enrolid = e.id AND ue.userid = ra.userid AND ue.status = 0))",
        repair: "DELETE FROM role_assignments WHERE id IN (SELECT ra.id FROM role_assignments ra LEFT JOIN enrol e ON e.id = ra.itemid
                WHERE ra.component = 'enrol_cohort' AND (e.id IS NULL OR e.roleid IS NOT ra.roleid OR e.course <> ra.courseid
                   OR NOT EXISTS (SELECT 1 FROM user_enrolments ue WHERE ue.enrolid = e.id AND ue.userid = ra.userid AND ue.status = 0)))",
    },
    Drift {
        name: "active enrolments through a binding missing its role",
        count: "SELECT count(*) FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid
                WHERE e.enrol = 'cohort' AND ue.status = 0 AND e.roleid IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM role_assignments ra WHERE ra.roleid = e.roleid AND ra.courseid = e.course
                                  AND ra.userid = ue.userid AND ra.component = 'enrol_cohort' AND ra.itemid = e.id)",
        repair: "INSERT INTO role_assignments (roleid, courseid, userid, component, itemid, timemodified)
                SELECT e.roleid, e.course, ue.userid, 'enrol_cohort', e.id, strftime('%s', 'now')
                FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid
                WHERE e.enrol = 'cohort' AND ue.status = 0 AND e.roleid IS NOT NULL
                ON CONFLICT DO NOTHING",
    },
    Drift {
        name: "group memberships held through a binding without an enrolment, or in another group",
        count: "SELECT count(*) FROM groups_members gm LEFT JOIN enrol e ON e.id = gm.itemid
                WHERE gm.component = 'enrol_cohort' AND (e.id IS NULL OR e.customint2 IS NOT gm.groupid
                   OR NOT EXISTS (SELECT 1 FROM user_enrolments ue WHERE ue.enrolid = e.id AND ue.userid = gm.userid))",
        repair: "DELETE FROM groups_members WHERE component = 'enrol_cohort' AND (groupid, userid) IN (
                SELECT gm.groupid, gm.userid FROM groups_members gm LEFT JOIN enrol e ON e.id = gm.itemid
                WHERE gm.component = 'enrol_cohort' AND (e.id IS NULL OR e.customint2 IS NOT gm.groupid
                   OR NOT EXISTS (SELECT 1 FROM user_enrolments ue WHERE ue.enrolid = e.id AND ue.userid = gm.userid)))",
    },
    Drift {
        name: "enrolments through a binding missing from its group",
        count: "SELECT count(*) FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid
                JOIN groups g ON g.id = e.customint2 AND g.courseid = e.course
                WHERE e.enrol = 'cohort' AND NOT EXISTS (SELECT 1 FROM groups_members gm WHERE gm.groupid = g.id AND gm.userid = ue.userid)",
        repair: "INSERT INTO groups_members (groupid, userid, component, itemid, timeadded)
                SELECT g.id, ue.userid, 'enrol_cohort', e.id, strftime('%s', 'now')
                FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid JOIN groups g ON g.id = e.customint2 AND g.courseid = e.course
                WHERE e.enrol = 'cohort'
                ON CONFLICT DO NOTHING",
    },
];

/// How many rows of one kind of drift were found (and, when repairing, repaired).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftFound {
    pub what: &'static str,
    pub rows: i64,
}

impl SqliteStore {
    /// Counts every kind of cohort drift; with `repair`, repairs all of it in one transaction.
    /// Returns the kinds found (rows > 0), counted before the repair.
    pub fn cohort_drift(&self, repair: bool) -> Result<Vec<DriftFound>, StoreError> {
        let tx = self.connection().unchecked_transaction()?;
        let mut found = Vec::new();
        for d in DRIFTS {
            let rows: i64 = tx.query_row(d.count, [], |r| r.get(0))?;
            if rows > 0 {
                found.push(DriftFound { what: d.name, rows });
                if repair {
                    tx.execute(d.repair, [])?;
                }
            }
        }
        if repair {
            tx.commit()?;
        }
        Ok(found)
    }
}
