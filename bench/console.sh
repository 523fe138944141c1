#!/usr/bin/env bash
# Times the console's data browser on a big site and prints Markdown table rows: USERS accounts
# enrolled in each of COURSES courses (USERS × COURSES enrolments, built by the enrolment tool,
# untimed), then the pages an operator opens — a course (first and a late page of its users), a
# user, the search, the enrolments table filtered by course — each fetched 5 times with curl
# (median time of the whole HTTP answer, release build); then the server's peak memory.
#
#   bench/console.sh               # 100 000 users × 10 courses = 1 000 000 enrolments
#   bench/console.sh 2000 5        # USERS COURSES
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p lmsync -p lmsync-bench
lmsync=$PWD/target/release/lmsync
gen=$PWD/target/release/lmsync-bench
users=${1:-100000}
courses=${2:-10}
work=$(mktemp -d)
data=$work/data
serve=
trap '[ -z "$serve" ] || { kill "$serve" 2>/dev/null; wait "$serve" 2>/dev/null; }; rm -rf "$work"' EXIT
export LMSYNC_USERS__PRIMARY_IDENTITY=idnumber LMSYNC_ENROLS__USER_IDENTIFIER=idnumber
"$lmsync" --data-dir "$data" runs >/dev/null
# Runs archive their input: the files are kept in $work too, to pick a course and a user from.
"$gen" users "$users" > "$work/users.csv"
"$gen" courses "$courses" > "$work/courses.csv"
"$gen" enrols "$users" "$courses" > "$work/enrols.csv"
cp "$work/users.csv" "$work/courses.csv" "$work/enrols.csv" "$data/files/"
"$lmsync" --data-dir "$data" run users --file "$data/files/users.csv" >/dev/null
"$lmsync" --data-dir "$data" run courses --op create --file "$data/files/courses.csv" >/dev/null
"$lmsync" --data-dir "$data" run enrols --file "$data/files/enrols.csv" >/dev/null
PW="bench password 1" "$lmsync" --data-dir "$data" accounts set bench --role viewer --password-env PW >/dev/null
LMSYNC_WEB__LISTEN=127.0.0.1:0 "$lmsync" --data-dir "$data" serve > "$work/serve.out" 2>/dev/null &
serve=$!
for _ in $(seq 100); do grep -q "API:" "$work/serve.out" && break; sleep 0.1; done
base=$(grep -o 'http://[0-9.:]*' "$work/serve.out" | head -1)
jar=$work/cookies
page=$(curl -s -c "$jar" "$base/login")
csrf=$(echo "$page" | grep -o 'name="csrf" value="[^"]*"' | cut -d'"' -f4)
curl -s -b "$jar" -c "$jar" -o /dev/null -d "username=bench&password=bench+password+1&csrf=$csrf" "$base/login"
course=$(sed -n 2p "$work/courses.csv" | cut -d';' -f1)
user=$(tail -1 "$work/users.csv" | cut -d';' -f1)
time_page() { # <label> <path>
  local t
  t=$(for _ in 1 2 3 4 5; do curl -s -b "$jar" -o /dev/null -w '%{http_code} %{time_total}\n' "$base$2"; done | sort -k2 -n | sed -n 3p)
  [ "${t%% *}" = 200 ] || echo "warning: $1: HTTP ${t%% *}" >&2
  printf '| %s | %s | %.0f ms |\n' "$1" "$((users * courses))" "$(echo "${t#* } * 1000" | bc)"
}
time_page "course page (counts, groups, first 100 users)" "/browse/course?key=$course"
time_page "course page, users from 90 000" "/browse/course?key=$course&offset=90000"
time_page "course page, users with the role student" "/browse/course?key=$course&role=student"
time_page "user page ($courses enrolments)" "/browse/user?key=$user"
time_page "search users" "/browse/categories?kind=users&q=99"
time_page "enrolments table filtered by course" "/data/enrolments?column=course_shortname&value=$course"
time_page "dashboard" "/"
echo "serve's peak resident memory after these pages: $(awk '/VmHWM/ {printf "%d MB", $2 / 1024}' "/proc/$serve/status")"
