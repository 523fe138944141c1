#!/usr/bin/env bash
# Times the cohort tool on files: a members file putting MEMBERS accounts into one cohort (then
# the same file again, unchanged), then a cohort of BOUND members bound to COURSES courses by a
# bindings file (every member enrolled in every course), then that cohort emptied by a `free`
# line. Prints Markdown table rows: step, lines, seconds, rows/s, peak RSS.
#
#   bench/cohorts.sh                    # 200 000 members; 50 000 bound to 20 courses
#   bench/cohorts.sh 5000 2000 3        # MEMBERS BOUND COURSES
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p lmsync -p lmsync-bench
lmsync=$PWD/target/release/lmsync
gen=$PWD/target/release/lmsync-bench
members=${1:-200000}
bound=${2:-50000}
courses=${3:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LMSYNC_USERS__PRIMARY_IDENTITY=idnumber LMSYNC_COHORTS__USER_IDENTIFIER=idnumber
data=$work/data
"$lmsync" --data-dir "$data" runs >/dev/null
"$gen" users "$members" > "$work/users.csv"
"$gen" courses "$courses" > "$work/courses.csv"
"$lmsync" --data-dir "$data" run users --file "$work/users.csv" >/dev/null
"$lmsync" --data-dir "$data" run courses --op create --file "$work/courses.csv" >/dev/null

# timed <label> <rows> <expected counts> <lmsync args…>: runs lmsync, checks its summary line.
timed() {
  local label=$1 rows=$2 expect=$3 out secs kb
  shift 3
  out=$( { /usr/bin/time -f '%e %M' "$lmsync" --data-dir "$data" "$@" > "$work/out.txt"; } 2>&1 ) || true
  grep -q "$expect" "$work/out.txt" || { echo "$label: expected \"$expect\":" >&2; cat "$work/out.txt" >&2; exit 1; }
  read -r secs kb <<<"$(tail -1 <<<"$out")"
  printf '| %s | %s | %s s | %s rows/s | %s MB |\n' "$label" "$rows" "$secs" \
    "$(awk -v n="$rows" -v s="$secs" 'BEGIN { printf "%d", (s > 0 ? n / s : n) }')" "$((kb / 1024))"
}

"$gen" cohort-members "$members" --idnumber BIG > "$work/big.csv"
timed "members file: $members members into one new cohort" "$members" "created 1, updated $((members - 1))," \
  run cohorts --op members --file "$work/big.csv"
"$gen" cohort-members "$members" --idnumber BIG > "$work/big.csv"
timed "the same file again (nothing to do)" "$members" "unchanged $members," \
  run cohorts --op members --file "$work/big.csv"

"$gen" cohort-members "$bound" --idnumber BOUND > "$work/bound.csv"
"$lmsync" --data-dir "$data" run cohorts --op members --file "$work/bound.csv" >/dev/null
"$gen" cohort-bindings "$courses" --idnumber BOUND > "$work/bindings.csv"
enrolments=$((bound * courses))
timed "bindings file: a $bound-member cohort bound to $courses courses ($enrolments enrolments)" "$enrolments" \
  "created $courses," run cohorts --op bindings --file "$work/bindings.csv"
got=$(sqlite3 "$data/lms.db" "SELECT count(*) FROM user_enrolments ue JOIN enrol e ON e.id = ue.enrolid WHERE e.enrol = 'cohort'")
[ "$got" = "$enrolments" ] || { echo "expected $enrolments derived enrolments, found $got" >&2; exit 1; }
"$gen" cohort-members 0 --idnumber BOUND --free > "$work/free.csv"
timed "members file: free that cohort (every enrolment it gave removed)" "$((enrolments + bound))" "updated 1," \
  run cohorts --op members --file "$work/free.csv" --confirm-deletes
got=$(sqlite3 "$data/lms.db" "SELECT count(*) FROM user_enrolments")
[ "$got" = 0 ] || { echo "expected no enrolments left, found $got" >&2; exit 1; }
