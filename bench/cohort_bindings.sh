#!/usr/bin/env bash
# Times what cohort bindings derive in the store (migration 006's triggers), with the sqlite3
# shell on a store made by lmsync: MEMBERS accounts put into one cohort, then that cohort bound
# to COURSES courses (each binding enrols every member, with a role), then the cohort emptied.
# Prints Markdown table rows. Needs the sqlite3 shell.
#
#   bench/cohort_bindings.sh            # 50 000 members × 20 courses = 1 000 000 enrolments
#   bench/cohort_bindings.sh 2000 3     # MEMBERS COURSES
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p lmsync -p lmsync-bench
lmsync=$PWD/target/release/lmsync
gen=$PWD/target/release/lmsync-bench
members=${1:-50000}
courses=${2:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LMSYNC_USERS__PRIMARY_IDENTITY=idnumber
data=$work/data
"$lmsync" --data-dir "$data" runs >/dev/null
"$gen" users "$members" > "$data/files/users.csv"
"$gen" courses "$courses" > "$data/files/courses.csv"
"$lmsync" --data-dir "$data" run users --file "$data/files/users.csv" >/dev/null
"$lmsync" --data-dir "$data" run courses --op create --file "$data/files/courses.csv" >/dev/null

# step <label> <rows> <sql>: runs the SQL in one transaction, prints a table row.
step() {
  local label=$1 rows=$2 sql=$3 out secs kb
  out=$( { /usr/bin/time -f '%e %M' sqlite3 "$data/lms.db" \
    "PRAGMA foreign_keys = ON; PRAGMA recursive_triggers = ON; BEGIN; $sql; COMMIT;" >/dev/null; } 2>&1 )
  read -r secs kb <<<"$out"
  printf '| %s | %s | %s s | %s rows/s | %s MB |\n' "$label" "$rows" "$secs" \
    "$(awk -v n="$rows" -v s="$secs" 'BEGIN { printf "%d", (s > 0 ? n / s : n) }')" "$((kb / 1024))"
}

step "cohort of $members members (no binding yet)" "$members" \
  "INSERT INTO cohort (id, name, idnumber) VALUES (1, 'Bench', 'BENCH');
   INSERT INTO cohort_members (cohortid, userid, timeadded) SELECT 1, id, 0 FROM user WHERE idnumber LIKE 'ID%'"
enrolments=$((members * courses))
step "bind it to $courses courses ($enrolments enrolments + roles)" "$enrolments" \
  "INSERT INTO enrol (enrol, course, customint1, roleid)
   SELECT 'cohort', c.id, 1, (SELECT id FROM role WHERE shortname = 'student') FROM course c WHERE c.shortname LIKE 'C%'"
got=$(sqlite3 "$data/lms.db" "SELECT count(*) FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid WHERE e.enrol = 'cohort'")
[ "$got" = "$enrolments" ] || { echo "expected $enrolments derived enrolments, found $got" >&2; exit 1; }
step "one more member (enrolled in $courses courses)" "$courses" \
  "INSERT INTO user (username, firstname, lastname) VALUES ('late.joiner', 'Late', 'Joiner');
   INSERT INTO cohort_members (cohortid, userid) SELECT 1, id FROM user WHERE username = 'late.joiner'"
out=$( { /usr/bin/time -f '%e %M' "$lmsync" --data-dir "$data" check >/dev/null; } 2>&1 ) || { echo "check found drift" >&2; exit 1; }
read -r secs kb <<<"$out"
printf '| `lmsync check` (finds no drift) | %s | %s s | %s rows/s | %s MB |\n' "$((enrolments + courses))" "$secs" \
  "$(awk -v n="$((enrolments + courses))" -v s="$secs" 'BEGIN { printf "%d", (s > 0 ? n / s : n) }')" "$((kb / 1024))"
step "empty the cohort (everything derived removed)" "$((enrolments + courses))" \
  "DELETE FROM cohort_members WHERE cohortid = 1"
got=$(sqlite3 "$data/lms.db" "SELECT count(*) FROM user_enrolments")
[ "$got" = 0 ] || { echo "expected no enrolments left, found $got" >&2; exit 1; }
