#!/usr/bin/env bash
# Times the moodle target against the fake Moodle (release builds) with LATENCY ms added to
# every answer, and prints Markdown table rows: USERS accounts (`lmsync-bench users`) then an
# enrolment file putting each of them in COURSES courses (`lmsync-bench enrols`, user by user),
# each run by lmsync (batched, concurrent lookups), then run again (every line unchanged: lookups
# only); then, on a fresh site, the first NAIVE lines of both files applied one call per step of
# each line (`lmsync-bench moodle-naive`), the way a naive integration does it.
#
#   bench/moodle.sh                  # 10 000 users × 5 courses = 50 000 enrolments, 20 ms, 300 naive
#   bench/moodle.sh 1000 5 20 100    # USERS COURSES LATENCY NAIVE
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p lmsync -p lmsync-bench -p lmsync-moodle-fake
bin=${CARGO_TARGET_DIR:-$PWD/target}/release
lmsync=$bin/lmsync
gen=$bin/lmsync-bench
fakebin=$bin/lmsync-moodle-fake
users=${1:-10000}
courses=${2:-5}
latency=${3:-20}
naive=${4:-300}
work=$(mktemp -d)
fake_pid=
trap '[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null; rm -rf "$work"' EXIT

# site: starts a fresh fake Moodle with the courses; sets $url and $token.
site() {
  [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null || true
  "$fakebin" --latency-ms "$latency" > "$work/fake.txt" &
  fake_pid=$!
  for _ in $(seq 50); do grep -q '^token:' "$work/fake.txt" 2>/dev/null && break; sleep 0.1; done
  url=$(awk '/^url:/ {print $2}' "$work/fake.txt")
  token=$(awk '/^token:/ {print $2}' "$work/fake.txt")
  "$gen" moodle-setup "$url" "$token" "$courses"
}

# run <tool> <file> <label> <lines> <outcome every line must have>
run() {
  local tool=$1 file=$2 label=$3 rows=$4 want=$5 out secs kb counts
  cp "$file" "$work/data/files/input.csv"
  out=$( { /usr/bin/time -f "TIME %e %M" env LMSYNC_TARGET__KIND=moodle LMSYNC_TARGET__URL="$url" LMSYNC_TARGET_TOKEN="$token" \
      LMSYNC_USERS__PRIMARY_IDENTITY=idnumber "$lmsync" --data-dir "$work/data" run "$tool" --file "$work/data/files/input.csv" >"$work/stdout"; } 2>&1 ) || true
  secs=$(echo "$out" | awk '/^TIME/ {print $2}')
  kb=$(echo "$out" | awk '/^TIME/ {print $3}')
  counts=$(grep -m1 '^ *created ' "$work/stdout" || true)
  if ! echo "$counts" | grep -q "$want $rows,"; then
    echo "warning: $label: expected $want $rows, got: ${counts:-$(cat "$work/stdout")}" >&2
  fi
  awk -v r="$rows" -v s="$secs" -v k="$kb" -v l="$label" 'BEGIN { printf "| %d | %s | %.2f | %d | %.0f MB |\n", r, l, s, (s > 0 ? r / s : 0), k / 1024 }'
}

"$gen" users "$users" > "$work/users.csv"
"$gen" enrols "$users" "$courses" > "$work/enrols.csv"
lines=$((users * courses))
mkdir -p "$work/data"
"$lmsync" --data-dir "$work/data" runs >/dev/null
site
echo "| lines | phase ($latency ms a call) | seconds | lines/s | peak RSS |"
echo "|---:|---|---:|---:|---:|"
run users "$work/users.csv" "lmsync: create $users accounts" "$users" created
run enrols "$work/enrols.csv" "lmsync: enrol ($users users × $courses courses)" "$lines" created
run users "$work/users.csv" "lmsync: accounts again (unchanged)" "$users" unchanged
run enrols "$work/enrols.csv" "lmsync: enrolments again (unchanged)" "$lines" unchanged
site
"$gen" moodle-naive "$url" "$token" "$work/users.csv" "$work/enrols.csv" --limit "$naive"
